/**
 * Signal measurements for tests and diagnostics: level, tone power (Goertzel), tone generation, and
 * alignment by normalised cross-correlation. Allocates freely; not for the per-frame hot path.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in DSP loops are in
   bounds by loop construction; `!` costs nothing at run time where `?? 0` would add a check per sample. */

/** Root-mean-square level of `x`, in int16 units (0 for an empty array). */
export function rms(x: Int16Array): number {
  if (x.length === 0) {
    return 0;
  }
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    sum += v * v;
  }
  return Math.sqrt(sum / x.length);
}

/**
 * Power of the `freqHz` component of `x` (sampled at `sampleRateHz`), by the Goertzel algorithm over
 * the whole array (the frequency need not fall on a DFT bin). Scaled so that a sine of amplitude A
 * spanning `x` gives A²/2, the same units as `rms(x)²`; compare two results in dB with 10·log10(a/b).
 */
export function tonePower(x: Int16Array, sampleRateHz: number, freqHz: number): number {
  const n = x.length;
  if (n === 0) {
    return 0;
  }
  const w = (2 * Math.PI * freqHz) / sampleRateHz;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = x[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  // |X(w)|² from the final two states of the recurrence.
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  return (2 * (re * re + im * im)) / (n * n);
}

/**
 * A sine tone of `freqHz` at `sampleRateHz`, `durationMs` long (rounded to whole samples), with peak
 * `amplitude` (int16 units, clamped to ±32767), starting at phase 0.
 */
export function generateTone(
  freqHz: number,
  sampleRateHz: number,
  durationMs: number,
  amplitude: number,
): Int16Array {
  const n = Math.max(0, Math.round((sampleRateHz * durationMs) / 1000));
  const out = new Int16Array(n);
  const a = Math.min(32767, Math.abs(amplitude));
  const w = (2 * Math.PI * freqHz) / sampleRateHz;
  for (let i = 0; i < n; i++) {
    out[i] = Math.round(a * Math.sin(w * i));
  }
  return out;
}

/** In-place iterative radix-2 complex FFT (inverse when `inverse`, unscaled). Length a power of two. */
function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; (j & bit) !== 0; bit >>= 1) {
      j ^= bit;
    }
    j ^= bit;
    if (i < j) {
      const tr = re[i]!;
      re[i] = re[j]!;
      re[j] = tr;
      const ti = im[i]!;
      im[i] = im[j]!;
      im[j] = ti;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    const half = len >> 1;
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const br = re[b]!;
        const bi = im[b]!;
        const xr = br * cr - bi * ci;
        const xi = br * ci + bi * cr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

/** Raw cross-correlation c[lag] = Σ r[i]·t[i+lag] for lag in [-maxLag, maxLag], via FFT. */
function crossCorrelation(reference: Int16Array, test: Int16Array, maxLag: number): Float64Array {
  let size = 1;
  while (size < reference.length + test.length) {
    size <<= 1;
  }
  const rRe = new Float64Array(size);
  const rIm = new Float64Array(size);
  const tRe = new Float64Array(size);
  const tIm = new Float64Array(size);
  rRe.set(reference);
  tRe.set(test);
  fft(rRe, rIm, false);
  fft(tRe, tIm, false);
  // conj(R) · T
  for (let k = 0; k < size; k++) {
    const ar = rRe[k]!;
    const ai = -rIm[k]!;
    const br = tRe[k]!;
    const bi = tIm[k]!;
    rRe[k] = ar * br - ai * bi;
    rIm[k] = ar * bi + ai * br;
  }
  fft(rRe, rIm, true);
  const out = new Float64Array(2 * maxLag + 1);
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    out[lag + maxLag] = rRe[(lag + size) % size]! / size;
  }
  return out;
}

function prefixSums(x: Int16Array): { sum: Float64Array; sumSq: Float64Array } {
  const sum = new Float64Array(x.length + 1);
  const sumSq = new Float64Array(x.length + 1);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    sum[i + 1] = sum[i]! + v;
    sumSq[i + 1] = sumSq[i]! + v * v;
  }
  return { sum, sumSq };
}

/**
 * Finds the lag in [-maxLagSamples, maxLagSamples] at which `test` best matches `reference`, and the
 * Pearson correlation there, computed exactly over the overlapping samples (`test[i + lag]` against
 * `reference[i]`, so a positive lag means `test` is late). Cross-products come from one FFT
 * correlation and the means/variances from prefix sums, so 10 s at 8 kHz with a 1 s search takes tens
 * of milliseconds. Lags whose overlap is shorter than half the shorter input are not considered.
 * Returns correlation 0 (lag 0) when no lag qualifies or either side is constant.
 */
export function alignedCorrelation(
  reference: Int16Array,
  test: Int16Array,
  maxLagSamples: number,
): { correlation: number; lagSamples: number } {
  const maxLag = Math.max(0, Math.floor(maxLagSamples));
  const nr = reference.length;
  const nt = test.length;
  const minOverlap = Math.max(2, Math.ceil(Math.min(nr, nt) / 2));
  if (Math.min(nr, nt) < 2) {
    return { correlation: 0, lagSamples: 0 };
  }
  const cross = crossCorrelation(reference, test, maxLag);
  const r = prefixSums(reference);
  const t = prefixSums(test);
  let best = { correlation: 0, lagSamples: 0 };
  let bestScore = -Infinity;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    // Overlap: reference indices [i0, i1), test indices [i0 + lag, i1 + lag).
    const i0 = Math.max(0, -lag);
    const i1 = Math.min(nr, nt - lag);
    const n = i1 - i0;
    if (n < minOverlap) {
      continue;
    }
    const sr = r.sum[i1]! - r.sum[i0]!;
    const srr = r.sumSq[i1]! - r.sumSq[i0]!;
    const st = t.sum[i1 + lag]! - t.sum[i0 + lag]!;
    const stt = t.sumSq[i1 + lag]! - t.sumSq[i0 + lag]!;
    const varR = srr - (sr * sr) / n;
    const varT = stt - (st * st) / n;
    if (varR <= 0 || varT <= 0) {
      continue;
    }
    const cov = cross[lag + maxLag]! - (sr * st) / n;
    const corr = cov / Math.sqrt(varR * varT);
    if (corr > bestScore) {
      bestScore = corr;
      best = { correlation: Math.max(-1, Math.min(1, corr)), lagSamples: lag };
    }
  }
  return best;
}
