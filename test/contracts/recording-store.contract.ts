/**
 * The behaviour every `RecordingStore` adapter must show; `recording-store.test.ts` runs it on the
 * memory, SQLite and PostgreSQL adapters.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { RecordingRecord, RecordingStore } from '../../src/ports/recording-store.js';
import { ServerError } from '../../src/errors/server-error.js';
import { fixtureUuid } from './call-store.contract.js';

export interface OpenedRecordingStore {
  readonly store: RecordingStore;
  readonly dispose: () => void | Promise<void>;
}

const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);

/** A completed stereo recording `n` seconds after a fixed epoch, on call `call`. */
export function recordingOf(n: number, call = 1, overrides: Partial<RecordingRecord> = {}): RecordingRecord {
  return {
    recordingId: fixtureUuid(9, n),
    callUuid: fixtureUuid(1, call),
    format: 'wav',
    channels: 2,
    source: 'api',
    state: 'completed',
    failureReason: null,
    startedAt: T0 + n * 1000,
    endedAt: T0 + n * 1000 + 60_000,
    durationMs: 60_000,
    sizeBytes: 44 + 60 * 32_000,
    ...overrides,
  };
}

export function recordingStoreContract(
  name: string,
  open: () => OpenedRecordingStore | Promise<OpenedRecordingStore>,
): void {
  const withStore = (title: string, fn: (store: RecordingStore) => Promise<void>): void => {
    test(title, async () => {
      const opened = await open();
      try {
        await fn(opened.store);
      } finally {
        await opened.dispose();
      }
    });
  };

  describe(`RecordingStore contract: ${name}`, () => {
    withStore('insert and get round-trip every field; an unknown id is undefined', async (store) => {
      const r = recordingOf(1);
      await store.insertRecording(r);
      assert.deepEqual(await store.getRecording(r.recordingId), r);
      const open = recordingOf(2, 1, {
        channels: 1,
        source: 'xml',
        state: 'recording',
        endedAt: null,
        durationMs: null,
        sizeBytes: null,
      });
      await store.insertRecording(open);
      assert.deepEqual(await store.getRecording(open.recordingId), open);
      assert.equal(await store.getRecording(fixtureUuid(9, 999)), undefined);
    });

    withStore('a duplicate id is ERR_STORAGE_DUPLICATE', async (store) => {
      await store.insertRecording(recordingOf(1));
      await assert.rejects(store.insertRecording(recordingOf(1)), (err: unknown) => {
        assert.ok(err instanceof ServerError);
        assert.equal(err.code, 'ERR_STORAGE_DUPLICATE');
        return true;
      });
    });

    withStore(
      'update applies the defined fields and returns the record; unknown id undefined',
      async (store) => {
        const r = recordingOf(1, 1, { state: 'recording', endedAt: null, durationMs: null, sizeBytes: null });
        await store.insertRecording(r);
        const done = await store.updateRecording(r.recordingId, {
          state: 'failed',
          failureReason: 'ENOSPC: no space left on device',
          endedAt: r.startedAt + 5000,
          durationMs: 5000,
          sizeBytes: 44 + 5 * 32_000,
        });
        assert.deepEqual(done, {
          ...r,
          state: 'failed',
          failureReason: 'ENOSPC: no space left on device',
          endedAt: r.startedAt + 5000,
          durationMs: 5000,
          sizeBytes: 44 + 5 * 32_000,
        });
        assert.deepEqual(await store.getRecording(r.recordingId), done);
        assert.equal(await store.updateRecording(fixtureUuid(9, 999), { state: 'completed' }), undefined);
      },
    );

    withStore('list: newest first, total, limit/offset, by call and by start-time bounds', async (store) => {
      for (let n = 1; n <= 6; n++) {
        await store.insertRecording(recordingOf(n, n % 2 === 0 ? 2 : 3));
      }
      const all = await store.listRecordings({ limit: 20, offset: 0 });
      assert.equal(all.total, 6);
      assert.deepEqual(
        all.items.map((r) => r.recordingId),
        [6, 5, 4, 3, 2, 1].map((n) => fixtureUuid(9, n)),
      );
      const page = await store.listRecordings({ limit: 2, offset: 1 });
      assert.equal(page.total, 6);
      assert.deepEqual(
        page.items.map((r) => r.recordingId),
        [5, 4].map((n) => fixtureUuid(9, n)),
      );
      const byCall = await store.listRecordings({ limit: 20, offset: 0, callUuid: fixtureUuid(1, 2) });
      assert.equal(byCall.total, 3);
      assert.deepEqual(
        byCall.items.map((r) => r.recordingId),
        [6, 4, 2].map((n) => fixtureUuid(9, n)),
      );
      const t = (n: number): number => T0 + n * 1000;
      const window = await store.listRecordings({
        limit: 20,
        offset: 0,
        startedAfter: t(2),
        startedAtOrBefore: t(5),
      });
      assert.deepEqual(
        window.items.map((r) => r.recordingId),
        [5, 4, 3].map((n) => fixtureUuid(9, n)),
      );
      const closed = await store.listRecordings({
        limit: 20,
        offset: 0,
        startedAtOrAfter: t(2),
        startedBefore: t(5),
        callUuid: fixtureUuid(1, 3),
      });
      assert.deepEqual(
        closed.items.map((r) => r.recordingId),
        [3].map((n) => fixtureUuid(9, n)),
      );
      assert.equal(closed.total, 1);
      await store.updateRecording(fixtureUuid(9, 4), { state: 'recording' });
      const open = await store.listRecordings({ limit: 20, offset: 0, state: 'recording' });
      assert.deepEqual(
        open.items.map((r) => r.recordingId),
        [fixtureUuid(9, 4)],
      );
    });

    withStore('delete removes the record once', async (store) => {
      await store.insertRecording(recordingOf(1));
      assert.equal(await store.deleteRecording(fixtureUuid(9, 1)), true);
      assert.equal(await store.getRecording(fixtureUuid(9, 1)), undefined);
      assert.equal(await store.deleteRecording(fixtureUuid(9, 1)), false);
    });

    withStore('failOpenRecordings fails only recordings still recording', async (store) => {
      await store.insertRecording(recordingOf(1));
      await store.insertRecording(
        recordingOf(2, 1, { state: 'recording', endedAt: null, durationMs: null, sizeBytes: null }),
      );
      assert.equal(await store.failOpenRecordings(T0 + 99_000), 1);
      const failed = await store.getRecording(fixtureUuid(9, 2));
      assert.ok(failed);
      assert.equal(failed.state, 'failed');
      assert.equal(failed.failureReason, 'Server Restart');
      assert.equal(failed.endedAt, T0 + 99_000);
      assert.equal((await store.getRecording(fixtureUuid(9, 1)))?.state, 'completed');
      assert.equal(await store.failOpenRecordings(T0 + 100_000), 0);
    });

    withStore('a closed store rejects with ERR_STORAGE_CLOSED', async (store) => {
      await store.close();
      await assert.rejects(
        async () => store.getRecording(fixtureUuid(9, 1)),
        (err: unknown) => err instanceof ServerError && err.code === 'ERR_STORAGE_CLOSED',
      );
    });
  });
}
