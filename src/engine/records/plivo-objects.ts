/**
 * Records → Plivo REST JSON shapes (pure; no I/O, no clock: "now" is a parameter).
 *
 * - `toPlivoStream`: the Stream object of GET `/Call/{uuid}/Stream/[{id}/]` (compatibility §8).
 * - `toPlivoCall`: the call detail record of GET `/Call/{uuid}/` for an ended call, plus our `error`.
 * - `toPlivoLiveCall`: GET `/Call/{uuid}/?status=live` for a call still up.
 * - `toPlivoListMeta`: the `meta` of list answers, with both `total_count` and `count` (D13).
 *
 * `api_id` is added by the API layer. Amounts are always `"0.00000"` (a self-hosted server bills
 * nothing) and every time is UTC (`+00:00`).
 */
import type { CallRecord, JsonValue, StreamRecord } from '../../ports/call-store.js';

/** Billing interval used for `rounded_bill_duration` / `billed_duration`, in seconds (Plivo: 60). */
export const BILLING_INTERVAL_SEC = 60;

/** The amount every price field carries. */
export const ZERO_AMOUNT = '0.00000';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function utcParts(epochMs: number): { date: string; time: string; micros: string } {
  const d = new Date(epochMs);
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    micros: pad(d.getUTCMilliseconds() * 1000, 6),
  };
}

/** `YYYY-MM-DD HH:MM:SS+00:00` (Plivo `start_time`, `end_time`, `answer_time`…). */
export function plivoTime(epochMs: number): string {
  const p = utcParts(epochMs);
  return `${p.date} ${p.time}+00:00`;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff+00:00` (Plivo `created_at`). */
export function plivoTimeMicros(epochMs: number): string {
  const p = utcParts(epochMs);
  return `${p.date} ${p.time}.${p.micros}+00:00`;
}

/** `YYYY-MM-DD HH:MM:SS.ffffff`, no offset (Plivo `session_start`). */
export function plivoSessionTime(epochMs: number): string {
  const p = utcParts(epochMs);
  return `${p.date} ${p.time}.${p.micros}`;
}

function maybeTime(epochMs: number | null): string | null {
  return epochMs === null ? null : plivoTime(epochMs);
}

/** Whole seconds, rounded up, between two instants (0 when `endMs` is not after `startMs`). */
export function elapsedSec(startMs: number, endMs: number): number {
  return Math.max(0, Math.ceil((endMs - startMs) / 1000));
}

/** Seconds rounded up to the billing interval (0 stays 0). */
export function roundToBillingInterval(sec: number): number {
  return Math.ceil(sec / BILLING_INTERVAL_SEC) * BILLING_INTERVAL_SEC;
}

/** `/v1/Account/{auth_id}/Call/{call_uuid}/`. */
export function callResourceUri(authId: string, callUuid: string): string {
  return `/v1/Account/${authId}/Call/${callUuid}/`;
}

/** `/v1/Account/{auth_id}/Call/{call_uuid}/Stream/{stream_id}/`. */
export function streamResourceUri(authId: string, callUuid: string, streamId: string): string {
  return `${callResourceUri(authId, callUuid)}Stream/${streamId}/`;
}

/** The Stream object of compatibility §8 (snake_case, as the SDK models read it). */
export interface PlivoStreamObject {
  readonly audio_track: string;
  readonly bidirectional: boolean;
  /** Seconds streamed so far (live) or in total (ended); 0 before the stream started. */
  readonly bill_duration: number;
  readonly billed_amount: string;
  readonly call_uuid: string;
  readonly created_at: string;
  readonly end_time: string | null;
  readonly plivo_auth_id: string;
  readonly resource_uri: string;
  readonly rounded_bill_duration: number;
  readonly service_url: string;
  readonly start_time: string | null;
  readonly status: string;
  /** `""` when no callback URL was given (as in Plivo's examples). */
  readonly status_callback_url: string;
  readonly stream_id: string;
}

/** Formats a stream; `nowMs` measures the duration of a stream still running. */
export function toPlivoStream(
  stream: StreamRecord,
  ctx: { readonly authId: string; readonly nowMs: number },
): PlivoStreamObject {
  const billSec = stream.startedAt === null ? 0 : elapsedSec(stream.startedAt, stream.endedAt ?? ctx.nowMs);
  return {
    audio_track: stream.audioTrack,
    bidirectional: stream.bidirectional,
    bill_duration: billSec,
    billed_amount: ZERO_AMOUNT,
    call_uuid: stream.callUuid,
    created_at: plivoTimeMicros(stream.createdAt),
    end_time: maybeTime(stream.endedAt),
    plivo_auth_id: ctx.authId,
    resource_uri: streamResourceUri(ctx.authId, stream.callUuid, stream.streamId),
    rounded_bill_duration: roundToBillingInterval(billSec),
    service_url: stream.serviceUrl,
    start_time: maybeTime(stream.startedAt),
    status: stream.status,
    status_callback_url: stream.statusCallbackUrl ?? '',
    stream_id: stream.streamId,
  };
}

/** The call detail record of GET Call, with our `error` extension. */
export interface PlivoCallObject {
  readonly answer_time: string | null;
  readonly bill_duration: number;
  readonly billed_duration: number;
  readonly call_direction: string;
  readonly call_duration: number;
  readonly call_status: string;
  readonly call_uuid: string;
  readonly conference_uuid: null;
  readonly end_time: string | null;
  readonly from_number: string;
  readonly hangup_cause_code: number | null;
  readonly hangup_cause_name: string | null;
  readonly hangup_source: string | null;
  readonly initiation_time: string;
  readonly parent_call_uuid: string | null;
  readonly request_uuid: string | null;
  readonly resource_uri: string;
  readonly stir_verification: string;
  readonly to_number: string;
  readonly total_amount: string;
  readonly total_rate: string;
  /** streamfork extension: why the call failed (XML validation errors, fetch failure), or null. */
  readonly error: JsonValue;
  /**
   * streamfork extension: true when the server stopped (crash, kill -9) while the call was live; its
   * `end_time` is then the last time the server saw it alive, and its cause `Server Restart`.
   */
  readonly ended_abnormally: boolean;
}

/**
 * Formats a call record as Plivo's call detail record. Durations the record lacks (a live call, or one
 * ended by a crash) are measured from its times, with `nowMs` standing in for a missing end.
 */
export function toPlivoCall(
  call: CallRecord,
  ctx: { readonly authId: string; readonly nowMs: number },
): PlivoCallObject {
  const endMs = call.endedAt ?? ctx.nowMs;
  const durationSec = call.durationSec ?? elapsedSec(call.startedAt, endMs);
  const billSec = call.billDurationSec ?? (call.answeredAt === null ? 0 : elapsedSec(call.answeredAt, endMs));
  return {
    answer_time: maybeTime(call.answeredAt),
    bill_duration: billSec,
    billed_duration: roundToBillingInterval(billSec),
    call_direction: call.direction,
    call_duration: durationSec,
    call_status: call.status,
    call_uuid: call.callUuid,
    conference_uuid: null,
    end_time: maybeTime(call.endedAt),
    from_number: call.from,
    hangup_cause_code: call.hangupCauseCode,
    hangup_cause_name: call.hangupCause,
    hangup_source: call.hangupSource,
    initiation_time: plivoTime(call.startedAt),
    parent_call_uuid: call.parentCallUuid,
    request_uuid: call.requestUuid,
    resource_uri: callResourceUri(ctx.authId, call.callUuid),
    stir_verification: 'Not Applicable',
    to_number: call.to,
    total_amount: ZERO_AMOUNT,
    total_rate: ZERO_AMOUNT,
    error: call.error,
    ended_abnormally: call.endedAbnormally,
  };
}

/** GET Call `?status=live`: the shape Plivo gives for a call that is still up. */
export interface PlivoLiveCallObject {
  readonly call_status: string;
  readonly call_uuid: string;
  readonly caller_name: string;
  readonly direction: string;
  readonly from: string;
  readonly parent_call_uuid: string | null;
  readonly request_uuid: string | null;
  readonly session_start: string;
  readonly stir_verification: string;
  readonly to: string;
}

export function toPlivoLiveCall(call: CallRecord): PlivoLiveCallObject {
  return {
    call_status: call.status,
    call_uuid: call.callUuid,
    caller_name: '',
    direction: call.direction,
    from: call.from,
    parent_call_uuid: call.parentCallUuid,
    request_uuid: call.requestUuid,
    session_start: plivoSessionTime(call.startedAt),
    stir_verification: 'Not Applicable',
    to: call.to,
  };
}

/** `meta` of a list answer. */
export interface PlivoListMeta {
  readonly count: number;
  readonly total_count: number;
  readonly limit: number;
  readonly offset: number;
  readonly next: string | null;
  readonly previous: string | null;
}

/** Builds `meta` for a page; `path` is the list's resource path (e.g. the Stream list URI). */
export function toPlivoListMeta(page: {
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly path: string;
}): PlivoListMeta {
  const link = (offset: number): string => `${page.path}?limit=${page.limit}&offset=${offset}`;
  const hasNext = page.limit > 0 && page.offset + page.limit < page.total;
  return {
    count: page.total,
    total_count: page.total,
    limit: page.limit,
    offset: page.offset,
    next: hasNext ? link(page.offset + page.limit) : null,
    previous: page.offset > 0 ? link(Math.max(0, page.offset - page.limit)) : null,
  };
}
