/**
 * The G.722 decoder's frame loop (see g722.ts for the algorithm), written like the encoder's
 * (g722-encode.ts): both bands' state in locals, the block-4 predictors in place, the receive QMF
 * unrolled over its constant taps.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in the loop are in
   bounds by construction; `!` costs nothing at run time where `?? 0` would add a check per sample. */
import { dbl, LOW_DET, HIGH_DET, LOW_LOG_STEP4, sat16 } from './g722-band.js';
import { HIGH_INV2, HIGH_LOG_MAX, HIGH_LOG_STEP, LOW_INV4, LOW_INV6, LOW_LOG_MAX } from './tables.js';

/** Decoder state between frames: the two bands and the receive QMF's ring (12 pairs, each twice). */
export interface DecoderState {
  readonly low: Int32Array;
  readonly high: Int32Array;
  /** Sub-band difference rl − rh and sum rl + rh, each stored twice. */
  readonly diff: Int32Array;
  readonly sum: Int32Array;
  pos: number;
}

/** Decodes `codes` into `out` (2 · `codes.length` samples at 16 kHz). */
// One straight-line loop on purpose: split into helpers, the per-sample state would have to live in
// objects again, which is what this file exists to avoid (docs/benchmarks/g722.md).
// eslint-disable-next-line max-lines-per-function, complexity -- see above
export function decodeFrames(st: DecoderState, codes: Uint8Array, out: Int16Array): void {
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
  const diff = st.diff;
  const sum = st.sum;
  let pos = st.pos;
  const count = codes.length;
  for (let n = 0; n < count; n++) {
    const code = codes[n]!;
    // Low band: the 6-bit inverse quantiser gives the output; the predictor and the adaptation see
    // the top four bits, with the old Δ.
    const lowCode = code & 0x3f;
    let rl = ls + ((ldet * LOW_INV6[lowCode]!) >> 15);
    rl = rl > 16383 ? 16383 : rl < -16384 ? -16384 : rl;
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

    // High band.
    const highCode = code >> 6;
    dq = (hdet * HIGH_INV2[highCode]!) >> 15;
    let rh = hs + dq;
    rh = rh > 16383 ? 16383 : rh < -16384 ? -16384 : rh;
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

    // Receive QMF: even taps on rl − rh give the earlier output sample, odd taps on rl + rh the later.
    diff[pos] = diff[pos + 12] = rl - rh;
    sum[pos] = sum[pos + 12] = rl + rh;
    const k = pos + 12;
    const y0 =
      3 * diff[k]! -
      11 * diff[k - 1]! +
      12 * diff[k - 2]! +
      32 * diff[k - 3]! -
      210 * diff[k - 4]! +
      951 * diff[k - 5]! +
      3876 * diff[k - 6]! -
      805 * diff[k - 7]! +
      362 * diff[k - 8]! -
      156 * diff[k - 9]! +
      53 * diff[k - 10]! -
      11 * diff[k - 11]!;
    const y1 =
      -11 * sum[k]! +
      53 * sum[k - 1]! -
      156 * sum[k - 2]! +
      362 * sum[k - 3]! -
      805 * sum[k - 4]! +
      3876 * sum[k - 5]! +
      951 * sum[k - 6]! -
      210 * sum[k - 7]! +
      32 * sum[k - 8]! +
      12 * sum[k - 9]! -
      11 * sum[k - 10]! +
      3 * sum[k - 11]!;
    pos = pos === 11 ? 0 : pos + 1;
    out[2 * n] = sat16(y0 >> 11);
    out[2 * n + 1] = sat16(y1 >> 11);
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
