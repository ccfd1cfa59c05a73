/**
 * The ONE timer that drives every call and every stream: each 20 ms frame it runs all listeners in
 * insertion order, `phases` times (sub-ticks at frame start + phase · frameMs / phases), on a schedule
 * computed by the sans-I/O `MediaClock` from the monotonic clock. With `phases` 1 (the default) a
 * sub-tick is a whole frame.
 *
 * Scheduling: a single `setTimeout` is re-armed after each wake-up for the next sub-tick boundary
 * (`ceil(nextDue - now)` ms), so lateness never accumulates: sub-tick s is always due at
 * `start + s·frameMs/phases`. A wake-up that is early (libuv rounds to whole milliseconds) emits nothing
 * and re-arms; one that is late by several sub-ticks emits the missed ones back to back, in order, up to
 * `maxCatchUpFrames · phases` of them, and skips (counts) the rest. We do not busy-wait with
 * `setImmediate` for the last millisecond: the measured lateness of plain timers
 * (docs/benchmarks/media.md) is about 1 ms, well inside what the jitter buffers absorb, and spinning
 * would cost CPU on every sub-tick.
 *
 * Indexes: listeners get `(frameIndex, phase)`. Without skips they see (0,0), (0,1), …,
 * (0,phases-1), (1,0), …. A skipped sub-tick is never emitted; `frameIndex` stays the same for every
 * phase of one frame and never decreases, and emitted frames are numbered without gaps: a frame whose
 * sub-ticks were all skipped takes no index (with phases 1 this is exactly "skipped frames take no
 * index"), and a frame whose first phases were skipped keeps its index and is seen from a later phase
 * on. `phase` always matches the sub-tick's position in time. Example, phases 4 and a cap of 2 frames:
 * after (2,0) the loop stalls until schedule frame 6 phase 0 is due, so the 16 due sub-ticks are cut to
 * the 8 newest and listeners see (3,1) (3,2) (3,3) (4,0) (4,1) (4,2) (4,3) (5,0) back to back: frame 2
 * never gets phases 1..3, schedule frame 3 (all skipped) takes no index, and schedule frames 4, 5 and 6
 * are seen as 3 (from phase 1 on), 4 and 5.
 *
 * Lifecycle: the driver starts lazily on the first `add()` and stops by itself when the last listener
 * is removed, so an idle driver holds no timer. `start()` may also be called explicitly; while it runs
 * with no listeners its timer is unref'd, so it never keeps the process alive on its own. Each start
 * restarts the schedule (frame 0, phase 0 due at once) and the statistics.
 *
 * Per sub-tick the driver allocates nothing of its own (Node's `setTimeout` allocates its handle).
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in DSP loops are in
   bounds by loop construction; `!` costs nothing at run time where `?? 0` would add a check per sample. */
import type { Clock, TimerHandle, Timers } from '../../ports/clock.js';
import type { MediaTicker } from '../../ports/media-ticker.js';
import { DEFAULT_MAX_CATCH_UP_FRAMES, MediaClock } from '../../media/media-clock.js';
import { systemClock } from './system-clock.js';

/** Options of `MediaClockDriver`. */
export interface MediaClockDriverOptions {
  /** Frame period in milliseconds. Default 20. */
  readonly frameMs?: number;
  /**
   * Sub-ticks per frame, an integer 1..8 with `frameMs / phases >= 1`: listeners run `phases` times per
   * frame, evenly spaced. Default 1.
   */
  readonly phases?: number;
  /** Monotonic clock. Default `systemClock`. */
  readonly clock?: Clock;
  /**
   * Timers to use instead of Node's `setTimeout` (for tests with a fake clock). When given, the driver
   * cannot unref its timer. Default: Node timers.
   */
  readonly timers?: Timers;
  /**
   * Most frames emitted back to back after a late wake-up (counted in frames: the cap is
   * `maxCatchUpFrames · phases` sub-ticks); older sub-ticks are skipped. Default 10 (200 ms).
   */
  readonly maxCatchUpFrames?: number;
  /** Called when a listener throws; the other listeners still run. Default: ignore. */
  readonly onError?: (error: unknown, frameIndex: number, phase: number) => void;
}

/** Tick lateness statistics since the last start. */
export interface MediaClockDriverStats {
  /** Sub-ticks emitted (each one a round of all listeners); frames when `phases` is 1. */
  readonly ticks: number;
  /** Median lateness (actual − scheduled) of the emitted sub-ticks, ms, at 0.01 ms resolution. */
  readonly lateP50Ms: number;
  /** 99th-percentile lateness, ms. */
  readonly lateP99Ms: number;
  /** Largest lateness, ms. */
  readonly lateMaxMs: number;
  /**
   * Sub-ticks skipped because a wake-up was more than `maxCatchUpFrames` late; frames when `phases` is
   * 1 (divide by `phases` for frame equivalents). `ticks + skippedFrames` is the number of sub-ticks
   * the schedule has consumed.
   */
  readonly skippedFrames: number;
}

type Listener = (frameIndex: number, phase: number) => void;

interface Entry {
  readonly fn: Listener;
  active: boolean;
}

/** Histogram resolution and range for lateness (values beyond the range count in the last bucket). */
const BUCKETS_PER_MS = 100;
const BUCKET_MS = 1 / BUCKETS_PER_MS;
const BUCKETS = 10_001;
const MAX_PHASES = 8;

/** Drives per-frame (per sub-tick) listeners from one drift-free timer. */
export class MediaClockDriver implements MediaTicker {
  readonly #frameMs: number;
  readonly #phases: number;
  readonly #clock: Clock;
  readonly #timers: Timers | undefined;
  readonly #maxCatchUp: number;
  readonly #onError: ((error: unknown, frameIndex: number, phase: number) => void) | undefined;
  /** Copy-on-write: a tick iterates the array it started with. */
  #entries: readonly Entry[] = [];
  #core: MediaClock | undefined;
  /** The armed timer: a Node handle (when no `timers` were given) or a port handle. */
  #nodeTimer: ReturnType<typeof setTimeout> | undefined;
  #portTimer: TimerHandle | undefined;
  /** Created once, so arming a timer creates no closure. */
  readonly #fire = (): void => {
    this.#tick();
  };
  /** Bumped on every start/stop so that a tick in progress notices it was stopped. */
  #generation = 0;
  #ticks = 0;
  #skipped = 0;
  #lateMaxMs = 0;
  #lateSumMs = 0;
  readonly #histogram = new Uint32Array(BUCKETS);

  constructor(opts: MediaClockDriverOptions = {}) {
    this.#frameMs = opts.frameMs ?? 20;
    this.#phases = opts.phases ?? 1;
    this.#clock = opts.clock ?? systemClock;
    this.#timers = opts.timers;
    this.#maxCatchUp = opts.maxCatchUpFrames ?? DEFAULT_MAX_CATCH_UP_FRAMES;
    this.#onError = opts.onError;
    if (!(this.#frameMs > 0) || !(this.#maxCatchUp >= 1)) {
      throw new TypeError('MediaClockDriver: frameMs must be > 0 and maxCatchUpFrames >= 1');
    }
    if (
      !Number.isInteger(this.#phases) ||
      this.#phases < 1 ||
      this.#phases > MAX_PHASES ||
      !(this.#frameMs / this.#phases >= 1)
    ) {
      throw new TypeError(
        `MediaClockDriver: phases must be an integer 1..${MAX_PHASES} with frameMs / phases >= 1 ms`,
      );
    }
  }

  /** Sub-ticks per frame. */
  get phases(): number {
    return this.#phases;
  }

  /** Whether the timer is running. */
  get running(): boolean {
    return this.#core !== undefined;
  }

  /** Number of registered listeners. */
  get listenerCount(): number {
    return this.#entries.length;
  }

  /**
   * Adds a listener, called once per sub-tick with the frame index (0, 1, 2, … since the driver
   * started; see the file comment for skipped sub-ticks) and the phase (0..phases-1, in order). Starts
   * the driver if it is stopped. Returns an idempotent remover; removing the last listener stops the
   * driver. A listener added during a sub-tick first runs on the next sub-tick (so its first call may
   * have any phase); one removed during a sub-tick is not called again, even later in the same sub-tick.
   */
  add(listener: Listener): () => void {
    const entry: Entry = { fn: listener, active: true };
    this.#entries = [...this.#entries, entry];
    if (this.#core === undefined) {
      this.start();
    } else if (this.#entries.length === 1) {
      this.#nodeTimer?.ref();
    }
    return () => {
      if (!entry.active) {
        return;
      }
      entry.active = false;
      this.#entries = this.#entries.filter((e) => e !== entry);
      if (this.#entries.length === 0) {
        this.stop();
      }
    };
  }

  /** Starts the schedule now (frame 0, phase 0 is due immediately) and resets the statistics. Idempotent. */
  start(): void {
    if (this.#core !== undefined) {
      return;
    }
    this.#generation++;
    this.#ticks = 0;
    this.#skipped = 0;
    this.#lateMaxMs = 0;
    this.#lateSumMs = 0;
    this.#histogram.fill(0);
    this.#core = new MediaClock({
      frameMs: this.#frameMs,
      startMs: this.#clock.monotonicMs(),
      maxCatchUpFrames: this.#maxCatchUp,
      phases: this.#phases,
    });
    this.#arm(0);
  }

  /** Cancels the timer. Listeners stay registered (a later `add()` or `start()` restarts). Idempotent. */
  stop(): void {
    this.#generation++;
    this.#cancelTimer();
    this.#core = undefined;
  }

  /** Lateness statistics since the last start (kept after a stop). */
  stats(): MediaClockDriverStats {
    return {
      ticks: this.#ticks,
      lateP50Ms: this.#percentile(0.5),
      lateP99Ms: this.#percentile(0.99),
      lateMaxMs: this.#lateMaxMs,
      skippedFrames: this.#skipped,
    };
  }

  /**
   * The lateness histogram since the last start, for metrics: how many sub-ticks were at most each of
   * `boundsMs` late (cumulative, ascending bounds), their count and the sum of their lateness, ms.
   */
  lateness(boundsMs: readonly number[]): { counts: number[]; count: number; sumMs: number } {
    const counts: number[] = [];
    let b = 0;
    let seen = 0;
    for (const bound of boundsMs) {
      const last = Math.min(BUCKETS - 1, Math.floor(bound / BUCKET_MS + 1e-9));
      for (; b <= last; b++) {
        seen += this.#histogram[b]!;
      }
      counts.push(seen);
    }
    return { counts, count: this.#ticks, sumMs: this.#lateSumMs };
  }

  #cancelTimer(): void {
    if (this.#nodeTimer !== undefined) {
      clearTimeout(this.#nodeTimer);
      this.#nodeTimer = undefined;
    }
    this.#portTimer?.cancel();
    this.#portTimer = undefined;
  }

  #arm(delayMs: number): void {
    const delay = Math.max(0, Math.ceil(delayMs));
    if (this.#timers === undefined) {
      const handle = setTimeout(this.#fire, delay);
      if (this.#entries.length === 0) {
        handle.unref();
      }
      this.#nodeTimer = handle;
    } else {
      this.#portTimer = this.#timers.after(delay, this.#fire);
    }
  }

  #tick(): void {
    this.#nodeTimer = undefined;
    this.#portTimer = undefined;
    const core = this.#core;
    if (core === undefined) {
      return;
    }
    const generation = this.#generation;
    const due = core.poll(this.#clock.monotonicMs());
    this.#skipped = core.skippedTotal;
    const firstSlot = core.slotIndex - due;
    for (let k = 0; k < due; k++) {
      const slot = firstSlot + k;
      this.#record(this.#clock.monotonicMs() - core.dueTimeMs(slot));
      this.#emit(core.frameIndexOf(slot), core.phaseOf(slot));
      if (generation !== this.#generation) {
        // A listener stopped (or restarted) the driver.
        return;
      }
    }
    this.#arm(core.nextDueMs - this.#clock.monotonicMs());
  }

  #emit(frameIndex: number, phase: number): void {
    this.#ticks++;
    // Indexed loop over the snapshot: no iterator object per sub-tick.
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (!entry.active) {
        continue;
      }
      try {
        entry.fn(frameIndex, phase);
      } catch (error) {
        try {
          this.#onError?.(error, frameIndex, phase);
        } catch {
          // The error hook itself failed; nothing more useful can be done with it here.
        }
      }
    }
  }

  #record(lateMs: number): void {
    const late = Math.max(0, lateMs);
    this.#lateSumMs += late;
    if (late > this.#lateMaxMs) {
      this.#lateMaxMs = late;
    }
    const bucket = Math.min(BUCKETS - 1, Math.round(late / BUCKET_MS));
    this.#histogram[bucket] = this.#histogram[bucket]! + 1;
  }

  #percentile(q: number): number {
    if (this.#ticks === 0) {
      return 0;
    }
    const rank = Math.ceil(q * this.#ticks);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.#histogram[b]!;
      if (seen >= rank) {
        return b === BUCKETS - 1 ? this.#lateMaxMs : b / BUCKETS_PER_MS;
      }
    }
    return this.#lateMaxMs;
  }
}
