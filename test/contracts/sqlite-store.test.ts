import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import BetterSqlite3 from 'better-sqlite3';

import { callStoreContract, finishedCall, liveCall, streamOf } from './call-store.contract.js';
import { outboxEntry } from './outbox.contract.js';
import {
  currentSchemaVersion,
  LATEST_SCHEMA_VERSION,
  migrate,
  migrations,
} from '../../src/adapters/sqlite-store/migrations.js';
import { openSqliteCallStoreIn, SqliteCallStore } from '../../src/adapters/sqlite-store/sqlite-call-store.js';

function tempDir(): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-sqlite-'));
  return {
    dir,
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

callStoreContract('sqlite (file, WAL)', () => {
  const tmp = tempDir();
  const store = openSqliteCallStoreIn(tmp.dir);
  return {
    store,
    dispose: async () => {
      await store.close();
      tmp.dispose();
    },
  };
});

test('pragmas: WAL journal, synchronous NORMAL by default (FULL on request), foreign keys on', async () => {
  const tmp = tempDir();
  try {
    const store = openSqliteCallStoreIn(tmp.dir);
    const db = store.databaseForTesting;
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 1);
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    await store.close();
    const full = new SqliteCallStore({ path: join(tmp.dir, 'full.sqlite'), synchronous: 'full' });
    assert.equal(full.databaseForTesting.pragma('synchronous', { simple: true }), 2);
    await full.close();
  } finally {
    tmp.dispose();
  }
});

test('migrations: versions are 1..N without gaps', () => {
  assert.deepEqual(
    migrations.map((m) => m.version),
    migrations.map((_, i) => i + 1),
  );
  assert.equal(LATEST_SCHEMA_VERSION, migrations.length);
});

test('migrations: an empty database is brought to the latest version', () => {
  const db = new BetterSqlite3(':memory:');
  try {
    assert.equal(currentSchemaVersion(db), 0);
    assert.deepEqual(
      migrate(db),
      migrations.map((m) => m.version),
    );
    assert.equal(currentSchemaVersion(db), LATEST_SCHEMA_VERSION);
    assert.deepEqual(migrate(db), []);
  } finally {
    db.close();
  }
});

test('migrations: a version-1 database with data is migrated and its rows read back', async () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'v1.sqlite');
  try {
    const db = new BetterSqlite3(path);
    assert.deepEqual(migrate(db, 1), [1]);
    const call = finishedCall(7);
    db.prepare(
      `INSERT INTO calls (call_uuid, direction, from_number, to_number, status, answer_url, request_uuid,
        started_at, answered_at, ended_at, hangup_cause, hangup_source, duration_sec, bill_duration_sec, error_json, sip_call_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      call.callUuid,
      call.direction,
      call.from,
      call.to,
      call.status,
      call.answerUrl,
      call.requestUuid,
      call.startedAt,
      call.answeredAt,
      call.endedAt,
      call.hangupCause,
      call.hangupSource,
      call.durationSec,
      call.billDurationSec,
      JSON.stringify(call.error),
      call.sipCallId,
    );
    db.close();

    const store = new SqliteCallStore({ path });
    assert.equal(currentSchemaVersion(store.databaseForTesting), LATEST_SCHEMA_VERSION);
    assert.deepEqual(await store.getCall(call.callUuid), {
      ...call,
      parentCallUuid: null,
      hangupCauseCode: null,
      endedAbnormally: false,
      lastSeenAt: null,
      nodeId: null,
      hangupCallback: null,
    });
    const live = liveCall(8);
    await store.insertCall(live);
    await store.insertStream(streamOf(live, 0, { status: 'in-progress' }));
    assert.deepEqual(await store.markLiveAsAbnormal(1), { calls: 1, streams: 1, hangupCallbacks: 1 });
    assert.equal(await store.integrityCheck(), 'ok');
    await store.close();
  } finally {
    tmp.dispose();
  }
});

test('migration 3: a version-2 database gains last_seen_at; its live calls end at their answer on recovery', async () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'v2.sqlite');
  try {
    const db = new BetterSqlite3(path);
    assert.deepEqual(migrate(db, 2), [1, 2]);
    const live = liveCall(9);
    db.prepare(
      `INSERT INTO calls (call_uuid, direction, from_number, to_number, status, answer_url, request_uuid,
        parent_call_uuid, started_at, answered_at, ended_abnormally)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
    ).run(
      live.callUuid,
      live.direction,
      live.from,
      live.to,
      live.status,
      live.answerUrl,
      live.requestUuid,
      live.parentCallUuid,
      live.startedAt,
      live.answeredAt,
    );
    db.close();

    const store = new SqliteCallStore({ path });
    assert.equal(currentSchemaVersion(store.databaseForTesting), LATEST_SCHEMA_VERSION);
    const columns = store.databaseForTesting.pragma('table_info(calls)') as { name: string }[];
    assert.ok(columns.some((c) => c.name === 'last_seen_at'));
    assert.equal((await store.getCall(live.callUuid))?.lastSeenAt, null);
    assert.deepEqual(await store.markLiveAsAbnormal(live.startedAt + 3_600_000), {
      calls: 1,
      streams: 0,
      hangupCallbacks: 0,
    });
    const ended = await store.getCall(live.callUuid);
    assert.ok(ended !== undefined);
    assert.equal(ended.endedAt, live.answeredAt, 'never seen after the upgrade: ends at its answer');
    assert.equal(ended.billDurationSec, 0);
    const other = liveCall(10, { lastSeenAt: null });
    await store.insertCall(other);
    assert.equal(await store.touchLiveCalls(other.startedAt + 9000), 1);
    assert.equal((await store.getCall(other.callUuid))?.lastSeenAt, other.startedAt + 9000);
    await store.close();
  } finally {
    tmp.dispose();
  }
});

test('migrations: a database from a newer build is refused with ERR_STORAGE_SCHEMA_TOO_NEW', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'future.sqlite');
  try {
    const db = new BetterSqlite3(path);
    migrate(db);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      LATEST_SCHEMA_VERSION + 1,
      'future',
      0,
    );
    db.close();
    assert.throws(() => new SqliteCallStore({ path }), { code: 'ERR_STORAGE_SCHEMA_TOO_NEW' });
  } finally {
    tmp.dispose();
  }
});

test('records survive close and reopen', async () => {
  const tmp = tempDir();
  try {
    const first = openSqliteCallStoreIn(tmp.dir);
    const call = finishedCall(3);
    await first.insertCall(call);
    await first.insertStream(streamOf(call, 1));
    await first.close();
    const second = openSqliteCallStoreIn(tmp.dir);
    assert.deepEqual(await second.getCall(call.callUuid), call);
    assert.deepEqual(await second.getStream(call.callUuid, streamOf(call, 1).streamId), streamOf(call, 1));
    await second.close();
  } finally {
    tmp.dispose();
  }
});

/**
 * A database file at schema `version` holding one call (`callUuid`, `status`) written with that
 * version's columns; `check` gets the path (a store opened on it migrates it).
 */
async function withOldDatabase(
  version: number,
  callUuid: string,
  status: string,
  check: (path: string) => Promise<void>,
): Promise<void> {
  const tmp = tempDir();
  const path = join(tmp.dir, `v${version}.sqlite`);
  try {
    const db = new BetterSqlite3(path);
    assert.deepEqual(
      migrate(db, version),
      migrations.filter((m) => m.version <= version).map((m) => m.version),
    );
    db.prepare(
      `INSERT INTO calls (call_uuid, direction, from_number, to_number, status, started_at, ended_abnormally)
      VALUES (?, 'inbound', 'a', 'b', ?, 1, 0)`,
    ).run(callUuid, status);
    db.close();
    await check(path);
  } finally {
    tmp.dispose();
  }
}

test('migration 4: a version-3 database with a call gains the callback outbox and keeps the call', () =>
  withOldDatabase(3, 'c-v3', 'completed', async (path) => {
    const store = new SqliteCallStore({ path });
    assert.equal(currentSchemaVersion(store.databaseForTesting), LATEST_SCHEMA_VERSION);
    assert.equal((await store.getCall('c-v3'))?.status, 'completed');
    const row = await store.enqueueCallback(outboxEntry(1));
    await store.close();
    const again = new SqliteCallStore({ path });
    assert.deepEqual(await again.getCallback('cb-1'), row, 'the outbox row survives a reopen');
    await again.close();
  }));

test('migration 5: a version-4 database gains node_id; its calls read back with a null node', () =>
  withOldDatabase(4, 'c-v4', 'in-progress', async (path) => {
    const store = new SqliteCallStore({ path });
    assert.equal(currentSchemaVersion(store.databaseForTesting), LATEST_SCHEMA_VERSION);
    assert.equal((await store.getCall('c-v4'))?.nodeId, null);
    assert.equal(await store.touchLiveCalls(2, 'node-a'), 0, 'a call of no known node is no node’s');
    assert.deepEqual(await store.markLiveAsAbnormal(3), { calls: 1, streams: 0, hangupCallbacks: 0 });
    await store.close();
  }));
