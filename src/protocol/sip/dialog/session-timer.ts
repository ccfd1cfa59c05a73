/**
 * RFC 4028 session timers, the header side: reading `Session-Expires` / `Min-SE` / `timer` option tags,
 * what a UAS answers to an INVITE that asks for a session interval (§9: 422 below our Min-SE, else the
 * interval and refresher reflected in the 2xx), what a UAC offers (§7.1) and what it learns from the
 * 2xx (§7.2). Pure functions over messages; the timing lives in `dialog-timers.ts`.
 */
import { getHeader, getListValues } from '../headers.js';
import { findParam, parseHeaderParams } from '../header-params.js';
import type { SipHeader, SipMessage } from '../sip-message.types.js';

/** Who sends the refreshes (RFC 4028 §4 `refresher` parameter). */
export type Refresher = 'uac' | 'uas';

/** The floor RFC 4028 §4 puts under every session interval and Min-SE. */
export const RFC4028_MIN_SE_SEC = 90;

/** Our session-timer settings (config `sip.sessionExpiresSec`, `sip.minSessionExpiresSec`). */
export interface SessionTimerConfig {
  /** The interval we ask for (UAC) or insert when the peer asks for none (UAS); 0: we never start one. */
  readonly sessionExpiresSec: number;
  /** The smallest interval we accept (our Min-SE, at least 90). */
  readonly minSeSec: number;
}

/** A negotiated session interval. */
export interface SessionInterval {
  readonly intervalSec: number;
  readonly refresher: Refresher;
}

/** `Session-Expires: delta;refresher=x` (RFC 4028 §4); undefined when absent or unreadable. */
export function readSessionExpires(msg: SipMessage): { deltaSec: number; refresher?: Refresher } | undefined {
  const value = getHeader(msg, 'Session-Expires');
  if (value === undefined) {
    return undefined;
  }
  const m = /^\s*(\d{1,10})\s*(;.*)?$/.exec(value);
  if (m === null) {
    return undefined;
  }
  const deltaSec = Number(m[1]);
  const params = parseHeaderParams(m[2] ?? '') ?? [];
  const refresher = findParam(params, 'refresher')?.toLowerCase();
  return refresher === 'uac' || refresher === 'uas' ? { deltaSec, refresher } : { deltaSec };
}

/** `Min-SE: delta` (RFC 4028 §5); undefined when absent or unreadable. */
export function readMinSe(msg: SipMessage): number | undefined {
  const m = /^\s*(\d{1,10})\s*(;.*)?$/.exec(getHeader(msg, 'Min-SE') ?? '');
  return m === null ? undefined : Number(m[1]);
}

/** Whether the message lists the `timer` option tag in Supported or Require. */
export function supportsTimer(msg: SipMessage): boolean {
  return [...getListValues(msg, 'Supported'), ...getListValues(msg, 'Require')].some(
    (t) => t.toLowerCase() === 'timer',
  );
}

function effectiveMinSe(config: SessionTimerConfig): number {
  return Math.max(RFC4028_MIN_SE_SEC, config.minSeSec);
}

/** What a UAS does with an INVITE (initial or refresh) as far as session timers go. */
export type UasSessionDecision =
  | { readonly type: 'reject'; readonly status: 422; readonly headers: readonly SipHeader[] }
  | {
      readonly type: 'accept';
      /** The session interval in force after this transaction, or undefined for none. */
      readonly session: SessionInterval | undefined;
      /** Headers for the 2xx (Supported, and Session-Expires/Require when a session interval is set). */
      readonly headers: readonly SipHeader[];
    };

/**
 * RFC 4028 §9: a Session-Expires below our Min-SE gets 422 with our Min-SE. Otherwise the interval is the
 * request's (the UAS may lower it, never below the request's Min-SE or ours: we lower it to our own
 * setting when that is shorter), or ours when the request names none. The refresher is the one the
 * request chose, else the UAC when it supports timers, else us; `Require: timer` goes in the 2xx only when
 * the UAC supports the extension.
 */
export function negotiateAsUas(request: SipMessage, config: SessionTimerConfig): UasSessionDecision {
  const supported = supportsTimer(request);
  const asked = readSessionExpires(request);
  const ourMin = effectiveMinSe(config);
  const base: SipHeader[] = [{ name: 'Supported', value: 'timer' }];
  if (asked !== undefined && asked.deltaSec < ourMin) {
    return { type: 'reject', status: 422, headers: [{ name: 'Min-SE', value: String(ourMin) }] };
  }
  let intervalSec: number;
  if (asked === undefined) {
    if (config.sessionExpiresSec <= 0) {
      return { type: 'accept', session: undefined, headers: base };
    }
    intervalSec = Math.max(ourMin, config.sessionExpiresSec);
  } else {
    const floor = Math.max(ourMin, readMinSe(request) ?? 0);
    const ours = config.sessionExpiresSec > 0 ? config.sessionExpiresSec : asked.deltaSec;
    intervalSec = Math.max(floor, Math.min(asked.deltaSec, ours));
  }
  const refresher: Refresher = supported ? (asked?.refresher ?? 'uac') : 'uas';
  const headers: SipHeader[] = [
    ...base,
    { name: 'Session-Expires', value: `${intervalSec};refresher=${refresher}` },
    ...(supported ? [{ name: 'Require', value: 'timer' }] : []),
  ];
  return { type: 'accept', session: { intervalSec, refresher }, headers };
}

/**
 * RFC 4028 §7.1: the headers a UAC puts on an INVITE (initial or refresh) to ask for `intervalSec`
 * (at least our Min-SE); `refresher` when we want to name one (refreshes name the current refresher).
 */
export function uacSessionHeaders(
  config: SessionTimerConfig,
  intervalSec = config.sessionExpiresSec,
  refresher?: Refresher,
): SipHeader[] {
  const minSe = effectiveMinSe(config);
  const supported: SipHeader = { name: 'Supported', value: 'timer' };
  if (intervalSec <= 0) {
    return [supported];
  }
  const delta = Math.max(minSe, intervalSec);
  return [
    supported,
    {
      name: 'Session-Expires',
      value: refresher === undefined ? String(delta) : `${delta};refresher=${refresher}`,
    },
    { name: 'Min-SE', value: String(minSe) },
  ];
}

/**
 * RFC 4028 §7.2: the session interval a 2xx to our INVITE sets: none without Session-Expires; the
 * refresher is the one the UAS named, else us (the UAC).
 */
export function readUacSession(response: SipMessage): SessionInterval | undefined {
  const se = readSessionExpires(response);
  if (se === undefined || se.deltaSec <= 0) {
    return undefined;
  }
  return { intervalSec: se.deltaSec, refresher: se.refresher ?? 'uac' };
}

/** The interval to retry with after a 422 (RFC 4028 §7.4): the larger of its Min-SE and what we asked. */
export function intervalAfter422(response: SipMessage, askedSec: number): number | undefined {
  const minSe = readMinSe(response);
  return minSe === undefined || minSe <= askedSec ? undefined : minSe;
}
