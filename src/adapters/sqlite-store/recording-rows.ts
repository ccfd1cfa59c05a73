/**
 * The `recordings` table shared by the SQLite and PostgreSQL recording stores: its columns, and the
 * mapping between rows and `RecordingRecord`s (times epoch ms, durations ms, sizes bytes).
 */
import type { RecordingPatch, RecordingRecord } from '../../ports/recording-store.js';

export interface RecordingRow {
  recording_id: string;
  call_uuid: string;
  format: string;
  channels: number;
  source: string;
  state: string;
  failure_reason: string | null;
  started_at: number;
  ended_at: number | null;
  duration_ms: number | null;
  size_bytes: number | null;
}

/** The table, in SQL both databases read (BIGINT is INTEGER to SQLite). */
export const RECORDINGS_TABLE_SQL = `
  CREATE TABLE IF NOT EXISTS recordings (
    recording_id TEXT PRIMARY KEY,
    call_uuid TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('wav')),
    channels INTEGER NOT NULL CHECK (channels IN (1, 2)),
    source TEXT NOT NULL CHECK (source IN ('api', 'xml', 'session')),
    state TEXT NOT NULL CHECK (state IN ('recording', 'completed', 'failed')),
    failure_reason TEXT,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    duration_ms BIGINT,
    size_bytes BIGINT
  );
  CREATE INDEX IF NOT EXISTS recordings_by_start ON recordings (started_at DESC, recording_id);
  CREATE INDEX IF NOT EXISTS recordings_by_call ON recordings (call_uuid, started_at DESC);
`;

export const RECORDING_COLUMNS = [
  'recording_id',
  'call_uuid',
  'format',
  'channels',
  'source',
  'state',
  'failure_reason',
  'started_at',
  'ended_at',
  'duration_ms',
  'size_bytes',
] as const;

export function recordingToRow(r: RecordingRecord): RecordingRow {
  return {
    recording_id: r.recordingId,
    call_uuid: r.callUuid,
    format: r.format,
    channels: r.channels,
    source: r.source,
    state: r.state,
    failure_reason: r.failureReason,
    started_at: r.startedAt,
    ended_at: r.endedAt,
    duration_ms: r.durationMs,
    size_bytes: r.sizeBytes,
  };
}

export function rowToRecording(row: RecordingRow): RecordingRecord {
  return Object.freeze({
    recordingId: row.recording_id,
    callUuid: row.call_uuid,
    format: 'wav',
    channels: row.channels === 2 ? 2 : 1,
    source: row.source as RecordingRecord['source'],
    state: row.state as RecordingRecord['state'],
    failureReason: row.failure_reason,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    sizeBytes: row.size_bytes,
  });
}

/** The patch's defined fields as column → value. */
export function recordingPatchColumns(patch: RecordingPatch): [string, string | number | null][] {
  const out: [string, string | number | null][] = [];
  const add = (column: string, v: string | number | null | undefined): void => {
    if (v !== undefined) {
      out.push([column, v]);
    }
  };
  add('state', patch.state);
  add('failure_reason', patch.failureReason);
  add('ended_at', patch.endedAt);
  add('duration_ms', patch.durationMs);
  add('size_bytes', patch.sizeBytes);
  return out;
}

/** WHERE clause (without the keyword; `1=1` when no filter) with `?`-style placeholders and its values. */
export function recordingFilterSql(options: {
  readonly callUuid?: string;
  readonly state?: string;
  readonly startedAfter?: number;
  readonly startedAtOrAfter?: number;
  readonly startedBefore?: number;
  readonly startedAtOrBefore?: number;
}): { where: string; values: (string | number)[] } {
  const parts: string[] = [];
  const values: (string | number)[] = [];
  const add = (cond: string, v: string | number | undefined): void => {
    if (v !== undefined) {
      parts.push(cond);
      values.push(v);
    }
  };
  add('call_uuid = ?', options.callUuid);
  add('state = ?', options.state);
  add('started_at > ?', options.startedAfter);
  add('started_at >= ?', options.startedAtOrAfter);
  add('started_at < ?', options.startedBefore);
  add('started_at <= ?', options.startedAtOrBefore);
  return { where: parts.length === 0 ? '1=1' : parts.join(' AND '), values };
}
