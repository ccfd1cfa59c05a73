/** Mapping between outbox entries and rows of `callback_outbox` (schema version 4; `signing` since 7). */
import type { OutboxEntry, OutboxStatus } from '../../ports/callback-outbox.js';
import { parseCallbackSigning } from '../../protocol/signature/callback-signing.js';

/** The columns written on insert (`seq` is assigned by SQLite). */
export interface OutboxInsertRow {
  id: string;
  lane: string;
  call_uuid: string | null;
  url: string;
  method: string;
  params_json: string;
  signing: string;
  owner: string;
  status: string;
  attempts: number;
  created_at: number;
  next_attempt_at: number;
  last_error: string | null;
  finished_at: number | null;
}

/** A row of `callback_outbox`. */
export interface OutboxRow extends OutboxInsertRow {
  seq: number;
}

/** The insert columns, in order (for `columnsOf`). */
export const outboxInsertColumns: OutboxInsertRow = {
  id: '',
  lane: '',
  call_uuid: null,
  url: '',
  method: '',
  params_json: '',
  signing: '',
  owner: '',
  status: '',
  attempts: 0,
  created_at: 0,
  next_attempt_at: 0,
  last_error: null,
  finished_at: null,
};

export function outboxToRow(e: OutboxEntry): OutboxInsertRow {
  return {
    id: e.id,
    lane: e.lane,
    call_uuid: e.callUuid,
    url: e.url,
    method: e.method,
    params_json: JSON.stringify(e.params),
    signing: e.signing,
    owner: e.owner,
    status: e.status,
    attempts: e.attempts,
    created_at: e.createdAt,
    next_attempt_at: e.nextAttemptAt,
    last_error: e.lastError,
    finished_at: e.finishedAt,
  };
}

export function rowToOutbox(r: OutboxRow): OutboxEntry {
  const params = (JSON.parse(r.params_json) as [string, string][]).map(([k, v]) => [k, v] as const);
  return Object.freeze({
    id: r.id,
    seq: r.seq,
    lane: r.lane,
    callUuid: r.call_uuid,
    url: r.url,
    method: r.method === 'GET' ? 'GET' : 'POST',
    params,
    signing: parseCallbackSigning(r.signing),
    owner: r.owner,
    status: r.status as OutboxStatus,
    attempts: r.attempts,
    createdAt: r.created_at,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    finishedAt: r.finished_at,
  });
}
