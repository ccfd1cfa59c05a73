/**
 * Kaiser window helpers for FIR design (J. F. Kaiser, "Nonrecursive digital filter design using the
 * I0-sinh window function", 1974; formulas as given in Oppenheim & Schafer, Discrete-Time Signal
 * Processing, §7.6).
 */

/** Zeroth-order modified Bessel function of the first kind, I0(x), by its power series. */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const halfX = x / 2;
  for (let k = 1; k < 200; k++) {
    term *= (halfX / k) * (halfX / k);
    sum += term;
    if (term < sum * 1e-17) {
      break;
    }
  }
  return sum;
}

/** Kaiser's β for a stopband attenuation of `attenuationDb` (dB, positive). */
export function kaiserBeta(attenuationDb: number): number {
  if (attenuationDb > 50) {
    return 0.1102 * (attenuationDb - 8.7);
  }
  if (attenuationDb >= 21) {
    return 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  }
  return 0;
}

/**
 * The Kaiser window at `position` in [-1, 1] (0 at the centre), for shape parameter `beta`; 0 outside.
 * `i0Beta` is `besselI0(beta)`, passed in so that callers computing many points compute it once.
 */
export function kaiserWindow(position: number, beta: number, i0Beta: number): number {
  if (position <= -1 || position >= 1) {
    return 0;
  }
  return besselI0(beta * Math.sqrt(1 - position * position)) / i0Beta;
}

/** The normalised sinc, sin(πx)/(πx), with sinc(0) = 1. */
export function sinc(x: number): number {
  if (x === 0) {
    return 1;
  }
  const px = Math.PI * x;
  return Math.sin(px) / px;
}
