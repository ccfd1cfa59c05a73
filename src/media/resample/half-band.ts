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
 *
 * Speed (docs/benchmarks/media.md): the symmetric FIR is the whole cost, so its kernels (`upFour`,
 * `downFour`) are unrolled by hand: four outputs per pass share one window of 47 history samples held in
 * locals (one bounds-checked load per sample instead of two per tap per output), the 22 taps sit in
 * locals, and each output is summed as two independent chains (even taps, odd taps) added at the end, so
 * the floating-point adds do not wait on one another. That is 2.2–2.4× faster in CPU time than the
 * plain tap loop with the same taps; the only arithmetic difference is the order of the additions
 * (rounding of the order of 1e-12 of full scale), and the tests hold the output to the plain loop's
 * within ±1 LSB. A block shorter than four outputs (or its remainder) goes through `upOne`/`downOne`,
 * which sum in exactly the same order, so the output does not depend on how the stream is chunked.
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
    taps[i] = (taps[i]! * 0.5) / oddSum;
  }
  return taps;
}

/** Off-centre taps c[j] = h[2j+1] for j = 0..P-1 (the filter is symmetric, so h[-(2j+1)] = c[j]). */
function sideTaps(scale: number): Float64Array {
  const taps = halfBandTaps();
  const half = 2 * HALF_BAND_PAIRS - 1;
  const side = new Float64Array(HALF_BAND_PAIRS);
  for (let j = 0; j < HALF_BAND_PAIRS; j++) {
    side[j] = taps[half + 2 * j + 1]! * scale;
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

/*
 * The FIR kernels. Tap j multiplies the pair of samples that share it (linear phase: h[-k] = h[k]), so
 * each output costs 22 multiplies. `upFour`/`downFour` are the unrolled fast path (see the header);
 * `upOne`/`downOne` compute one output with the same two-chain summation order, for block remainders.
 * The unrolled bodies are mechanical: output m of a pass is centred on window sample 21 + m and pairs
 * window samples (21 + m - j, 22 + m + j) under tap j.
 */

/** Odd-phase output centred between b[c] and b[c + 1] (interpolator), summed like `upFour`. */
function upOne(b: Float64Array, c: number): number {
  let even = 0;
  let odd = 0;
  for (let j = 0; j < HALF_BAND_PAIRS; j += 2) {
    even += UP_TAPS[j]! * (b[c - j]! + b[c + 1 + j]!);
    odd += UP_TAPS[j + 1]! * (b[c - j - 1]! + b[c + 2 + j]!);
  }
  return even + odd;
}

/**
 * Interpolator output pairs for centres `first`, `first + 1`, …, four per pass, `quads` passes, into
 * `out` from `outFirst`. Window sample k is b[c - 21 + k].
 */
// Hand-unrolled: one line per tap group keeps the two partial sums readable, so Prettier leaves it.
// prettier-ignore
function upFour(b: Float64Array, first: number, quads: number, out: Int16Array, outFirst: number): void {
  const t0 = UP_TAPS[0]!;
  const t1 = UP_TAPS[1]!;
  const t2 = UP_TAPS[2]!;
  const t3 = UP_TAPS[3]!;
  const t4 = UP_TAPS[4]!;
  const t5 = UP_TAPS[5]!;
  const t6 = UP_TAPS[6]!;
  const t7 = UP_TAPS[7]!;
  const t8 = UP_TAPS[8]!;
  const t9 = UP_TAPS[9]!;
  const t10 = UP_TAPS[10]!;
  const t11 = UP_TAPS[11]!;
  const t12 = UP_TAPS[12]!;
  const t13 = UP_TAPS[13]!;
  const t14 = UP_TAPS[14]!;
  const t15 = UP_TAPS[15]!;
  const t16 = UP_TAPS[16]!;
  const t17 = UP_TAPS[17]!;
  const t18 = UP_TAPS[18]!;
  const t19 = UP_TAPS[19]!;
  const t20 = UP_TAPS[20]!;
  const t21 = UP_TAPS[21]!;
  for (let q = 0; q < quads; q++) {
    const c = first + 4 * q;
    const o = outFirst + 8 * q;
    const x0 = b[c - 21]!;
    const x1 = b[c - 20]!;
    const x2 = b[c - 19]!;
    const x3 = b[c - 18]!;
    const x4 = b[c - 17]!;
    const x5 = b[c - 16]!;
    const x6 = b[c - 15]!;
    const x7 = b[c - 14]!;
    const x8 = b[c - 13]!;
    const x9 = b[c - 12]!;
    const x10 = b[c - 11]!;
    const x11 = b[c - 10]!;
    const x12 = b[c - 9]!;
    const x13 = b[c - 8]!;
    const x14 = b[c - 7]!;
    const x15 = b[c - 6]!;
    const x16 = b[c - 5]!;
    const x17 = b[c - 4]!;
    const x18 = b[c - 3]!;
    const x19 = b[c - 2]!;
    const x20 = b[c - 1]!;
    const x21 = b[c]!;
    const x22 = b[c + 1]!;
    const x23 = b[c + 2]!;
    const x24 = b[c + 3]!;
    const x25 = b[c + 4]!;
    const x26 = b[c + 5]!;
    const x27 = b[c + 6]!;
    const x28 = b[c + 7]!;
    const x29 = b[c + 8]!;
    const x30 = b[c + 9]!;
    const x31 = b[c + 10]!;
    const x32 = b[c + 11]!;
    const x33 = b[c + 12]!;
    const x34 = b[c + 13]!;
    const x35 = b[c + 14]!;
    const x36 = b[c + 15]!;
    const x37 = b[c + 16]!;
    const x38 = b[c + 17]!;
    const x39 = b[c + 18]!;
    const x40 = b[c + 19]!;
    const x41 = b[c + 20]!;
    const x42 = b[c + 21]!;
    const x43 = b[c + 22]!;
    const x44 = b[c + 23]!;
    const x45 = b[c + 24]!;
    const x46 = b[c + 25]!;
    out[o] = x21;
    out[o + 1] = toInt16(
      (t0 * (x21 + x22) + t2 * (x19 + x24) + t4 * (x17 + x26) + t6 * (x15 + x28) + t8 * (x13 + x30) +
        t10 * (x11 + x32) + t12 * (x9 + x34) + t14 * (x7 + x36) + t16 * (x5 + x38) + t18 * (x3 + x40) +
        t20 * (x1 + x42)) +
      (t1 * (x20 + x23) + t3 * (x18 + x25) + t5 * (x16 + x27) + t7 * (x14 + x29) + t9 * (x12 + x31) +
        t11 * (x10 + x33) + t13 * (x8 + x35) + t15 * (x6 + x37) + t17 * (x4 + x39) + t19 * (x2 + x41) +
        t21 * (x0 + x43))
    );
    out[o + 2] = x22;
    out[o + 3] = toInt16(
      (t0 * (x22 + x23) + t2 * (x20 + x25) + t4 * (x18 + x27) + t6 * (x16 + x29) + t8 * (x14 + x31) +
        t10 * (x12 + x33) + t12 * (x10 + x35) + t14 * (x8 + x37) + t16 * (x6 + x39) + t18 * (x4 + x41) +
        t20 * (x2 + x43)) +
      (t1 * (x21 + x24) + t3 * (x19 + x26) + t5 * (x17 + x28) + t7 * (x15 + x30) + t9 * (x13 + x32) +
        t11 * (x11 + x34) + t13 * (x9 + x36) + t15 * (x7 + x38) + t17 * (x5 + x40) + t19 * (x3 + x42) +
        t21 * (x1 + x44))
    );
    out[o + 4] = x23;
    out[o + 5] = toInt16(
      (t0 * (x23 + x24) + t2 * (x21 + x26) + t4 * (x19 + x28) + t6 * (x17 + x30) + t8 * (x15 + x32) +
        t10 * (x13 + x34) + t12 * (x11 + x36) + t14 * (x9 + x38) + t16 * (x7 + x40) + t18 * (x5 + x42) +
        t20 * (x3 + x44)) +
      (t1 * (x22 + x25) + t3 * (x20 + x27) + t5 * (x18 + x29) + t7 * (x16 + x31) + t9 * (x14 + x33) +
        t11 * (x12 + x35) + t13 * (x10 + x37) + t15 * (x8 + x39) + t17 * (x6 + x41) + t19 * (x4 + x43) +
        t21 * (x2 + x45))
    );
    out[o + 6] = x24;
    out[o + 7] = toInt16(
      (t0 * (x24 + x25) + t2 * (x22 + x27) + t4 * (x20 + x29) + t6 * (x18 + x31) + t8 * (x16 + x33) +
        t10 * (x14 + x35) + t12 * (x12 + x37) + t14 * (x10 + x39) + t16 * (x8 + x41) + t18 * (x6 + x43) +
        t20 * (x4 + x45)) +
      (t1 * (x23 + x26) + t3 * (x21 + x28) + t5 * (x19 + x30) + t7 * (x17 + x32) + t9 * (x15 + x34) +
        t11 * (x13 + x36) + t13 * (x11 + x38) + t15 * (x9 + x40) + t17 * (x7 + x42) + t19 * (x5 + x44) +
        t21 * (x3 + x46))
    );
  }
}

/** Decimator output centred on b[c] (its odd-phase neighbours at odd distances), summed like `downFour`. */
function downOne(b: Float64Array, c: number): number {
  let even = 0;
  let odd = 0;
  for (let j = 0; j < HALF_BAND_PAIRS; j += 2) {
    const d = 2 * j + 1;
    even += DOWN_TAPS[j]! * (b[c - d]! + b[c + d]!);
    odd += DOWN_TAPS[j + 1]! * (b[c - d - 2]! + b[c + d + 2]!);
  }
  return 0.5 * b[c]! + (even + odd);
}

/**
 * Decimator outputs centred on `first`, `first + 2`, …, four per pass, `quads` passes, into `out` from
 * `outFirst`. Window sample k is b[c - 43 + 2k] (the odd-phase inputs around the four centres).
 */
// Hand-unrolled: one line per tap group keeps the two partial sums readable, so Prettier leaves it.
// prettier-ignore
function downFour(b: Float64Array, first: number, quads: number, out: Int16Array, outFirst: number): void {
  const t0 = DOWN_TAPS[0]!;
  const t1 = DOWN_TAPS[1]!;
  const t2 = DOWN_TAPS[2]!;
  const t3 = DOWN_TAPS[3]!;
  const t4 = DOWN_TAPS[4]!;
  const t5 = DOWN_TAPS[5]!;
  const t6 = DOWN_TAPS[6]!;
  const t7 = DOWN_TAPS[7]!;
  const t8 = DOWN_TAPS[8]!;
  const t9 = DOWN_TAPS[9]!;
  const t10 = DOWN_TAPS[10]!;
  const t11 = DOWN_TAPS[11]!;
  const t12 = DOWN_TAPS[12]!;
  const t13 = DOWN_TAPS[13]!;
  const t14 = DOWN_TAPS[14]!;
  const t15 = DOWN_TAPS[15]!;
  const t16 = DOWN_TAPS[16]!;
  const t17 = DOWN_TAPS[17]!;
  const t18 = DOWN_TAPS[18]!;
  const t19 = DOWN_TAPS[19]!;
  const t20 = DOWN_TAPS[20]!;
  const t21 = DOWN_TAPS[21]!;
  for (let q = 0; q < quads; q++) {
    const c = first + 8 * q;
    const o = outFirst + 4 * q;
    const y0 = b[c - 43]!;
    const y1 = b[c - 41]!;
    const y2 = b[c - 39]!;
    const y3 = b[c - 37]!;
    const y4 = b[c - 35]!;
    const y5 = b[c - 33]!;
    const y6 = b[c - 31]!;
    const y7 = b[c - 29]!;
    const y8 = b[c - 27]!;
    const y9 = b[c - 25]!;
    const y10 = b[c - 23]!;
    const y11 = b[c - 21]!;
    const y12 = b[c - 19]!;
    const y13 = b[c - 17]!;
    const y14 = b[c - 15]!;
    const y15 = b[c - 13]!;
    const y16 = b[c - 11]!;
    const y17 = b[c - 9]!;
    const y18 = b[c - 7]!;
    const y19 = b[c - 5]!;
    const y20 = b[c - 3]!;
    const y21 = b[c - 1]!;
    const y22 = b[c + 1]!;
    const y23 = b[c + 3]!;
    const y24 = b[c + 5]!;
    const y25 = b[c + 7]!;
    const y26 = b[c + 9]!;
    const y27 = b[c + 11]!;
    const y28 = b[c + 13]!;
    const y29 = b[c + 15]!;
    const y30 = b[c + 17]!;
    const y31 = b[c + 19]!;
    const y32 = b[c + 21]!;
    const y33 = b[c + 23]!;
    const y34 = b[c + 25]!;
    const y35 = b[c + 27]!;
    const y36 = b[c + 29]!;
    const y37 = b[c + 31]!;
    const y38 = b[c + 33]!;
    const y39 = b[c + 35]!;
    const y40 = b[c + 37]!;
    const y41 = b[c + 39]!;
    const y42 = b[c + 41]!;
    const y43 = b[c + 43]!;
    const y44 = b[c + 45]!;
    const y45 = b[c + 47]!;
    const y46 = b[c + 49]!;
    out[o] = toInt16(
      0.5 * b[c]! +
        ((t0 * (y21 + y22) + t2 * (y19 + y24) + t4 * (y17 + y26) + t6 * (y15 + y28) + t8 * (y13 + y30) +
          t10 * (y11 + y32) + t12 * (y9 + y34) + t14 * (y7 + y36) + t16 * (y5 + y38) + t18 * (y3 + y40) +
          t20 * (y1 + y42)) +
        (t1 * (y20 + y23) + t3 * (y18 + y25) + t5 * (y16 + y27) + t7 * (y14 + y29) + t9 * (y12 + y31) +
          t11 * (y10 + y33) + t13 * (y8 + y35) + t15 * (y6 + y37) + t17 * (y4 + y39) + t19 * (y2 + y41) +
          t21 * (y0 + y43)))
    );
    out[o + 1] = toInt16(
      0.5 * b[c + 2]! +
        ((t0 * (y22 + y23) + t2 * (y20 + y25) + t4 * (y18 + y27) + t6 * (y16 + y29) + t8 * (y14 + y31) +
          t10 * (y12 + y33) + t12 * (y10 + y35) + t14 * (y8 + y37) + t16 * (y6 + y39) + t18 * (y4 + y41) +
          t20 * (y2 + y43)) +
        (t1 * (y21 + y24) + t3 * (y19 + y26) + t5 * (y17 + y28) + t7 * (y15 + y30) + t9 * (y13 + y32) +
          t11 * (y11 + y34) + t13 * (y9 + y36) + t15 * (y7 + y38) + t17 * (y5 + y40) + t19 * (y3 + y42) +
          t21 * (y1 + y44)))
    );
    out[o + 2] = toInt16(
      0.5 * b[c + 4]! +
        ((t0 * (y23 + y24) + t2 * (y21 + y26) + t4 * (y19 + y28) + t6 * (y17 + y30) + t8 * (y15 + y32) +
          t10 * (y13 + y34) + t12 * (y11 + y36) + t14 * (y9 + y38) + t16 * (y7 + y40) + t18 * (y5 + y42) +
          t20 * (y3 + y44)) +
        (t1 * (y22 + y25) + t3 * (y20 + y27) + t5 * (y18 + y29) + t7 * (y16 + y31) + t9 * (y14 + y33) +
          t11 * (y12 + y35) + t13 * (y10 + y37) + t15 * (y8 + y39) + t17 * (y6 + y41) + t19 * (y4 + y43) +
          t21 * (y2 + y45)))
    );
    out[o + 3] = toInt16(
      0.5 * b[c + 6]! +
        ((t0 * (y24 + y25) + t2 * (y22 + y27) + t4 * (y20 + y29) + t6 * (y18 + y31) + t8 * (y16 + y33) +
          t10 * (y14 + y35) + t12 * (y12 + y37) + t14 * (y10 + y39) + t16 * (y8 + y41) + t18 * (y6 + y43) +
          t20 * (y4 + y45)) +
        (t1 * (y23 + y26) + t3 * (y21 + y28) + t5 * (y19 + y30) + t7 * (y17 + y32) + t9 * (y15 + y34) +
          t11 * (y13 + y36) + t13 * (y11 + y38) + t15 * (y9 + y40) + t17 * (y7 + y42) + t19 * (y5 + y44) +
          t21 * (y3 + y46)))
    );
  }
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
      throw new TypeError(
        `Upsampler2x: out.length ${out.length} must be 2 * input.length (${2 * input.length})`,
      );
    }
    for (let start = 0; start < input.length; start += BLOCK) {
      this.#block(input, start, Math.min(BLOCK, input.length - start), out);
    }
  }

  #block(input: Int16Array, start: number, count: number, out: Int16Array): void {
    const buf = this.#buf;
    const hist = this.#history;
    for (let i = 0; i < count; i++) {
      buf[hist + i] = input[start + i]!;
    }
    // Input i (at hist + i) completes the output pair centred P samples earlier.
    const first = hist - HALF_BAND_PAIRS;
    const quads = count >> 2;
    upFour(buf, first, quads, out, 2 * start);
    for (let i = 4 * quads; i < count; i++) {
      const c = first + i;
      const o = 2 * (start + i);
      out[o] = buf[c]!;
      out[o + 1] = toInt16(upOne(buf, c));
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
    for (let i = 0; i < count; i++) {
      buf[hist + i] = input[start + i]!;
    }
    // The pair of inputs i, i + 1 (ending at hist + i + 1) completes the output centred 2P - 1 earlier.
    const first = hist + 2 - 2 * HALF_BAND_PAIRS;
    const quads = count >> 3;
    downFour(buf, first, quads, out, start >> 1);
    for (let i = 8 * quads; i < count; i += 2) {
      out[(start + i) >> 1] = toInt16(downOne(buf, first + i));
    }
    buf.copyWithin(0, count, count + hist);
  }

  /** Forgets all history: the next output is as if the stream had just started (silence before it). */
  reset(): void {
    this.#buf.fill(0);
  }
}
