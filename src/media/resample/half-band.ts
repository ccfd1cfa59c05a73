/**
 * Streaming 2:1 and 1:2 resamplers between 8 kHz and 16 kHz, built on one linear-phase half-band FIR.
 *
 * Filter design (computed once at module load, no table to trust):
 * - A half-band low-pass at 16 kHz with its 6 dB point at 4 kHz: taps h[k] = ½·sinc(k/2)·w[k] for
 *   k = -(2P-1)..(2P-1), where w is a Kaiser window (β = 10.25) spanning 4P taps. Every even tap other
 *   than the centre (½) is exactly zero, which is what makes a half-band filter cheap.
 * - P = 22 (87 taps, 44 of them non-zero besides the centre), chosen as the smallest P whose best β
 *   (searched in steps of 0.25) keeps the whole stopband 4.6–8 kHz below -100 dB. With β = 10.25 the
 *   response, evaluated on a 1 Hz grid, peaks at -100.6 dB in the stopband, deviates under 0.0001 dB
 *   in the passband (0–3.4 kHz), and reaches -126 dB at 5 kHz (the image of a 3 kHz tone) and -117 dB
 *   at 6 kHz. Kaiser's length formula (A = 100 dB, Δf = 1.2 kHz at fs = 16 kHz) predicts N ≈ 86 taps.
 *   P = 20 would give about -91 dB and P = 18 about -84 dB, for 10 % and 20 % less CPU.
 *   The tests measure the rejection with tones; docs/benchmarks/media.md records the figures.
 * - The odd taps are scaled so that they sum to exactly ½, so DC passes with gain exactly 1 in both
 *   polyphase branches (no DC ripple at the 8 kHz frame rate).
 *
 * Polyphase structure:
 * - Up 8→16 kHz: even outputs are the input delayed (centre tap × 2 = 1); odd outputs are a P-tap
 *   symmetric FIR (P multiplies after pre-adding mirrored samples). Latency P = 22 input samples
 *   (2.75 ms).
 * - Down 16→8 kHz: each output is ½·centre plus the same P-tap symmetric FIR on the odd-phase input
 *   samples. Output n is centred on input 2n − 2(P−1), so the latency is P−1 = 21 output samples
 *   (2.625 ms); up then down delays by exactly 43 samples at 8 kHz.
 *
 * Both keep Float64 history and a fixed work buffer: no allocation per call. Output is rounded to the
 * nearest integer and clamped to int16.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in DSP loops are in
   bounds by loop construction; `!` costs nothing at run time where `?? 0` would add a check per sample. */
import { besselI0, kaiserWindow, sinc } from './kaiser.js';

/** Number of non-zero off-centre tap pairs of the half-band filter. */
export const HALF_BAND_PAIRS = 22;
/** Kaiser β of the half-band design. */
export const HALF_BAND_BETA = 10.25;
/** Group delay of `Upsampler2x`, in 8 kHz input samples. */
export const UPSAMPLER_DELAY_SAMPLES = HALF_BAND_PAIRS;
/** Group delay of `Downsampler2x`, in 8 kHz output samples (42 input samples at 16 kHz). */
export const DOWNSAMPLER_DELAY_SAMPLES = HALF_BAND_PAIRS - 1;

/** Block size (in input samples) processed per pass through the work buffer. */
const BLOCK = 640;

/**
 * The full half-band impulse response h[k], k = -(2P-1)..(2P-1), at index k + 2P - 1. Unity DC gain.
 * Exported for tests and documentation.
 */
export function halfBandTaps(pairs: number = HALF_BAND_PAIRS, beta: number = HALF_BAND_BETA): Float64Array {
  const half = 2 * pairs - 1;
  const taps = new Float64Array(2 * half + 1);
  const i0Beta = besselI0(beta);
  let oddSum = 0;
  for (let k = -half; k <= half; k++) {
    let v = 0;
    if (k === 0) {
      v = 0.5;
    } else if (k % 2 !== 0) {
      v = 0.5 * sinc(k / 2) * kaiserWindow(k / (half + 1), beta, i0Beta);
      oddSum += v;
    }
    taps[k + half] = v;
  }
  // Scale the odd taps so they sum to exactly 1/2.
  for (let k = -half; k <= half; k += 2) {
    const i = k + half;
    taps[i] = ((taps[i]!) * 0.5) / oddSum;
  }
  return taps;
}

/** Off-centre taps c[j] = h[2j+1] for j = 0..P-1 (the filter is symmetric, so h[-(2j+1)] = c[j]). */
function sideTaps(scale: number): Float64Array {
  const taps = halfBandTaps();
  const half = 2 * HALF_BAND_PAIRS - 1;
  const side = new Float64Array(HALF_BAND_PAIRS);
  for (let j = 0; j < HALF_BAND_PAIRS; j++) {
    side[j] = (taps[half + 2 * j + 1]!) * scale;
  }
  return side;
}

/** Interpolation taps: the half-band filter times 2 (the zero-stuffing gain). */
const UP_TAPS = sideTaps(2);
/** Decimation taps: the half-band filter itself. */
const DOWN_TAPS = sideTaps(1);

function toInt16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/**
 * 8 kHz → 16 kHz streaming interpolator. Stateful: successive `process` calls continue the same stream
 * (a 20 ms frame of 160 samples yields 320). Group delay 22 input samples (2.75 ms).
 */
export class Upsampler2x {
  readonly #history = 2 * HALF_BAND_PAIRS - 1;
  readonly #buf = new Float64Array(this.#history + BLOCK);

  /** Interpolates `input` (8 kHz) into `out` (16 kHz); `out.length` must equal `2 * input.length`. */
  process(input: Int16Array, out: Int16Array): void {
    if (out.length !== 2 * input.length) {
      throw new TypeError(`Upsampler2x: out.length ${out.length} must be 2 * input.length (${2 * input.length})`);
    }
    for (let start = 0; start < input.length; start += BLOCK) {
      this.#block(input, start, Math.min(BLOCK, input.length - start), out);
    }
  }

  #block(input: Int16Array, start: number, count: number, out: Int16Array): void {
    const buf = this.#buf;
    const hist = this.#history;
    const pairs = HALF_BAND_PAIRS;
    const taps = UP_TAPS;
    for (let i = 0; i < count; i++) {
      buf[hist + i] = input[start + i]!;
    }
    for (let i = 0; i < count; i++) {
      // The newest sample is at p; the output pair is centred P samples earlier.
      const centre = hist + i - pairs;
      let acc = 0;
      for (let j = 0; j < pairs; j++) {
        acc += (taps[j]!) * ((buf[centre - j]!) + (buf[centre + 1 + j]!));
      }
      const o = 2 * (start + i);
      out[o] = buf[centre]!;
      out[o + 1] = toInt16(acc);
    }
    buf.copyWithin(0, count, count + hist);
  }

  /** Forgets all history: the next output is as if the stream had just started (silence before it). */
  reset(): void {
    this.#buf.fill(0);
  }
}

/**
 * 16 kHz → 8 kHz streaming decimator. Stateful: successive `process` calls continue the same stream
 * (a 20 ms frame of 320 samples yields 160). Group delay 21 output samples (2.625 ms).
 */
export class Downsampler2x {
  readonly #history = 4 * HALF_BAND_PAIRS - 2;
  readonly #buf = new Float64Array(this.#history + BLOCK);

  /** Decimates `input` (16 kHz, even length) into `out` (8 kHz); `out.length` must equal `input.length / 2`. */
  process(input: Int16Array, out: Int16Array): void {
    if (input.length % 2 !== 0 || out.length !== input.length / 2) {
      throw new TypeError(
        `Downsampler2x: input.length ${input.length} must be even and out.length ${out.length} its half`,
      );
    }
    for (let start = 0; start < input.length; start += BLOCK) {
      this.#block(input, start, Math.min(BLOCK, input.length - start), out);
    }
  }

  #block(input: Int16Array, start: number, count: number, out: Int16Array): void {
    const buf = this.#buf;
    const hist = this.#history;
    const pairs = HALF_BAND_PAIRS;
    const taps = DOWN_TAPS;
    for (let i = 0; i < count; i++) {
      buf[hist + i] = input[start + i]!;
    }
    for (let i = 0; i < count; i += 2) {
      // The newest pair ends at hist + i + 1; the centre tap sits 2P - 1 samples before that.
      const centre = hist + i + 2 - 2 * pairs;
      let acc = 0.5 * (buf[centre]!);
      for (let j = 0; j < pairs; j++) {
        const d = 2 * j + 1;
        acc += (taps[j]!) * ((buf[centre - d]!) + (buf[centre + d]!));
      }
      out[(start + i) >> 1] = toInt16(acc);
    }
    buf.copyWithin(0, count, count + hist);
  }

  /** Forgets all history: the next output is as if the stream had just started (silence before it). */
  reset(): void {
    this.#buf.fill(0);
  }
}
