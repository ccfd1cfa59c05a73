/**
 * `EngineCallCommands` on a real runtime and call control (the API fixture's): each command's typed
 * result, and that its records are in the store by the time it resolves, so the API (which reads only
 * the store) sees at once what the command changed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { until } from '../helpers/stream-call.js';
import { apiFixture } from '../interop/plivo-sdk/api-fixture.js';
import type { StreamStartRequest } from '../../src/ports/call-commands.js';

const fx = apiFixture();
let consumer: ReferenceConsumer;

before(async () => {
  consumer = await startReferenceConsumer({ path: '/commands' });
});
after(async () => {
  await fx.close();
  await consumer.close();
});

function request(): StreamStartRequest {
  return {
    serviceUrl: consumer.url,
    bidirectional: false,
    audioTrack: 'inbound',
    streamTimeoutSec: 60,
    statusCallbackMethod: 'POST',
    contentType: 'audio/x-l16;rate=8000',
  };
}

test('startStream: ok with the stream id, its record already in the store; the fork never holds the XML', async () => {
  const { call } = await fx.addLiveCall();
  const result = await fx.commands.startStream(call.callUuid, request());
  assert.ok(result.ok);
  const record = await fx.store.getStream(call.callUuid, result.streamId);
  assert.equal(record?.serviceUrl, consumer.url);
  assert.equal(call.allStreams.find((f) => f.streamId === result.streamId)?.spec.keepCallAlive, false);
});

test('stopStream: ok while live and the record says so; then not-live; an unknown stream is not-found', async () => {
  const { call } = await fx.addLiveCall();
  const started = await fx.commands.startStream(call.callUuid, request());
  assert.ok(started.ok);
  const streamId = started.streamId;
  assert.deepEqual(await fx.commands.stopStream(call.callUuid, streamId, 'API request'), { ok: true });
  await until(
    async () => (await fx.store.getStream(call.callUuid, streamId))?.stopReason === 'API request',
    2000,
    'the stop recorded',
  );
  const again = await fx.commands.stopStream(call.callUuid, streamId, 'API request');
  assert.equal(again.ok ? undefined : again.reason, 'not-live');
  const unknown = await fx.commands.stopStream(call.callUuid, crypto.randomUUID(), 'API request');
  assert.equal(unknown.ok ? undefined : unknown.reason, 'not-found');
});

test('hangup: ok, then not-live (the store knows the call); a call never seen is not-found', async () => {
  const { call } = await fx.addLiveCall();
  assert.deepEqual(await fx.commands.hangup(call.callUuid, 'Normal Hangup'), { ok: true });
  await until(
    async () => (await fx.store.getCall(call.callUuid))?.hangupSource === 'API Request',
    2000,
    'the hangup recorded',
  );
  const again = await fx.commands.hangup(call.callUuid, 'Normal Hangup');
  assert.deepEqual(again, { ok: false, reason: 'not-live', message: 'call is not in progress' });
  const ended = await fx.addCompletedCall();
  for (const result of [
    await fx.commands.sendDtmf(ended.callUuid, '1'),
    await fx.commands.transfer(ended.callUuid, 'http://127.0.0.1:9/t', 'POST'),
    await fx.commands.startStream(ended.callUuid, request()),
  ]) {
    assert.equal(result.ok ? undefined : result.reason, 'not-live');
  }
  const unknown = await fx.commands.hangup(crypto.randomUUID(), 'Normal Hangup');
  assert.deepEqual(unknown, { ok: false, reason: 'not-found', message: 'call not found' });
  const none = await fx.commands.stopAllStreams(crypto.randomUUID(), 'API request');
  assert.equal(none.ok ? undefined : none.reason, 'not-found');
});

test('stopAllStreams: stops every live stream of the call and says how many', async () => {
  const { call } = await fx.addLiveCall();
  for (let i = 0; i < 2; i++) {
    const r = await fx.commands.startStream(call.callUuid, {
      ...request(),
      serviceUrl: `${consumer.url}?n=${i}`,
    });
    assert.ok(r.ok, JSON.stringify(r));
  }
  assert.deepEqual(await fx.commands.stopAllStreams(call.callUuid, 'API request'), { ok: true, stopped: 2 });
  await until(() => call.liveStreams.length === 0, 2000, 'both streams stopped');
});
