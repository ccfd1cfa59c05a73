/**
 * The SRTP payload keystream (RFC 3711 §4.1.1) computed a batch of packets ahead. A media stream's
 * packet indices count up by one, 50 a second, so when a packet follows the previous one of the same
 * SSRC, the keystream of it and the next BATCH - 1 indices comes from one AES-ECB `update` over their
 * counter blocks; the following packets only XOR. Node's `update` costs about as much for one packet's
 * 11 blocks as for 16 packets' 176 (a call into C++ and a fresh output buffer each time), so this
 * takes most of the AES cost off the packet (docs/benchmarks/srtp.md).
 *
 * Any other packet (the first of a stream, a late or reordered one, a different SSRC, a payload longer
 * than a batch slot) gets its own keystream as before, without touching the batch. The keystream of
 * an index is a function of the key, salt, SSRC and index only, so a batched one is the same octets as
 * a computed one (`rtp-keystream.test.ts` holds the two equal); an index's keystream is used for the
 * packet with that index only, as without the batch.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in the XOR and fill
   loops are in bounds by construction (the slot and block counts are checked first). */
import { createCipheriv, type Cipher } from 'node:crypto';

/** Packets per batch. */
export const KEYSTREAM_BATCH = 16;
/** Largest payload a batch slot holds, in 16-octet blocks (256 octets: G.711 and G.722 at 20 ms). */
export const KEYSTREAM_SLOT_BLOCKS = 16;
/** The largest payload one call can encrypt: a 1500-octet datagram, rounded up to whole blocks. */
const MAX_BLOCKS = 94;
const MAX_INDEX = 2 ** 48 - 1;

/**
 * Counter blocks for a batch (or for one packet of up to MAX_BLOCKS), shared by every instance: each
 * call writes them and hands them to `update` before it returns, so one buffer serves all contexts.
 */
const COUNTERS = Buffer.alloc(Math.max(KEYSTREAM_BATCH * KEYSTREAM_SLOT_BLOCKS, MAX_BLOCKS) * 16);
const COUNTER_WORDS = new Int32Array(COUNTERS.buffer, COUNTERS.byteOffset, COUNTERS.length >> 2);

export class RtpKeystream {
  readonly #ecb: Cipher;
  readonly #salt: Uint8Array;
  /** Counter blocks (shared: filled and consumed within one call) and a word view of them. */
  readonly #counters = COUNTERS;
  readonly #words = COUNTER_WORDS;
  /** The batch: keystream of indices first .. first + count - 1 of `ssrc`, `slot` blocks each. */
  #stream: Buffer = Buffer.alloc(0);
  #streamWords = new Int32Array(0);
  #ssrc = -1;
  #first = 0;
  #count = 0;
  #slot = 0;
  /** The last packet served, to tell a stream in order from a stray packet. */
  #lastSsrc = -1;
  #lastIndex = -1;

  /** `key`: the 16-octet session encryption key; `salt`: the 14-octet session salt. */
  constructor(key: Uint8Array, salt: Uint8Array) {
    this.#ecb = createCipheriv('aes-128-ecb', key, null);
    this.#ecb.setAutoPadding(false);
    this.#salt = Uint8Array.from(salt);
  }

  /**
   * XORs the keystream of packet `index` (48 bits: ROC · 65536 + SEQ) of `ssrc` into
   * `data[offset, offset + length)`; `length` at most 1504 octets.
   */
  xor(ssrc: number, index: number, data: Uint8Array, offset: number, length: number): void {
    if (length <= 0) {
      return;
    }
    const blocks = (length + 15) >>> 4;
    if (blocks > MAX_BLOCKS) {
      throw new RangeError(`AES-CM: ${length} octets is more than one datagram`);
    }
    const inOrder = ssrc === this.#lastSsrc && index === this.#lastIndex + 1;
    this.#lastSsrc = ssrc;
    this.#lastIndex = index;
    const hit =
      ssrc === this.#ssrc &&
      index >= this.#first &&
      index < this.#first + this.#count &&
      blocks <= this.#slot;
    if (!hit && !(inOrder && blocks <= KEYSTREAM_SLOT_BLOCKS)) {
      this.#writeCounters(0, ssrc, index, blocks);
      const stream = this.#ecb.update(this.#counters.subarray(0, blocks << 4));
      for (let i = 0; i < length; i++) {
        data[offset + i] = data[offset + i]! ^ stream[i]!;
      }
      return;
    }
    if (!hit) {
      this.#fillBatch(ssrc, index, blocks);
    }
    const at = (index - this.#first) * this.#slot * 16;
    const stream = this.#stream;
    let done = 0;
    const start = data.byteOffset + offset;
    if ((start & 3) === 0 && length >= 16) {
      // Word by word where the payload is 4-aligned (a received datagram's own buffer and the send
      // slots are, after a 12-octet header): a quarter of the loads and stores, for one view.
      done = length & ~3;
      const dw = new Int32Array(data.buffer, start, done >> 2);
      const sw = this.#streamWords;
      const from = at >> 2;
      for (let i = 0; i < dw.length; i++) {
        dw[i] = dw[i]! ^ sw[from + i]!;
      }
    }
    for (let i = done; i < length; i++) {
      data[offset + i] = data[offset + i]! ^ stream[at + i]!;
    }
  }

  /** Computes the batch of `blocks`-block slots for `index` and the indices after it. */
  #fillBatch(ssrc: number, index: number, blocks: number): void {
    const count = Math.min(KEYSTREAM_BATCH, MAX_INDEX - index + 1);
    for (let j = 0; j < count; j++) {
      this.#writeCounters(j * blocks, ssrc, index + j, blocks);
    }
    const stream = this.#ecb.update(this.#counters.subarray(0, (count * blocks) << 4));
    this.#stream = stream;
    this.#streamWords =
      (stream.byteOffset & 3) === 0
        ? new Int32Array(stream.buffer, stream.byteOffset, stream.length >> 2)
        : new Int32Array(Uint8Array.from(stream).buffer);
    this.#ssrc = ssrc;
    this.#first = index;
    this.#count = count;
    this.#slot = blocks;
  }

  /**
   * Writes the `blocks` counter blocks of packet `index` from block `first` on:
   * IV = (salt · 2^16) XOR (SSRC · 2^64) XOR (index · 2^16), plus the block number in the low 16 bits.
   */
  #writeCounters(first: number, ssrc: number, index: number, blocks: number): void {
    const c = this.#counters;
    const s = this.#salt;
    const hi = Math.floor(index / 4294967296);
    const lo = index >>> 0;
    const at = first << 4;
    c[at] = s[0]!;
    c[at + 1] = s[1]!;
    c[at + 2] = s[2]!;
    c[at + 3] = s[3]!;
    c[at + 4] = s[4]! ^ (ssrc >>> 24);
    c[at + 5] = s[5]! ^ ((ssrc >>> 16) & 0xff);
    c[at + 6] = s[6]! ^ ((ssrc >>> 8) & 0xff);
    c[at + 7] = s[7]! ^ (ssrc & 0xff);
    c[at + 8] = s[8]! ^ ((hi >>> 8) & 0xff);
    c[at + 9] = s[9]! ^ (hi & 0xff);
    c[at + 10] = s[10]! ^ (lo >>> 24);
    c[at + 11] = s[11]! ^ ((lo >>> 16) & 0xff);
    c[at + 12] = s[12]! ^ ((lo >>> 8) & 0xff);
    c[at + 13] = s[13]! ^ (lo & 0xff);
    c[at + 14] = 0;
    c[at + 15] = 0;
    // The other blocks: the same IV (four words) with the block number in its last two octets.
    const w = this.#words;
    const w0 = w[first << 2]!;
    const w1 = w[(first << 2) + 1]!;
    const w2 = w[(first << 2) + 2]!;
    const w3 = w[(first << 2) + 3]!;
    for (let b = 1; b < blocks; b++) {
      const k = (first + b) << 2;
      w[k] = w0;
      w[k + 1] = w1;
      w[k + 2] = w2;
      w[k + 3] = w3;
      c[(k << 2) + 14] = b >>> 8;
      c[(k << 2) + 15] = b & 0xff;
    }
  }
}
