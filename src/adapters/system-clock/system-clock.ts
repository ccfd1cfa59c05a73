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
 * Timers on `setTimeout`. The timers keep the process alive while pending, like `setTimeout` itself;
 * a `delayMs` below 1 (or not finite) fires on the next timers phase, as Node does.
 */
export const systemTimers: Timers = {
  after(delayMs: number, fn: () => void): TimerHandle {
    const handle = setTimeout(fn, delayMs);
    return {
      cancel: () => {
        clearTimeout(handle);
      },
    };
  },
};
