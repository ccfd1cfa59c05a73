/**
 * The production `Clock` and `Timers` (ports/clock.ts), on Node's `performance.now()`, `Date.now()`
 * and `setTimeout`.
 */
import { performance } from 'node:perf_hooks';

import type { Clock, TimerHandle, Timers } from '../../ports/clock.js';

/** Monotonic time from `performance.now()` (ms since process start, fractional); wall time from `Date.now()`. */
export const systemClock: Clock = {
  monotonicMs: () => performance.now(),
  epochMs: () => Date.now(),
};

/**
 * The longest delay one `setTimeout` honours: Node stores it as a signed 32-bit count of ms, and any
 * larger value (about 24.8 days and up) is replaced by 1 ms, so the callback would run at once.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** What {@link chainedTimers} needs from the host: one-shot timers and a monotonic clock. */
export interface TimerHost<H> {
  set(fn: () => void, delayMs: number): H;
  clear(handle: H): void;
  nowMs(): number;
}

/**
 * Timers that accept any delay: a delay longer than `maxStepMs` is slept in steps of at most
 * `maxStepMs`, each step re-reading the clock, so the callback runs once the whole delay has passed
 * (never early, whatever the host does with long delays). Infinite delays never fire; a delay below
 * 1 (or NaN) fires on the host's next turn, as `setTimeout` does.
 */
export function chainedTimers<H>(host: TimerHost<H>, maxStepMs = MAX_TIMEOUT_MS): Timers {
  return {
    after(delayMs: number, fn: () => void): TimerHandle {
      let cancelled = false;
      let handle: H | undefined;
      const dueMs = host.nowMs() + (delayMs > 0 ? delayMs : 0);
      const arm = (remainingMs: number): void => {
        if (remainingMs <= maxStepMs) {
          handle = host.set(() => {
            if (!cancelled) {
              cancelled = true;
              fn();
            }
          }, remainingMs);
          return;
        }
        handle = host.set(() => {
          if (!cancelled) {
            arm(Math.max(0, dueMs - host.nowMs()));
          }
        }, maxStepMs);
      };
      arm(Number.isNaN(delayMs) || delayMs <= 0 ? 0 : delayMs);
      return {
        cancel: () => {
          cancelled = true;
          if (handle !== undefined) {
            host.clear(handle);
          }
        },
      };
    },
  };
}

/**
 * Timers on `setTimeout`, chained past Node's 32-bit limit (`MAX_TIMEOUT_MS`). They keep the process
 * alive while pending, like `setTimeout` itself.
 */
export const systemTimers: Timers = chainedTimers<ReturnType<typeof setTimeout>>({
  set: (fn, delayMs) => setTimeout(fn, delayMs),
  clear: (handle) => {
    clearTimeout(handle);
  },
  nowMs: () => performance.now(),
});
