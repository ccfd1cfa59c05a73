/**
 * Issue 5 acceptance: the official `plivo` npm SDK as the real REST client (compatibility §8, §9,
 * dependencies.md §6a). Its base URL is hard-coded to https://api.plivo.com, so it runs in a child
 * process with its public `proxy` option pointing at a local CONNECT proxy, which tunnels to the API
 * server's TLS listener presenting a self-signed certificate for api.plivo.com; the child trusts that
 * certificate through NODE_EXTRA_CA_CERTS (and a child without it must fail the TLS check).
 *
 * The SDK's exception classes (InvalidRequestError, AuthenticationError, ResourceNotFoundError) are
 * ES5-compiled subclasses of Error whose constructors return a plain Error, so `instanceof` never
 * matches them; the checks below use the `status`, `message` (our `error`) and `apiID` they carry.
 *
 * Against a live virtual call: start a stream (the app receives `start`), list, get, stop one, stop
 * all; create calls through a fake dialler; get, list, send digits, transfer, hang up.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { until } from '../helpers/stream-call.js';
import {
  TEST_ACCOUNT_ID,
  TEST_AUTH_TOKEN,
  apiFixture,
  type ApiFixture,
  type LiveCall,
} from './plivo-sdk/api-fixture.js';
import { startConnectProxy, type ConnectProxy } from './plivo-sdk/connect-proxy.js';
import { spawnSdk, type SdkProcess } from './plivo-sdk/sdk-client.js';
import { makeCertificate, type TestCertificate } from './plivo-sdk/tls-cert.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Json = Record<string, unknown>;
interface SdkList {
  readonly items: Json[];
  readonly meta: Json | null;
}

let cert: TestCertificate;
let fx: ApiFixture;
let proxy: ConnectProxy;
let sdk: SdkProcess;
let consumer: ReferenceConsumer;
let live: LiveCall;

before(async () => {
  cert = makeCertificate('api.plivo.com');
  fx = apiFixture({ https: { key: cert.key, cert: cert.cert } });
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
  const address = fx.app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  proxy = await startConnectProxy(address.port);
  sdk = spawnSdk({
    authId: TEST_ACCOUNT_ID,
    authToken: TEST_AUTH_TOKEN,
    proxyUrl: proxy.url,
    caPath: cert.certPath,
  });
  consumer = await startReferenceConsumer({ path: '/sdk', authToken: TEST_AUTH_TOKEN });
  live = await fx.addLiveCall();
});

after(async () => {
  await sdk.close();
  await fx.close();
  await proxy.close();
  await consumer.close();
  cert.remove();
});

test('TLS is really verified: an SDK process that does not trust our certificate fails', async () => {
  const untrusting = spawnSdk({
    authId: TEST_ACCOUNT_ID,
    authToken: TEST_AUTH_TOKEN,
    proxyUrl: proxy.url,
    caPath: undefined,
  });
  try {
    const answer = await untrusting.call('getAllStream', [live.call.callUuid]);
    assert.equal(answer.ok, false);
    assert.ok(!answer.ok);
    assert.match(answer.error.message, /self[- ]signed certificate/i);
  } finally {
    await untrusting.close();
  }
});

let firstStreamId = '';

test('calls.stream → {apiId, message, streamId}; the app receives start with that streamId', async () => {
  const res = await sdk.ok<Json>('stream', live.call.callUuid, consumer.url, {
    bidirectional: true,
    audioTrack: 'inbound',
    streamTimeout: 300,
    contentType: 'audio/x-mulaw;rate=8000',
    statusCallbackMethod: 'POST',
    extraHeaders: 'tenant=acme,session=42',
  });
  assert.match(String(res['apiId']), UUID_V4);
  assert.equal(res['message'], 'audio streaming started');
  assert.match(String(res['streamId']), UUID_V4);
  firstStreamId = String(res['streamId']);
  const session = await consumer.waitForSession(5000);
  const start = await session.waitForStart(5000);
  assert.equal(start.start.streamId, firstStreamId);
  assert.equal(start.start.callId, live.call.callUuid);
  assert.equal(start.start.accountId, TEST_ACCOUNT_ID);
  assert.equal(start.start.mediaFormat.encoding, 'audio/x-mulaw');
  assert.equal(start.extra_headers, 'tenant=acme;session=42');
  await session.waitFor((_m, s) => s.inboundAudio.length >= 1600, 5000);
  consumer.assertClean();
});

test('calls.getAllStream → meta (totalCount, count) and Stream objects', async () => {
  const res = await sdk.ok<Json>('getAllStream', live.call.callUuid);
  assert.match(String(res['apiId']), UUID_V4);
  const meta = res['meta'] as Json;
  assert.equal(meta['totalCount'], 1);
  assert.equal(meta['count'], 1);
  const objects = res['objects'] as Json[];
  assert.equal(objects.length, 1);
  const s = objects[0] ?? {};
  assert.equal(s['streamId'], firstStreamId);
  assert.equal(s['callUuid'], live.call.callUuid);
  assert.equal(s['serviceUrl'], consumer.url);
  assert.equal(s['audioTrack'], 'inbound');
  assert.equal(s['bidirectional'], true);
  assert.equal(s['status'], 'in-progress');
  assert.equal(s['plivoAuthId'], TEST_ACCOUNT_ID);
  assert.equal(s['billedAmount'], '0.00000');
  for (const key of [
    'createdAt',
    'startTime',
    'resourceUri',
    'billDuration',
    'roundedBillDuration',
    'statusCallbackUrl',
  ]) {
    assert.ok(key in s, key);
  }
});

test('calls.getStream → the Stream object with apiId', async () => {
  const res = await sdk.ok<Json>('getStream', live.call.callUuid, firstStreamId);
  assert.match(String(res['apiId']), UUID_V4);
  assert.equal(res['streamId'], firstStreamId);
  assert.equal(res['status'], 'in-progress');
  assert.equal(res['endTime'], null);
  assert.equal(
    res['resourceUri'],
    `/v1/Account/${TEST_ACCOUNT_ID}/Call/${live.call.callUuid}/Stream/${firstStreamId}/`,
  );
});

test('calls.stopStream → succeeds (204); the socket closes and the stream is completed', async () => {
  await sdk.ok('stopStream', live.call.callUuid, firstStreamId);
  assert.equal(await consumer.sessions[0]?.closed, 1000);
  const res = await sdk.ok<Json>('getStream', live.call.callUuid, firstStreamId);
  assert.equal(res['status'], 'completed');
  assert.notEqual(res['endTime'], null);
  const again = await sdk.call('stopStream', [live.call.callUuid, firstStreamId]);
  assert.ok(!again.ok);
  assert.equal(again.error.status, 400);
  assert.equal(again.error.message, 'No active stream found');
  assert.match(String(again.error.apiId), UUID_V4);
});

test('calls.stopAllStream → succeeds (204); every live stream stops', async () => {
  for (const q of ['a', 'b']) {
    await sdk.ok('stream', live.call.callUuid, `${consumer.url}?leg=${q}`, { audioTrack: 'both' });
  }
  await consumer.waitForSession(5000);
  await consumer.waitForSession(5000);
  assert.equal(live.call.liveStreams.length, 2);
  await sdk.ok('stopAllStream', live.call.callUuid);
  assert.equal(live.call.liveStreams.length, 0);
  await until(
    () => consumer.sessions.every((s) => s.closeCode !== undefined),
    5000,
    'every app socket to close',
  );
  const list = await sdk.ok<Json>('getAllStream', live.call.callUuid);
  const statuses = (list['objects'] as Json[]).map((o) => o['status']);
  assert.deepEqual(statuses, ['completed', 'completed', 'completed']);
});

test("calls.stream with streamfork's playbackExtras: the SDK sends playback_extras; 24 kHz audio plays and playedStream carries the progress", async () => {
  const before = consumer.sessions.length;
  const res = await sdk.ok<Json>('stream', live.call.callUuid, `${consumer.url}?leg=extras`, {
    bidirectional: true,
    contentType: 'audio/x-l16;rate=8000',
    playbackExtras: true,
  });
  const streamId = String(res['streamId']);
  await until(() => consumer.sessions.length > before, 5000, 'the extras stream to connect');
  const session = consumer.sessions[before];
  assert.ok(session !== undefined);
  await session.waitForStart(5000);
  // 200 ms of a 24 kHz sawtooth (low bytes only): audible, whole samples.
  const tone = new Uint8Array(24000 * 0.2 * 2);
  for (let i = 0; i < tone.length; i += 2) {
    tone[i] = i & 0xff;
  }
  session.playAudio(tone, { contentType: 'audio/x-l16;rate=24000', sampleRate: 24000 });
  session.checkpoint('extras');
  const played = await session.waitFor((m) => m.event === 'playedStream', 5000);
  assert.equal(played['name'], 'extras');
  assert.ok(Number(played['playedMs']) >= 180, `playedMs ${String(played['playedMs'])}`);
  assert.equal(played['queuedMs'], 0);
  await sdk.ok('stopStream', live.call.callUuid, streamId);
  consumer.assertClean();
});

test('calls.create → {apiId, message "call fired", requestUuid}; the dialler gets the parameters', async () => {
  const res = await sdk.ok<Json>(
    'create',
    '+14155550100',
    'sip:bot@127.0.0.1:5080',
    'http://127.0.0.1:9/answer',
    {
      answerMethod: 'GET',
      hangupUrl: 'http://127.0.0.1:9/hangup',
      hangupMethod: 'POST',
      fallbackUrl: 'http://127.0.0.1:9/fallback',
      timeLimit: 60,
      ringTimeout: 25,
      callerName: 'streamfork',
    },
  );
  assert.match(String(res['apiId']), UUID_V4);
  assert.equal(res['message'], 'call fired');
  assert.match(String(res['requestUuid']), UUID_V4);
  assert.deepEqual(fx.dials.at(-1), {
    from: '+14155550100',
    to: 'sip:bot@127.0.0.1:5080',
    answerUrl: 'http://127.0.0.1:9/answer',
    answerMethod: 'GET',
    hangupUrl: 'http://127.0.0.1:9/hangup',
    hangupMethod: 'POST',
    fallbackUrl: 'http://127.0.0.1:9/fallback',
    timeLimitSec: 60,
    ringTimeoutSec: 25,
  });
  // An array of destinations is joined with "<" by the SDK: one request each.
  const bulk = await sdk.ok<Json>(
    'create',
    '+14155550100',
    ['14155550101', '14155550102'],
    'http://127.0.0.1:9/answer',
  );
  assert.equal(bulk['message'], 'calls fired');
  assert.equal((bulk['requestUuid'] as string[]).length, 2);
  assert.deepEqual(
    fx.dials.slice(-2).map((d) => d.to),
    ['14155550101', '14155550102'],
  );
});

test('calls.get → the call detail record; calls.getLiveCall → the live shape', async () => {
  const cdr = await sdk.ok<Json>('get', live.call.callUuid);
  assert.match(String(cdr['apiId']), UUID_V4);
  assert.equal(cdr['callUuid'], live.call.callUuid);
  assert.equal(cdr['callDirection'], 'inbound');
  assert.equal(cdr['fromNumber'], '+14155550100');
  assert.equal(cdr['toNumber'], '+14155550199');
  assert.equal(cdr['hangupCauseName'], null);
  assert.equal(cdr['resourceUri'], `/v1/Account/${TEST_ACCOUNT_ID}/Call/${live.call.callUuid}/`);
  assert.equal(typeof cdr['initiationTime'], 'string');
  const failed = await fx.addCompletedCall();
  const failedCdr = await sdk.ok<Json>('get', failed.callUuid);
  assert.equal(failedCdr['hangupCauseName'], 'Invalid Answer XML');
  assert.equal(failedCdr['hangupSource'], 'Error');
  assert.equal(failedCdr['callDuration'], 30);
  const liveView = await sdk.ok<Json>('getLiveCall', live.call.callUuid);
  assert.equal(liveView['callStatus'], 'in-progress');
  assert.equal(liveView['callUuid'], live.call.callUuid);
  assert.equal(liveView['from'], '+14155550100');
  assert.equal(typeof liveView['sessionStart'], 'string');
});

test('calls.list → completed calls with meta; calls.listLiveCalls → the live call', async () => {
  const list = await sdk.ok<SdkList>('list', { limit: 5, offset: 0 });
  assert.equal(list.items.length, 1);
  assert.equal(list.items[0]?.['hangupCauseName'], 'Invalid Answer XML');
  assert.equal(list.meta?.['totalCount'], 1);
  assert.equal(list.meta['count'], 1);
  assert.equal(list.meta['limit'], 5);
  const liveCalls = await sdk.ok<SdkList>('listLiveCalls');
  assert.deepEqual(
    liveCalls.items.map((c) => c['callUuid']),
    [live.call.callUuid],
  );
});

test('calls.sendDigits → "digits sent"; calls.transfer → "call transferred"', async () => {
  const digits = await sdk.ok<Json>('sendDigits', live.call.callUuid, '123#', { leg: 'aleg' });
  assert.equal(digits['message'], 'digits sent');
  assert.match(String(digits['apiId']), UUID_V4);
  assert.deepEqual(live.leg.sentDtmf, ['123#']);
  const transfer = await sdk.ok<Json>('transfer', live.call.callUuid, {
    legs: 'aleg',
    alegUrl: 'http://127.0.0.1:9/next',
    alegMethod: 'GET',
  });
  assert.equal(transfer['message'], 'call transferred');
  assert.deepEqual(transfer['callUuids'], [live.call.callUuid]);
  assert.deepEqual(fx.transfers.at(-1), {
    callUuid: live.call.callUuid,
    url: 'http://127.0.0.1:9/next',
    method: 'GET',
  });
});

test('wrong credentials through the SDK → rejected with status 401 and our error text', async () => {
  const answer = await sdk.call('get', [live.call.callUuid], { id: TEST_ACCOUNT_ID, token: 'not-the-token' });
  assert.ok(!answer.ok);
  assert.equal(answer.error.status, 401);
  assert.equal(answer.error.message, 'invalid auth_id or auth_token');
});

test('calls.hangup → true; the call ends with source API; a second hangup → rejected with 404', async () => {
  const res = await sdk.ok<unknown>('hangup', live.call.callUuid);
  assert.equal(res, true);
  assert.equal(live.leg.hungUpWith, 'Normal Hangup');
  assert.equal(live.call.status, 'completed');
  const again = await sdk.call('hangup', [live.call.callUuid]);
  assert.ok(!again.ok);
  assert.equal(again.error.status, 404);
  assert.equal(again.error.message, 'call is not in progress');
  const cdr = await sdk.ok<Json>('get', live.call.callUuid);
  assert.equal(cdr['hangupSource'], 'API Request');
  assert.equal(cdr['hangupCauseName'], 'Normal Hangup');
});

test('every SDK request went through the proxy to api.plivo.com:443', () => {
  assert.ok(proxy.tunnels.length > 0);
  assert.deepEqual([...new Set(proxy.tunnels)], ['api.plivo.com:443']);
});
