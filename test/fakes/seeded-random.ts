/**
 * A deterministic `Random` (ports/random.ts) for tests: a seeded xorshift32 generator, so stream ids,
 * call UUIDs and nonces repeat from run to run. UUIDs carry the version 4 and variant bits, like
 * node:crypto's. Not for anything secret.
 */
import type { Random } from '../../src/ports/random.js';

export class SeededRandom implements Random {
  #state: number;

  constructor(seed = 0x5eed) {
    this.#state = seed >>> 0 || 1;
  }

  #next(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.#next() & 0xff;
    }
    return out;
  }

  int(maxExclusive: number): number {
    return this.#next() % Math.max(1, Math.floor(maxExclusive));
  }

  uuid(): string {
    const b = this.bytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const hex = Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}
