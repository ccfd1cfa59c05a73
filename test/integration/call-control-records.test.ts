/**
 * Records kept by CallControl: every stream (XML `<Stream>` or REST-style `call.startStream`) goes
 * initiated → in-progress → completed/failed with its stop reason; the call record follows the call;
 * REST transfer aborts the running XML without ending the call. Store writes are observed through a
 * spy on a MemoryCallStore, and the same flow is checked against a temporary SQLite file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { RecordProjector } from '../../src/app/records/record-projector.js';
import { MemoryCallStore } from '../../src/adapters/memory-store/memory-call-store.js';
import { openSqliteCallStoreIn } from '../../src/adapters/sqlite-store/sqlite-call-store.js';
import { CallControl } from '../../src/app/call-control.js';
import { VirtualLeg } from '../../src/engine/call/virtual-leg.js';
import { streamSpecOf } from '../../src/engine/interpreter/elements/basic.js';
import { parsePlivoXml } from '../../src/protocol/plivo-xml/parse.js';
import type { StreamNode } from '../../src/protocol/plivo-xml/types.js';
import type { CallStore, StreamPatch, StreamRecord } from '../../src/ports/call-store.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { closedPortUrl } from '../helpers/fault-peers.js';
import { streamElement, until } from '../helpers/stream-call.js';
import {
  TEST_ACCOUNT_ID,
  TEST_AUTH_TOKEN,
  startHarness,
  within,
  xml,
  type Harness,
} from './call-control-harness.js';

let h: Harness;
let consumer: ReferenceConsumer;
/** Stream statuses written to the store, per stream id, in order. */
const written = new Map<string, string[]>();

class SpyStore extends MemoryCallStore {
  override insertStream(stream: StreamRecord): Promise<void> {
    written.set(stream.streamId, [stream.status]);
    return super.insertStream(stream);
  }

  override updateStream(
    callUuid: string,
    streamId: string,
    patch: StreamPatch,
  ): Promise<StreamRecord | undefined> {
    if (patch.status !== undefined) {
      written.get(streamId)?.push(patch.status);
    }
    return super.updateStream(callUuid, streamId, patch);
  }
}

before(async () => {
  h = await startHarness({ store: new SpyStore() });
  consumer = await startReferenceConsumer({ path: '/rec' });
});

after(async () => {
  await consumer.close();
  await h.close();
});

async function streamsOf(callUuid: string): Promise<readonly StreamRecord[]> {
  return (await h.store.listStreams(callUuid, { limit: 20, offset: 0 })).items;
}

function specFor(url: string): ReturnType<typeof streamSpecOf> {
  const parsed = parsePlivoXml(xml(streamElement(url)));
  assert.ok(parsed.ok);
  return streamSpecOf(parsed.value.response.children[0] as StreamNode);
}

test('XML stream: initiated → in-progress → completed ("Closed by app"); a failed connect: failed ("Connection error")', async () => {
  const refused = await closedPortUrl('/refused');
  h.app.route('/two', {
    body: xml(
      streamElement(refused, { keepCallAlive: true }),
      streamElement(consumer.url, { keepCallAlive: true }),
    ),
  });
  const placed = h.place({ answerPath: '/two' });
  const session = await consumer.waitForSession(10000);
  await session.waitFor((_m, s) => s.inboundAudio.length > 0, 5000);
  const live = (await streamsOf(placed.call.callUuid)).find((s) => s.serviceUrl === consumer.url);
  assert.equal(live?.status, 'in-progress');
  assert.equal((await h.store.getCall(placed.call.callUuid))?.status, 'in-progress');
  await session.close(1000);
  await within(placed.ended, 10000, 'the call');
  await within(h.control.idle(), 5000, 'records');
  const byUrl = new Map((await streamsOf(placed.call.callUuid)).map((s) => [s.serviceUrl, s]));
  const failed = byUrl.get(refused);
  const completed = byUrl.get(consumer.url);
  assert.ok(failed !== undefined && completed !== undefined);
  assert.deepEqual(written.get(failed.streamId), ['initiated', 'failed']);
  assert.equal(failed.stopReason, 'Connection error');
  assert.ok(typeof failed.error === 'string' && failed.error !== '');
  assert.deepEqual(written.get(completed.streamId), ['initiated', 'in-progress', 'completed']);
  assert.equal(completed.stopReason, 'Closed by app');
});

test('REST-style call.startStream is recorded; stopped by API, and one left running ends with "Call hangup"', async () => {
  h.app.route('/wait', { body: xml('<Wait length="30"/>') });
  const placed = h.place({ answerPath: '/wait' });
  await until(
    async () => (await h.store.getCall(placed.call.callUuid)) !== undefined,
    2000,
    'the call record',
  );
  const first = placed.call.startStream(specFor(`${consumer.url}?n=1`));
  const second = placed.call.startStream(specFor(`${consumer.url}?n=2`));
  await until(
    () => first.status === 'in-progress' && second.status === 'in-progress',
    5000,
    'both streams up',
  );
  assert.equal((await h.store.getStream(placed.call.callUuid, first.streamId))?.status, 'in-progress');
  first.stop('API request');
  await first.ended;
  // Records are written through the call's write chain, after the event: wait for it.
  await until(
    async () => (await h.store.getStream(placed.call.callUuid, first.streamId))?.stopReason === 'API request',
    2000,
    'the stopped stream record',
  );
  placed.leg.callerHangup('NORMAL_CLEARING');
  await within(placed.ended, 5000, 'the call');
  await within(h.control.idle(), 5000, 'records');
  assert.deepEqual(written.get(first.streamId), ['initiated', 'in-progress', 'completed']);
  const rec = await h.store.getStream(placed.call.callUuid, second.streamId);
  assert.equal(rec?.status, 'completed');
  assert.equal(rec.stopReason, 'Call hangup');
  const call = await h.store.getCall(placed.call.callUuid);
  assert.equal(call?.hangupCause, 'NORMAL_CLEARING');
  assert.equal(call.hangupSource, 'Caller');
});

test('transfer aborts the running XML without ending the call, then runs the new document', async () => {
  h.app.route('/long', { body: xml('<Wait length="30"/>') });
  h.app.route('/transferred', { body: xml('<Hangup reason="busy"/>') });
  const placed = h.place({ answerPath: '/long' });
  await until(() => h.app.requestsTo('/long').length === 1, 2000, 'the answer fetch');
  assert.equal(h.control.transfer('no-such-call', h.app.url('/transferred'), 'POST'), false);
  assert.equal(h.control.transfer(placed.call.callUuid, h.app.url('/transferred'), 'GET'), true);
  const hangup = await within(placed.ended, 5000, 'the call after transfer');
  assert.equal(hangup.cause, 'USER_BUSY');
  const [req] = h.app.requestsTo('/transferred');
  assert.equal(req?.method, 'GET');
  assert.equal(req.param('CallUUID'), placed.call.callUuid);
  assert.equal(
    h.control.transfer(placed.call.callUuid, h.app.url('/transferred'), 'GET'),
    false,
    'no transfer after the end',
  );
});

test('the same records on a temporary SQLite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-cc-'));
  const store: CallStore = openSqliteCallStoreIn(dir);
  const own = await startReferenceConsumer({ path: '/db' });
  try {
    const records = new RecordProjector({ store, logger: h.runtime.logger, events: h.runtime.engine.events });
    const control = new CallControl({
      engine: h.runtime.engine,
      records,
      tts: h.tts,
      audio: h.audio,
      logger: h.runtime.logger,
      ...h.runtime.ports,
      accountId: TEST_ACCOUNT_ID,
      authToken: TEST_AUTH_TOKEN,
    });
    h.app.route('/sqlite', { body: xml(streamElement(own.url, { keepCallAlive: true })) });
    const leg = new VirtualLeg({ callerAudio: new Int16Array(0) });
    const call = h.runtime.engine.addCall(leg);
    const ended = new Promise((resolve) => {
      call.on('ended', resolve);
    });
    control.run(
      call,
      {
        callUuid: call.callUuid,
        requestUuid: h.runtime.ports.random.uuid(),
        from: '+14155550100',
        to: '+14155550199',
        direction: 'outbound',
        accountId: TEST_ACCOUNT_ID,
        startedAtMs: Date.now(),
      },
      { answerUrl: h.app.url('/sqlite'), answerMethod: 'GET', timeoutMs: 2000 },
    );
    const session = await own.waitForSession(10000);
    await session.close(1000);
    await within(ended, 10000, 'the call');
    await within(control.idle(), 5000, 'records');
    const rec = await store.getCall(call.callUuid);
    assert.equal(rec?.hangupCause, 'End Of XML Instructions');
    assert.equal(rec.direction, 'outbound');
    assert.equal(rec.requestUuid !== null, true);
    const streams = (await store.listStreams(call.callUuid, { limit: 5, offset: 0 })).items;
    assert.equal(streams.length, 1);
    assert.equal(streams[0]?.status, 'completed');
    assert.equal(await store.integrityCheck(), 'ok');
  } finally {
    await own.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
