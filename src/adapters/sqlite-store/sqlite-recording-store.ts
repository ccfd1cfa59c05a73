/**
 * The SQLite `RecordingStore`: its own database file beside the call records (`recordings.sqlite` in
 * `storage.dataDir`), WAL journal with `synchronous=NORMAL` as the call store (committed records
 * survive kill -9). Its schema is versioned on its own (`PRAGMA user_version`), so recordings add no
 * step to the call store's migrations.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import BetterSqlite3, { type Database } from 'better-sqlite3';

import { ServerError } from '../../errors/server-error.js';
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
} from './recording-rows.js';

/** File name of the recordings database inside `storage.dataDir`. */
export const RECORDINGS_DATABASE_FILE_NAME = 'recordings.sqlite';

/** Schema steps, oldest first (`user_version` is the last applied). Never edit a released one. */
const STEPS: readonly string[] = [RECORDINGS_TABLE_SQL];

function storageError(err: unknown, what: string): ServerError {
  if (err instanceof ServerError) {
    return err;
  }
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new ServerError('ERR_STORAGE_DUPLICATE', `${what} already exists`, { cause: err });
  }
  return new ServerError('ERR_STORAGE_IO', `${what}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}

export class SqliteRecordingStore implements RecordingStore {
  readonly #db: Database;
  #closed = false;

  /** `path` is a file path or `':memory:'`; its directory must exist. */
  constructor(path: string) {
    this.#db = new BetterSqlite3(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    const from = Number(this.#db.pragma('user_version', { simple: true }));
    if (from > STEPS.length) {
      this.#db.close();
      throw new ServerError(
        'ERR_STORAGE_SCHEMA_TOO_NEW',
        `recordings schema version ${from} > supported ${STEPS.length}`,
      );
    }
    for (let v = from; v < STEPS.length; v++) {
      this.#db.transaction(() => {
        this.#db.exec(STEPS[v] ?? '');
        this.#db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  #run<T>(what: string, fn: (db: Database) => T): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new ServerError('ERR_STORAGE_CLOSED'));
    }
    try {
      return Promise.resolve(fn(this.#db));
    } catch (err) {
      return Promise.reject(storageError(err, what));
    }
  }

  insertRecording(recording: RecordingRecord): Promise<void> {
    return this.#run(`recording ${recording.recordingId}`, (db) => {
      db.prepare(
        `INSERT INTO recordings (${RECORDING_COLUMNS.join(', ')}) VALUES (${RECORDING_COLUMNS.map((c) => `@${c}`).join(', ')})`,
      ).run(recordingToRow(recording));
    });
  }

  updateRecording(recordingId: string, patch: RecordingPatch): Promise<RecordingRecord | undefined> {
    return this.#run(`recording ${recordingId}`, (db) => {
      const cols = recordingPatchColumns(patch);
      if (cols.length > 0) {
        db.prepare(
          `UPDATE recordings SET ${cols.map(([c]) => `${c} = ?`).join(', ')} WHERE recording_id = ?`,
        ).run(...cols.map(([, v]) => v), recordingId);
      }
      const row = db.prepare('SELECT * FROM recordings WHERE recording_id = ?').get(recordingId) as
        RecordingRow | undefined;
      return row === undefined ? undefined : rowToRecording(row);
    });
  }

  getRecording(recordingId: string): Promise<RecordingRecord | undefined> {
    return this.#run(`recording ${recordingId}`, (db) => {
      const row = db.prepare('SELECT * FROM recordings WHERE recording_id = ?').get(recordingId) as
        RecordingRow | undefined;
      return row === undefined ? undefined : rowToRecording(row);
    });
  }

  listRecordings(options: ListRecordingsOptions): Promise<Page<RecordingRecord>> {
    return this.#run('recordings list', (db) => {
      const { where, values } = recordingFilterSql(options);
      const rows = db
        .prepare(
          `SELECT * FROM recordings WHERE ${where} ORDER BY started_at DESC, recording_id ASC LIMIT ? OFFSET ?`,
        )
        .all(...values, options.limit, options.offset) as RecordingRow[];
      const { n } = db.prepare(`SELECT COUNT(*) AS n FROM recordings WHERE ${where}`).get(...values) as {
        n: number;
      };
      return { items: rows.map(rowToRecording), total: n };
    });
  }

  deleteRecording(recordingId: string): Promise<boolean> {
    return this.#run(
      `recording ${recordingId}`,
      (db) => db.prepare('DELETE FROM recordings WHERE recording_id = ?').run(recordingId).changes > 0,
    );
  }

  failOpenRecordings(nowMs: number, reason = RECORDING_RESTART_REASON): Promise<number> {
    return this.#run(
      'recordings recovery',
      (db) =>
        db
          .prepare(
            "UPDATE recordings SET state = 'failed', failure_reason = ?, ended_at = ? WHERE state = 'recording'",
          )
          .run(reason, nowMs).changes,
    );
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }
}

/** Opens (creating the directory and file when needed) the recordings database of a data directory. */
export function openSqliteRecordingStoreIn(dataDir: string): SqliteRecordingStore {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new ServerError('ERR_STORAGE_IO', `cannot create data directory ${dataDir}`, { cause: err });
  }
  return new SqliteRecordingStore(join(dataDir, RECORDINGS_DATABASE_FILE_NAME));
}
