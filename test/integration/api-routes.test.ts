/**
 * The REST API's successful paths (compatibility §8, §9, D13) through fastify `inject()`, against a live
 * virtual call and a real WebSocket app (the reference consumer).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startReferenceConsumer, type ReferenceConsumer } from '../../src/testing/reference-consumer.js';
import { until } from '../helpers/stream-call.js';
import {
  ACCOUNT_BASE,
  TEST_ACCOUNT_ID,
  apiFixture,
  basicAuth,
  type LiveCall,
} from '../interop/plivo-sdk/api-fixture.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const STREAM_KEYS = [
  'audio_track',
  'bidirectional',
  'bill_duration',
  'billed_amount',
  'call_uuid',
  'created_at',
  'end_time',
  'plivo_auth_id',
  'resource_uri',
  'rounded_bill_duration',
  'service_url',
  'start_time',
  'status',
  'status_callback_url',
  'stream_id',
];

type Json = Record<string, unknown>;

const fx = apiFixture();
let consumer: ReferenceConsumer;
let live: LiveCall;

before(async () => {
  consumer = await startReferenceConsumer({ path: '/app' });
  live = fx.addLiveCall();
});

after(async () => {
  await fx.close();
  await consumer.close();
});

async function call(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: Json | string,
  contentType?: string,
): Promise<{ status: number; json: Json; raw: string }> {
  const headers: Record<string, string> = { authorization: basicAuth() };
  if (body !== undefined) {
    headers['content-type'] = contentType ?? 'application/json';
  }
  const res = await fx.app.inject({
    method,
    url: `${ACCOUNT_BASE}${path}`,
    headers,
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return {
    status: res.statusCode,
    json: res.body === '' ? {} : (JSON.parse(res.body) as Json),
    raw: res.body,
  };
}

const streams = (): string => `/Call/${live.call.callUuid}/Stream/`;

test('Stream start (JSON) → 202, the app receives start, the REST stream never holds the XML', async () => {
  const res = await call('POST', streams(), {
    service_url: consumer.url,
    bidirectional: true,
    audio_track: 'inbound',
    content_type: ' audio/x-mulaw ; rate=8000 ',
    stream_timeout: 120,
    status_callback_method: 'get',
    extra_headers: 'a=1,b=2',
    cx_bot: false,
  });
  assert.equal(res.status, 202, res.raw);
  assert.deepEqual(Object.keys(res.json).sort(), ['api_id', 'message', 'stream_id']);
  assert.equal(res.json['message'], 'audio streaming started');
  assert.match(String(res.json['stream_id']), UUID_V4);
  assert.match(String(res.json['api_id']), UUID_V4);
  const session = await consumer.waitForSession(5000);
  const start = await session.waitForStart(5000);
  assert.equal(start.start.streamId, res.json['stream_id']);
  assert.equal(start.start.callId, live.call.callUuid);
  assert.equal(start.start.mediaFormat.encoding, 'audio/x-mulaw');
  const fork = live.call.liveStreams.find((f) => f.streamId === res.json['stream_id']);
  assert.ok(fork);
  assert.equal(fork.spec.keepCallAlive, false);
  assert.equal(fork.spec.statusCallbackMethod, 'GET');
  assert.equal(fork.spec.contentType, 'audio/x-mulaw;rate=8000');
  assert.equal(fork.spec.streamTimeoutSec, 120);
});

test('Stream start (form body, booleans as strings, no trailing slash) → 202', async () => {
  const form = new URLSearchParams({
    service_url: `${consumer.url}?form=1`,
    bidirectional: 'false',
    audio_track: 'both',
    content_type: 'audio/x-l16;rate=16000',
  }).toString();
  const res = await call('POST', streams().slice(0, -1), form, 'application/x-www-form-urlencoded');
  assert.equal(res.status, 202, res.raw);
  const fork = live.call.liveStreams.find((f) => f.streamId === res.json['stream_id']);
  assert.equal(fork?.spec.bidirectional, false);
  assert.equal(fork.spec.audioTrack, 'both');
  assert.equal(fork.spec.contentType, 'audio/x-l16;rate=16000');
  await consumer.waitForSession(5000);
});

test('Stream list: with and without the trailing slash and a stray "?", meta with total_count and count', async () => {
  for (const path of [streams(), streams().slice(0, -1), `${streams()}?`, `${streams().slice(0, -1)}?`]) {
    const res = await call('GET', path);
    assert.equal(res.status, 200, `${path}: ${res.raw}`);
    const meta = res.json['meta'] as Json;
    assert.equal(meta['total_count'], 2);
    assert.equal(meta['count'], 2);
    const objects = res.json['objects'] as Json[];
    assert.equal(objects.length, 2);
    assert.deepEqual(Object.keys(objects[0] ?? {}).sort(), STREAM_KEYS);
  }
  const paged = await call('GET', `${streams()}?limit=1&offset=0`);
  const meta = paged.json['meta'] as Json;
  assert.equal((paged.json['objects'] as Json[]).length, 1);
  assert.equal(meta['limit'], 1);
  assert.equal(
    meta['next'],
    `/v1/Account/${TEST_ACCOUNT_ID}/Call/${live.call.callUuid}/Stream/?limit=1&offset=1`,
  );
  assert.equal(meta['previous'], null);
});

test('Stream get one → the Stream object plus api_id; stop one → 204 and the socket closes', async () => {
  const first = live.call.liveStreams[0];
  assert.ok(first);
  await until(() => first.status === 'in-progress', 5000, 'the stream to connect');
  const got = await call('GET', `${streams()}${first.streamId}`);
  assert.equal(got.status, 200, got.raw);
  assert.deepEqual(Object.keys(got.json).sort(), ['api_id', ...STREAM_KEYS].sort());
  assert.equal(got.json['status'], 'in-progress');
  assert.equal(got.json['service_url'], consumer.url);
  assert.equal(got.json['plivo_auth_id'], TEST_ACCOUNT_ID);
  assert.equal(
    got.json['resource_uri'],
    `/v1/Account/${TEST_ACCOUNT_ID}/Call/${live.call.callUuid}/Stream/${first.streamId}/`,
  );
  assert.notEqual(got.json['start_time'], null);
  assert.equal(got.json['end_time'], null);

  // plivo-node: no trailing slash, JSON `{}` body on DELETE.
  const stop = await call('DELETE', `${streams()}${first.streamId}`, {});
  assert.equal(stop.status, 204);
  assert.equal(stop.raw, '');
  assert.equal(await consumer.sessions[0]?.closed, 1000);
  const after = await call('GET', `${streams()}${first.streamId}/`);
  assert.equal(after.json['status'], 'completed');
  assert.notEqual(after.json['end_time'], null);
});

test('Stop all → 204, even with a malformed body on DELETE (ignored, D13)', async () => {
  const res = await call('DELETE', streams(), '{"call_uuid": ', 'application/json');
  assert.equal(res.status, 204, res.raw);
  assert.equal(live.call.liveStreams.length, 0);
  const again = await call('DELETE', streams(), 'x=1', 'text/plain');
  assert.equal(again.status, 204, 'nothing live: still 204');
});

test('Call create → 201 "call fired"; "<" places one request per destination', async () => {
  const one = await call('POST', '/Call/', {
    from: '+14155550100',
    to: 'sip:bot@127.0.0.1:5080',
    answer_url: 'http://127.0.0.1:9/answer',
    answer_method: 'get',
    hangup_url: 'http://127.0.0.1:9/hangup',
    time_limit: '60',
    ring_timeout: 30,
    caller_name: 'ignored',
  });
  assert.equal(one.status, 201, one.raw);
  assert.equal(one.json['message'], 'call fired');
  assert.match(String(one.json['request_uuid']), UUID_V4);
  assert.deepEqual(fx.dials.at(-1), {
    from: '+14155550100',
    to: 'sip:bot@127.0.0.1:5080',
    answerUrl: 'http://127.0.0.1:9/answer',
    answerMethod: 'GET',
    hangupUrl: 'http://127.0.0.1:9/hangup',
    timeLimitSec: 60,
    ringTimeoutSec: 30,
  });
  const form = 'from=1415&to=1416%3C1417&answer_url=https%3A%2F%2Fapp.example%2Fa';
  const bulk = await call('POST', '/Call', form, 'application/x-www-form-urlencoded');
  assert.equal(bulk.status, 201, bulk.raw);
  assert.equal(bulk.json['message'], 'calls fired');
  assert.equal((bulk.json['request_uuid'] as string[]).length, 2);
  assert.deepEqual(
    fx.dials.slice(-2).map((d) => [d.to, d.answerMethod]),
    [
      ['1416', 'POST'],
      ['1417', 'POST'],
    ],
  );
});

test('Call get: the CDR with its error, the live shape with ?status=live; list completed and live', async () => {
  const failed = fx.addCompletedCall();
  const cdr = await call('GET', `/Call/${failed.callUuid}/`);
  assert.equal(cdr.status, 200, cdr.raw);
  assert.equal(cdr.json['call_status'], 'completed');
  assert.equal(cdr.json['hangup_cause_name'], 'Invalid Answer XML');
  assert.deepEqual(cdr.json['error'], failed.error);
  const liveView = await call('GET', `/Call/${live.call.callUuid}?status=live`);
  assert.equal(liveView.status, 200, liveView.raw);
  assert.equal(liveView.json['call_status'], 'in-progress');
  assert.equal(liveView.json['from'], '+14155550100');
  const list = await call('GET', '/Call/?limit=5');
  assert.equal(list.status, 200, list.raw);
  assert.equal((list.json['meta'] as Json)['total_count'], 1);
  assert.equal((list.json['objects'] as Json[])[0]?.['call_uuid'], failed.callUuid);
  const liveList = await call('GET', '/Call/?status=live');
  assert.deepEqual(liveList.json['calls'], [live.call.callUuid]);
});

test('send DTMF → 202 "digits sent"; transfer → 202 with call_uuids', async () => {
  const dtmf = await call('POST', `/Call/${live.call.callUuid}/DTMF/`, { digits: '12a#', leg: 'aleg' });
  assert.equal(dtmf.status, 202, dtmf.raw);
  assert.deepEqual(Object.keys(dtmf.json).sort(), ['api_id', 'message']);
  assert.equal(dtmf.json['message'], 'digits sent');
  assert.deepEqual(live.leg.sentDtmf, ['12A#']);
  const transfer = await call('POST', `/Call/${live.call.callUuid}/`, {
    legs: 'aleg',
    aleg_url: 'http://127.0.0.1:9/next',
    aleg_method: 'GET',
  });
  assert.equal(transfer.status, 202, transfer.raw);
  assert.deepEqual(transfer.json['call_uuids'], [live.call.callUuid]);
  assert.deepEqual(fx.transfers, [
    { callUuid: live.call.callUuid, url: 'http://127.0.0.1:9/next', method: 'GET' },
  ]);
});

test('Call hang up → 204 (body ignored), then 404', async () => {
  const res = await call('DELETE', `/Call/${live.call.callUuid}/`, { call_uuid: live.call.callUuid });
  assert.equal(res.status, 204, res.raw);
  assert.equal(live.leg.hungUpWith, 'Normal Hangup');
  assert.equal(live.call.hangupInfo?.source, 'api');
  const again = await call('DELETE', `/Call/${live.call.callUuid}`);
  assert.equal(again.status, 404);
  const cdr = await call('GET', `/Call/${live.call.callUuid}/`);
  assert.equal(cdr.json['call_status'], 'completed');
  assert.equal(cdr.json['hangup_source'], 'API Request');
});
