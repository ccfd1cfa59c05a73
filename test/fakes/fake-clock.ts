/**
 * A deterministic `Clock` + `Timers` (ports/clock.ts) for tests: time moves only when the test calls
 * `advance(ms)`, which runs every timer falling due in that span in due-time order (ties in the order
 * they were scheduled), with `monotonicMs()` reading each timer's due time while it runs. Timers
 * scheduled by a running timer also run if they fall due within the span.
 */
import type { Clock, TimerHandle, Timers } from '../../src/ports/clock.js';

interface FakeTimer {
  readonly dueMs: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A steppable fake clock and timer set. */
export class FakeClock implements Clock, Timers {
  #nowMs: number;
  readonly #epochOffsetMs: number;
  #seq = 0;
  #timers: FakeTimer[] = [];

  /**
   * @param startMs Initial monotonic time, ms. Default 0.
   * @param epochAtStartMs Wall-clock epoch ms at `startMs`. Default 1,700,000,000,000 (2023-11-14).
   */
  constructor(startMs = 0, epochAtStartMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
    this.#epochOffsetMs = epochAtStartMs - startMs;
  }

  monotonicMs(): number {
    return this.#nowMs;
  }

  epochMs(): number {
    return this.#nowMs + this.#epochOffsetMs;
  }

  /** Schedules `fn` at now + `delayMs` (negative or non-finite delays count as 0). */
  after(delayMs: number, fn: () => void): TimerHandle {
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const timer: FakeTimer = { dueMs: this.#nowMs + delay, seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
        this.#timers = this.#timers.filter((t) => t !== timer);
      },
    };
  }

  /** Timers scheduled and neither fired nor cancelled; assert 0 at the end of a test to catch leaks. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, running due timers in order. */
  advance(ms: number): void {
    this.advanceTo(this.#nowMs + Math.max(0, ms));
  }

  /** Moves time forward to `targetMs` (no-op if in the past), running due timers in order. */
  advanceTo(targetMs: number): void {
    for (;;) {
      const next = this.#nextDue(targetMs);
      if (next === undefined) {
        break;
      }
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#nowMs = Math.max(this.#nowMs, next.dueMs);
      next.fn();
    }
    this.#nowMs = Math.max(this.#nowMs, targetMs);
  }

  /**
   * Runs the one timer due first at or before `targetMs` (time moves to its due time) and returns
   * true; with none due, moves time to `targetMs` and returns false. Lets an async driver (the call
   * harness) settle promise continuations between timers, which `advanceTo` cannot.
   */
  runNext(targetMs: number): boolean {
    const next = this.#nextDue(targetMs);
    if (next === undefined) {
      this.#nowMs = Math.max(this.#nowMs, targetMs);
      return false;
    }
    this.#timers = this.#timers.filter((t) => t !== next);
    this.#nowMs = Math.max(this.#nowMs, next.dueMs);
    next.fn();
    return true;
  }

  #nextDue(targetMs: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers) {
      if (t.cancelled || t.dueMs > targetMs) {
        continue;
      }
      if (best === undefined || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) {
        best = t;
      }
    }
    return best;
  }
}
