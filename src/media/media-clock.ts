/**
 * The sans-I/O core of the one shared media clock (the driver lives in adapters/system-clock).
 *
 * Frame i (counting from 0) is due at `startMs + i · frameMs`: the schedule is computed from the start
 * time each time, never by adding intervals, so there is no cumulative drift however late individual
 * wake-ups are. A wake-up that finds several frames due emits them back to back ("catch-up") up to
 * `maxCatchUpFrames`; frames older than that are skipped (counted, never emitted), so a stalled event
 * loop does not cause a burst of hundreds of frames afterwards.
 */

/** Options of `MediaClock`. */
export interface MediaClockOptions {
  /** Frame period in milliseconds (20 for telephony). */
  readonly frameMs: number;
  /** Monotonic time at which frame 0 is due, in milliseconds. */
  readonly startMs: number;
  /** Most frames emitted by one `advance()`; older due frames are skipped. At least 1. */
  readonly maxCatchUpFrames: number;
}

/** Result of `MediaClock.advance`. */
export interface MediaClockAdvance {
  /** Frames to emit now, oldest first (0..maxCatchUpFrames). */
  readonly framesDue: number;
  /** Frames that were due but are dropped because they exceeded the catch-up cap. */
  readonly skippedFrames: number;
  /** Monotonic time at which the next frame is due, in milliseconds. */
  readonly nextDueMs: number;
}

/**
 * Tolerance for floating-point error when `nowMs` lands exactly on a frame boundary (a wake-up at
 * `startMs + i·frameMs` must count frame i as due even if the subtraction rounds down).
 */
const EPSILON_MS = 1e-6;

/** Frame scheduler driven by a monotonic time input. */
export class MediaClock {
  readonly #frameMs: number;
  readonly #startMs: number;
  readonly #maxCatchUp: number;
  /** Schedule slots consumed (emitted + skipped); slot `#slot` is the next due. */
  #slot = 0;
  #emitted = 0;
  #skipped = 0;

  constructor(opts: MediaClockOptions) {
    if (!(opts.frameMs > 0) || !Number.isFinite(opts.startMs) || !(opts.maxCatchUpFrames >= 1)) {
      throw new TypeError('MediaClock: frameMs must be > 0, startMs finite, maxCatchUpFrames >= 1');
    }
    this.#frameMs = opts.frameMs;
    this.#startMs = opts.startMs;
    this.#maxCatchUp = Math.floor(opts.maxCatchUpFrames);
  }

  /** Frames emitted so far (skipped frames are not counted); the next emitted frame has this index. */
  get frameIndex(): number {
    return this.#emitted;
  }

  /** Schedule slots consumed so far (emitted plus skipped): `frameIndex + skippedTotal`. */
  get slotIndex(): number {
    return this.#slot;
  }

  /** Total frames skipped since the start. */
  get skippedTotal(): number {
    return this.#skipped;
  }

  /** Monotonic time at which slot `slot` is (or was) due, in milliseconds. */
  dueTimeMs(slot: number): number {
    return this.#startMs + slot * this.#frameMs;
  }

  /**
   * Given the monotonic time `nowMs`, consumes and reports the frames due: how many to emit now (at
   * most `maxCatchUpFrames`), how many were skipped, and when the next one is due. Time going
   * backwards is treated as no time passing.
   */
  advance(nowMs: number): MediaClockAdvance {
    const elapsed = nowMs - this.#startMs;
    // Number of slots whose due time is <= nowMs.
    const dueSlots = elapsed < -EPSILON_MS ? 0 : Math.floor(elapsed / this.#frameMs + EPSILON_MS) + 1;
    const pending = Math.max(0, dueSlots - this.#slot);
    const framesDue = Math.min(pending, this.#maxCatchUp);
    const skippedFrames = pending - framesDue;
    this.#slot += pending;
    this.#emitted += framesDue;
    this.#skipped += skippedFrames;
    return { framesDue, skippedFrames, nextDueMs: this.dueTimeMs(this.#slot) };
  }
}
