/**
 * The CallStore contract (records and callback outbox) on a real PostgreSQL (test/helpers/postgres.ts:
 * one throwaway server for the file, a fresh schema per test), the migrations under concurrent
 * starts, the error mapping, and two nodes claiming one outbox at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import pg from 'pg';

import { callStoreContract, finishedCall } from './call-store.contract.js';
import { outboxEntry } from './outbox.contract.js';
import { PG_LATEST_SCHEMA_VERSION, pgSchemaVersion } from '../../src/adapters/postgres-store/migrations.js';
import { PostgresCallStore } from '../../src/adapters/postgres-store/postgres-call-store.js';
import { freshSchemaUrl, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { freeTcpPort } from '../interop/helpers/serve.js';

let server: TestPostgres | undefined;
let failure: unknown;

before(async () => {
  try {
    server = await startPostgres();
  } catch (err) {
    failure = err;
  }
});

after(async () => {
  await server?.stop();
});

/** The server's URL; fails the test (naming the Debian package) when it could not be started. */
function baseUrl(): string {
  if (server === undefined) {
    throw failure instanceof Error ? failure : new Error(String(failure));
  }
  return server.url;
}

callStoreContract('postgres', async () => {
  const store = await PostgresCallStore.open({ url: await freshSchemaUrl(baseUrl()), poolSize: 2 });
  return { store, dispose: () => store.close() };
});

test('migrations: two nodes starting at once on an empty schema both come up at the latest version', async () => {
  const url = await freshSchemaUrl(baseUrl(), 'race');
  const [a, b] = await Promise.all([PostgresCallStore.open({ url }), PostgresCallStore.open({ url })]);
  try {
    assert.equal(await pgSchemaVersion(a.poolForTesting), PG_LATEST_SCHEMA_VERSION);
    const applied = await a.poolForTesting.query<{ n: number }>(
      'SELECT count(*) AS n FROM schema_migrations',
    );
    assert.equal(applied.rows[0]?.n, PG_LATEST_SCHEMA_VERSION, 'each version applied once');
    await a.insertCall(finishedCall(1));
    assert.deepEqual(await b.getCall(finishedCall(1).callUuid), finishedCall(1), 'one shared database');
    assert.equal(await b.integrityCheck(), 'ok');
  } finally {
    await a.close();
    await b.close();
  }
});

test('migrations: a database from a newer build is refused with ERR_STORAGE_SCHEMA_TOO_NEW', async () => {
  const url = await freshSchemaUrl(baseUrl(), 'future');
  const store = await PostgresCallStore.open({ url });
  await store.poolForTesting.query(
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 0)",
    [PG_LATEST_SCHEMA_VERSION + 1],
  );
  assert.match(await store.integrityCheck(), /schema version/);
  await store.close();
  await assert.rejects(PostgresCallStore.open({ url }), { code: 'ERR_STORAGE_SCHEMA_TOO_NEW' });
});

test('an unreachable server fails the open with one line naming it, the setting, and no password', async () => {
  const port = await freeTcpPort();
  const url = `postgres://streamfork:s3cret-pw@127.0.0.1:${port}/streamfork`;
  await assert.rejects(
    PostgresCallStore.open({ url, connectTimeoutMs: 2000 }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_STORAGE_UNREACHABLE');
      assert.ok(!err.message.includes('s3cret-pw'), err.message);
      assert.ok(!err.message.includes('\n'), 'one line');
      assert.match(
        err.message,
        new RegExp(
          `cannot reach PostgreSQL at postgres://\\[redacted\\]@127\\.0\\.0\\.1:${port}/streamfork \\(storage\\.url`,
        ),
      );
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    },
  );
});

test('two nodes claiming one dead node’s outbox at once never both get a row', async () => {
  const url = await freshSchemaUrl(baseUrl(), 'claim');
  const nodes = await Promise.all([PostgresCallStore.open({ url }), PostgresCallStore.open({ url })]);
  try {
    const [a, b] = nodes;
    const rows = 300;
    // Many lanes, as a node's many calls leave; one multi-row enqueue per lane is not needed.
    await Promise.all(
      Array.from({ length: rows }, (_, i) => a.enqueueCallback(outboxEntry(i, `stream:s${i % 17}`, 'dead'))),
    );
    const claimAll = async (store: PostgresCallStore, owner: string): Promise<string[]> => {
      const got: string[] = [];
      for (;;) {
        const batch = await store.claimCallbacks({ owner, from: 'dead', limit: 7 });
        if (batch.length === 0) {
          return got;
        }
        got.push(...batch.map((r) => r.id));
      }
    };
    const runs = await Promise.all([
      claimAll(a, 'node-a'),
      claimAll(b, 'node-b'),
      claimAll(a, 'node-a'),
      claimAll(b, 'node-b'),
    ]);
    const byA = [...runs[0], ...runs[2]];
    const byB = [...runs[1], ...runs[3]];
    const both = byA.filter((id) => byB.includes(id));
    assert.deepEqual(both, [], 'no row claimed by both nodes');
    assert.equal(new Set([...byA, ...byB]).size, rows, 'every row claimed');
    assert.equal(byA.length + byB.length, rows, 'and each once');
    assert.ok(byA.length > 0 && byB.length > 0, `both nodes took part (${byA.length}/${byB.length})`);
    for (const id of byA.slice(0, 5)) {
      assert.equal((await b.getCallback(id))?.owner, 'node-a');
    }
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
  }
});

test('killed connections: the pool reports them, replaces them, and the process lives on', async () => {
  const url = await freshSchemaUrl(baseUrl(), 'gone');
  const idleErrors: string[] = [];
  const store = await PostgresCallStore.open({ url, onIdleError: (err) => idleErrors.push(err.code) });
  try {
    await store.insertCall(finishedCall(1));
    const admin = new pg.Client({ connectionString: baseUrl() });
    await admin.connect();
    // Ends every other session on the server: the store's idle pooled connection among them.
    const killed = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
    );
    await admin.end();
    assert.ok((killed.rowCount ?? 0) >= 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(idleErrors, ['ERR_STORAGE_IO'], 'the idle connection’s end is reported, not thrown');
    assert.deepEqual(
      await store.getCall(finishedCall(1).callUuid),
      finishedCall(1),
      'a new connection serves',
    );
  } finally {
    await store.close();
  }
});
