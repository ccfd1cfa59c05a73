/**
 * The G.722 encoder's frame loop (see g722.ts for the algorithm). One function with every state
 * variable of both sub-bands in a local: the two ADPCM predictors are written out in place (one per
 * band, the same block-4 code as the decoder's), the QMF is unrolled over its constant taps and reads
 * a doubled ring, so V8 keeps the state in registers and the loop allocates nothing. Bit-exact with
 * the block description; g722.test.ts holds it to spandsp octet for octet.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in the loop are in
   bounds by construction; `!` costs nothing at run time where `?? 0` would add a check per sample. */
import {
  dbl,
  HIGH_DET,
  LOW_CODE_SIGNED,
  LOW_DET,
  LOW_INTERVAL,
  LOW_INTERVAL_MAX,
  LOW_LOG_STEP4,
  sat16,
} from './g722-band.js';
import { HIGH_INV2, HIGH_LOG_MAX, HIGH_LOG_STEP, HIGH_THRESHOLD, LOW_INV4, LOW_LOG_MAX } from './tables.js';

/** Encoder state between frames: the two bands and the QMF's input ring (12 pairs, each twice). */
export interface EncoderState {
  readonly low: Int32Array;
  readonly high: Int32Array;
  /** Newer / older sample of each input pair, each stored twice (ring of 12, read contiguously). */
  readonly newer: Int32Array;
  readonly older: Int32Array;
  pos: number;
}

/** Encodes `pcm` (2 · `out.length` samples at 16 kHz) into `out`. */
// One straight-line loop on purpose: split into helpers, the per-sample state would have to live in
// objects again, which is what this file exists to avoid (docs/benchmarks/g722.md).
// eslint-disable-next-line max-lines-per-function, complexity -- see above
export function encodeFrames(st: EncoderState, pcm: Int16Array, out: Uint8Array): void {
  const lo = st.low;
  const hi = st.high;
  let ls = lo[0]!;
  let lsz = lo[1]!;
  let lnb = lo[2]!;
  let ldet = lo[3]!;
  let la1 = lo[4]!;
  let la2 = lo[5]!;
  let lr1 = lo[6]!;
  let lp1 = lo[7]!;
  let lp2 = lo[8]!;
  let lb1 = lo[9]!;
  let lb2 = lo[10]!;
  let lb3 = lo[11]!;
  let lb4 = lo[12]!;
  let lb5 = lo[13]!;
  let lb6 = lo[14]!;
  let ld1 = lo[15]!;
  let ld2 = lo[16]!;
  let ld3 = lo[17]!;
  let ld4 = lo[18]!;
  let ld5 = lo[19]!;
  let ld6 = lo[20]!;
  let hs = hi[0]!;
  let hsz = hi[1]!;
  let hnb = hi[2]!;
  let hdet = hi[3]!;
  let ha1 = hi[4]!;
  let ha2 = hi[5]!;
  let hr1 = hi[6]!;
  let hp1 = hi[7]!;
  let hp2 = hi[8]!;
  let hb1 = hi[9]!;
  let hb2 = hi[10]!;
  let hb3 = hi[11]!;
  let hb4 = hi[12]!;
  let hb5 = hi[13]!;
  let hb6 = hi[14]!;
  let hd1 = hi[15]!;
  let hd2 = hi[16]!;
  let hd3 = hi[17]!;
  let hd4 = hi[18]!;
  let hd5 = hi[19]!;
  let hd6 = hi[20]!;
  const newer = st.newer;
  const older = st.older;
  let pos = st.pos;
  const count = out.length;
  for (let n = 0; n < count; n++) {
    const x0 = pcm[2 * n]!;
    const x1 = pcm[2 * n + 1]!;
    older[pos] = older[pos + 12] = x0;
    newer[pos] = newer[pos + 12] = x1;
    // Transmit QMF (Table 4 taps): the even taps h0, h2, … h22 weigh the newer sample of each pair,
    // the odd ones h1 … h23 the older one, k the newest pair and k - 11 the oldest.
    const k = pos + 12;
    const xa =
      3 * newer[k]! -
      11 * newer[k - 1]! +
      12 * newer[k - 2]! +
      32 * newer[k - 3]! -
      210 * newer[k - 4]! +
      951 * newer[k - 5]! +
      3876 * newer[k - 6]! -
      805 * newer[k - 7]! +
      362 * newer[k - 8]! -
      156 * newer[k - 9]! +
      53 * newer[k - 10]! -
      11 * newer[k - 11]!;
    const xb =
      -11 * older[k]! +
      53 * older[k - 1]! -
      156 * older[k - 2]! +
      362 * older[k - 3]! -
      805 * older[k - 4]! +
      3876 * older[k - 5]! +
      951 * older[k - 6]! -
      210 * older[k - 7]! +
      32 * older[k - 8]! +
      12 * older[k - 9]! -
      11 * older[k - 10]! +
      3 * older[k - 11]!;
    pos = pos === 11 ? 0 : pos + 1;

    // Low band: 6-bit quantiser (Table 6's levels scaled by Δ), then the adaptation
    // on the code's top four bits (INVQAL, LOGSCL, SCALEL) with the old Δ.
    const el = sat16(((xa + xb) >> 14) - ls);
    const mag = el ^ (el >> 31); // |e| for e ≥ 0, −1 − e below
    // mag < (Q6[m]·Δ) >> 12 ⇔ Q6[m] ≥ ⌈(mag + 1)·4096 / Δ⌉, so the interval is a table lookup on
    // that quotient (exact in double arithmetic: both operands are below 2^28).
    const u = (((mag + 1) * 4096 + ldet - 1) / ldet) | 0;
    const m = LOW_INTERVAL[u < LOW_INTERVAL_MAX ? u : LOW_INTERVAL_MAX]!;
    const lowCode = LOW_CODE_SIGNED[m + ((el >> 31) & 32)]!;
    const top4 = lowCode >> 2;
    let dq = (ldet * LOW_INV4[top4]!) >> 15;
    let nb = ((lnb * 127) >> 7) + LOW_LOG_STEP4[top4]!;
    lnb = nb < 0 ? 0 : nb > LOW_LOG_MAX ? LOW_LOG_MAX : nb;
    ldet = LOW_DET[lnb >> 6]!;
    // Block 4 (low band): reconstruct, UPPOL2, UPPOL1, UPZERO, DELAYA/DELAYZ, FILTEP, FILTEZ.
    {
      let r0 = ls + dq;
      r0 = r0 > 32767 ? 32767 : r0 < -32768 ? -32768 : r0;
      let p0 = lsz + dq;
      p0 = p0 > 32767 ? 32767 : p0 < -32768 ? -32768 : p0;
      // The sign products are bit arithmetic, not branches: the signs of speech are a coin toss for
      // the branch predictor. x >> 31 is −1 for a negative x, else 0; (v ^ m) − m negates v where m is −1.
      const differ1 = (p0 ^ lp1) >> 31;
      let f = la1 * 4;
      f = f > 32767 ? 32767 : f < -32768 ? -32768 : f;
      f = (f ^ ~differ1) - ~differ1;
      f = f > 32767 ? 32767 : f;
      let a2 = 128 - (((p0 ^ lp2) >> 31) & 256) + (f >> 7) + ((la2 * 32512) >> 15);
      a2 = a2 > 12288 ? 12288 : a2 < -12288 ? -12288 : a2;
      // |a1| <= 27648 and |a2| <= 12288 always, so neither sum below can leave int16.
      let a1 = 192 - (differ1 & 384) + ((la1 * 32640) >> 15);
      const limit = 15360 - a2;
      a1 = a1 > limit ? limit : a1 < -limit ? -limit : a1;
      const up = ((dq >> 31) | (-dq >>> 31)) * 128;
      // UPZERO needs no limit: from |b| ≤ 32768 the leak gives at most 32639 (or −32640), ±128 stays
      // within int16, so b never leaves it.
      lb1 = (up ^ (ld1 >> 31)) - (ld1 >> 31) + ((lb1 * 32640) >> 15);
      lb2 = (up ^ (ld2 >> 31)) - (ld2 >> 31) + ((lb2 * 32640) >> 15);
      lb3 = (up ^ (ld3 >> 31)) - (ld3 >> 31) + ((lb3 * 32640) >> 15);
      lb4 = (up ^ (ld4 >> 31)) - (ld4 >> 31) + ((lb4 * 32640) >> 15);
      lb5 = (up ^ (ld5 >> 31)) - (ld5 >> 31) + ((lb5 * 32640) >> 15);
      lb6 = (up ^ (ld6 >> 31)) - (ld6 >> 31) + ((lb6 * 32640) >> 15);
      ld6 = ld5;
      ld5 = ld4;
      ld4 = ld3;
      ld3 = ld2;
      ld2 = ld1;
      ld1 = dq;
      let sz =
        ((lb6 * 2 * ld6) >> 15) +
        ((lb5 * 2 * ld5) >> 15) +
        ((lb4 * 2 * ld4) >> 15) +
        ((lb3 * 2 * ld3) >> 15) +
        ((lb2 * 2 * ld2) >> 15) +
        ((lb1 * 2 * dq) >> 15);
      lsz = sz > 32767 ? 32767 : sz < -32768 ? -32768 : sz;
      let sp = ((a1 * dbl(r0)) >> 15) + ((a2 * dbl(lr1)) >> 15);
      sp = sp > 32767 ? 32767 : sp < -32768 ? -32768 : sp;
      lr1 = r0;
      lp2 = lp1;
      lp1 = p0;
      la1 = a1;
      la2 = a2;
      sz = sp + lsz;
      ls = sz > 32767 ? 32767 : sz < -32768 ? -32768 : sz;
    }

    // High band: 2-bit quantiser, INVQAH, LOGSCH, SCALEH.
    const eh = sat16(((xa - xb) >> 14) - hs);
    // Code 0/1 for e < 0, 2/3 for e ≥ 0; the odd code is the inner level (|e| below the threshold).
    const inner = ((eh ^ (eh >> 31)) - ((HIGH_THRESHOLD * hdet) >> 12)) >>> 31;
    const highCode = ((~eh >>> 31) << 1) | inner;
    dq = (hdet * HIGH_INV2[highCode]!) >> 15;
    nb = ((hnb * 127) >> 7) + HIGH_LOG_STEP[highCode]!;
    hnb = nb < 0 ? 0 : nb > HIGH_LOG_MAX ? HIGH_LOG_MAX : nb;
    hdet = HIGH_DET[hnb >> 6]!;
    // Block 4 (high band): reconstruct, UPPOL2, UPPOL1, UPZERO, DELAYA/DELAYZ, FILTEP, FILTEZ.
    {
      let r0 = hs + dq;
      r0 = r0 > 32767 ? 32767 : r0 < -32768 ? -32768 : r0;
      let p0 = hsz + dq;
      p0 = p0 > 32767 ? 32767 : p0 < -32768 ? -32768 : p0;
      // The sign products are bit arithmetic, not branches: the signs of speech are a coin toss for
      // the branch predictor. x >> 31 is −1 for a negative x, else 0; (v ^ m) − m negates v where m is −1.
      const differ1 = (p0 ^ hp1) >> 31;
      let f = ha1 * 4;
      f = f > 32767 ? 32767 : f < -32768 ? -32768 : f;
      f = (f ^ ~differ1) - ~differ1;
      f = f > 32767 ? 32767 : f;
      let a2 = 128 - (((p0 ^ hp2) >> 31) & 256) + (f >> 7) + ((ha2 * 32512) >> 15);
      a2 = a2 > 12288 ? 12288 : a2 < -12288 ? -12288 : a2;
      // |a1| <= 27648 and |a2| <= 12288 always, so neither sum below can leave int16.
      let a1 = 192 - (differ1 & 384) + ((ha1 * 32640) >> 15);
      const limit = 15360 - a2;
      a1 = a1 > limit ? limit : a1 < -limit ? -limit : a1;
      const up = ((dq >> 31) | (-dq >>> 31)) * 128;
      // UPZERO needs no limit: from |b| ≤ 32768 the leak gives at most 32639 (or −32640), ±128 stays
      // within int16, so b never leaves it.
      hb1 = (up ^ (hd1 >> 31)) - (hd1 >> 31) + ((hb1 * 32640) >> 15);
      hb2 = (up ^ (hd2 >> 31)) - (hd2 >> 31) + ((hb2 * 32640) >> 15);
      hb3 = (up ^ (hd3 >> 31)) - (hd3 >> 31) + ((hb3 * 32640) >> 15);
      hb4 = (up ^ (hd4 >> 31)) - (hd4 >> 31) + ((hb4 * 32640) >> 15);
      hb5 = (up ^ (hd5 >> 31)) - (hd5 >> 31) + ((hb5 * 32640) >> 15);
      hb6 = (up ^ (hd6 >> 31)) - (hd6 >> 31) + ((hb6 * 32640) >> 15);
      hd6 = hd5;
      hd5 = hd4;
      hd4 = hd3;
      hd3 = hd2;
      hd2 = hd1;
      hd1 = dq;
      let sz =
        ((hb6 * 2 * hd6) >> 15) +
        ((hb5 * 2 * hd5) >> 15) +
        ((hb4 * 2 * hd4) >> 15) +
        ((hb3 * 2 * hd3) >> 15) +
        ((hb2 * 2 * hd2) >> 15) +
        ((hb1 * 2 * dq) >> 15);
      hsz = sz > 32767 ? 32767 : sz < -32768 ? -32768 : sz;
      let sp = ((a1 * dbl(r0)) >> 15) + ((a2 * dbl(hr1)) >> 15);
      sp = sp > 32767 ? 32767 : sp < -32768 ? -32768 : sp;
      hr1 = r0;
      hp2 = hp1;
      hp1 = p0;
      ha1 = a1;
      ha2 = a2;
      sz = sp + hsz;
      hs = sz > 32767 ? 32767 : sz < -32768 ? -32768 : sz;
    }
    out[n] = (highCode << 6) | lowCode;
  }
  st.pos = pos;
  lo[0] = ls;
  lo[1] = lsz;
  lo[2] = lnb;
  lo[3] = ldet;
  lo[4] = la1;
  lo[5] = la2;
  lo[6] = lr1;
  lo[7] = lp1;
  lo[8] = lp2;
  lo[9] = lb1;
  lo[10] = lb2;
  lo[11] = lb3;
  lo[12] = lb4;
  lo[13] = lb5;
  lo[14] = lb6;
  lo[15] = ld1;
  lo[16] = ld2;
  lo[17] = ld3;
  lo[18] = ld4;
  lo[19] = ld5;
  lo[20] = ld6;
  hi[0] = hs;
  hi[1] = hsz;
  hi[2] = hnb;
  hi[3] = hdet;
  hi[4] = ha1;
  hi[5] = ha2;
  hi[6] = hr1;
  hi[7] = hp1;
  hi[8] = hp2;
  hi[9] = hb1;
  hi[10] = hb2;
  hi[11] = hb3;
  hi[12] = hb4;
  hi[13] = hb5;
  hi[14] = hb6;
  hi[15] = hd1;
  hi[16] = hd2;
  hi[17] = hd3;
  hi[18] = hd4;
  hi[19] = hd5;
  hi[20] = hd6;
}
