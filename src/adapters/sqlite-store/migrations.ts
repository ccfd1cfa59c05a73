/**
 * Schema migrations of the SQLite record store: an ordered list in code, applied in order, each in its
 * own transaction together with its row in `schema_migrations`. Never edit a released migration; add
 * the next version instead.
 */
import type { Database } from 'better-sqlite3';

import { ServerError } from '../../errors/server-error.js';

/** One forward-only schema step. */
export interface Migration {
  /** 1, 2, 3… with no gaps. */
  readonly version: number;
  /** Short description, stored with the version. */
  readonly name: string;
  /** SQL run as one script inside the migration's transaction. */
  readonly sql: string;
}

/** Every migration, oldest first. */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'calls and streams',
    sql: `
      CREATE TABLE calls (
        call_uuid TEXT PRIMARY KEY,
        direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        from_number TEXT NOT NULL,
        to_number TEXT NOT NULL,
        status TEXT NOT NULL,
        answer_url TEXT,
        request_uuid TEXT,
        started_at INTEGER NOT NULL,
        answered_at INTEGER,
        ended_at INTEGER,
        hangup_cause TEXT,
        hangup_source TEXT,
        duration_sec INTEGER,
        bill_duration_sec INTEGER,
        error_json TEXT,
        sip_call_id TEXT
      ) STRICT;
      CREATE INDEX calls_by_start ON calls (started_at DESC, call_uuid);
      CREATE TABLE streams (
        stream_id TEXT PRIMARY KEY,
        call_uuid TEXT NOT NULL REFERENCES calls (call_uuid) ON DELETE CASCADE,
        service_url TEXT NOT NULL,
        bidirectional INTEGER NOT NULL CHECK (bidirectional IN (0, 1)),
        audio_track TEXT NOT NULL,
        stream_timeout_sec INTEGER NOT NULL,
        status_callback_url TEXT,
        status_callback_method TEXT NOT NULL,
        content_type TEXT NOT NULL,
        extra_headers TEXT,
        status TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        ended_at INTEGER,
        stop_reason TEXT,
        error_json TEXT
      ) STRICT;
      CREATE INDEX streams_by_call ON streams (call_uuid, created_at, stream_id);
    `,
  },
  {
    version: 2,
    name: 'crash recovery flag, parent call, cause code, live indexes',
    sql: `
      ALTER TABLE calls ADD COLUMN parent_call_uuid TEXT;
      ALTER TABLE calls ADD COLUMN hangup_cause_code INTEGER;
      ALTER TABLE calls ADD COLUMN ended_abnormally INTEGER NOT NULL DEFAULT 0 CHECK (ended_abnormally IN (0, 1));
      CREATE INDEX calls_live ON calls (started_at DESC, call_uuid)
        WHERE status IN ('queued', 'ringing', 'in-progress');
      CREATE INDEX streams_live ON streams (stream_id)
        WHERE status IN ('initiated', 'in-progress');
    `,
  },
  {
    version: 3,
    name: 'last-seen time of live calls',
    // Existing rows get NULL: a call live at the upgrade ends at its answer/start time if it was lost.
    sql: `
      ALTER TABLE calls ADD COLUMN last_seen_at INTEGER;
    `,
  },
  {
    version: 4,
    name: 'callback outbox',
    // seq is the rowid: increasing, so per-lane order is seq order. The partial index serves the
    // start-up claim (pending rows in order) and stays small: finished rows leave it.
    sql: `
      CREATE TABLE callback_outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        lane TEXT NOT NULL,
        call_uuid TEXT,
        url TEXT NOT NULL,
        method TEXT NOT NULL CHECK (method IN ('GET', 'POST')),
        params_json TEXT NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'given-up')),
        attempts INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        finished_at INTEGER
      ) STRICT;
      CREATE INDEX callback_outbox_pending ON callback_outbox (seq) WHERE status = 'pending';
    `,
  },
  {
    version: 5,
    name: 'node of each call',
    // Existing rows get NULL (written before nodes were recorded). The partial index serves a node's
    // start-up recovery and last-seen refresh, and holds only live calls.
    sql: `
      ALTER TABLE calls ADD COLUMN node_id TEXT;
      CREATE INDEX calls_live_by_node ON calls (node_id)
        WHERE status IN ('queued', 'ringing', 'in-progress');
    `,
  },
  {
    version: 6,
    name: 'hangup callback of each call',
    // JSON of the call's hangup_url, method and parameters (HangupCallbackTemplate), so recovery can
    // tell hangup_url about a call its node did not finish; NULL for calls without one and older rows.
    sql: `
      ALTER TABLE calls ADD COLUMN hangup_callback_json TEXT;
    `,
  },
  {
    version: 7,
    name: 'signature scheme of each callback',
    // 'plivo' (V3) or 'twilio' (X-Twilio-Signature): a Twilio stream's status callback recovered after a
    // restart is signed as its app expects. Rows written before this were all Plivo's.
    sql: `
      ALTER TABLE callback_outbox ADD COLUMN signing TEXT NOT NULL DEFAULT 'plivo';
    `,
  },
];

/** The schema version this build writes. */
export const LATEST_SCHEMA_VERSION: number = migrations[migrations.length - 1]?.version ?? 0;

/** The highest applied version (0 for an empty database). */
export function currentSchemaVersion(db: Database): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT`);
  const row = db.prepare<[], { v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations').get();
  return row?.v ?? 0;
}

/**
 * Brings the database to `target` (default: the latest version). Returns the versions applied.
 * Throws `ERR_STORAGE_SCHEMA_TOO_NEW` when the database is ahead of this build, and
 * `ERR_STORAGE_MIGRATION_FAILED` (with the SQLite error as cause) when a step fails; a failed step
 * leaves the database at the previous version.
 */
export function migrate(
  db: Database,
  target: number = LATEST_SCHEMA_VERSION,
  nowMs: number = Date.now(),
): number[] {
  const from = currentSchemaVersion(db);
  if (from > LATEST_SCHEMA_VERSION) {
    throw new ServerError(
      'ERR_STORAGE_SCHEMA_TOO_NEW',
      `database schema version ${from} > supported ${LATEST_SCHEMA_VERSION}`,
    );
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const step of migrations) {
    if (step.version <= from || step.version > target) {
      continue;
    }
    try {
      db.transaction(() => {
        db.exec(step.sql);
        record.run(step.version, step.name, nowMs);
      })();
    } catch (err) {
      throw new ServerError(
        'ERR_STORAGE_MIGRATION_FAILED',
        `migration ${step.version} (${step.name}) failed`,
        { cause: err },
      );
    }
    applied.push(step.version);
  }
  return applied;
}
