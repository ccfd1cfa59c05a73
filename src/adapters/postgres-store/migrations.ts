/**
 * Schema migrations of the PostgreSQL record store: an ordered list in code, as the SQLite store's
 * (`../sqlite-store/migrations.ts`), applied at start. Several nodes may start at once on one
 * database, so the whole run (reading the version, every step, its `schema_migrations` row) is one
 * transaction holding a transaction-scoped advisory lock: a second node waits, then finds the schema
 * current. Never edit a released migration; add the next version instead.
 *
 * The columns and their meaning are the SQLite schema's at its version 5, so one row mapping
 * (`../sqlite-store/rows.ts`, `outbox-rows.ts`) serves both: times are epoch ms in BIGINT (read back
 * as numbers: see `postgres-call-store.ts`), flags SMALLINT 0/1, JSON as TEXT.
 */
import type { PoolClient } from 'pg';

import { ServerError } from '../../errors/server-error.js';
import type { Migration } from '../sqlite-store/migrations.js';

/** `pg_advisory_xact_lock` key of the migration run ("strmfork" as 8 bytes, so no other app's by chance). */
export const MIGRATION_LOCK_KEY = 0x7374726d666f726bn;

/** Every migration, oldest first. */
export const pgMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'calls, streams, callback outbox (the SQLite schema at its version 5)',
    sql: `
      CREATE TABLE calls (
        call_uuid TEXT PRIMARY KEY,
        direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        from_number TEXT NOT NULL,
        to_number TEXT NOT NULL,
        status TEXT NOT NULL,
        answer_url TEXT,
        request_uuid TEXT,
        parent_call_uuid TEXT,
        started_at BIGINT NOT NULL,
        answered_at BIGINT,
        ended_at BIGINT,
        hangup_cause TEXT,
        hangup_cause_code INTEGER,
        hangup_source TEXT,
        duration_sec INTEGER,
        bill_duration_sec INTEGER,
        error_json TEXT,
        sip_call_id TEXT,
        ended_abnormally SMALLINT NOT NULL DEFAULT 0 CHECK (ended_abnormally IN (0, 1)),
        last_seen_at BIGINT,
        node_id TEXT
      );
      CREATE INDEX calls_by_start ON calls (started_at DESC, call_uuid);
      CREATE INDEX calls_live ON calls (started_at DESC, call_uuid)
        WHERE status IN ('queued', 'ringing', 'in-progress');
      CREATE INDEX calls_live_by_node ON calls (node_id)
        WHERE status IN ('queued', 'ringing', 'in-progress');
      CREATE TABLE streams (
        stream_id TEXT PRIMARY KEY,
        call_uuid TEXT NOT NULL REFERENCES calls (call_uuid) ON DELETE CASCADE,
        service_url TEXT NOT NULL,
        bidirectional SMALLINT NOT NULL CHECK (bidirectional IN (0, 1)),
        audio_track TEXT NOT NULL,
        stream_timeout_sec INTEGER NOT NULL,
        status_callback_url TEXT,
        status_callback_method TEXT NOT NULL,
        content_type TEXT NOT NULL,
        extra_headers TEXT,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        started_at BIGINT,
        ended_at BIGINT,
        stop_reason TEXT,
        error_json TEXT
      );
      CREATE INDEX streams_by_call ON streams (call_uuid, created_at, stream_id);
      CREATE INDEX streams_live ON streams (call_uuid)
        WHERE status IN ('initiated', 'in-progress');
      CREATE TABLE callback_outbox (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        lane TEXT NOT NULL,
        call_uuid TEXT,
        url TEXT NOT NULL,
        method TEXT NOT NULL CHECK (method IN ('GET', 'POST')),
        params_json TEXT NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'given-up')),
        attempts INTEGER NOT NULL,
        created_at BIGINT NOT NULL,
        next_attempt_at BIGINT NOT NULL,
        last_error TEXT,
        finished_at BIGINT
      );
      CREATE INDEX callback_outbox_pending ON callback_outbox (seq) WHERE status = 'pending';
    `,
  },
  {
    version: 2,
    name: 'hangup callback of each call (SQLite version 6)',
    sql: `
      ALTER TABLE calls ADD COLUMN hangup_callback_json TEXT;
    `,
  },
  {
    version: 3,
    name: 'signature scheme of each callback (SQLite version 7)',
    sql: `
      ALTER TABLE callback_outbox ADD COLUMN signing TEXT NOT NULL DEFAULT 'plivo';
    `,
  },
];

/** The schema version this build writes. */
export const PG_LATEST_SCHEMA_VERSION: number = pgMigrations[pgMigrations.length - 1]?.version ?? 0;

const CREATE_VERSIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** The highest applied version (0 for an empty database). */
export async function pgSchemaVersion(client: Pick<PoolClient, 'query'>): Promise<number> {
  const exists = await client.query<{ t: string | null }>(
    "SELECT to_regclass('schema_migrations')::text AS t",
  );
  if (exists.rows[0]?.t === null || exists.rows[0]?.t === undefined) {
    return 0;
  }
  const res = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return res.rows[0]?.v ?? 0;
}

/**
 * Brings the database to `target` (default: the latest version) in one transaction under the
 * migration lock; resolves to the versions applied. Rejects with `ERR_STORAGE_SCHEMA_TOO_NEW` when the
 * database is ahead of this build and `ERR_STORAGE_MIGRATION_FAILED` (the PostgreSQL error as cause)
 * when a step fails; then nothing of the run is kept.
 */
export async function pgMigrate(
  client: PoolClient,
  target: number = PG_LATEST_SCHEMA_VERSION,
  nowMs: number = Date.now(),
): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    await client.query(CREATE_VERSIONS);
    const from = await pgSchemaVersion(client);
    if (from > PG_LATEST_SCHEMA_VERSION) {
      throw new ServerError(
        'ERR_STORAGE_SCHEMA_TOO_NEW',
        `database schema version ${from} > supported ${PG_LATEST_SCHEMA_VERSION}`,
      );
    }
    const applied: number[] = [];
    for (const step of pgMigrations) {
      if (step.version > from && step.version <= target) {
        await applyStep(client, step, nowMs);
        applied.push(step.version);
      }
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function applyStep(client: PoolClient, step: Migration, nowMs: number): Promise<void> {
  try {
    await client.query(step.sql);
    await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
      step.version,
      step.name,
      nowMs,
    ]);
  } catch (err) {
    throw new ServerError('ERR_STORAGE_MIGRATION_FAILED', `migration ${step.version} (${step.name}) failed`, {
      cause: err,
    });
  }
}
