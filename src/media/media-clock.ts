/**
 * The sans-I/O core of the one shared media clock (the driver lives in adapters/system-clock).
 *
 * Each frame is split into `phases` equal sub-ticks ("slots"; 1 by default, when a slot is a frame).
 * Slot s (counting from 0) is due at `startMs + s · frameMs / phases` and belongs to schedule frame
 * `floor(s / phases)`, phase `s % phases`: the schedule is computed from the start time each time,
 * never by adding intervals, so there is no cumulative drift however late individual wake-ups are. A
 * wake-up that finds several slots due emits them back to back ("catch-up") up to
 * `maxCatchUpFrames · phases` slots; slots older than that are skipped (counted, never emitted), so a
 * stalled event loop does not cause a burst of hundreds of frames afterwards.
 *
 * Frame indexes as listeners see them: skipped slots are never emitted, and a frame none of whose slots
 * is emitted takes no index, so the emitted frames are numbered 0, 1, 2, … without gaps (with phases 1:
 * the index is the number of frames emitted before). A frame whose oldest slots were skipped keeps its
 * index and is emitted from a later phase on. See `frameIndexOf`.
 */

/** Options of `MediaClock`. */
/**
 * Default catch-up: the most frames replayed back to back after a late wake-up (200 ms at 20 ms
 * frames). The RTP leg lets that many catch-up ticks wait for the packets a stall held in the socket.
 */
export const DEFAULT_MAX_CATCH_UP_FRAMES = 10;

export interface MediaClockOptions {
  /** Frame period in milliseconds (20 for telephony). */
  readonly frameMs: number;
  /** Monotonic time at which frame 0 (slot 0) is due, in milliseconds. */
  readonly startMs: number;
  /** Most frames' worth of slots emitted by one `advance()`; older due slots are skipped. At least 1. */
  readonly maxCatchUpFrames: number;
  /** Slots (sub-ticks) per frame, a positive integer. Default 1. */
  readonly phases?: number;
}

/** Result of `MediaClock.advance`. Counts are slots: frames when `phases` is 1. */
export interface MediaClockAdvance {
  /** Slots to emit now, oldest first (0..maxCatchUpFrames·phases). */
  readonly framesDue: number;
  /** Slots that were due but are dropped because they exceeded the catch-up cap. */
  readonly skippedFrames: number;
  /** Monotonic time at which the next slot is due, in milliseconds. */
  readonly nextDueMs: number;
}

/**
 * Tolerance for floating-point error when `nowMs` lands exactly on a slot boundary (a wake-up at
 * `startMs + s·frameMs/phases` must count slot s as due even if the arithmetic rounds down).
 */
const EPSILON_MS = 1e-6;

/** Frame (and sub-frame slot) scheduler driven by a monotonic time input. */
export class MediaClock {
  readonly #frameMs: number;
  readonly #startMs: number;
  readonly #phases: number;
  readonly #maxCatchUpSlots: number;
  /** Schedule slots consumed (emitted + skipped); slot `#slot` is the next due. */
  #slot = 0;
  #skipped = 0;
  /** Schedule frames none of whose slots was emitted (they take no frame index). */
  #skippedWholeFrames = 0;
  #lastSkipped = 0;

  constructor(opts: MediaClockOptions) {
    const phases = opts.phases ?? 1;
    if (
      !(opts.frameMs > 0) ||
      !Number.isFinite(opts.startMs) ||
      !(opts.maxCatchUpFrames >= 1) ||
      !Number.isInteger(phases) ||
      phases < 1
    ) {
      throw new TypeError(
        'MediaClock: frameMs must be > 0, startMs finite, maxCatchUpFrames >= 1, phases an integer >= 1',
      );
    }
    this.#frameMs = opts.frameMs;
    this.#startMs = opts.startMs;
    this.#phases = phases;
    this.#maxCatchUpSlots = Math.floor(opts.maxCatchUpFrames) * phases;
  }

  /** Slots per frame. */
  get phases(): number {
    return this.#phases;
  }

  /**
   * Frames that have had at least one slot emitted. With phases 1: frames emitted so far, which is the
   * index the next emitted frame gets.
   */
  get frameIndex(): number {
    return Math.ceil(this.#slot / this.#phases) - this.#skippedWholeFrames;
  }

  /** Schedule slots consumed so far (emitted plus skipped): emitted slots + `skippedTotal`. */
  get slotIndex(): number {
    return this.#slot;
  }

  /** Total slots skipped since the start (frames when phases is 1). */
  get skippedTotal(): number {
    return this.#skipped;
  }

  /** Total schedule frames skipped entirely (none of their slots emitted); they take no frame index. */
  get skippedWholeFrames(): number {
    return this.#skippedWholeFrames;
  }

  /** Monotonic time of the next slot due, in milliseconds. */
  get nextDueMs(): number {
    return this.dueTimeMs(this.#slot);
  }

  /** Monotonic time at which slot `slot` is (or was) due, in milliseconds. */
  dueTimeMs(slot: number): number {
    return this.#startMs + (slot * this.#frameMs) / this.#phases;
  }

  /**
   * The frame index listeners see for `slot`, which must be one of the slots emitted by the latest
   * `poll()`/`advance()` (`slotIndex - due` … `slotIndex - 1`): its schedule frame minus the frames
   * skipped entirely before it. The same for every emitted phase of a frame, and never decreasing.
   */
  frameIndexOf(slot: number): number {
    return Math.floor(slot / this.#phases) - this.#skippedWholeFrames;
  }

  /** The phase (0..phases-1) of `slot`: its position within its frame. */
  phaseOf(slot: number): number {
    return slot % this.#phases;
  }

  /**
   * Given the monotonic time `nowMs`, consumes the slots due and returns how many to emit now, oldest
   * first (at most `maxCatchUpFrames · phases`; they are `slotIndex - due` … `slotIndex - 1`). Older
   * due slots are skipped and counted. Allocation-free; time going backwards is treated as no time
   * passing.
   */
  poll(nowMs: number): number {
    const elapsed = nowMs - this.#startMs;
    // Number of slots whose due time is <= nowMs.
    const dueSlots =
      elapsed < -EPSILON_MS ? 0 : Math.floor((elapsed * this.#phases) / this.#frameMs + EPSILON_MS) + 1;
    const pending = Math.max(0, dueSlots - this.#slot);
    const emit = Math.min(pending, this.#maxCatchUpSlots);
    const skipped = pending - emit;
    if (skipped > 0) {
      // Slots [from, to) are skipped and [to, dueSlots) emitted. The slot before `from` (if any) was
      // emitted by the previous poll, so only frames lying wholly inside [from, to) lose their index.
      const from = this.#slot;
      const to = from + skipped;
      this.#skippedWholeFrames += Math.max(0, Math.floor(to / this.#phases) - Math.ceil(from / this.#phases));
    }
    this.#slot += pending;
    this.#skipped += skipped;
    this.#lastSkipped = skipped;
    return emit;
  }

  /**
   * `poll()` returning an object: the slots to emit now, how many were skipped, and when the next one
   * is due.
   */
  advance(nowMs: number): MediaClockAdvance {
    const framesDue = this.poll(nowMs);
    return { framesDue, skippedFrames: this.#lastSkipped, nextDueMs: this.nextDueMs };
  }
}
