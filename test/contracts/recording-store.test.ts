/**
 * The RecordingStore contract on the memory, SQLite (a file in a temp dir) and PostgreSQL (a throwaway
 * server, test/helpers/postgres.ts) adapters, and the SQLite store's durability across a reopen.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { MemoryRecordingStore } from '../../src/adapters/memory-store/memory-recording-store.js';
import { PostgresRecordingStore } from '../../src/adapters/postgres-store/postgres-recording-store.js';
import { openSqliteRecordingStoreIn } from '../../src/adapters/sqlite-store/sqlite-recording-store.js';
import { freshSchemaUrl, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { recordingOf, recordingStoreContract } from './recording-store.contract.js';

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

function baseUrl(): string {
  if (server === undefined) {
    throw failure instanceof Error ? failure : new Error(String(failure));
  }
  return server.url;
}

recordingStoreContract('memory', () => {
  const store = new MemoryRecordingStore();
  return { store, dispose: () => store.close() };
});

recordingStoreContract('sqlite (file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-rec-'));
  const store = openSqliteRecordingStoreIn(dir);
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

recordingStoreContract('postgres', async () => {
  const store = await PostgresRecordingStore.open({ url: await freshSchemaUrl(baseUrl()) });
  return { store, dispose: () => store.close() };
});

test('sqlite: records survive closing and reopening the data directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-rec-'));
  try {
    const a = openSqliteRecordingStoreIn(dir);
    await a.insertRecording(recordingOf(1));
    await a.close();
    const b = openSqliteRecordingStoreIn(dir);
    assert.deepEqual(await b.getRecording(recordingOf(1).recordingId), recordingOf(1));
    await b.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('postgres: two nodes opening one schema at once both get the table', async () => {
  const url = await freshSchemaUrl(baseUrl(), 'rrace');
  const [a, b] = await Promise.all([
    PostgresRecordingStore.open({ url }),
    PostgresRecordingStore.open({ url }),
  ]);
  try {
    await a.insertRecording(recordingOf(1));
    assert.deepEqual(await b.getRecording(recordingOf(1).recordingId), recordingOf(1));
  } finally {
    await a.close();
    await b.close();
  }
});
