/**
 * Pure helpers of CallControl: the call and stream records it writes, the hangup_url parameters, and
 * the error JSON of a call record.
 */
import type { LegHangup } from '../../engine/call/media-leg.types.js';
import type { StreamFork } from '../../engine/fork/stream-fork.js';
import { callParams, type CallIdentity } from '../../engine/interpreter/call-params.js';
import { hangupCauseCodeOf } from '../../engine/records/hangup-causes.js';
import { elapsedSec, plivoTime } from '../../protocol/plivo-time.js';
import { streamRecordOf } from '../../engine/records/stream-record.js';
import type { CallRecord, JsonValue, StreamRecord } from '../../ports/call-store.js';
import type { XmlIssue } from '../../protocol/plivo-xml/types.js';

/** Causes the `<Hangup>` element uses (interpreter/elements/basic.ts); they map to source `Answer XML`. */
const XML_HANGUP_CAUSES: ReadonlySet<string> = new Set(['NORMAL_CLEARING', 'CALL_REJECTED', 'USER_BUSY']);

/**
 * Plivo's hangup source name (https://www.plivo.com/docs/voice/troubleshooting/hangup-causes):
 * caller → `Caller`, callee → `Call recipient`, REST → `API Request`, errors (fetch failures, invalid
 * XML) → `Error`, a `<Hangup>` element → `Answer XML`, any other server-side end (end of XML,
 * shutdown) → `Plivo`.
 */
export function hangupSourceName(hangup: LegHangup): string {
  switch (hangup.source) {
    case 'caller':
      return 'Caller';
    case 'callee':
      return 'Call recipient';
    case 'api':
      return 'API Request';
    case 'error':
      return 'Error';
    case 'server':
      return XML_HANGUP_CAUSES.has(hangup.cause) ? 'Answer XML' : 'Plivo';
  }
}

/** The numeric code of a cause (engine/records/hangup-causes.ts), or null for an unknown one. */
export function hangupCauseCode(cause: string): number | null {
  return hangupCauseCodeOf(cause);
}

/** A new call record for a call that was just answered, run by node `nodeId` (`cluster.nodeId`). */
export function newCallRecord(
  identity: CallIdentity,
  answerUrl: string,
  answeredAtMs: number,
  sipCallId: string | null,
  nodeId: string | null,
): CallRecord {
  return {
    callUuid: identity.callUuid,
    direction: identity.direction,
    from: identity.from,
    to: identity.to,
    status: 'in-progress',
    answerUrl,
    requestUuid: identity.direction === 'outbound' ? identity.requestUuid : null,
    parentCallUuid: null,
    startedAt: identity.startedAtMs,
    answeredAt: answeredAtMs,
    endedAt: null,
    hangupCause: null,
    hangupCauseCode: null,
    hangupSource: null,
    durationSec: null,
    billDurationSec: null,
    error: null,
    sipCallId,
    endedAbnormally: false,
    lastSeenAt: null,
    nodeId,
  };
}

/** The record of a stream that was just requested (status `initiated`). */
export function newStreamRecord(fork: StreamFork, callUuid: string, nowMs: number): StreamRecord {
  return streamRecordOf(fork, callUuid, {
    status: 'initiated',
    createdAt: nowMs,
    startedAt: null,
    endedAt: null,
    stopReason: null,
    error: null,
  });
}

/** One D9 validation error, as stored in the call record's `error.validation.errors`. */
export interface ValidationErrorJson {
  readonly line: number;
  readonly column: number;
  readonly code: string;
  /** Element path, e.g. `Response/Stream[1]`. */
  readonly element: string;
  /** The attribute concerned, or null. */
  readonly attribute: string | null;
  readonly detail: string;
  readonly [key: string]: JsonValue;
}

export function validationErrorsOf(issues: readonly XmlIssue[]): ValidationErrorJson[] {
  return issues.map((e) => ({
    line: e.line,
    column: e.column,
    code: e.code,
    element: e.path,
    attribute: e.attribute ?? null,
    detail: e.detail,
  }));
}

/**
 * The call record's `error`: null when nothing went wrong, else `{ messages, validation? }` where
 * `messages` are the call's errors (fetch failures, invalid XML summary, prompt failures) and
 * `validation` the structured D9 errors of the rejected document.
 */
export function callErrorJson(
  messages: readonly string[],
  validation: { readonly url: string; readonly errors: readonly ValidationErrorJson[] } | undefined,
): JsonValue {
  if (messages.length === 0 && validation === undefined) {
    return null;
  }
  return {
    messages: [...messages],
    ...(validation === undefined
      ? {}
      : { validation: { url: validation.url, errors: [...validation.errors] } }),
  };
}

export interface CallTimes {
  readonly startedAtMs: number;
  readonly answeredAtMs: number;
  readonly endedAtMs: number;
}

/** Whole seconds of the call and of its answered part (Plivo Duration / BillDuration). */
export function durationsOf(t: CallTimes): { durationSec: number; billDurationSec: number } {
  return {
    durationSec: elapsedSec(t.startedAtMs, t.endedAtMs),
    billDurationSec: elapsedSec(t.answeredAtMs, t.endedAtMs),
  };
}

/**
 * The hangup_url parameters (compatibility §9): the call's parameters with `CallStatus=completed` and
 * `Event=Hangup`, plus HangupCause, HangupCauseCode (when known), HangupSource, Duration, BillDuration,
 * StartTime, AnswerTime, EndTime (`YYYY-MM-DD HH:MM:SS+00:00`).
 */
export function hangupParams(identity: CallIdentity, hangup: LegHangup, t: CallTimes): [string, string][] {
  const params = callParams(identity, 'completed').filter(([k]) => k !== 'Event');
  const { durationSec, billDurationSec } = durationsOf(t);
  const code = hangupCauseCode(hangup.cause);
  params.push(
    ['Event', 'Hangup'],
    ['HangupCause', hangup.cause],
    ...(code === null ? [] : [['HangupCauseCode', String(code)] as [string, string]]),
    ['HangupSource', hangupSourceName(hangup)],
    ['Duration', String(durationSec)],
    ['BillDuration', String(billDurationSec)],
    ['StartTime', plivoTime(t.startedAtMs)],
    ['AnswerTime', plivoTime(t.answeredAtMs)],
    ['EndTime', plivoTime(t.endedAtMs)],
  );
  return params;
}
