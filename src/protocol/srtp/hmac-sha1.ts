/**
 * HMAC-SHA1 (RFC 2104 over FIPS 180-4 SHA-1) for one fixed key: the SRTP/SRTCP tag (RFC 3711 §4.2).
 * Node's `createHmac` builds an object and hashes both key pads again for every packet (a CPU profile of
 * `protectRtp` put 55 % of its time there, plus garbage); here the states after the inner and the outer
 * pad block are computed once per key, and a packet costs its own blocks plus one outer block, in
 * reused buffers with no allocation (bench: about 1.0 µs instead of 1.8 µs for a 176-octet input).
 * `hmac-sha1.test.ts` holds it to `createHmac` byte for byte for every length up to a datagram.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in the compression loop are
   in bounds by construction (w has 80 words, blocks are whole); the `!` avoids a check per word. */

const BLOCK = 64;
/** Room for a datagram, a 4-octet suffix and the padding. */
const SCRATCH = 1600;
const IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);

function writeState(h: Int32Array, out: Uint8Array): void {
  for (let i = 0; i < 5; i++) {
    const v = h[i]!;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = (v >>> 16) & 0xff;
    out[4 * i + 2] = (v >>> 8) & 0xff;
    out[4 * i + 3] = v & 0xff;
  }
}

/** SHA-1 padding after `len` octets of a message `hashedLen` octets long; returns the padded length. */
function pad(s: Uint8Array, len: number, hashedLen: number): number {
  s[len] = 0x80;
  let end = len + 1;
  while ((end & 63) !== 56) {
    s[end++] = 0;
  }
  const bits = hashedLen * 8; // < 2^32 for anything that fits the scratch buffer
  s[end++] = 0;
  s[end++] = 0;
  s[end++] = 0;
  s[end++] = 0;
  s[end++] = bits >>> 24;
  s[end++] = (bits >>> 16) & 0xff;
  s[end++] = (bits >>> 8) & 0xff;
  s[end++] = bits & 0xff;
  return end;
}

export class HmacSha1 {
  readonly #inner = new Int32Array(5);
  readonly #outer = new Int32Array(5);
  readonly #h = new Int32Array(5);
  readonly #w = new Int32Array(80);
  readonly #scratch = new Uint8Array(SCRATCH);
  readonly #digest = new Uint8Array(20);

  /** `key` of at most 64 octets (SRTP authentication keys are 20). */
  constructor(key: Uint8Array) {
    if (key.length > BLOCK) {
      throw new RangeError('HmacSha1: keys longer than one block are not used by SRTP');
    }
    const block = new Uint8Array(BLOCK);
    for (const [state, byte] of [
      [this.#inner, 0x36],
      [this.#outer, 0x5c],
    ] as const) {
      block.fill(byte);
      for (let i = 0; i < key.length; i++) {
        block[i] = key[i]! ^ byte;
      }
      state.set(IV);
      this.#compress(state, block, 0);
    }
  }

  /**
   * The HMAC of `data[0, length)` followed by `suffix` (SRTP: the ROC). Returns a reused 20-octet
   * buffer, valid until the next call.
   */
  mac(data: Uint8Array, length: number, suffix?: Uint8Array): Uint8Array {
    const s = this.#scratch;
    const n = length + (suffix?.length ?? 0);
    if (n + 9 > SCRATCH) {
      throw new RangeError(`HmacSha1: ${n} octets is more than one datagram`);
    }
    s.set(data.subarray(0, length), 0);
    if (suffix !== undefined) {
      s.set(suffix, length);
    }
    const h = this.#h;
    h.set(this.#inner);
    const total = pad(s, n, BLOCK + n);
    for (let at = 0; at < total; at += BLOCK) {
      this.#compress(h, s, at);
    }
    writeState(h, s);
    h.set(this.#outer);
    pad(s, 20, BLOCK + 20);
    this.#compress(h, s, 0);
    writeState(h, this.#digest);
    return this.#digest;
  }

  /** One SHA-1 compression of `m[at, at + 64)` into `h`. */
  #compress(h: Int32Array, m: Uint8Array, at: number): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++) {
      const j = at + (i << 2);
      w[i] = (m[j]! << 24) | (m[j + 1]! << 16) | (m[j + 2]! << 8) | m[j + 3]!;
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3]! ^ w[i - 8]! ^ w[i - 14]! ^ w[i - 16]!;
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    let e = h[4]!;
    let i = 0;
    for (; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    for (; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
  }
}
