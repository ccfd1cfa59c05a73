/**
 * The ONE timer that drives every call and every stream: each 20 ms it runs all per-frame listeners in
 * insertion order, on a schedule computed by the sans-I/O `MediaClock` from the monotonic clock.
 *
 * Scheduling: a single `setTimeout` is re-armed after each wake-up for the next frame boundary
 * (`ceil(nextDue - now)` ms), so lateness never accumulates: frame i is always due at
 * `start + i·frameMs`. A wake-up that is early (libuv rounds to whole milliseconds) emits nothing and
 * re-arms; one that is late by several frames emits the missed frames back to back, up to
 * `maxCatchUpFrames`, and skips (counts) the rest. We do not busy-wait with `setImmediate` for the last
 * millisecond: the measured lateness of plain timers (docs/benchmarks/media.md) is about 1 ms, well
 * inside what the jitter buffers absorb, and spinning would cost CPU on every frame.
 *
 * Lifecycle: the driver starts lazily on the first `add()` and stops by itself when the last listener
 * is removed, so an idle driver holds no timer. `start()` may also be called explicitly; while it runs
 * with no listeners its timer is unref'd, so it never keeps the process alive on its own. Each start
 * restarts the schedule and the statistics.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in DSP loops are in
   bounds by loop construction; `!` costs nothing at run time where `?? 0` would add a check per sample. */
import type { Clock, TimerHandle, Timers } from '../../ports/clock.js';
import { MediaClock } from '../../media/media-clock.js';
import { systemClock } from './system-clock.js';

/** Options of `MediaClockDriver`. */
export interface MediaClockDriverOptions {
  /** Frame period in milliseconds. Default 20. */
  readonly frameMs?: number;
  /** Monotonic clock. Default `systemClock`. */
  readonly clock?: Clock;
  /**
   * Timers to use instead of Node's `setTimeout` (for tests with a fake clock). When given, the driver
   * cannot unref its timer. Default: Node timers.
   */
  readonly timers?: Timers;
  /** Most frames emitted back to back after a late wake-up; older ones are skipped. Default 10 (200 ms). */
  readonly maxCatchUpFrames?: number;
  /** Called when a listener throws; the other listeners still run. Default: ignore. */
  readonly onError?: (error: unknown, frameIndex: number) => void;
}

/** Tick lateness statistics since the last start. */
export interface MediaClockDriverStats {
  /** Frames emitted (each one a round of all listeners). */
  readonly ticks: number;
  /** Median lateness (actual − scheduled), ms, at 0.01 ms resolution. */
  readonly lateP50Ms: number;
  /** 99th-percentile lateness, ms. */
  readonly lateP99Ms: number;
  /** Largest lateness, ms. */
  readonly lateMaxMs: number;
  /** Frames skipped because a wake-up was more than `maxCatchUpFrames` late. */
  readonly skippedFrames: number;
}

interface Entry {
  readonly fn: (frameIndex: number) => void;
  active: boolean;
}

/** Histogram resolution and range for lateness (values beyond the range count in the last bucket). */
const BUCKETS_PER_MS = 100;
const BUCKET_MS = 1 / BUCKETS_PER_MS;
const BUCKETS = 10_001;

interface ArmedTimer {
  cancel(): void;
  setKeepAlive(keepAlive: boolean): void;
}

function nodeTimer(delayMs: number, fn: () => void, keepAlive: boolean): ArmedTimer {
  const handle = setTimeout(fn, delayMs);
  if (!keepAlive) {
    handle.unref();
  }
  return {
    cancel: () => {
      clearTimeout(handle);
    },
    setKeepAlive: (on) => {
      if (on) {
        handle.ref();
      } else {
        handle.unref();
      }
    },
  };
}

function portTimer(timers: Timers, delayMs: number, fn: () => void): ArmedTimer {
  const handle: TimerHandle = timers.after(delayMs, fn);
  return { cancel: () => { handle.cancel(); }, setKeepAlive: () => undefined };
}

/** Drives per-frame listeners from one drift-free timer. */
export class MediaClockDriver {
  readonly #frameMs: number;
  readonly #clock: Clock;
  readonly #timers: Timers | undefined;
  readonly #maxCatchUp: number;
  readonly #onError: ((error: unknown, frameIndex: number) => void) | undefined;
  #entries: readonly Entry[] = [];
  #core: MediaClock | undefined;
  #timer: ArmedTimer | undefined;
  /** Bumped on every start/stop so that a tick in progress notices it was stopped. */
  #generation = 0;
  #ticks = 0;
  #skipped = 0;
  #lateMaxMs = 0;
  readonly #histogram = new Uint32Array(BUCKETS);

  constructor(opts: MediaClockDriverOptions = {}) {
    this.#frameMs = opts.frameMs ?? 20;
    this.#clock = opts.clock ?? systemClock;
    this.#timers = opts.timers;
    this.#maxCatchUp = opts.maxCatchUpFrames ?? 10;
    this.#onError = opts.onError;
    if (!(this.#frameMs > 0) || !(this.#maxCatchUp >= 1)) {
      throw new TypeError('MediaClockDriver: frameMs must be > 0 and maxCatchUpFrames >= 1');
    }
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
   * Adds a per-frame listener, called with the frame index (0, 1, 2, … since the driver started;
   * skipped frames take no index). Starts the driver if it is stopped. Returns an idempotent remover;
   * removing the last listener stops the driver. A listener added during a tick first runs on the next
   * tick; one removed during a tick is not called again, even later in the same tick.
   */
  add(listener: (frameIndex: number) => void): () => void {
    const entry: Entry = { fn: listener, active: true };
    this.#entries = [...this.#entries, entry];
    if (this.#core === undefined) {
      this.start();
    } else if (this.#entries.length === 1) {
      this.#timer?.setKeepAlive(true);
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

  /** Starts the schedule now (frame 0 is due immediately) and resets the statistics. Idempotent. */
  start(): void {
    if (this.#core !== undefined) {
      return;
    }
    this.#generation++;
    this.#ticks = 0;
    this.#skipped = 0;
    this.#lateMaxMs = 0;
    this.#histogram.fill(0);
    this.#core = new MediaClock({
      frameMs: this.#frameMs,
      startMs: this.#clock.monotonicMs(),
      maxCatchUpFrames: this.#maxCatchUp,
    });
    this.#arm(0);
  }

  /** Cancels the timer. Listeners stay registered (a later `add()` or `start()` restarts). Idempotent. */
  stop(): void {
    this.#generation++;
    this.#timer?.cancel();
    this.#timer = undefined;
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

  #arm(delayMs: number): void {
    const fire = (): void => {
      this.#tick();
    };
    const delay = Math.max(0, Math.ceil(delayMs));
    this.#timer =
      this.#timers === undefined
        ? nodeTimer(delay, fire, this.#entries.length > 0)
        : portTimer(this.#timers, delay, fire);
  }

  #tick(): void {
    const core = this.#core;
    if (core === undefined) {
      return;
    }
    const generation = this.#generation;
    const advance = core.advance(this.#clock.monotonicMs());
    this.#skipped += advance.skippedFrames;
    const firstSlot = core.slotIndex - advance.framesDue;
    const firstIndex = core.frameIndex - advance.framesDue;
    for (let k = 0; k < advance.framesDue; k++) {
      this.#record(this.#clock.monotonicMs() - core.dueTimeMs(firstSlot + k));
      this.#emit(firstIndex + k);
      if (generation !== this.#generation) {
        // A listener stopped (or restarted) the driver.
        return;
      }
    }
    this.#arm(advance.nextDueMs - this.#clock.monotonicMs());
  }

  #emit(frameIndex: number): void {
    this.#ticks++;
    for (const entry of this.#entries) {
      if (!entry.active) {
        continue;
      }
      try {
        entry.fn(frameIndex);
      } catch (error) {
        try {
          this.#onError?.(error, frameIndex);
        } catch {
          // The error hook itself failed; nothing more useful can be done with it here.
        }
      }
    }
  }

  #record(lateMs: number): void {
    const late = Math.max(0, lateMs);
    if (late > this.#lateMaxMs) {
      this.#lateMaxMs = late;
    }
    const bucket = Math.min(BUCKETS - 1, Math.round(late / BUCKET_MS));
    this.#histogram[bucket] = (this.#histogram[bucket]!) + 1;
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
