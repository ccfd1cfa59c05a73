/**
 * Call control on an asynchronous store (issue 10 item 3): writes that take a while, each a different
 * time (as a networked database's do), still reach the store in the order they happened, so a record
 * never goes back to an older state; and a store whose every write fails costs only log lines — the
 * call runs, ends and sends its hangup callback.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import { MemoryCallStore } from '../../src/adapters/memory-store/memory-call-store.js';
import type { CallPatch, CallRecord, StreamPatch, StreamRecord } from '../../src/ports/call-store.js';
import { ServerError } from '../../src/errors/server-error.js';
import { startReferenceConsumer } from '../consumer/reference-consumer.js';
import { streamElement } from '../helpers/stream-call.js';
import { startHarness, within, xml, type Harness } from './call-control-harness.js';

/** Every write waits 0–25 ms (a different time each) before it runs; `applied` lists what ran, in order. */
class JitteryStore extends MemoryCallStore {
  readonly applied: string[] = [];
  #n = 0;

  #later<T>(what: string, run: () => Promise<T>): Promise<T> {
    const wait = (this.#n++ * 7919) % 26; // deterministic, and not monotonic
    return new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => {
      this.applied.push(what);
      return run();
    });
  }

  override insertCall(call: CallRecord): Promise<void> {
    return this.#later(`call ${call.status}`, () => super.insertCall(call));
  }

  override updateCall(callUuid: string, patch: CallPatch): Promise<CallRecord | undefined> {
    return this.#later(`call ${patch.status ?? 'patch'}`, () => super.updateCall(callUuid, patch));
  }

  override insertStream(stream: StreamRecord): Promise<void> {
    return this.#later(`stream ${stream.status}`, () => super.insertStream(stream));
  }

  override updateStream(
    callUuid: string,
    streamId: string,
    patch: StreamPatch,
  ): Promise<StreamRecord | undefined> {
    return this.#later(`stream ${patch.status ?? 'patch'}`, () =>
      super.updateStream(callUuid, streamId, patch),
    );
  }
}

/** Reads work; every write rejects. */
class BrokenStore extends MemoryCallStore {
  override insertCall(): Promise<void> {
    return Promise.reject(new ServerError('ERR_STORAGE_IO', 'disk full'));
  }

  override updateCall(): Promise<CallRecord | undefined> {
    return Promise.reject(new ServerError('ERR_STORAGE_IO', 'disk full'));
  }

  override insertStream(): Promise<void> {
    return Promise.reject(new ServerError('ERR_STORAGE_IO', 'disk full'));
  }

  override updateStream(): Promise<StreamRecord | undefined> {
    return Promise.reject(new ServerError('ERR_STORAGE_IO', 'disk full'));
  }
}

const harnesses: Harness[] = [];
after(async () => {
  for (const h of harnesses) {
    await h.close();
  }
});

test('writes of different durations land in the order they happened: the records end completed', async () => {
  const store = new JitteryStore();
  const h = await startHarness({ store });
  harnesses.push(h);
  const consumer = await startReferenceConsumer({ path: '/jitter' });
  try {
    h.app.route('/stream', { body: xml(streamElement(consumer.url, { keepCallAlive: true })) });
    const placed = h.place({ answerPath: '/stream' });
    const session = await consumer.waitForSession(10_000);
    await session.waitFor((_m, s) => s.inboundAudio.length > 0, 5000);
    await session.close(1000);
    await within(placed.ended, 10_000, 'the call');
    await within(h.control.idle(), 5000, 'records');
    const streamWrites = store.applied.filter((w) => w.startsWith('stream '));
    assert.deepEqual(streamWrites, ['stream initiated', 'stream in-progress', 'stream completed']);
    assert.equal(store.applied[0], 'call in-progress', 'the call is inserted before anything refers to it');
    const [stream] = (await store.listStreams(placed.call.callUuid, { limit: 5, offset: 0 })).items;
    assert.equal(stream?.status, 'completed');
    assert.equal((await store.getCall(placed.call.callUuid))?.status, 'completed');
  } finally {
    await consumer.close();
  }
});

test('a store whose writes all fail: the call still runs and ends, its hangup callback goes out, failures are logged with the call', async () => {
  const h = await startHarness({ store: new BrokenStore() });
  harnesses.push(h);
  h.app.route('/short', { body: xml('<Wait length="1"/>') });
  h.app.route('/hangup', { body: '' });
  const placed = h.place({ answerPath: '/short', hangupPath: '/hangup' });
  await within(placed.ended, 10_000, 'the call');
  await within(h.control.idle(), 5000, 'records');
  await h.app.waitFor((r) => r.path === '/hangup', 5000, 'the hangup callback');
  const failures = h.runtime.logs.filter(
    (e) =>
      e.level === 'error' && e.fields['callUuid'] === placed.call.callUuid && e.msg.includes('could not'),
  );
  assert.ok(failures.some((e) => e.msg.startsWith('could not record the call')));
  assert.ok(failures.some((e) => e.msg.startsWith('could not update the call record')));
});
