/**
 * The receiver's replay list (RFC 3711 §3.3.2): a sliding window of `size` packet indices below the
 * highest one authenticated. An index above the window's top is new; inside it, new unless already
 * seen; below it, too old. Each slot of a ring holds the last index that mapped to it, so a lookup and
 * an update are one array access each (an index inside the window can only collide with older ones).
 */

/** What the window says about an index before authentication. */
export type ReplayVerdict = 'new' | 'replayed' | 'too-old';

/** Default window: 128 packets (RFC 3711 §3.3.2 asks for at least 64). */
export const DEFAULT_REPLAY_WINDOW = 128;

export class ReplayWindow {
  readonly size: number;
  readonly #slots: Float64Array;
  #highest = -1;

  constructor(size = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 64) {
      throw new RangeError(`replay window must be an integer of at least 64, got ${size}`);
    }
    this.size = size;
    this.#slots = new Float64Array(size).fill(-1);
  }

  /** The highest index accepted so far, or -1. */
  get highest(): number {
    return this.#highest;
  }

  /** Checks an index (a non-negative integer below 2^53) without recording it. */
  check(index: number): ReplayVerdict {
    if (index > this.#highest) {
      return 'new';
    }
    if (index <= this.#highest - this.size) {
      return 'too-old';
    }
    return this.#slots[index % this.size] === index ? 'replayed' : 'new';
  }

  /** Records an authenticated index (call only after `check` said `new`). */
  accept(index: number): void {
    this.#slots[index % this.size] = index;
    if (index > this.#highest) {
      this.#highest = index;
    }
  }
}
