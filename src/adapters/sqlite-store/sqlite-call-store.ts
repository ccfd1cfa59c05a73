/**
 * The production `CallStore`: one SQLite file through better-sqlite3 (synchronous, prepared
 * statements, WAL journal).
 *
 * Durability. The requirement is that committed records survive the process being killed (kill -9,
 * OOM, a crash). WAL with `synchronous=NORMAL` meets it: a commit has been appended to the `-wal` file
 * with write(2) before `run()` returns, so the kernel holds it even if the process dies the next
 * instant, and the next open replays it. What NORMAL gives up is only the fsync per commit: after a
 * power loss or kernel panic the last few transactions since the previous checkpoint may be rolled
 * back (the database is never corrupted). Records are operational history, so that trade buys roughly
 * an order of magnitude more commits per second. Pass `synchronous: 'full'` to fsync every commit
 * when records must survive power loss too.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';

import { ServerError } from '../../errors/server-error.js';
import {
  abnormalCallEnd,
  abnormalHangupCallback,
  abnormalStreamEnd,
  applyPatch,
  LiveCallStatuses,
  LiveStreamStatuses,
  SERVER_RESTART_CAUSE,
  SERVER_RESTART_CAUSE_CODE,
  type AbnormalEndCounts,
  type CallPatch,
  type CallRecord,
  type CallStore,
  type ListCallsOptions,
  type Page,
  type PageOptions,
  type StreamPatch,
  type StreamRecord,
} from '../../ports/call-store.js';
import {
  isClaimable,
  newOutboxRow,
  type ClaimOptions,
  type NewOutboxEntry,
  type OutboxEntry,
} from '../../ports/callback-outbox.js';
import { migrate } from './migrations.js';
import {
  outboxInsertColumns,
  outboxToRow,
  rowToOutbox,
  type OutboxInsertRow,
  type OutboxRow,
} from './outbox-rows.js';
import {
  callToRow,
  columnsOf,
  rowToCall,
  rowToStream,
  streamToRow,
  type CallRow,
  type StreamRow,
} from './rows.js';

/** File name of the database inside `storage.dataDir`. */
export const DATABASE_FILE_NAME = 'streamfork.sqlite';

export interface SqliteCallStoreOptions {
  /** Database file path, or `':memory:'`. Its directory must exist (see `openSqliteCallStoreIn`). */
  readonly path: string;
  /** `normal` (default; survives kill -9) or `full` (also survives power loss; fsync per commit). */
  readonly synchronous?: 'normal' | 'full';
  /** How long a write waits for another connection's lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

const liveCalls = LiveCallStatuses.map((s) => `'${s}'`).join(', ');
const liveStreams = LiveStreamStatuses.map((s) => `'${s}'`).join(', ');

/** A TypeError for a bad page, else undefined. */
function pageError(options: PageOptions): TypeError | undefined {
  if (
    !Number.isInteger(options.limit) ||
    options.limit < 0 ||
    !Number.isInteger(options.offset) ||
    options.offset < 0
  ) {
    return new TypeError(`invalid page: limit ${options.limit}, offset ${options.offset}`);
  }
  return undefined;
}

function storageError(err: unknown, what: string): ServerError {
  if (err instanceof ServerError) {
    return err;
  }
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new ServerError('ERR_STORAGE_DUPLICATE', `${what} already exists`, { cause: err });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new ServerError('ERR_STORAGE_UNKNOWN_CALL', `${what} refers to an unknown call`, { cause: err });
  }
  return new ServerError('ERR_STORAGE_IO', `${what}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}

interface Statements {
  insertCall: Statement<[CallRow]>;
  updateCall: Statement<[CallRow]>;
  getCall: Statement<[string], CallRow>;
  insertStream: Statement<[StreamRow]>;
  updateStream: Statement<[StreamRow]>;
  getStream: Statement<[string, string], StreamRow>;
  listStreams: Statement<[string, number, number], StreamRow>;
  countStreams: Statement<[string], { n: number }>;
  listCalls: Record<'all' | 'live' | 'completed', Statement<[number, number], CallRow>>;
  countCalls: Record<'all' | 'live' | 'completed', Statement<[], { n: number }>>;
  touchLive: Statement<[number]>;
  touchLiveOf: Statement<[number, string]>;
  liveCalls: Statement<[], CallRow>;
  liveCallsOf: Statement<[string], CallRow>;
  liveStreams: Statement<[], StreamRow>;
  liveStreamsOf: Statement<[string], StreamRow>;
  insertOutbox: Statement<[OutboxInsertRow], { seq: number }>;
  insertOutboxIfAbsent: Statement<[OutboxInsertRow]>;
  pendingOutbox: Statement<[number], OutboxRow>;
  getOutbox: Statement<[string], OutboxRow>;
  claimOutbox: Statement<[string, number]>;
  failOutbox: Statement<[number, number, string, string]>;
  finishOutbox: Statement<[string, number, number, string | null, string]>;
  pruneOutbox: Statement<[number]>;
}

function prepareAll(db: Database): Statements {
  const call = columnsOf(callToRow({} as CallRecord));
  const stream = columnsOf(streamToRow({} as StreamRecord));
  const outbox = columnsOf(outboxInsertColumns);
  const where = {
    all: '',
    live: `WHERE status IN (${liveCalls})`,
    completed: `WHERE status NOT IN (${liveCalls})`,
  };
  const list = (w: string) =>
    db.prepare<[number, number], CallRow>(
      `SELECT * FROM calls ${w} ORDER BY started_at DESC, call_uuid LIMIT ? OFFSET ?`,
    );
  const count = (w: string) => db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM calls ${w}`);
  return {
    insertCall: db.prepare(`INSERT INTO calls (${call.names}) VALUES (${call.params})`),
    updateCall: db.prepare(`UPDATE calls SET ${call.assignments} WHERE call_uuid = @call_uuid`),
    getCall: db.prepare('SELECT * FROM calls WHERE call_uuid = ?'),
    insertStream: db.prepare(`INSERT INTO streams (${stream.names}) VALUES (${stream.params})`),
    updateStream: db.prepare(`UPDATE streams SET ${stream.assignments} WHERE stream_id = @stream_id`),
    getStream: db.prepare('SELECT * FROM streams WHERE call_uuid = ? AND stream_id = ?'),
    listStreams: db.prepare(
      'SELECT * FROM streams WHERE call_uuid = ? ORDER BY created_at, stream_id LIMIT ? OFFSET ?',
    ),
    countStreams: db.prepare('SELECT COUNT(*) AS n FROM streams WHERE call_uuid = ?'),
    listCalls: { all: list(where.all), live: list(where.live), completed: list(where.completed) },
    countCalls: { all: count(where.all), live: count(where.live), completed: count(where.completed) },
    touchLive: db.prepare(`UPDATE calls SET last_seen_at = ? WHERE status IN (${liveCalls})`),
    touchLiveOf: db.prepare(
      `UPDATE calls SET last_seen_at = ? WHERE status IN (${liveCalls}) AND node_id = ?`,
    ),
    liveCalls: db.prepare(`SELECT * FROM calls WHERE status IN (${liveCalls})`),
    liveCallsOf: db.prepare(`SELECT * FROM calls WHERE status IN (${liveCalls}) AND node_id = ?`),
    liveStreams: db.prepare(`SELECT * FROM streams WHERE status IN (${liveStreams})`),
    liveStreamsOf: db.prepare(
      `SELECT s.* FROM streams s JOIN calls c ON c.call_uuid = s.call_uuid
       WHERE s.status IN (${liveStreams}) AND c.node_id = ?`,
    ),
    insertOutbox: db.prepare(
      `INSERT INTO callback_outbox (${outbox.names}) VALUES (${outbox.params}) RETURNING seq`,
    ),
    insertOutboxIfAbsent: db.prepare(
      `INSERT INTO callback_outbox (${outbox.names}) VALUES (${outbox.params}) ON CONFLICT (id) DO NOTHING`,
    ),
    pendingOutbox: db.prepare(`SELECT * FROM callback_outbox WHERE status = 'pending' ORDER BY seq LIMIT ?`),
    getOutbox: db.prepare('SELECT * FROM callback_outbox WHERE id = ?'),
    pruneOutbox: db.prepare(`DELETE FROM callback_outbox WHERE status != 'pending' AND finished_at < ?`),
    claimOutbox: db.prepare('UPDATE callback_outbox SET owner = ? WHERE seq = ?'),
    failOutbox: db.prepare(
      `UPDATE callback_outbox SET attempts = ?, next_attempt_at = ?, last_error = ?
       WHERE id = ? AND status = 'pending'`,
    ),
    finishOutbox: db.prepare(
      `UPDATE callback_outbox SET status = ?, attempts = ?, finished_at = ?, last_error = coalesce(?, last_error)
       WHERE id = ? AND status = 'pending'`,
    ),
  };
}

/** See the module comment. */
export class SqliteCallStore implements CallStore {
  readonly #db: Database;
  readonly #st: Statements;

  constructor(options: SqliteCallStoreOptions) {
    this.#db = new BetterSqlite3(options.path);
    try {
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.#db.pragma('foreign_keys = ON');
      this.#db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
      migrate(this.#db);
      this.#st = prepareAll(this.#db);
    } catch (err) {
      this.#db.close();
      throw storageError(err, `opening ${options.path}`);
    }
  }

  /** The underlying connection, for tests and diagnostics only. */
  get databaseForTesting(): Database {
    return this.#db;
  }

  /**
   * Runs one synchronous better-sqlite3 operation now and settles the port's Promise with it: the
   * result, or the failure as a `ServerError` rejection (never a synchronous throw).
   */
  #guard<T>(what: string, fn: () => T): Promise<T> {
    if (!this.#db.open) {
      return Promise.reject(new ServerError('ERR_STORAGE_CLOSED'));
    }
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(storageError(err, what));
    }
  }

  insertCall(call: CallRecord): Promise<void> {
    return this.#guard(`call ${call.callUuid}`, () => {
      this.#st.insertCall.run(callToRow(call));
    });
  }

  updateCall(callUuid: string, patch: CallPatch): Promise<CallRecord | undefined> {
    return this.#guard(`call ${callUuid}`, () =>
      this.#db.transaction(() => {
        const row = this.#st.getCall.get(callUuid);
        if (row === undefined) {
          return undefined;
        }
        const next = applyPatch(rowToCall(row), patch);
        this.#st.updateCall.run(callToRow(next));
        return Object.freeze(next);
      })(),
    );
  }

  getCall(callUuid: string): Promise<CallRecord | undefined> {
    return this.#guard(`call ${callUuid}`, () => {
      const row = this.#st.getCall.get(callUuid);
      return row === undefined ? undefined : rowToCall(row);
    });
  }

  listCalls(options: ListCallsOptions): Promise<Page<CallRecord>> {
    const bad = pageError(options);
    if (bad !== undefined) {
      return Promise.reject(bad);
    }
    const which = options.status ?? 'all';
    return this.#guard('calls', () =>
      this.#db.transaction(() => ({
        items: this.#st.listCalls[which].all(options.limit, options.offset).map(rowToCall),
        total: this.#st.countCalls[which].get()?.n ?? 0,
      }))(),
    );
  }

  insertStream(stream: StreamRecord): Promise<void> {
    return this.#guard(`stream ${stream.streamId}`, () => {
      this.#st.insertStream.run(streamToRow(stream));
    });
  }

  updateStream(callUuid: string, streamId: string, patch: StreamPatch): Promise<StreamRecord | undefined> {
    return this.#guard(`stream ${streamId}`, () =>
      this.#db.transaction(() => {
        const row = this.#st.getStream.get(callUuid, streamId);
        if (row === undefined) {
          return undefined;
        }
        const next = applyPatch(rowToStream(row), patch);
        this.#st.updateStream.run(streamToRow(next));
        return Object.freeze(next);
      })(),
    );
  }

  getStream(callUuid: string, streamId: string): Promise<StreamRecord | undefined> {
    return this.#guard(`stream ${streamId}`, () => {
      const row = this.#st.getStream.get(callUuid, streamId);
      return row === undefined ? undefined : rowToStream(row);
    });
  }

  listStreams(callUuid: string, options: PageOptions): Promise<Page<StreamRecord>> {
    const bad = pageError(options);
    if (bad !== undefined) {
      return Promise.reject(bad);
    }
    return this.#guard(`streams of ${callUuid}`, () =>
      this.#db.transaction(() => ({
        items: this.#st.listStreams.all(callUuid, options.limit, options.offset).map(rowToStream),
        total: this.#st.countStreams.get(callUuid)?.n ?? 0,
      }))(),
    );
  }

  touchLiveCalls(nowMs: number, nodeId?: string): Promise<number> {
    return this.#guard('last-seen refresh', () =>
      nodeId === undefined
        ? this.#st.touchLive.run(nowMs).changes
        : this.#st.touchLiveOf.run(nowMs, nodeId).changes,
    );
  }

  markLiveAsAbnormal(
    nowMs: number,
    cause: string = SERVER_RESTART_CAUSE,
    causeCode: number | null = cause === SERVER_RESTART_CAUSE ? SERVER_RESTART_CAUSE_CODE : null,
    nodeId?: string,
  ): Promise<AbnormalEndCounts> {
    return this.#guard('crash recovery', () =>
      this.#db.transaction(() => {
        // Rows are few (the calls live at a crash), and the end time is computed per call.
        const endedAt = new Map<string, number>();
        let hangupCallbacks = 0;
        const calls = nodeId === undefined ? this.#st.liveCalls.all() : this.#st.liveCallsOf.all(nodeId);
        for (const row of calls) {
          const ended = abnormalCallEnd(rowToCall(row), nowMs, cause, causeCode);
          this.#st.updateCall.run(callToRow(ended));
          endedAt.set(ended.callUuid, ended.endedAt ?? nowMs);
          const hangup = abnormalHangupCallback(ended, nodeId, nowMs);
          if (hangup !== undefined) {
            hangupCallbacks += this.#st.insertOutboxIfAbsent.run(
              outboxToRow(newOutboxRow(hangup, 0)),
            ).changes;
          }
        }
        const streams =
          nodeId === undefined ? this.#st.liveStreams.all() : this.#st.liveStreamsOf.all(nodeId);
        for (const row of streams) {
          const stream = rowToStream(row);
          const callEnd =
            endedAt.get(stream.callUuid) ?? this.#st.getCall.get(stream.callUuid)?.ended_at ?? nowMs;
          this.#st.updateStream.run(streamToRow(abnormalStreamEnd(stream, callEnd, cause)));
        }
        return { calls: endedAt.size, streams: streams.length, hangupCallbacks };
      })(),
    );
  }

  integrityCheck(): Promise<string> {
    return this.#guard('integrity check', () => {
      const rows = this.#db.pragma('integrity_check') as { integrity_check: string }[];
      const problems = rows.map((r) => r.integrity_check).filter((line) => line !== 'ok');
      const orphans = this.#db.pragma('foreign_key_check') as unknown[];
      if (orphans.length > 0) {
        problems.push(`${orphans.length} row(s) violate foreign keys`);
      }
      return problems.length === 0 ? 'ok' : problems.join('; ');
    });
  }

  close(): Promise<void> {
    if (this.#db.open) {
      this.#db.close();
    }
    return Promise.resolve();
  }

  enqueueCallback(entry: NewOutboxEntry): Promise<OutboxEntry> {
    return this.#guard(`callback ${entry.id}`, () => {
      const row = outboxToRow(newOutboxRow(entry, 0));
      const { seq } = this.#st.insertOutbox.get(row) ?? { seq: 0 };
      return Object.freeze({ ...rowToOutbox({ ...row, seq }) });
    });
  }

  claimCallbacks(options: ClaimOptions): Promise<OutboxEntry[]> {
    return this.#guard('callback claim', () =>
      this.#db.transaction(() => {
        const claimed: OutboxEntry[] = [];
        // Pending rows are few (callbacks in flight or waiting for a retry): filter in code.
        for (const row of this.#st.pendingOutbox.all(Number.MAX_SAFE_INTEGER)) {
          const entry = rowToOutbox(row);
          if (claimed.length < options.limit && isClaimable(entry, options)) {
            this.#st.claimOutbox.run(options.owner, entry.seq);
            claimed.push(Object.freeze({ ...entry, owner: options.owner }));
          }
        }
        return claimed;
      })(),
    );
  }

  markCallbackFailed(id: string, attempts: number, nextAttemptAt: number, error: string): Promise<void> {
    return this.#guard(`callback ${id}`, () => {
      this.#st.failOutbox.run(attempts, nextAttemptAt, error, id);
    });
  }

  markCallbackDelivered(id: string, attempts: number, nowMs: number): Promise<void> {
    return this.#guard(`callback ${id}`, () => {
      this.#st.finishOutbox.run('delivered', attempts, nowMs, null, id);
    });
  }

  giveUpCallback(id: string, attempts: number, nowMs: number, reason: string): Promise<void> {
    return this.#guard(`callback ${id}`, () => {
      this.#st.finishOutbox.run('given-up', attempts, nowMs, reason, id);
    });
  }

  getCallback(id: string): Promise<OutboxEntry | undefined> {
    return this.#guard(`callback ${id}`, () => {
      const row = this.#st.getOutbox.get(id);
      return row === undefined ? undefined : rowToOutbox(row);
    });
  }

  pruneCallbacks(finishedBefore: number): Promise<number> {
    return this.#guard('callback prune', () => this.#st.pruneOutbox.run(finishedBefore).changes);
  }

  pendingCallbacks(limit: number): Promise<OutboxEntry[]> {
    return this.#guard('pending callbacks', () => this.#st.pendingOutbox.all(limit).map(rowToOutbox));
  }
}

/** Opens (creating if needed) `<dataDir>/streamfork.sqlite`, e.g. from `config.storage.dataDir`. */
export function openSqliteCallStoreIn(
  dataDir: string,
  options: Omit<SqliteCallStoreOptions, 'path'> = {},
): SqliteCallStore {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new ServerError('ERR_STORAGE_IO', `cannot create data directory ${dataDir}`, { cause: err });
  }
  return new SqliteCallStore({ ...options, path: join(dataDir, DATABASE_FILE_NAME) });
}
