/**
 * Mapping between records and SQLite rows: snake_case columns, booleans as 0/1, JSON in `*_json` TEXT
 * columns (SQL NULL for a JSON null).
 */
import type {
  AudioTrack,
  CallDirection,
  CallRecord,
  CallStatus,
  HangupCallbackTemplate,
  JsonValue,
  StreamRecord,
  StreamStatus,
} from '../../ports/call-store.js';

/** A row of `calls` (schema version 6). */
export interface CallRow {
  call_uuid: string;
  direction: string;
  from_number: string;
  to_number: string;
  status: string;
  answer_url: string | null;
  request_uuid: string | null;
  parent_call_uuid: string | null;
  started_at: number;
  answered_at: number | null;
  ended_at: number | null;
  hangup_cause: string | null;
  hangup_cause_code: number | null;
  hangup_source: string | null;
  duration_sec: number | null;
  bill_duration_sec: number | null;
  error_json: string | null;
  sip_call_id: string | null;
  ended_abnormally: number;
  last_seen_at: number | null;
  node_id: string | null;
  hangup_callback_json: string | null;
}

/** A row of `streams`. */
export interface StreamRow {
  stream_id: string;
  call_uuid: string;
  service_url: string;
  bidirectional: number;
  audio_track: string;
  stream_timeout_sec: number;
  status_callback_url: string | null;
  status_callback_method: string;
  content_type: string;
  extra_headers: string | null;
  status: string;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  stop_reason: string | null;
  error_json: string | null;
}

function toJson(value: JsonValue): string | null {
  return value === null ? null : JSON.stringify(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) {
      deepFreeze(child);
    }
  }
  return value;
}

function fromJson(text: string | null): JsonValue {
  return text === null ? null : deepFreeze(JSON.parse(text) as JsonValue);
}

function hangupCallbackOf(text: string | null): HangupCallbackTemplate | null {
  return text === null ? null : deepFreeze(JSON.parse(text) as HangupCallbackTemplate);
}

export function callToRow(c: CallRecord): CallRow {
  return {
    call_uuid: c.callUuid,
    direction: c.direction,
    from_number: c.from,
    to_number: c.to,
    status: c.status,
    answer_url: c.answerUrl,
    request_uuid: c.requestUuid,
    parent_call_uuid: c.parentCallUuid,
    started_at: c.startedAt,
    answered_at: c.answeredAt,
    ended_at: c.endedAt,
    hangup_cause: c.hangupCause,
    hangup_cause_code: c.hangupCauseCode,
    hangup_source: c.hangupSource,
    duration_sec: c.durationSec,
    bill_duration_sec: c.billDurationSec,
    error_json: toJson(c.error),
    sip_call_id: c.sipCallId,
    ended_abnormally: c.endedAbnormally ? 1 : 0,
    last_seen_at: c.lastSeenAt,
    node_id: c.nodeId,
    hangup_callback_json: c.hangupCallback === null ? null : JSON.stringify(c.hangupCallback),
  };
}

export function rowToCall(r: CallRow): CallRecord {
  return Object.freeze({
    callUuid: r.call_uuid,
    direction: r.direction as CallDirection,
    from: r.from_number,
    to: r.to_number,
    status: r.status as CallStatus,
    answerUrl: r.answer_url,
    requestUuid: r.request_uuid,
    parentCallUuid: r.parent_call_uuid,
    startedAt: r.started_at,
    answeredAt: r.answered_at,
    endedAt: r.ended_at,
    hangupCause: r.hangup_cause,
    hangupCauseCode: r.hangup_cause_code,
    hangupSource: r.hangup_source,
    durationSec: r.duration_sec,
    billDurationSec: r.bill_duration_sec,
    error: fromJson(r.error_json),
    sipCallId: r.sip_call_id,
    endedAbnormally: r.ended_abnormally === 1,
    lastSeenAt: r.last_seen_at,
    nodeId: r.node_id,
    hangupCallback: hangupCallbackOf(r.hangup_callback_json),
  });
}

export function streamToRow(s: StreamRecord): StreamRow {
  return {
    stream_id: s.streamId,
    call_uuid: s.callUuid,
    service_url: s.serviceUrl,
    bidirectional: s.bidirectional ? 1 : 0,
    audio_track: s.audioTrack,
    stream_timeout_sec: s.streamTimeoutSec,
    status_callback_url: s.statusCallbackUrl,
    status_callback_method: s.statusCallbackMethod,
    content_type: s.contentType,
    extra_headers: s.extraHeaders,
    status: s.status,
    created_at: s.createdAt,
    started_at: s.startedAt,
    ended_at: s.endedAt,
    stop_reason: s.stopReason,
    error_json: toJson(s.error),
  };
}

export function rowToStream(r: StreamRow): StreamRecord {
  return Object.freeze({
    streamId: r.stream_id,
    callUuid: r.call_uuid,
    serviceUrl: r.service_url,
    bidirectional: r.bidirectional === 1,
    audioTrack: r.audio_track as AudioTrack,
    streamTimeoutSec: r.stream_timeout_sec,
    statusCallbackUrl: r.status_callback_url,
    statusCallbackMethod: r.status_callback_method === 'GET' ? 'GET' : 'POST',
    contentType: r.content_type,
    extraHeaders: r.extra_headers,
    status: r.status as StreamStatus,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    stopReason: r.stop_reason,
    error: fromJson(r.error_json),
  });
}

/** `@name` placeholders for every column of a row type, in order. */
export function columnsOf(row: object): { names: string; params: string; assignments: string } {
  const keys = Object.keys(row);
  return {
    names: keys.join(', '),
    params: keys.map((k) => `@${k}`).join(', '),
    assignments: keys.map((k) => `${k} = @${k}`).join(', '),
  };
}
