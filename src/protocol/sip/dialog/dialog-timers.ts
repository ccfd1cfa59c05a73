/**
 * The timers that end or refresh a confirmed dialog, as a sans-I/O state machine: `input(event, nowMs)`
 * returns effects, and `nextWakeMs` says when to call `input({ type: 'wake' }, nowMs)` again.
 *
 * - Maximum duration (Plivo `time_limit`): hang up `timeLimitMs` after the call was answered.
 * - Hold timeout: hang up once the far end has held the call (sends no media: `a=inactive`, `sendonly`,
 *   `c=0.0.0.0`) for `holdTimeoutMs` without a break; the media timeout does not run while on hold.
 * - RFC 4028 session timer: when we are the refresher, ask for a refresh at half the interval (§10) and
 *   hang up when one fails with 408/481 or times out; either way, hang up when no refresh has succeeded
 *   by the expiry minus min(32 s, interval / 3) (§10), so that a far end that vanished does not hold the
 *   call for ever.
 *
 * The effects name the hangup cause; the caller sends the BYE and writes the record.
 */
import type { Refresher, SessionInterval } from './session-timer.js';

/** Hangup cause when the hold timeout expires (as FreeSWITCH reports its RTP hold timeout). */
export const HOLD_TIMEOUT_CAUSE = 'MEDIA_TIMEOUT';
/** Hangup cause when the call's maximum duration (`time_limit`) is reached: Plivo's name (code 6000). */
export const TIME_LIMIT_CAUSE = 'Scheduled Hangup';
/** Hangup cause when the session interval ran out, or a refresh failed (Q.850 102, recovery on timer expiry). */
export const SESSION_EXPIRED_CAUSE = 'RECOVERY_ON_TIMER_EXPIRE';

/** Limits of one dialog (0 turns a limit off). */
export interface DialogTimerLimits {
  readonly timeLimitMs: number;
  readonly holdTimeoutMs: number;
}

export type DialogTimerInput =
  /** The call was answered: the time limit starts now. */
  | { readonly type: 'answered' }
  /** The far end's media direction changed: `held` when it sends nothing. */
  | { readonly type: 'hold'; readonly held: boolean }
  /**
   * A session interval was negotiated or refreshed (our refresh got a 2xx, or the far end's refresh was
   * answered 2xx); `session` undefined ends session timing.
   */
  | { readonly type: 'session'; readonly session: SessionInterval | undefined; readonly weAre: Refresher }
  /** Our refresh failed with this final status, or `timeout` (no answer, or it could not be sent). */
  | { readonly type: 'refresh-failed'; readonly status: number | 'timeout' }
  /** Time passed (the caller's timer fired). */
  | { readonly type: 'wake' }
  /** The dialog ended: no more effects. */
  | { readonly type: 'closed' };

export type DialogTimerEffect =
  /** Send a session refresh (re-INVITE with the current SDP and the session headers). */
  | { readonly type: 'refresh'; readonly intervalSec: number }
  /** End the call with BYE and this cause. */
  | { readonly type: 'hangup'; readonly cause: string; readonly detail: string };

interface SessionState {
  readonly intervalMs: number;
  readonly intervalSec: number;
  readonly weRefresh: boolean;
  /** When the interval last started (negotiation or a successful refresh). */
  readonly sinceMs: number;
  /** Our refresh is in flight, or failed and waits for `retryAtMs`. */
  refreshSent: boolean;
  /** When to try again after a failure that did not end the dialog. */
  retryAtMs: number | undefined;
}

/**
 * How long to wait before refreshing again after a failure that leaves the dialog up: 4 s after a 491
 * (glare, RFC 3261 §14.1 asks for a few seconds), else a tenth of the interval (at least 4 s), so a
 * peer that keeps refusing gets a few attempts before the expiry, not a flood.
 */
export function retryDelayMs(status: number, intervalMs: number): number {
  return status === 491 ? 4000 : Math.max(4000, intervalMs / 10);
}

/** The margin RFC 4028 §10 leaves before expiry: the smaller of 32 s and a third of the interval. */
export function expiryMarginMs(intervalMs: number): number {
  return Math.min(32_000, intervalMs / 3);
}

/** The dialog's timers. */
export class DialogTimers {
  readonly #limits: DialogTimerLimits;
  #answeredAtMs: number | undefined;
  #heldSinceMs: number | undefined;
  #session: SessionState | undefined;
  #ended = false;

  constructor(limits: DialogTimerLimits) {
    this.#limits = limits;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** The session interval in force, if any. */
  get session(): { intervalSec: number; weRefresh: boolean } | undefined {
    const s = this.#session;
    return s === undefined ? undefined : { intervalSec: s.intervalSec, weRefresh: s.weRefresh };
  }

  input(event: DialogTimerInput, nowMs: number): DialogTimerEffect[] {
    if (this.#ended) {
      return [];
    }
    switch (event.type) {
      case 'answered': {
        this.#answeredAtMs ??= nowMs;
        break;
      }
      case 'hold': {
        if (!event.held) {
          this.#heldSinceMs = undefined;
        } else {
          this.#heldSinceMs ??= nowMs;
        }
        break;
      }
      case 'session': {
        const s = event.session;
        this.#session =
          s === undefined
            ? undefined
            : {
                intervalMs: s.intervalSec * 1000,
                intervalSec: s.intervalSec,
                weRefresh: s.refresher === event.weAre,
                sinceMs: nowMs,
                refreshSent: false,
                retryAtMs: undefined,
              };
        break;
      }
      case 'refresh-failed': {
        const s = this.#session;
        if (s === undefined) {
          break;
        }
        if (event.status === 'timeout' || event.status === 408 || event.status === 481) {
          return this.#end(SESSION_EXPIRED_CAUSE, `session refresh failed (${event.status}, RFC 4028 §10)`);
        }
        s.retryAtMs = nowMs + retryDelayMs(event.status, s.intervalMs);
        break;
      }
      case 'closed': {
        this.#ended = true;
        return [];
      }
      case 'wake': {
        break;
      }
    }
    return this.#due(nowMs);
  }

  /** When something falls due next (monotonic ms), or undefined when nothing is pending. */
  get nextWakeMs(): number | undefined {
    if (this.#ended) {
      return undefined;
    }
    const times: number[] = [];
    if (this.#answeredAtMs !== undefined && this.#limits.timeLimitMs > 0) {
      times.push(this.#answeredAtMs + this.#limits.timeLimitMs);
    }
    if (this.#heldSinceMs !== undefined && this.#limits.holdTimeoutMs > 0) {
      times.push(this.#heldSinceMs + this.#limits.holdTimeoutMs);
    }
    const s = this.#session;
    if (s !== undefined) {
      times.push(s.sinceMs + s.intervalMs - expiryMarginMs(s.intervalMs));
      const refreshAt = this.#refreshAtMs(s);
      if (refreshAt !== undefined) {
        times.push(refreshAt);
      }
    }
    return times.length === 0 ? undefined : Math.min(...times);
  }

  #due(nowMs: number): DialogTimerEffect[] {
    const limits = this.#limits;
    if (
      this.#answeredAtMs !== undefined &&
      limits.timeLimitMs > 0 &&
      nowMs >= this.#answeredAtMs + limits.timeLimitMs
    ) {
      return this.#end(TIME_LIMIT_CAUSE, `time limit of ${limits.timeLimitMs / 1000} s reached`);
    }
    if (
      this.#heldSinceMs !== undefined &&
      limits.holdTimeoutMs > 0 &&
      nowMs >= this.#heldSinceMs + limits.holdTimeoutMs
    ) {
      return this.#end(HOLD_TIMEOUT_CAUSE, `on hold for ${limits.holdTimeoutMs / 1000} s`);
    }
    const s = this.#session;
    if (s === undefined) {
      return [];
    }
    if (nowMs >= s.sinceMs + s.intervalMs - expiryMarginMs(s.intervalMs)) {
      return this.#end(SESSION_EXPIRED_CAUSE, `session interval of ${s.intervalSec} s expired unrefreshed`);
    }
    const refreshAt = this.#refreshAtMs(s);
    if (refreshAt !== undefined && nowMs >= refreshAt) {
      s.refreshSent = true;
      s.retryAtMs = undefined;
      return [{ type: 'refresh', intervalSec: s.intervalSec }];
    }
    return [];
  }

  /** When we send our next refresh: half the interval, or the retry time after a failure. */
  #refreshAtMs(s: SessionState): number | undefined {
    if (!s.weRefresh) {
      return undefined;
    }
    if (!s.refreshSent) {
      return s.sinceMs + s.intervalMs / 2;
    }
    return s.retryAtMs;
  }

  #end(cause: string, detail: string): DialogTimerEffect[] {
    this.#ended = true;
    return [{ type: 'hangup', cause, detail }];
  }
}
