/**
 * ITU-T G.711 (11/88) μ-law and A-law companding between signed 16-bit linear PCM and 8-bit codes.
 * https://www.itu.int/rec/T-REC-G.711
 *
 * G.711 is specified on 14-bit (μ-law) and 13-bit (A-law) linear samples; here the linear side is
 * scaled to 16 bits (×4 for μ-law, ×8 for A-law), the usual convention for int16 audio.
 *
 * Both directions are single table look-ups. The tables are built once at module load by the classic
 * segment/mantissa algorithm: a 256-entry decode table per law, and a 65,536-entry encode table per law
 * indexed by the int16 sample's two's-complement bit pattern. The encoder maps a sample to the G.711
 * quantisation interval that contains it, whose decoded value is that interval's midpoint, so
 * `decode(encode(x))` is within half a step (clipping aside) and `encode(decode(b)) === b` for every
 * code except μ-law 0x7F (“-0”, which re-encodes as 0xFF, “+0”).
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in DSP loops are in
   bounds by loop construction; `!` costs nothing at run time where `?? 0` would add a check per sample. */

/** μ-law bias in the 16-bit domain (33 in the 14-bit domain of G.711, times 4). */
const MULAW_BIAS = 0x84;
/** Largest magnitude μ-law can represent before the bias pushes it past 15 bits. */
const MULAW_CLIP = 32635;

function buildMulawDecode(): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    // Codes are transmitted with every bit inverted.
    const u = ~code & 0xff;
    const exponent = (u >> 4) & 0x07;
    const mantissa = u & 0x0f;
    const magnitude = (((mantissa << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
    table[code] = (u & 0x80) !== 0 ? -magnitude : magnitude;
  }
  return table;
}

function mulawEncodeSample(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0x00;
  let magnitude = sample < 0 ? -sample : sample;
  if (magnitude > MULAW_CLIP) {
    magnitude = MULAW_CLIP;
  }
  magnitude += MULAW_BIAS;
  // The segment (exponent) is the position of the highest set bit above bit 7.
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) {
    exponent--;
  }
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function buildAlawDecode(): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    // Even bits are inverted on the wire (XOR 0x55); bit 7 set means positive.
    const a = code ^ 0x55;
    const exponent = (a >> 4) & 0x07;
    const mantissa = a & 0x0f;
    const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
    table[code] = (a & 0x80) !== 0 ? magnitude : -magnitude;
  }
  return table;
}

function alawEncodeSample(sample: number): number {
  // To 13 bits (floor), then one's complement for negatives: the A-law intervals are [16k, 16k+16)
  // on both sides of zero in the 16-bit domain.
  let v = sample >> 3;
  let mask: number;
  if (v >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  if (v > 0xfff) {
    v = 0xfff;
  }
  let exponent = 7;
  for (let bit = 0x800; (v & bit) === 0 && exponent > 0; bit >>= 1) {
    exponent--;
  }
  const mantissa = exponent === 0 ? (v >> 1) & 0x0f : (v >> exponent) & 0x0f;
  return ((exponent << 4) | mantissa) ^ mask;
}

function buildEncode(encodeSample: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    table[bits] = encodeSample((bits << 16) >> 16);
  }
  return table;
}

const MULAW_DECODE = buildMulawDecode();
const ALAW_DECODE = buildAlawDecode();
const MULAW_ENCODE = buildEncode(mulawEncodeSample);
const ALAW_ENCODE = buildEncode(alawEncodeSample);

/** The μ-law decode table (code → int16), for tests and for callers that want a look-up. Read-only by contract. */
export const MULAW_DECODE_TABLE: Readonly<Int16Array> = MULAW_DECODE;
/** The A-law decode table (code → int16). Read-only by contract. */
export const ALAW_DECODE_TABLE: Readonly<Int16Array> = ALAW_DECODE;

/**
 * Encodes int16 PCM to μ-law (PCMU): `out[i]` receives the code for `pcm[i]`. `out.length` must be at
 * least `pcm.length`. No allocation.
 */
export function mulawEncode(pcm: Int16Array, out: Uint8Array): void {
  const n = pcm.length;
  for (let i = 0; i < n; i++) {
    out[i] = MULAW_ENCODE[pcm[i]! & 0xffff]!;
  }
}

/** Decodes μ-law (PCMU) codes to int16 PCM. `out.length` must be at least `bytes.length`. No allocation. */
export function mulawDecode(bytes: Uint8Array, out: Int16Array): void {
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    out[i] = MULAW_DECODE[bytes[i]!]!;
  }
}

/** Encodes int16 PCM to A-law (PCMA). `out.length` must be at least `pcm.length`. No allocation. */
export function alawEncode(pcm: Int16Array, out: Uint8Array): void {
  const n = pcm.length;
  for (let i = 0; i < n; i++) {
    out[i] = ALAW_ENCODE[pcm[i]! & 0xffff]!;
  }
}

/** Decodes A-law (PCMA) codes to int16 PCM. `out.length` must be at least `bytes.length`. No allocation. */
export function alawDecode(bytes: Uint8Array, out: Int16Array): void {
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    out[i] = ALAW_DECODE[bytes[i]!]!;
  }
}
