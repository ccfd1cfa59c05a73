/**
 * The retry schedule of a callback (see `callback-delivery.ts` and docs/status-callbacks.md): which
 * answers may pass on a later attempt, when that attempt is due, and when to give up.
 *
 * Attempt n + 1 (n ≥ 1 failed attempts) is due `min(backoffMs · 2^(n−1), maxBackoffMs)` after attempt
 * n failed: with the defaults (500 ms, cap 60 s) 0.5 s, 1 s, 2 s, 4 s … 32 s, 60 s, 60 s … A callback is
 * given up on after `maxAttempts` attempts, or when an attempt would start more than `maxAgeMs` after
 * the callback was created (a callback that waited out a long outage is history, not news).
 */
import type { HttpResponse } from '../../ports/http-client.js';

export interface RetrySchedule {
  /** Attempts in total, first included. */
  readonly maxAttempts: number;
  /** Delay after the first failed attempt, doubled after each further one. */
  readonly backoffMs: number;
  /** The longest delay between two attempts. */
  readonly maxBackoffMs: number;
  /** No attempt starts later than this after the callback was created. */
  readonly maxAgeMs: number;
}

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = {
  maxAttempts: 3,
  backoffMs: 500,
  maxBackoffMs: 60_000,
  maxAgeMs: 24 * 3600_000,
};

/** True for answers that may pass later: connect errors, timeouts, 5xx, 408, 429. */
export function isRetryable(res: HttpResponse): boolean {
  if (!res.ok) {
    return res.reason === 'timeout' || res.reason === 'connect' || res.reason === 'other';
  }
  return res.status >= 500 || res.status === 429 || res.status === 408;
}

/** The delay before the next attempt, after `failedAttempts` (≥ 1) failed ones. */
export function retryDelayMs(schedule: RetrySchedule, failedAttempts: number): number {
  const exponent = Math.min(Math.max(0, failedAttempts - 1), 30);
  return Math.min(schedule.backoffMs * 2 ** exponent, schedule.maxBackoffMs);
}

/**
 * Why the callback must not be attempted again after `attempts` attempts when the next one would
 * start at `nextAtMs`; undefined when it may.
 */
export function giveUpReason(
  schedule: RetrySchedule,
  attempts: number,
  createdAtMs: number,
  nextAtMs: number,
): string | undefined {
  if (attempts >= schedule.maxAttempts) {
    return `${attempts} attempt(s) failed`;
  }
  if (nextAtMs - createdAtMs > schedule.maxAgeMs) {
    return `older than ${Math.round(schedule.maxAgeMs / 1000)} s`;
  }
  return undefined;
}
