/**
 * Pure helpers of the record projector and call control: the call and stream records, the hangup_url
 * parameters, and the error JSON of a call record.
 */
import type { LegHangup } from '../../engine/call/media-leg.types.js';
import type {
  CallErrorEvent,
  CallStartedEvent,
  StreamStartedEvent,
} from '../../engine/events/call-events.js';
import { callParams, type CallIdentity } from '../../engine/interpreter/call-params.js';
import { hangupCauseCodeOf, hangupSourceName } from '../../engine/records/hangup-causes.js';
import { hangupCallbackParams } from '../../protocol/plivo-hangup.js';
import { elapsedSec } from '../../protocol/plivo-time.js';
import { streamRecordOf } from '../../engine/records/stream-record.js';
import type { CallRecord, HangupCallbackTemplate, JsonValue, StreamRecord } from '../../ports/call-store.js';
import type { XmlIssue } from '../../protocol/plivo-xml/types.js';

/** The numeric code of a cause (engine/records/hangup-causes.ts), or null for an unknown one. */
export function hangupCauseCode(cause: string): number | null {
  return hangupCauseCodeOf(cause);
}

/** The new record of a call (`call.started`): `in-progress` when answered, else `queued`. */
export function newCallRecord(started: CallStartedEvent, answeredAtMs: number | null): CallRecord {
  return {
    callUuid: started.callUuid,
    direction: started.direction,
    from: started.from,
    to: started.to,
    // An inbound call not answered yet is in early media (`<PreAnswer>`): ringing until the 200.
    status: answeredAtMs !== null ? 'in-progress' : started.direction === 'inbound' ? 'ringing' : 'queued',
    answerUrl: started.answerUrl,
    requestUuid: started.requestUuid,
    parentCallUuid: null,
    startedAt: started.startedAtMs,
    answeredAt: answeredAtMs,
    endedAt: null,
    hangupCause: null,
    hangupCauseCode: null,
    hangupSource: null,
    durationSec: null,
    billDurationSec: null,
    error: null,
    sipCallId: started.sipCallId,
    endedAbnormally: false,
    lastSeenAt: null,
    nodeId: started.nodeId,
    hangupCallback: started.hangupCallback,
  };
}

/** The record of a stream that was just requested (status `initiated`). */
export function newStreamRecord(started: StreamStartedEvent): StreamRecord {
  return streamRecordOf(started, started.callUuid, {
    status: 'initiated',
    createdAt: started.atMs,
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
 * The call record's `error`, built from the call's `call.error` events: null when nothing went wrong,
 * else `{ messages, validation? }` where `messages` are the events' messages (fetch failures, invalid
 * XML summary, prompt failures), oldest first, and `validation` the structured D9 errors of the last
 * rejected document.
 */
export function callErrorJson(errors: readonly CallErrorEvent[]): JsonValue {
  if (errors.length === 0) {
    return null;
  }
  let validation: JsonValue | undefined;
  for (const e of errors) {
    if (e.issues !== undefined) {
      validation = { url: e.url ?? '', errors: validationErrorsOf(e.issues) };
    }
  }
  return {
    messages: errors.map((e) => e.message),
    ...(validation === undefined ? {} : { validation }),
  };
}

export interface CallTimes {
  readonly startedAtMs: number;
  /** Null for a call that was never answered (it ended in early media). */
  readonly answeredAtMs: number | null;
  readonly endedAtMs: number;
}

/** Whole seconds of the call and of its answered part (Plivo Duration / BillDuration). */
export function durationsOf(t: CallTimes): { durationSec: number; billDurationSec: number } {
  return {
    durationSec: elapsedSec(t.startedAtMs, t.endedAtMs),
    billDurationSec: t.answeredAtMs === null ? 0 : elapsedSec(t.answeredAtMs, t.endedAtMs),
  };
}

/**
 * The hangup_url parameters (compatibility §9): the call's parameters with `CallStatus=completed` and
 * `Event=Hangup`, plus HangupCause, HangupCauseCode (when known), HangupSource, Duration, BillDuration,
 * StartTime, AnswerTime, EndTime (`YYYY-MM-DD HH:MM:SS+00:00`).
 */
export function hangupParams(identity: CallIdentity, hangup: LegHangup, t: CallTimes): [string, string][] {
  return hangupCallbackParams(callParams(identity, 'completed'), {
    cause: hangup.cause,
    causeCode: hangupCauseCode(hangup.cause),
    sourceName: hangupSourceName(hangup.source),
    ...t,
  });
}

/**
 * What the call's record keeps of its hangup callback (`hangupCallback`): the URL, the method and the
 * call's parameters, so that recovery can tell hangup_url about a call whose node stopped. Null
 * without a URL.
 */
export function hangupCallbackTemplate(
  identity: CallIdentity,
  url: string | null | undefined,
  method: 'GET' | 'POST' | undefined,
): HangupCallbackTemplate | null {
  if (url === undefined || url === null || url === '') {
    return null;
  }
  const params = callParams(identity, 'completed').filter(([k]) => k !== 'Event');
  return { url, method: method ?? 'POST', params };
}
