/**
 * The PostgreSQL `RecordingStore`: a `recordings` table in the cluster's database (the columns of
 * `../sqlite-store/recording-rows.ts`), on its own small pool. The table is created at open, under a
 * transaction-scoped advisory lock, so nodes starting at once do not race; it adds no step to the
 * call store's migrations.
 */
import pg from 'pg';

import { ServerError } from '../../errors/server-error.js';
import { redactUrl } from '../../observability/redact.js';
import type { Page } from '../../ports/call-store.js';
import {
  RECORDING_RESTART_REASON,
  type ListRecordingsOptions,
  type RecordingPatch,
  type RecordingRecord,
  type RecordingStore,
} from '../../ports/recording-store.js';
import {
  RECORDING_COLUMNS,
  RECORDINGS_TABLE_SQL,
  recordingFilterSql,
  recordingPatchColumns,
  recordingToRow,
  rowToRecording,
  type RecordingRow,
} from '../sqlite-store/recording-rows.js';

/** Advisory lock key of the table's creation ("strmrecs"). */
const TABLE_LOCK_KEY = 0x7374726d72656373n;

const types = new pg.TypeOverrides();
types.setTypeParser(pg.types.builtins.INT8, 'text', Number);

/** `?` placeholders to PostgreSQL's `$n`, numbered from `from`. */
function numbered(text: string, from = 1): string {
  let n = from;
  return text.replace(/\?/g, () => `$${n++}`);
}

function storageError(err: unknown, what: string): ServerError {
  if (err instanceof ServerError) {
    return err;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === '23505') {
    return new ServerError('ERR_STORAGE_DUPLICATE', `${what} already exists`, { cause: err });
  }
  return new ServerError('ERR_STORAGE_IO', `${what}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}

export interface PostgresRecordingStoreOptions {
  readonly url: string;
  /** Default 2: recording records are a few writes per recording. */
  readonly poolSize?: number;
  readonly connectTimeoutMs?: number;
}

export class PostgresRecordingStore implements RecordingStore {
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connects and creates the table when missing; rejects with `ERR_STORAGE_UNREACHABLE` or `ERR_STORAGE_IO`. */
  static async open(options: PostgresRecordingStoreOptions): Promise<PostgresRecordingStore> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 2,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
      types,
    });
    pool.on('error', () => undefined);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new ServerError('ERR_STORAGE_UNREACHABLE', `cannot reach ${redactUrl(options.url)}`, {
        cause: err,
      });
    }
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [TABLE_LOCK_KEY.toString()]);
      await client.query(RECORDINGS_TABLE_SQL);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      await pool.end().catch(() => undefined);
      throw storageError(err, `creating the recordings table in ${redactUrl(options.url)}`);
    }
    client.release();
    return new PostgresRecordingStore(pool);
  }

  async #query(what: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<RecordingRow>> {
    if (this.#closed) {
      throw new ServerError('ERR_STORAGE_CLOSED');
    }
    try {
      return await this.#pool.query<RecordingRow>(numbered(text), values);
    } catch (err) {
      throw storageError(err, what);
    }
  }

  async insertRecording(recording: RecordingRecord): Promise<void> {
    const row = recordingToRow(recording);
    await this.#query(
      `recording ${recording.recordingId}`,
      `INSERT INTO recordings (${RECORDING_COLUMNS.join(', ')}) VALUES (${RECORDING_COLUMNS.map(() => '?').join(', ')})`,
      RECORDING_COLUMNS.map((c) => row[c]),
    );
  }

  async updateRecording(recordingId: string, patch: RecordingPatch): Promise<RecordingRecord | undefined> {
    const cols = recordingPatchColumns(patch);
    const result =
      cols.length === 0
        ? await this.#query(`recording ${recordingId}`, 'SELECT * FROM recordings WHERE recording_id = ?', [
            recordingId,
          ])
        : await this.#query(
            `recording ${recordingId}`,
            `UPDATE recordings SET ${cols.map(([c]) => `${c} = ?`).join(', ')} WHERE recording_id = ? RETURNING *`,
            [...cols.map(([, v]) => v), recordingId],
          );
    const row = result.rows[0];
    return row === undefined ? undefined : rowToRecording(row);
  }

  async getRecording(recordingId: string): Promise<RecordingRecord | undefined> {
    const result = await this.#query(
      `recording ${recordingId}`,
      'SELECT * FROM recordings WHERE recording_id = ?',
      [recordingId],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : rowToRecording(row);
  }

  async listRecordings(options: ListRecordingsOptions): Promise<Page<RecordingRecord>> {
    const { where, values } = recordingFilterSql(options);
    const result = await this.#query(
      'recordings list',
      `SELECT *, COUNT(*) OVER () AS total FROM recordings WHERE ${where} ORDER BY started_at DESC, recording_id ASC LIMIT ? OFFSET ?`,
      [...values, options.limit, options.offset],
    );
    let total = (result.rows[0] as { total?: number } | undefined)?.total;
    if (total === undefined) {
      const count = await this.#query(
        'recordings count',
        `SELECT COUNT(*) AS total FROM recordings WHERE ${where}`,
        values,
      );
      total = (count.rows[0] as { total?: number } | undefined)?.total ?? 0;
    }
    return { items: result.rows.map(rowToRecording), total };
  }

  async deleteRecording(recordingId: string): Promise<boolean> {
    const result = await this.#query(
      `recording ${recordingId}`,
      'DELETE FROM recordings WHERE recording_id = ?',
      [recordingId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async failOpenRecordings(nowMs: number, reason = RECORDING_RESTART_REASON): Promise<number> {
    const result = await this.#query(
      'recordings recovery',
      "UPDATE recordings SET state = 'failed', failure_reason = ?, ended_at = ? WHERE state = 'recording'",
      [reason, nowMs],
    );
    return result.rowCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await this.#pool.end();
  }
}
