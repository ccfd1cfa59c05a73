/**
 * CallbackDelivery on the callback outbox, against both stores (memory and SQLite), on a fake clock:
 * the row is written before the first attempt, retries follow the capped back-off and are recorded,
 * a give-up is recorded, and a second delivery (the next process) takes over what the first left
 * pending and delivers it once, in order per lane.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { MemoryCallStore } from '../../src/adapters/memory-store/memory-call-store.js';
import { openSqliteCallStoreIn } from '../../src/adapters/sqlite-store/sqlite-call-store.js';
import {
  CALLBACK_ID_HEADER,
  CallbackDelivery,
  type CallbackDeliveryOptions,
  type CallbackRequest,
} from '../../src/engine/callbacks/callback-delivery.js';
import type { CallStore } from '../../src/ports/call-store.js';
import type { HttpRequest, HttpResponse } from '../../src/ports/http-client.js';
import { nullLogger } from '../../src/ports/logger.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakeHttp, settle } from '../fakes/fake-http.js';

const OK: HttpResponse = { ok: true, status: 200, contentType: '', body: '' };
const DOWN: HttpResponse = { ok: true, status: 503, contentType: '', body: '' };

function hangup(n: number): CallbackRequest {
  return {
    url: 'http://app.test/hangup',
    method: 'POST',
    params: [
      ['CallUUID', `call-${n}`],
      ['Event', 'Hangup'],
      ['N', String(n)],
    ],
  };
}

let ids = 0;

function rig(
  store: CallStore,
  clock: FakeClock,
  answer: (req: HttpRequest) => HttpResponse,
  opts: Partial<CallbackDeliveryOptions> = {},
) {
  const http = new FakeHttp(clock, 10, answer);
  const delivery = new CallbackDelivery({
    http,
    timers: clock,
    clock,
    random: { uuid: () => `id-${++ids}`, bytes: (n) => new Uint8Array(n), int: () => 0 },
    logger: nullLogger,
    authToken: 'token',
    outbox: store,
    ...opts,
  });
  /** Moves fake time on in 10 ms steps, letting the delivery's promises run after each. */
  const run = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 10) {
      clock.advance(10);
      await settle();
    }
  };
  return { http, delivery, run };
}

type Factory = () => { store: CallStore; dispose: () => Promise<void> };

const stores: readonly (readonly [string, Factory])[] = [
  [
    'memory',
    () => {
      const store = new MemoryCallStore();
      return { store, dispose: () => store.close() };
    },
  ],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'streamfork-outbox-'));
      const store = openSqliteCallStoreIn(dir);
      return {
        store,
        dispose: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

for (const [name, factory] of stores) {
  void describe(`callback outbox delivery: ${name}`, () => {
    void test('the row exists before the first attempt; a 503, then a 200: delivered after 2 attempts, one id', async () => {
      const { store, dispose } = factory();
      try {
        const clock = new FakeClock();
        let answers = 0;
        const seenPending: boolean[] = [];
        // A slow store (as a networked one is): each outbox insert takes 50 ms of fake time.
        const enqueue = store.enqueueCallback.bind(store);
        store.enqueueCallback = (entry) =>
          new Promise<void>((resolve) => clock.after(50, resolve)).then(() => enqueue(entry));
        const r = rig(store, clock, () => (++answers === 1 ? DOWN : OK));
        const origRequest = r.http.request.bind(r.http);
        r.http.request = async (req) => {
          const id = req.headers?.[CALLBACK_ID_HEADER] ?? '';
          seenPending.push((await store.getCallback(id))?.status === 'pending');
          return origRequest(req);
        };
        r.delivery.send('hangup:call-1', hangup(1));
        await r.run(2000);
        const sent = r.http.to('http://app.test/hangup');
        assert.equal(sent.length, 2);
        const id = sent[0]?.req.headers?.[CALLBACK_ID_HEADER];
        assert.ok(id !== undefined && id !== '');
        assert.equal(sent[1]?.req.headers?.[CALLBACK_ID_HEADER], id, 'the same id on every attempt');
        assert.deepEqual(seenPending, [true, true], 'written before each attempt was sent');
        assert.ok(sent[1].atMs - (sent[0]?.atMs ?? 0) >= 500, 'the first back-off is 500 ms');
        const row = await store.getCallback(id);
        assert.deepEqual([row?.status, row?.attempts, row?.lastError], ['delivered', 2, 'HTTP 503']);
        assert.equal(row?.callUuid, 'call-1');
      } finally {
        await dispose();
      }
    });

    void test('given up after the attempt limit, with the back-off capped, and recorded on the row', async () => {
      const { store, dispose } = factory();
      try {
        const clock = new FakeClock();
        const r = rig(store, clock, () => DOWN, { maxAttempts: 5, backoffMs: 100, maxBackoffMs: 300 });
        r.delivery.send('hangup:call-2', hangup(2));
        await r.run(3000);
        const sent = r.http.to('http://app.test/hangup');
        assert.equal(sent.length, 5);
        const gaps = sent.slice(1).map((s, i) => s.atMs - (sent[i]?.atMs ?? 0) - 10);
        assert.deepEqual(gaps, [100, 200, 300, 300], 'doubling, capped at maxBackoffMs');
        const row = await store.getCallback(sent[0]?.req.headers?.[CALLBACK_ID_HEADER] ?? '');
        assert.equal(row?.status, 'given-up');
        assert.equal(row.attempts, 5);
        assert.match(row.lastError ?? '', /5 attempt\(s\) failed; last: HTTP 503/);
        assert.equal(r.delivery.stats.failed, 1);
      } finally {
        await dispose();
      }
    });

    void test('given up by age: a row older than maxAgeMs is not attempted after a restart', async () => {
      const { store, dispose } = factory();
      try {
        const clock = new FakeClock();
        const first = rig(store, clock, () => DOWN, { maxAttempts: 10, owner: 'first' });
        first.delivery.send('hangup:call-3', hangup(3));
        await first.run(100); // one failed attempt recorded, the next due later; then the process dies
        clock.advance(2 * 3600_000);
        const next = rig(store, clock, () => OK, { maxAgeMs: 3600_000, owner: 'next' });
        assert.equal(await next.delivery.recover(), 1);
        await next.run(100);
        assert.equal(next.http.requests.length, 0);
        const id = first.http.requests[0]?.req.headers?.[CALLBACK_ID_HEADER] ?? '';
        const row = await store.getCallback(id);
        assert.equal(row?.status, 'given-up');
        assert.match(row.lastError ?? '', /older than 3600 s/);
      } finally {
        await dispose();
      }
    });

    void test('at least once across a restart: what the first process left pending is delivered once, in lane order', async () => {
      const { store, dispose } = factory();
      try {
        const clock = new FakeClock();
        // The first process: its endpoint is down; it dies (is dropped) with three rows pending on two lanes.
        const first = rig(store, clock, () => DOWN, { maxAttempts: 10, owner: 'first' });
        first.delivery.send('stream-a', hangup(1));
        first.delivery.send('stream-a', hangup(2));
        first.delivery.send('stream-b', hangup(3));
        await first.run(100);
        assert.equal((await store.pendingCallbacks(10)).length, 3);
        // The next process on the same store: the endpoint is back.
        const next = rig(store, clock, () => OK, { maxAttempts: 10, owner: 'next' });
        assert.equal(await next.delivery.recover(), 3);
        await next.run(3000);
        const got = next.http.requests.map((r) => r.param('N'));
        assert.deepEqual(
          got.filter((n) => n !== '3'),
          ['1', '2'],
          'lane order kept',
        );
        assert.deepEqual([...got].sort(), ['1', '2', '3'], 'each exactly once');
        assert.equal((await store.pendingCallbacks(10)).length, 0);
        // The same ids as the first process used: the receiver can tell a repeat.
        const firstIds = new Set(first.http.requests.map((r) => r.req.headers?.[CALLBACK_ID_HEADER]));
        for (const r of next.http.requests.filter((x) => x.param('N') !== '2')) {
          assert.ok(firstIds.has(r.req.headers?.[CALLBACK_ID_HEADER]));
        }
        // A third process finds nothing left.
        const third = rig(store, clock, () => OK, { owner: 'third' });
        assert.equal(await third.delivery.recover(), 0);
      } finally {
        await dispose();
      }
    });

    void test('frequent callbacks are not written; a store that fails is logged and the callback still goes out', async () => {
      const { store, dispose } = factory();
      try {
        const clock = new FakeClock();
        const r = rig(store, clock, () => OK);
        r.delivery.send('stream-c', hangup(7), { kind: 'frequent' });
        await r.run(100);
        assert.equal(r.http.requests.length, 1);
        const id = r.http.requests[0]?.req.headers?.[CALLBACK_ID_HEADER] ?? '';
        assert.equal(await store.getCallback(id), undefined);
        await store.close();
        r.delivery.send('hangup:call-8', hangup(8));
        await r.run(100);
        assert.equal(r.http.requests.length, 2, 'sent anyway');
      } finally {
        await dispose();
      }
    });
  });
}
