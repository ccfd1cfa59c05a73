/**
 * AES in counter mode as SRTP uses it (RFC 3711 §4.1.1): the keystream is AES(k, IV + j) for block
 * j = 0, 1, ..., where the low 16 bits of the IV are zero, so the block counter fills them. One ECB
 * cipher object is kept per key (ECB keeps no state between blocks), and the counter blocks are
 * written into one reused buffer, so a packet costs one `update` call and no cipher set-up. SRTP
 * payloads use rtp-keystream.ts, which does the same a batch of packets ahead; this class serves
 * SRTCP and the key derivation.
 */
import { createCipheriv, type Cipher } from 'node:crypto';

/** The largest payload one call can encrypt: a 1500-octet datagram, rounded up to whole blocks. */
const MAX_BLOCKS = 94;

export class AesCm {
  readonly #ecb: Cipher;
  readonly #counters = Buffer.alloc(MAX_BLOCKS * 16);

  constructor(key: Uint8Array) {
    this.#ecb = createCipheriv('aes-128-ecb', key, null);
    this.#ecb.setAutoPadding(false);
  }

  /**
   * XORs the keystream for `iv` (16 octets, the last two zero) into `data[offset, offset + length)`.
   * `length` must be at most 1504 octets.
   */
  xor(iv: Uint8Array, data: Uint8Array, offset: number, length: number): void {
    if (length <= 0) {
      return;
    }
    const blocks = (length + 15) >>> 4;
    if (blocks > MAX_BLOCKS) {
      throw new RangeError(`AES-CM: ${length} octets is more than one datagram`);
    }
    const counters = this.#counters;
    for (let j = 0; j < blocks; j++) {
      const at = j << 4;
      for (let i = 0; i < 14; i++) {
        counters[at + i] = iv[i] ?? 0;
      }
      counters[at + 14] = j >>> 8;
      counters[at + 15] = j & 0xff;
    }
    const stream = this.#ecb.update(counters.subarray(0, blocks << 4));
    for (let i = 0; i < length; i++) {
      // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- i < length ≤ the views' lengths
      data[offset + i] = data[offset + i]! ^ stream[i]!;
    }
  }

  /** `length` octets of raw keystream for `iv` (used by the key derivation and the test vectors). */
  keystream(iv: Uint8Array, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.xor(iv, out, 0, length);
    return out;
  }
}
