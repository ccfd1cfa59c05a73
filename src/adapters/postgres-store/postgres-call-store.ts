/**
 * The PostgreSQL `CallStore` (issue 12 item 1): the records and the callback outbox of every node of a
 * cluster in one shared database (`storage.driver: postgres`, `storage.url`). Same contract as the
 * SQLite store (`test/contracts/postgres-store.test.ts` runs the shared suites on a real server); the
 * schema and row mapping mirror it (`migrations.ts`).
 *
 * Round trips: an insert, a get, a patch (`UPDATE … RETURNING *`), a page with its total and a claim
 * are one statement each. Recovery (`markLiveAsAbnormal`) is one transaction that locks the live rows
 * it ends; the claim locks with `FOR UPDATE SKIP LOCKED`, so two nodes claiming at once never take the
 * same row. A pool of at most `poolSize` connections (default 10) serves every call of the node.
 */
import pg from 'pg';

import { ServerError } from '../../errors/server-error.js';
import { redactUrl } from '../../observability/redact.js';
import {
  abnormalCallEnd,
  abnormalHangupCallback,
  abnormalStreamEnd,
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
  newOutboxRow,
  type ClaimOptions,
  type NewOutboxEntry,
  type OutboxEntry,
} from '../../ports/callback-outbox.js';
import { outboxToRow, rowToOutbox, type OutboxRow } from '../sqlite-store/outbox-rows.js';
import {
  callToRow,
  rowToCall,
  rowToStream,
  streamToRow,
  type CallRow,
  type StreamRow,
} from '../sqlite-store/rows.js';
import { PG_LATEST_SCHEMA_VERSION, pgMigrate, pgSchemaVersion } from './migrations.js';
import { callPatchUpdate, sql, streamPatchUpdate, type Query } from './statements.js';

export interface PostgresCallStoreOptions {
  /** `postgres://user:password@host:port/database` (`storage.url`); the password never reaches a log. */
  readonly url: string;
  /** Most connections the pool opens. Default 10. */
  readonly poolSize?: number;
  /** How long opening a connection may take. Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /** Errors of idle pooled connections (a restarted server…): the pool replaces them; default ignored. */
  readonly onIdleError?: (err: ServerError) => void;
}

/** BIGINT (int8) and COUNT(*) come back as JS numbers (epoch ms and counts fit in 2^53), per pool. */
const types = new pg.TypeOverrides();
types.setTypeParser(pg.types.builtins.INT8, 'text', Number);

/** Node socket errors that mean the server could not be reached at all. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps a driver error onto the port's codes (SQLSTATE 23505 unique, 23503 foreign key). */
function storageError(err: unknown, what: string): ServerError {
  if (err instanceof ServerError) {
    return err;
  }
  const code = errorCode(err);
  if (code === '23505') {
    return new ServerError('ERR_STORAGE_DUPLICATE', `${what} already exists`, { cause: err });
  }
  if (code === '23503') {
    return new ServerError('ERR_STORAGE_UNKNOWN_CALL', `${what} refers to an unknown call`, { cause: err });
  }
  const text = err instanceof Error ? err.message : String(err);
  return new ServerError('ERR_STORAGE_IO', `${what}: ${text}${code === undefined ? '' : ` (${code})`}`, {
    cause: err,
  });
}

/** The one-line start-up failure: the server named (password redacted), the setting, the reason. */
export function unreachableError(url: string, err: unknown): ServerError {
  const code = errorCode(err);
  const reason = err instanceof Error && err.message !== '' ? err.message : String(err);
  const what = code !== undefined && UNREACHABLE.has(code) ? 'cannot reach' : 'cannot open';
  return new ServerError(
    'ERR_STORAGE_UNREACHABLE',
    `${what} PostgreSQL at ${redactUrl(url)} (storage.url, STREAMFORK_STORAGE_URL): ${reason}${code === undefined ? '' : ` (${code})`}`,
    { cause: err },
  );
}

function pageError(options: PageOptions): TypeError | undefined {
  const ok =
    Number.isInteger(options.limit) &&
    options.limit >= 0 &&
    Number.isInteger(options.offset) &&
    options.offset >= 0;
  return ok ? undefined : new TypeError(`invalid page: limit ${options.limit}, offset ${options.offset}`);
}

/** A page row: the total, and the record's columns (all NULL when the page is empty). */
type PageRow<R> = { total: number } & { [K in keyof R]: R[K] | null };

function pageOf<R, T>(rows: readonly PageRow<R>[], key: keyof R, map: (row: R) => T): Page<T> {
  const total = rows[0]?.total ?? 0;
  const items = rows.filter((r) => r[key] !== null).map((r) => map(r as unknown as R));
  return { items, total };
}

/** The fields of a call record that `updateCall` may change, i.e. all but the key and the immutable ones. */
function patchOf(call: CallRecord): CallPatch {
  const { callUuid: _u, direction: _d, startedAt: _s, ...rest } = call;
  return rest;
}

/** See the module comment. Open with {@link PostgresCallStore.open}. */
export class PostgresCallStore implements CallStore {
  readonly #pool: pg.Pool;
  readonly #url: string;
  #closed = false;

  private constructor(pool: pg.Pool, url: string) {
    this.#pool = pool;
    this.#url = url;
  }

  /**
   * Connects, brings the schema to this build's version (under the migration lock) and resolves to
   * the store. Rejects with `ERR_STORAGE_UNREACHABLE` (one line, password redacted) when the server
   * cannot be reached or refuses the login, `ERR_STORAGE_SCHEMA_TOO_NEW`/`ERR_STORAGE_MIGRATION_FAILED`
   * from the migrations; the pool is then closed.
   */
  static async open(options: PostgresCallStoreOptions): Promise<PostgresCallStore> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      types,
    });
    pool.on('error', (err) => {
      options.onIdleError?.(storageError(err, 'idle PostgreSQL connection'));
    });
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw unreachableError(options.url, err);
    }
    try {
      await pgMigrate(client);
    } catch (err) {
      client.release();
      await pool.end().catch(() => undefined);
      throw storageError(err, `migrating ${redactUrl(options.url)}`);
    }
    client.release();
    return new PostgresCallStore(pool, options.url);
  }

  /** The pool, for tests and diagnostics only. */
  get poolForTesting(): pg.Pool {
    return this.#pool;
  }

  async #query<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    if (this.#closed) {
      throw new ServerError('ERR_STORAGE_CLOSED');
    }
    try {
      return await this.#pool.query<R>(text, values);
    } catch (err) {
      throw storageError(err, what);
    }
  }

  /** Runs `fn` in one transaction on one pooled connection; rolls back when it throws. */
  async #transaction<T>(
    what: string,
    fn: (run: <R extends pg.QueryResultRow>(q: Query) => Promise<R[]>) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) {
      throw new ServerError('ERR_STORAGE_CLOSED');
    }
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      throw storageError(err, what);
    }
    try {
      await client.query('BEGIN');
      const result = await fn(
        async <R extends pg.QueryResultRow>(q: Query) => (await client.query<R>(q.text, q.values)).rows,
      );
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw storageError(err, what);
    } finally {
      client.release();
    }
  }

  async insertCall(call: CallRecord): Promise<void> {
    await this.#query(`call ${call.callUuid}`, sql.insertCall, Object.values(callToRow(call)));
  }

  async updateCall(callUuid: string, patch: CallPatch): Promise<CallRecord | undefined> {
    const update = callPatchUpdate(callUuid, patch);
    if (update === undefined) {
      return this.getCall(callUuid);
    }
    const res = await this.#query<CallRow>(`call ${callUuid}`, update.text, update.values);
    const row = res.rows[0];
    return row === undefined ? undefined : rowToCall(row);
  }

  async getCall(callUuid: string): Promise<CallRecord | undefined> {
    const res = await this.#query<CallRow>(`call ${callUuid}`, sql.getCall, [callUuid]);
    const row = res.rows[0];
    return row === undefined ? undefined : rowToCall(row);
  }

  async listCalls(options: ListCallsOptions): Promise<Page<CallRecord>> {
    const bad = pageError(options);
    if (bad !== undefined) {
      throw bad;
    }
    const where = sql.callFilters[options.status ?? 'all'];
    const res = await this.#query<PageRow<CallRow>>('calls', sql.listCalls(where), [
      options.limit,
      options.offset,
    ]);
    return pageOf(res.rows, 'call_uuid', rowToCall);
  }

  async insertStream(stream: StreamRecord): Promise<void> {
    await this.#query(`stream ${stream.streamId}`, sql.insertStream, Object.values(streamToRow(stream)));
  }

  async updateStream(
    callUuid: string,
    streamId: string,
    patch: StreamPatch,
  ): Promise<StreamRecord | undefined> {
    const update = streamPatchUpdate(callUuid, streamId, patch);
    if (update === undefined) {
      return this.getStream(callUuid, streamId);
    }
    const res = await this.#query<StreamRow>(`stream ${streamId}`, update.text, update.values);
    const row = res.rows[0];
    return row === undefined ? undefined : rowToStream(row);
  }

  async getStream(callUuid: string, streamId: string): Promise<StreamRecord | undefined> {
    const res = await this.#query<StreamRow>(`stream ${streamId}`, sql.getStream, [callUuid, streamId]);
    const row = res.rows[0];
    return row === undefined ? undefined : rowToStream(row);
  }

  async listStreams(callUuid: string, options: PageOptions): Promise<Page<StreamRecord>> {
    const bad = pageError(options);
    if (bad !== undefined) {
      throw bad;
    }
    const res = await this.#query<PageRow<StreamRow>>(`streams of ${callUuid}`, sql.listStreams, [
      callUuid,
      options.limit,
      options.offset,
    ]);
    return pageOf(res.rows, 'stream_id', rowToStream);
  }

  async touchLiveCalls(nowMs: number, nodeId?: string): Promise<number> {
    const res = await this.#query('last-seen refresh', sql.touchLive, [nowMs, nodeId ?? null]);
    return res.rowCount ?? 0;
  }

  markLiveAsAbnormal(
    nowMs: number,
    cause: string = SERVER_RESTART_CAUSE,
    causeCode: number | null = cause === SERVER_RESTART_CAUSE ? SERVER_RESTART_CAUSE_CODE : null,
    nodeId?: string,
  ): Promise<AbnormalEndCounts> {
    return this.#transaction('crash recovery', async (run) => {
      const node = nodeId ?? null;
      const endedAt = new Map<string, number>();
      let hangupCallbacks = 0;
      for (const row of await run<CallRow>({ text: sql.lockLiveCalls, values: [node] })) {
        const ended = abnormalCallEnd(rowToCall(row), nowMs, cause, causeCode);
        const update = callPatchUpdate(ended.callUuid, patchOf(ended));
        if (update !== undefined) {
          await run(update);
        }
        endedAt.set(ended.callUuid, ended.endedAt ?? nowMs);
        const hangup = abnormalHangupCallback(ended, nodeId, nowMs);
        if (hangup !== undefined) {
          const values = Object.values(outboxToRow(newOutboxRow(hangup, 0)));
          hangupCallbacks += (await run({ text: sql.insertOutboxIfAbsent, values })).length;
        }
      }
      const streams = await run<StreamRow & { call_ended_at: number | null }>({
        text: sql.lockLiveStreams,
        values: [node],
      });
      for (const row of streams) {
        const stream = rowToStream(row);
        const callEnd = endedAt.get(stream.callUuid) ?? row.call_ended_at ?? nowMs;
        const ended = abnormalStreamEnd(stream, callEnd, cause);
        const { status, endedAt: end, stopReason } = ended;
        const update = streamPatchUpdate(stream.callUuid, stream.streamId, {
          status,
          endedAt: end,
          stopReason,
        });
        if (update !== undefined) {
          await run(update);
        }
      }
      return { calls: endedAt.size, streams: streams.length, hangupCallbacks };
    });
  }

  /** `ok` when the server answers and the schema is at this build's version; else what is wrong. */
  async integrityCheck(): Promise<string> {
    if (this.#closed) {
      throw new ServerError('ERR_STORAGE_CLOSED');
    }
    try {
      const version = await pgSchemaVersion(this.#pool);
      if (version !== PG_LATEST_SCHEMA_VERSION) {
        return `schema version ${version}, expected ${PG_LATEST_SCHEMA_VERSION}`;
      }
      const orphans = await this.#pool.query<{ n: number }>(
        'SELECT count(*) AS n FROM streams s WHERE NOT EXISTS (SELECT 1 FROM calls c WHERE c.call_uuid = s.call_uuid)',
      );
      const n = orphans.rows[0]?.n ?? 0;
      return n === 0 ? 'ok' : `${n} stream(s) refer to missing calls`;
    } catch (err) {
      throw storageError(err, `integrity check of ${redactUrl(this.#url)}`);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await this.#pool.end();
  }

  async enqueueCallback(entry: NewOutboxEntry): Promise<OutboxEntry> {
    const row = outboxToRow(newOutboxRow(entry, 0));
    const res = await this.#query<{ seq: number }>(
      `callback ${entry.id}`,
      sql.insertOutbox,
      Object.values(row),
    );
    return rowToOutbox({ ...row, seq: res.rows[0]?.seq ?? 0 });
  }

  async claimCallbacks(options: ClaimOptions): Promise<OutboxEntry[]> {
    const res = await this.#query<OutboxRow>('callback claim', sql.claimOutbox, [
      options.owner,
      options.from ?? null,
      options.dueBy ?? null,
      options.limit,
    ]);
    return res.rows.sort((a, b) => a.seq - b.seq).map(rowToOutbox);
  }

  async markCallbackFailed(
    id: string,
    attempts: number,
    nextAttemptAt: number,
    error: string,
  ): Promise<void> {
    await this.#query(`callback ${id}`, sql.failOutbox, [attempts, nextAttemptAt, error, id]);
  }

  async markCallbackDelivered(id: string, attempts: number, nowMs: number): Promise<void> {
    await this.#query(`callback ${id}`, sql.finishOutbox, ['delivered', attempts, nowMs, null, id]);
  }

  async giveUpCallback(id: string, attempts: number, nowMs: number, reason: string): Promise<void> {
    await this.#query(`callback ${id}`, sql.finishOutbox, ['given-up', attempts, nowMs, reason, id]);
  }

  async getCallback(id: string): Promise<OutboxEntry | undefined> {
    const res = await this.#query<OutboxRow>(`callback ${id}`, sql.getOutbox, [id]);
    const row = res.rows[0];
    return row === undefined ? undefined : rowToOutbox(row);
  }

  async pendingCallbacks(limit: number): Promise<OutboxEntry[]> {
    const res = await this.#query<OutboxRow>('pending callbacks', sql.pendingOutbox, [limit]);
    return res.rows.map(rowToOutbox);
  }

  async pruneCallbacks(finishedBefore: number): Promise<number> {
    const res = await this.#query('callback prune', sql.pruneOutbox, [finishedBefore]);
    return res.rowCount ?? 0;
  }
}
