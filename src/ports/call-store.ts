/**
 * Durable call and stream records (STYLE.md 5.11 Storage). Adapters: `adapters/sqlite-store`
 * (production, one node), `adapters/postgres-store` (one database shared by the nodes of a cluster:
 * docs/cluster.md), `adapters/memory-store` (unit tests). All pass the shared contract suite in
 * `test/contracts/call-store.contract.ts`.
 *
 * Every method returns a Promise, so a networked database (PostgreSQL) can implement the port. The
 * SQLite adapter stays synchronous underneath (better-sqlite3 runs each statement on the calling
 * thread and settles the Promise at once). Callers must not rely on that: a call's writes go through
 * one chain per call (`app/call-control`), so they reach the store in the order they happened and
 * never run inside a media tick. The store also holds the callback outbox (`ports/callback-outbox.ts`).
 *
 * Every time is epoch milliseconds (UTC); every duration is whole seconds. Records returned are
 * frozen snapshots: patch through `updateCall`/`updateStream`, never by mutation.
 */

import { elapsedSec } from '../protocol/plivo-time.js';
import { hangupCallbackParams } from '../protocol/plivo-hangup.js';
import { hangupCallbackId, hangupLane, type CallbackOutbox, type NewOutboxEntry } from './callback-outbox.js';

/** JSON-compatible data, as stored in `error` columns. */
export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Who placed the call, as Plivo spells it. */
export type CallDirection = 'inbound' | 'outbound';

/** Call statuses as Plivo spells them (`CallStatus`, `call_status`). */
export const CallStatuses = [
  'queued',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
  'timeout',
] as const;
export type CallStatus = (typeof CallStatuses)[number];

/** Statuses of a call that has not ended (`?status=live`). */
export const LiveCallStatuses: readonly CallStatus[] = ['queued', 'ringing', 'in-progress'];

/** True when the call has not ended. */
export function isLiveCallStatus(status: CallStatus): boolean {
  return LiveCallStatuses.includes(status);
}

/** One call, inbound or outbound. */
export interface CallRecord {
  /** RFC 4122 v4 UUID (D15); the primary key. */
  readonly callUuid: string;
  readonly direction: CallDirection;
  /** Caller number or SIP URI, as received/requested (PII: log under `pii`). */
  readonly from: string;
  /** Callee number or SIP URI (PII). */
  readonly to: string;
  readonly status: CallStatus;
  /** The URL the call's XML was (or will be) fetched from; null when none applies. */
  readonly answerUrl: string | null;
  /** `request_uuid` of the REST request that created an outbound call; null for inbound calls. */
  readonly requestUuid: string | null;
  /** The A-leg's UUID for a B-leg (Dial); null otherwise. */
  readonly parentCallUuid: string | null;
  /** When the call was created or the INVITE arrived (epoch ms). */
  readonly startedAt: number;
  /** When it was answered (epoch ms), or null. */
  readonly answeredAt: number | null;
  /** When it ended (epoch ms), or null while live. */
  readonly endedAt: number | null;
  /** Plivo hangup cause name, e.g. `Normal Hangup`, `Invalid Answer XML`, `Server Restart`; null while live. */
  readonly hangupCause: string | null;
  /** Plivo numeric hangup cause code (e.g. 4000), where known. */
  readonly hangupCauseCode: number | null;
  /** Who ended the call: `Caller`, `Callee`, `API Request`, `Answer XML`, `Error`, `Unknown`…; null while live. */
  readonly hangupSource: string | null;
  /** Whole seconds from start to end, or null when not ended or unknown. */
  readonly durationSec: number | null;
  /** Whole seconds from answer to end (0 if never answered), or null when not ended or unknown. */
  readonly billDurationSec: number | null;
  /** What went wrong: XML validation errors, answer-URL fetch failure text… (JSON); null when nothing. */
  readonly error: JsonValue;
  /** SIP Call-ID of the call's dialog, where there is one. */
  readonly sipCallId: string | null;
  /** True when the server stopped (crash, kill -9) while the call was live; see `markLiveAsAbnormal`. */
  readonly endedAbnormally: boolean;
  /**
   * The last time the server saw the call live (epoch ms), refreshed every few seconds by
   * `touchLiveCalls` while it is; null before the first refresh. After a crash it is the call's end.
   */
  readonly lastSeenAt: number | null;
  /**
   * The node that runs the call (`cluster.nodeId`), so that in a cluster a node ends only its own
   * leftovers at start and a survivor can end a dead node's calls; null for records written before
   * nodes were recorded.
   */
  readonly nodeId: string | null;
  /**
   * Where and how to tell hangup_url when the call ends, kept with the record so that a call whose
   * node stopped still gets its hangup callback: recovery (`markLiveAsAbnormal`) builds it from this
   * and the ended record. Null when the call has no hangup_url.
   */
  readonly hangupCallback: HangupCallbackTemplate | null;
}

/** The hangup callback of a call, as far as it is known before the call ends. */
export interface HangupCallbackTemplate {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** The call's own parameters (CallUUID, From, To, Direction, CallStatus…), as sent on a live hangup. */
  readonly params: readonly (readonly [string, string])[];
}

/** The fields of a call that change after insertion; `undefined` values are ignored (not cleared). */
export type CallPatch = {
  readonly [K in Exclude<keyof CallRecord, 'callUuid' | 'direction' | 'startedAt'>]?:
    CallRecord[K] | undefined;
};

/** Which side(s) of the call a stream forks (compatibility §2.2). */
export type AudioTrack = 'inbound' | 'outbound' | 'both';

/** Stream statuses (compatibility §8 [REC]): `initiated` → `in-progress` → `completed` | `failed`. */
export const StreamStatuses = ['initiated', 'in-progress', 'completed', 'failed'] as const;
export type StreamStatus = (typeof StreamStatuses)[number];

/** Statuses of a stream that has not ended. */
export const LiveStreamStatuses: readonly StreamStatus[] = ['initiated', 'in-progress'];

/** One `<Stream>` or REST-started stream (compatibility §8, the Stream object). */
export interface StreamRecord {
  /** RFC 4122 v4 UUID (D15); unique across calls. */
  readonly streamId: string;
  readonly callUuid: string;
  /** The `ws://`/`wss://` URL the audio goes to. */
  readonly serviceUrl: string;
  readonly bidirectional: boolean;
  readonly audioTrack: AudioTrack;
  /** `streamTimeout`, in seconds (default 86400). */
  readonly streamTimeoutSec: number;
  readonly statusCallbackUrl: string | null;
  readonly statusCallbackMethod: 'GET' | 'POST';
  /** E.g. `audio/x-l16;rate=8000`. */
  readonly contentType: string;
  /** The `extraHeaders` attribute as given (PII), or null. */
  readonly extraHeaders: string | null;
  readonly status: StreamStatus;
  /** When the stream was requested (epoch ms). */
  readonly createdAt: number;
  /** When the WebSocket connected and audio began (epoch ms), or null. */
  readonly startedAt: number | null;
  /** When it ended (epoch ms), or null while live. */
  readonly endedAt: number | null;
  /** Why it ended: `API request`, `Call hangup`, `Connection error`, `Stream timeout`, `Server Restart`…; or null. */
  readonly stopReason: string | null;
  /** Failure details (JSON), or null. */
  readonly error: JsonValue;
}

/** The fields of a stream that change after insertion; `undefined` values are ignored (not cleared). */
export type StreamPatch = {
  readonly [K in 'status' | 'startedAt' | 'endedAt' | 'stopReason' | 'error']?: StreamRecord[K] | undefined;
};

/** `record` with the patch's defined values applied (an `undefined` value leaves the field as it was). */
export function applyPatch<R extends object>(
  record: R,
  patch: { readonly [K in keyof R]?: R[K] | undefined },
): R {
  const next = { ...record };
  for (const key of Object.keys(patch) as (keyof R)[]) {
    const value = patch[key];
    if (value !== undefined) {
      next[key] = value;
    }
  }
  return next;
}

/** A page of records and the total matching the filter (for Plivo's `meta.total_count`). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
}

export interface PageOptions {
  /** Page size (Plivo default 20, max 20 in the API; the store allows up to 1000). */
  readonly limit: number;
  /** Records to skip. */
  readonly offset: number;
}

export interface ListCallsOptions extends PageOptions {
  /** `live`: not ended; `completed`: ended for any reason; absent: all. */
  readonly status?: 'live' | 'completed';
}

/** The hangup cause recorded by `markLiveAsAbnormal` unless another is given. */
export const SERVER_RESTART_CAUSE = 'Server Restart';

/** Its code (streamfork's own, engine/records/hangup-causes.ts: Plivo has none for a crash). */
export const SERVER_RESTART_CAUSE_CODE = 5040;

/**
 * How crash recovery ends a call left live: at the last time it was seen alive (`lastSeenAt`, or its
 * answer or start when it was never refreshed; never after `nowMs`), with durations measured to that
 * end, the given cause and code, source `Error`, and `endedAbnormally` set. Answered calls become
 * `completed`, unanswered ones `failed`. Shared by every adapter so they agree.
 */
export function abnormalCallEnd(
  call: CallRecord,
  nowMs: number,
  cause: string,
  causeCode: number | null,
): CallRecord {
  const lastKnown = call.lastSeenAt ?? call.answeredAt ?? call.startedAt;
  const endedAt = Math.min(nowMs, Math.max(lastKnown, call.startedAt));
  return {
    ...call,
    status: call.answeredAt === null ? 'failed' : 'completed',
    endedAt,
    hangupCause: cause,
    hangupCauseCode: causeCode,
    hangupSource: 'Error',
    durationSec: elapsedSec(call.startedAt, endedAt),
    billDurationSec: call.answeredAt === null ? 0 : elapsedSec(call.answeredAt, endedAt),
    endedAbnormally: true,
  };
}

/** A live stream of a call ended by {@link abnormalCallEnd}: failed, at the call's end (not before it began). */
export function abnormalStreamEnd(stream: StreamRecord, callEndedAt: number, cause: string): StreamRecord {
  return {
    ...stream,
    status: 'failed',
    endedAt: Math.max(callEndedAt, stream.startedAt ?? stream.createdAt),
    stopReason: cause,
  };
}

/** Who owns the hangup callbacks recovery writes for calls of no named node (a single node claims them at start). */
export const RECOVERED_OUTBOX_OWNER = 'recovered';

/**
 * The outbox row of the hangup callback of `ended`, a call {@link abnormalCallEnd} just ended, or
 * undefined when it has no hangup_url. Its id is {@link hangupCallbackId}, the one the live path would
 * have used, so a callback the node had already written before it stopped is not written twice (the
 * stores skip a row whose id exists) and a receiver deduplicating by `X-Streamfork-Callback-Id` sees
 * one callback. Owned by the stopped node (`nodeId`; on a single node {@link RECOVERED_OUTBOX_OWNER}),
 * so that node's normal recovery, or the survivor that takes it over, claims the row.
 */
export function abnormalHangupCallback(
  ended: CallRecord,
  nodeId: string | undefined,
  nowMs: number,
): NewOutboxEntry | undefined {
  const template = ended.hangupCallback;
  if (template === null) {
    return undefined;
  }
  const status = ended.status;
  const base = template.params.map(([k, v]) => [k, k === 'CallStatus' ? status : v] as const);
  return {
    id: hangupCallbackId(ended.callUuid),
    lane: hangupLane(ended.callUuid),
    callUuid: ended.callUuid,
    url: template.url,
    method: template.method,
    params: hangupCallbackParams(base, {
      cause: ended.hangupCause ?? SERVER_RESTART_CAUSE,
      causeCode: ended.hangupCauseCode,
      sourceName: ended.hangupSource ?? 'Error',
      startedAtMs: ended.startedAt,
      answeredAtMs: ended.answeredAt,
      endedAtMs: ended.endedAt ?? nowMs,
    }),
    owner: nodeId ?? RECOVERED_OUTBOX_OWNER,
    createdAt: nowMs,
  };
}

/** What `markLiveAsAbnormal` changed. */
export interface AbnormalEndCounts {
  readonly calls: number;
  readonly streams: number;
  /** Hangup callbacks written to the outbox for the ended calls. */
  readonly hangupCallbacks: number;
}

/**
 * Call and stream records, and the callback outbox. Methods reject with `ServerError` with an `ERR_STORAGE_*` code on failure
 * (duplicate key, unknown call, I/O).
 */
export interface CallStore extends CallbackOutbox {
  /** Adds a call; `ERR_STORAGE_DUPLICATE` if its `callUuid` exists. */
  insertCall(call: CallRecord): Promise<void>;
  /** Applies a patch; resolves to the updated record, or undefined when no such call exists. */
  updateCall(callUuid: string, patch: CallPatch): Promise<CallRecord | undefined>;
  getCall(callUuid: string): Promise<CallRecord | undefined>;
  /** Newest first (`startedAt` descending, then `callUuid`). */
  listCalls(options: ListCallsOptions): Promise<Page<CallRecord>>;

  /** Adds a stream; `ERR_STORAGE_DUPLICATE` for a known `streamId`, `ERR_STORAGE_UNKNOWN_CALL` for an unknown call. */
  insertStream(stream: StreamRecord): Promise<void>;
  /** Applies a patch; resolves to the updated record, or undefined when no such stream exists on that call. */
  updateStream(callUuid: string, streamId: string, patch: StreamPatch): Promise<StreamRecord | undefined>;
  getStream(callUuid: string, streamId: string): Promise<StreamRecord | undefined>;
  /** A call's streams, oldest first (`createdAt`, then `streamId`). */
  listStreams(callUuid: string, options: PageOptions): Promise<Page<StreamRecord>>;

  /**
   * Marks every live call as seen alive at `nowMs` (`lastSeenAt`); returns how many. One statement:
   * cheap enough to run every few seconds off the media path. With `nodeId`, only that node's calls.
   */
  touchLiveCalls(nowMs: number, nodeId?: string): Promise<number>;

  /**
   * Startup recovery after a crash: every live call is ended by {@link abnormalCallEnd} (end time =
   * its last-seen time, durations to it, `hangupCause = cause` with `causeCode`, default
   * `SERVER_RESTART_CAUSE` and its code, `endedAbnormally = true`), and every live stream (of any call)
   * by {@link abnormalStreamEnd} (`failed`, ended with its call, `stopReason = cause`). One transaction.
   * With `nodeId`, only that node's live calls and their live streams (a node restarting in a cluster,
   * or a survivor ending a dead node's calls); absent: every live call and every live stream.
   * In the same transaction, each ended call that has a `hangupCallback` gets its hangup callback in
   * the outbox ({@link abnormalHangupCallback}), owned by `nodeId` or else {@link RECOVERED_OUTBOX_OWNER},
   * unless a row with that id exists; `hangupCallbacks` counts the rows written.
   */
  markLiveAsAbnormal(
    nowMs: number,
    cause?: string,
    causeCode?: number | null,
    nodeId?: string,
  ): Promise<AbnormalEndCounts>;

  /** The backend's own consistency check; `'ok'` when healthy, else a description of the damage. */
  integrityCheck(): Promise<string>;

  /** Releases the backend. Further calls reject. Idempotent. */
  close(): Promise<void>;
}
