/**
 * The SQL of the PostgreSQL record store, built once from the row shapes shared with the SQLite store
 * (`../sqlite-store/rows.ts`): positional parameters (`$1`…) in the rows' column order.
 */
import {
  LiveCallStatuses,
  LiveStreamStatuses,
  type CallPatch,
  type CallRecord,
  type StreamPatch,
  type StreamRecord,
} from '../../ports/call-store.js';
import { outboxInsertColumns } from '../sqlite-store/outbox-rows.js';
import { callToRow, streamToRow, type CallRow, type StreamRow } from '../sqlite-store/rows.js';

const liveCalls = LiveCallStatuses.map((s) => `'${s}'`).join(', ');
const liveStreams = LiveStreamStatuses.map((s) => `'${s}'`).join(', ');

/** `INSERT INTO table (a, b) VALUES ($1, $2)` for the keys of `row`, in order. */
function insertOf(table: string, row: object): string {
  const keys = Object.keys(row);
  return `INSERT INTO ${table} (${keys.join(', ')}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(', ')})`;
}

/** A record with every field present (values unused), so the row mappers yield every column. */
const anyCall = callToRow({} as CallRecord);
const anyStream = streamToRow({} as StreamRecord);

/** The column of each field a patch may change. */
const CALL_COLUMN: Readonly<Record<keyof CallPatch, keyof CallRow>> = {
  from: 'from_number',
  to: 'to_number',
  status: 'status',
  answerUrl: 'answer_url',
  requestUuid: 'request_uuid',
  parentCallUuid: 'parent_call_uuid',
  answeredAt: 'answered_at',
  endedAt: 'ended_at',
  hangupCause: 'hangup_cause',
  hangupCauseCode: 'hangup_cause_code',
  hangupSource: 'hangup_source',
  durationSec: 'duration_sec',
  billDurationSec: 'bill_duration_sec',
  error: 'error_json',
  sipCallId: 'sip_call_id',
  endedAbnormally: 'ended_abnormally',
  lastSeenAt: 'last_seen_at',
  nodeId: 'node_id',
  hangupCallback: 'hangup_callback_json',
};
const STREAM_COLUMN: Readonly<Record<keyof StreamPatch, keyof StreamRow>> = {
  status: 'status',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  stopReason: 'stop_reason',
  error: 'error_json',
};

export const sql = {
  insertCall: insertOf('calls', anyCall),
  insertStream: insertOf('streams', anyStream),
  insertOutbox: `${insertOf('callback_outbox', outboxInsertColumns)} RETURNING seq`,
  /** Recovery's hangup callbacks: a row whose id exists (the live path wrote it) is left as it is. */
  insertOutboxIfAbsent: `${insertOf('callback_outbox', outboxInsertColumns)} ON CONFLICT (id) DO NOTHING RETURNING seq`,
  getCall: 'SELECT * FROM calls WHERE call_uuid = $1',
  getStream: 'SELECT * FROM streams WHERE call_uuid = $1 AND stream_id = $2',
  /** One statement: the page (possibly empty: then one row of NULLs) and the total, from one snapshot. */
  listCalls: (where: string) => `
    WITH f AS (SELECT * FROM calls ${where})
    SELECT (SELECT count(*) FROM f) AS total, p.*
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (SELECT * FROM f ORDER BY started_at DESC, call_uuid LIMIT $1 OFFSET $2) AS p ON true`,
  listStreams: `
    WITH f AS (SELECT * FROM streams WHERE call_uuid = $1)
    SELECT (SELECT count(*) FROM f) AS total, p.*
    FROM (SELECT 1) AS one
    LEFT JOIN LATERAL (SELECT * FROM f ORDER BY created_at, stream_id LIMIT $2 OFFSET $3) AS p ON true`,
  callFilters: {
    all: '',
    live: `WHERE status IN (${liveCalls})`,
    completed: `WHERE status NOT IN (${liveCalls})`,
  },
  touchLive: `UPDATE calls SET last_seen_at = $1 WHERE status IN (${liveCalls}) AND ($2::text IS NULL OR node_id = $2)`,
  /** Locks the live calls (of node $1, or all when NULL) for the recovery transaction. */
  lockLiveCalls: `SELECT * FROM calls WHERE status IN (${liveCalls}) AND ($1::text IS NULL OR node_id = $1) FOR UPDATE`,
  lockLiveStreams: `
    SELECT s.*, c.ended_at AS call_ended_at FROM streams s JOIN calls c ON c.call_uuid = s.call_uuid
    WHERE s.status IN (${liveStreams}) AND ($1::text IS NULL OR c.node_id = $1)
    FOR UPDATE OF s`,
  /**
   * The claim, in one statement: pending rows of other owners (or of `$2` only), due by `$3` when
   * given, locked with SKIP LOCKED so two nodes claiming at once never take the same row, re-owned.
   */
  claimOutbox: `
    WITH picked AS (
      SELECT seq FROM callback_outbox
      WHERE status = 'pending'
        AND (CASE WHEN $2::text IS NULL THEN owner <> $1 ELSE owner = $2 END)
        AND ($3::bigint IS NULL OR next_attempt_at <= $3)
      ORDER BY seq
      LIMIT $4
      FOR UPDATE SKIP LOCKED
    )
    UPDATE callback_outbox o SET owner = $1 FROM picked WHERE o.seq = picked.seq RETURNING o.*`,
  pendingOutbox: "SELECT * FROM callback_outbox WHERE status = 'pending' ORDER BY seq LIMIT $1",
  getOutbox: 'SELECT * FROM callback_outbox WHERE id = $1',
  pruneOutbox: "DELETE FROM callback_outbox WHERE status <> 'pending' AND finished_at < $1",
  failOutbox: `UPDATE callback_outbox SET attempts = $1, next_attempt_at = $2, last_error = $3
    WHERE id = $4 AND status = 'pending'`,
  finishOutbox: `UPDATE callback_outbox SET status = $1, attempts = $2, finished_at = $3, last_error = coalesce($4, last_error)
    WHERE id = $5 AND status = 'pending'`,
} as const;

/** A parameterised statement. */
export interface Query {
  readonly text: string;
  readonly values: unknown[];
}

/**
 * `UPDATE table SET <the patch's defined fields> WHERE <keys> RETURNING *`: one round trip, atomic;
 * undefined for a patch that changes nothing. `row` is the patch mapped by the shared row mapper
 * (only the patched columns of it are read).
 */
function patchUpdate(
  table: string,
  keys: readonly (readonly [string, string])[],
  patch: object,
  row: object,
  columnOf: (field: string) => string,
): Query | undefined {
  const values: unknown[] = keys.map(([, v]) => v);
  const sets: string[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value !== undefined) {
      const column = columnOf(field);
      values.push((row as Record<string, unknown>)[column]);
      sets.push(`${column} = $${values.length}`);
    }
  }
  if (sets.length === 0) {
    return undefined;
  }
  const where = keys.map(([k], i) => `${k} = $${i + 1}`).join(' AND ');
  return { text: `UPDATE ${table} SET ${sets.join(', ')} WHERE ${where} RETURNING *`, values };
}

/** The UPDATE of a call patch, or undefined when it changes nothing. */
export function callPatchUpdate(callUuid: string, patch: CallPatch): Query | undefined {
  return patchUpdate(
    'calls',
    [['call_uuid', callUuid]],
    patch,
    callToRow(patch as CallRecord),
    (f) => CALL_COLUMN[f as keyof CallPatch],
  );
}

/** The UPDATE of a stream patch, or undefined when it changes nothing. */
export function streamPatchUpdate(callUuid: string, streamId: string, patch: StreamPatch): Query | undefined {
  return patchUpdate(
    'streams',
    [
      ['call_uuid', callUuid],
      ['stream_id', streamId],
    ],
    patch,
    streamToRow(patch as StreamRecord),
    (f) => STREAM_COLUMN[f as keyof StreamPatch],
  );
}
