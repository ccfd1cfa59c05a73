/**
 * ITU-T G.722 at 64 kbit/s (mode 1): 16 kHz int16 audio ↔ one octet per two samples.
 * https://www.itu.int/rec/T-REC-G.722
 *
 * Written from the Recommendation's block description:
 * - A 24-tap quadrature mirror filter (QMF) splits each pair of input samples into a low sub-band
 *   sample (0–4 kHz) and a high one (4–8 kHz), both at 8 kHz; the receive QMF recombines them.
 * - Each sub-band is an ADPCM coder: a backward-adaptive predictor (two poles, six zeros, sign-sign
 *   coefficient updates) and a quantiser whose scale factor adapts in the log domain. The low band
 *   quantises the prediction error to 6 bits (the decoder reconstructs with the 6-bit table, the
 *   predictor and adaptation only ever see its top 4 bits), the high band to 2 bits.
 * - Octet = high-band code (2 bits) << 6 | low-band code (6 bits), the standard's bit order, which is
 *   also RTP's (RFC 3551 §4.5.2: octets in order, one per sample pair).
 *
 * Arithmetic is the standard's fixed point (int16 saturation, arithmetic right shifts), so the output
 * is bit-exact with other conforming implementations; the tests hold it to spandsp's (the library
 * behind baresip's g722 module): identical octets, identical audio except where spandsp lets an
 * over-range receive-QMF output wrap around in int16 (here it is limited to full scale). Group delay of encode→decode: 22 samples at 16 kHz (1.375 ms), the
 * two QMF halves.
 *
 * Zero allocation per call: the caller owns input and output buffers; each encoder/decoder keeps its
 * state in number fields and two small typed-array rings.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in DSP loops are in
   bounds by loop construction; `!` costs nothing at run time where `?? 0` would add a check per sample. */
import {
  ANTILOG,
  HIGH_INV2,
  HIGH_LOG_MAX,
  HIGH_LOG_STEP,
  HIGH_THRESHOLD,
  LOW_CLASS,
  LOW_CODE_NEGATIVE,
  LOW_CODE_POSITIVE,
  LOW_INV4,
  LOW_INV6,
  LOW_LOG_MAX,
  LOW_LOG_STEP,
  LOW_THRESHOLDS,
  QMF_TAPS,
} from './tables.js';

/** 16 kHz samples per 20 ms frame. */
export const G722_FRAME_SAMPLES = 320;
/** G.722 octets per 20 ms frame at 64 kbit/s. */
export const G722_FRAME_BYTES = 160;
/** RTP timestamp units per 20 ms frame (RFC 3551: the clock is 8000 Hz although the audio is 16 kHz). */
export const G722_RTP_TIMESTAMP_STEP = 160;
/** Group delay of encode→decode through the two QMF halves, in 16 kHz samples. */
export const G722_CODEC_DELAY_SAMPLES = 22;

const QMF_PAIRS = 12;
/** Even taps h0, h2, …, h22 (they weigh the newer sample of each pair). */
const TAPS_EVEN = Int32Array.from({ length: QMF_PAIRS }, (_, i) => QMF_TAPS[2 * i]!);
/** Odd taps h1, h3, …, h23. */
const TAPS_ODD = Int32Array.from({ length: QMF_PAIRS }, (_, i) => QMF_TAPS[2 * i + 1]!);

function sat16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/**
 * Linear scale factor from the log one (blocks SCALEL / SCALEH): 2^(nb / 2048) in the band's units.
 * `base` is 8 for the low band, 10 for the high band.
 */
function scaleFactor(nb: number, base: number): number {
  const mantissa = ANTILOG[(nb >> 6) & 31]!;
  const shift = base - (nb >> 11);
  return (shift < 0 ? mantissa << -shift : mantissa >> shift) << 2;
}

/** One sub-band's ADPCM state: scale factor, predictor coefficients and the signals they filter. */
class SubBand {
  /** Predicted signal s(n) = sp + sz. */
  s = 0;
  /** Pole part of the prediction. */
  sp = 0;
  /** Zero part of the prediction. */
  sz = 0;
  /** Log scale factor (∇). */
  nb = 0;
  /** Linear scale factor (Δ). */
  det: number;
  /** Pole coefficients (Q14). */
  a1 = 0;
  a2 = 0;
  /** Reconstructed signal r(n-1), r(n-2). */
  r1 = 0;
  r2 = 0;
  /** Partially reconstructed signal p(n-1), p(n-2). */
  p1 = 0;
  p2 = 0;
  /** Zero coefficients b1..b6 (Q14), one field each (the predictor is the codec's hot spot). */
  b1 = 0;
  b2 = 0;
  b3 = 0;
  b4 = 0;
  b5 = 0;
  b6 = 0;
  /** Quantised differences d(n-1)..d(n-6). */
  d1 = 0;
  d2 = 0;
  d3 = 0;
  d4 = 0;
  d5 = 0;
  d6 = 0;
  readonly #initialDet: number;

  constructor(initialDet: number) {
    this.det = initialDet;
    this.#initialDet = initialDet;
  }

  reset(): void {
    this.s = this.sp = this.sz = this.nb = 0;
    this.det = this.#initialDet;
    this.a1 = this.a2 = this.r1 = this.r2 = this.p1 = this.p2 = 0;
    this.b1 = this.b2 = this.b3 = this.b4 = this.b5 = this.b6 = 0;
    this.d1 = this.d2 = this.d3 = this.d4 = this.d5 = this.d6 = 0;
  }

  /**
   * Block 4 for one quantised difference `dq`: reconstruct, update the pole (UPPOL2, UPPOL1) and zero
   * (UPZERO) coefficients, shift the delay lines and compute the next prediction (FILTEP, FILTEZ).
   */
  predict(dq: number): void {
    const r0 = sat16(this.s + dq);
    const p0 = sat16(this.sz + dq);
    const neg0 = p0 < 0;
    const sameSign1 = neg0 === this.p1 < 0;
    // UPPOL2: a2 ← (1 − 2⁻⁷)·a2 + 2⁻⁷·sgn(p0)sgn(p2) − 2⁻⁷·f(a1)·sgn(p0)sgn(p1), |a2| ≤ 0.75.
    let f = sat16(this.a1 * 4);
    if (sameSign1) {
      f = f === -32768 ? 32767 : 0 - f;
    }
    let a2 = (neg0 === this.p2 < 0 ? 128 : -128) + (f >> 7) + ((this.a2 * 32512) >> 15);
    a2 = a2 > 12288 ? 12288 : a2 < -12288 ? -12288 : a2;
    // UPPOL1: a1 ← (1 − 2⁻⁸)·a1 + 3·2⁻⁸·sgn(p0)sgn(p1), |a1| ≤ 1 − 2⁻⁴ − a2.
    let a1 = sat16((sameSign1 ? 192 : -192) + ((this.a1 * 32640) >> 15));
    const limit = sat16(15360 - a2);
    const negLimit = 0 - limit;
    a1 = a1 > limit ? limit : a1 < negLimit ? negLimit : a1;
    // UPZERO: b_i ← (1 − 2⁻⁸)·b_i + 2⁻⁷·sgn(dq)sgn(d_i) (no step when dq is 0); then DELAYZ and
    // FILTEZ (sz = Σ b_i·d_i over the shifted line).
    const up = dq === 0 ? 0 : dq < 0 ? -128 : 128;
    const down = 0 - up;
    const b1 = sat16((this.d1 < 0 ? down : up) + ((this.b1 * 32640) >> 15));
    const b2 = sat16((this.d2 < 0 ? down : up) + ((this.b2 * 32640) >> 15));
    const b3 = sat16((this.d3 < 0 ? down : up) + ((this.b3 * 32640) >> 15));
    const b4 = sat16((this.d4 < 0 ? down : up) + ((this.b4 * 32640) >> 15));
    const b5 = sat16((this.d5 < 0 ? down : up) + ((this.b5 * 32640) >> 15));
    const b6 = sat16((this.d6 < 0 ? down : up) + ((this.b6 * 32640) >> 15));
    this.b1 = b1;
    this.b2 = b2;
    this.b3 = b3;
    this.b4 = b4;
    this.b5 = b5;
    this.b6 = b6;
    const d6 = this.d5;
    const d5 = this.d4;
    const d4 = this.d3;
    const d3 = this.d2;
    const d2 = this.d1;
    this.d6 = d6;
    this.d5 = d5;
    this.d4 = d4;
    this.d3 = d3;
    this.d2 = d2;
    this.d1 = dq;
    const sz =
      ((b6 * sat16(d6 + d6)) >> 15) +
      ((b5 * sat16(d5 + d5)) >> 15) +
      ((b4 * sat16(d4 + d4)) >> 15) +
      ((b3 * sat16(d3 + d3)) >> 15) +
      ((b2 * sat16(d2 + d2)) >> 15) +
      ((b1 * sat16(dq + dq)) >> 15);
    this.sz = sat16(sz);
    // DELAYA and FILTEP.
    this.r2 = this.r1;
    this.r1 = r0;
    this.p2 = this.p1;
    this.p1 = p0;
    this.a1 = a1;
    this.a2 = a2;
    this.sp = sat16(((a1 * sat16(r0 + r0)) >> 15) + ((a2 * sat16(this.r2 + this.r2)) >> 15));
    this.s = sat16(this.sp + this.sz);
  }
}

/** Low band: the adaptation shared by encoder and decoder, given the 6-bit code. Returns nothing. */
function adaptLow(band: SubBand, code: number): void {
  const top4 = code >> 2;
  const dq = (band.det * LOW_INV4[top4]!) >> 15;
  let nb = ((band.nb * 127) >> 7) + LOW_LOG_STEP[LOW_CLASS[top4]!]!;
  nb = nb < 0 ? 0 : nb > LOW_LOG_MAX ? LOW_LOG_MAX : nb;
  band.nb = nb;
  band.det = scaleFactor(nb, 8);
  band.predict(dq);
}

/** High band: the adaptation shared by encoder and decoder, given the 2-bit code and its dq. */
function adaptHigh(band: SubBand, code: number, dq: number): void {
  let nb = ((band.nb * 127) >> 7) + HIGH_LOG_STEP[code]!;
  nb = nb < 0 ? 0 : nb > HIGH_LOG_MAX ? HIGH_LOG_MAX : nb;
  band.nb = nb;
  band.det = scaleFactor(nb, 10);
  band.predict(dq);
}

/** The 6-bit low-band code of the prediction error `e` at scale factor `det` (binary search, Table 6). */
function quantiseLow(e: number, det: number): number {
  const mag = e >= 0 ? e : -1 - e;
  // Smallest interval m in 1..29 with mag below its upper threshold, else 30.
  let lo = 1;
  let hi = 30;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (mag < (LOW_THRESHOLDS[mid]! * det) >> 12) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return e < 0 ? LOW_CODE_NEGATIVE[lo]! : LOW_CODE_POSITIVE[lo]!;
}

/** Checks that `pcmLength` 16 kHz samples map onto `codeLength` octets. */
function checkLengths(who: string, pcmLength: number, codeLength: number): void {
  if (pcmLength !== 2 * codeLength) {
    throw new TypeError(
      `${who}: ${pcmLength} samples need ${pcmLength / 2} octets, got a buffer of ${codeLength}`,
    );
  }
}

/** A G.722 encoder (one per stream direction: it keeps state between frames). */
export class G722Encoder {
  readonly #low = new SubBand(32);
  readonly #high = new SubBand(8);
  /** Newer / older sample of each input pair, each stored twice (ring of 12, read contiguously). */
  readonly #newer = new Int32Array(2 * QMF_PAIRS);
  readonly #older = new Int32Array(2 * QMF_PAIRS);
  #pos = 0;

  /** Encodes `pcm` (16 kHz, even length) into `out` (`pcm.length / 2` octets). */
  encode(pcm: Int16Array, out: Uint8Array): void {
    checkLengths('G722Encoder.encode', pcm.length, out.length);
    const low = this.#low;
    const high = this.#high;
    const newer = this.#newer;
    const older = this.#older;
    let pos = this.#pos;
    for (let n = 0; n < out.length; n++) {
      const x0 = pcm[2 * n]!;
      const x1 = pcm[2 * n + 1]!;
      older[pos] = older[pos + QMF_PAIRS] = x0;
      newer[pos] = newer[pos + QMF_PAIRS] = x1;
      // Window pos+1 .. pos+12, newest last: tap i weighs the pair i steps back.
      let xa = 0;
      let xb = 0;
      for (let i = 0, k = pos + QMF_PAIRS; i < QMF_PAIRS; i++, k--) {
        xa += TAPS_EVEN[i]! * newer[k]!;
        xb += TAPS_ODD[i]! * older[k]!;
      }
      pos = pos === QMF_PAIRS - 1 ? 0 : pos + 1;
      const lowCode = quantiseLow(sat16(((xa + xb) >> 14) - low.s), low.det);
      adaptLow(low, lowCode);

      const eh = sat16(((xa - xb) >> 14) - high.s);
      const big = (eh >= 0 ? eh : -1 - eh) >= (HIGH_THRESHOLD * high.det) >> 12;
      const highCode = eh < 0 ? (big ? 0 : 1) : big ? 2 : 3;
      adaptHigh(high, highCode, (high.det * HIGH_INV2[highCode]!) >> 15);
      out[n] = (highCode << 6) | lowCode;
    }
    this.#pos = pos;
  }

  reset(): void {
    this.#low.reset();
    this.#high.reset();
    this.#newer.fill(0);
    this.#older.fill(0);
    this.#pos = 0;
  }
}

/** A G.722 decoder (one per stream direction). */
export class G722Decoder {
  readonly #low = new SubBand(32);
  readonly #high = new SubBand(8);
  /** Sub-band difference rl − rh and sum rl + rh, each stored twice (ring of 12). */
  readonly #diff = new Int32Array(2 * QMF_PAIRS);
  readonly #sum = new Int32Array(2 * QMF_PAIRS);
  #pos = 0;

  /** Decodes `codes` into `out` (16 kHz, `2 · codes.length` samples). */
  decode(codes: Uint8Array, out: Int16Array): void {
    checkLengths('G722Decoder.decode', out.length, codes.length);
    const low = this.#low;
    const high = this.#high;
    const diff = this.#diff;
    const sum = this.#sum;
    let pos = this.#pos;
    for (let n = 0; n < codes.length; n++) {
      const code = codes[n]!;
      const lowCode = code & 0x3f;
      let rl = low.s + ((low.det * LOW_INV6[lowCode]!) >> 15);
      rl = rl > 16383 ? 16383 : rl < -16384 ? -16384 : rl;
      adaptLow(low, lowCode);

      const highCode = code >> 6;
      const dh = (high.det * HIGH_INV2[highCode]!) >> 15;
      let rh = high.s + dh;
      rh = rh > 16383 ? 16383 : rh < -16384 ? -16384 : rh;
      adaptHigh(high, highCode, dh);

      diff[pos] = diff[pos + QMF_PAIRS] = rl - rh;
      sum[pos] = sum[pos + QMF_PAIRS] = rl + rh;
      let y0 = 0;
      let y1 = 0;
      for (let i = 0, k = pos + QMF_PAIRS; i < QMF_PAIRS; i++, k--) {
        y0 += TAPS_EVEN[i]! * diff[k]!;
        y1 += TAPS_ODD[i]! * sum[k]!;
      }
      pos = pos === QMF_PAIRS - 1 ? 0 : pos + 1;
      out[2 * n] = sat16(y0 >> 11);
      out[2 * n + 1] = sat16(y1 >> 11);
    }
    this.#pos = pos;
  }

  reset(): void {
    this.#low.reset();
    this.#high.reset();
    this.#diff.fill(0);
    this.#sum.fill(0);
    this.#pos = 0;
  }
}
