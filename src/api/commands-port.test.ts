/**
 * The REST API on a fake `CallCommands` and a memory store, with no engine: reads come from the store,
 * every change goes to the port with the validated request, and each refusal maps to its documented
 * `{api_id, error}` answer.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';

import { MemoryCallStore } from '../adapters/memory-store/memory-call-store.js';
import type {
  CallCommands,
  CommandRefusal,
  CommandResult,
  DialRequest,
  StreamStartRequest,
} from '../ports/call-commands.js';
import type { CallRecord, StreamRecord } from '../ports/call-store.js';
import { nullLogger } from '../ports/logger.js';
import { buildApiServer } from './server.js';

const AUTH_ID = 'MAUNITUNITUNITUNIT00';
const AUTH_TOKEN = 'unit-token';
const BASE = `/v1/Account/${AUTH_ID}`;
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const CALL = '11111111-1111-4111-8111-111111111111';
const STREAM = '22222222-2222-4222-8222-222222222222';

/** What the fake port was asked, and what it answers next (by method). */
class FakeCommands implements CallCommands {
  readonly asked: [string, ...unknown[]][] = [];
  readonly answers = new Map<string, CommandResult<Record<string, unknown>>>();

  #answer<T extends object>(
    name: string,
    args: unknown[],
    fallback: CommandResult<T>,
  ): Promise<CommandResult<T>> {
    this.asked.push([name, ...args]);
    return Promise.resolve((this.answers.get(name) as CommandResult<T> | undefined) ?? fallback);
  }

  createCall(req: DialRequest): Promise<CommandResult<{ readonly requestUuid: string }>> {
    return this.#answer('createCall', [req], {
      ok: true,
      requestUuid: '33333333-3333-4333-8333-333333333333',
    });
  }
  startStream(
    callUuid: string,
    req: StreamStartRequest,
  ): Promise<CommandResult<{ readonly streamId: string }>> {
    return this.#answer('startStream', [callUuid, req], { ok: true, streamId: STREAM });
  }
  stopStream(callUuid: string, streamId: string, reason: string): Promise<CommandResult> {
    return this.#answer('stopStream', [callUuid, streamId, reason], { ok: true });
  }
  stopAllStreams(callUuid: string, reason: string): Promise<CommandResult<{ readonly stopped: number }>> {
    return this.#answer('stopAllStreams', [callUuid, reason], { ok: true, stopped: 0 });
  }
  hangup(callUuid: string, cause: string): Promise<CommandResult> {
    return this.#answer('hangup', [callUuid, cause], { ok: true });
  }
  transfer(callUuid: string, url: string, method: 'GET' | 'POST'): Promise<CommandResult> {
    return this.#answer('transfer', [callUuid, url, method], { ok: true });
  }
  sendDtmf(callUuid: string, digits: string): Promise<CommandResult> {
    return this.#answer('sendDtmf', [callUuid, digits], { ok: true });
  }
}

const store = new MemoryCallStore();
const commands = new FakeCommands();
const app = buildApiServer({
  store,
  commands,
  clock: { epochMs: () => NOW },
  uuid: randomUUID,
  logger: nullLogger,
  authId: AUTH_ID,
  authToken: AUTH_TOKEN,
});
after(() => app.close());

const callRecord: CallRecord = {
  callUuid: CALL,
  direction: 'outbound',
  from: '+14155550100',
  to: 'sip:bot@example.com',
  status: 'in-progress',
  answerUrl: 'https://app.example.com/answer',
  requestUuid: '44444444-4444-4444-8444-444444444444',
  parentCallUuid: null,
  startedAt: NOW - 10_000,
  answeredAt: NOW - 9_000,
  endedAt: null,
  hangupCause: null,
  hangupCauseCode: null,
  hangupSource: null,
  durationSec: null,
  billDurationSec: null,
  error: null,
  sipCallId: null,
  endedAbnormally: false,
  lastSeenAt: null,
  nodeId: null,
  hangupCallback: null,
};
const streamRecord: StreamRecord = {
  streamId: STREAM,
  callUuid: CALL,
  serviceUrl: 'wss://app.example.com/ws',
  bidirectional: false,
  audioTrack: 'inbound',
  streamTimeoutSec: 86400,
  statusCallbackUrl: null,
  statusCallbackMethod: 'POST',
  contentType: 'audio/x-l16;rate=8000',
  extraHeaders: null,
  status: 'in-progress',
  createdAt: NOW - 5_000,
  startedAt: NOW - 4_000,
  endedAt: null,
  stopReason: null,
  error: null,
};
await store.insertCall(callRecord);
await store.insertStream(streamRecord);

type Json = Record<string, unknown>;

async function call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: Json) {
  const auth = `Basic ${Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString('base64')}`;
  const res = await app.inject({
    method,
    url: `${BASE}${path}`,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, json: res.body === '' ? {} : (JSON.parse(res.body) as Json) };
}

function refuse(name: string, refusal: CommandRefusal): void {
  commands.answers.set(name, refusal);
}

test('start stream: the validated request goes to the port; 202 with the stream id it answers', async () => {
  commands.answers.clear();
  const res = await call('POST', `/Call/${CALL}/Stream/`, {
    service_url: 'wss://app.example.com/ws',
    bidirectional: 'true',
    content_type: 'audio/x-mulaw;rate=8000',
    status_callback_method: 'get',
  });
  assert.equal(res.status, 202);
  assert.equal(res.json['stream_id'], STREAM);
  assert.deepEqual(commands.asked.at(-1), [
    'startStream',
    CALL,
    {
      serviceUrl: 'wss://app.example.com/ws',
      bidirectional: true,
      audioTrack: 'inbound',
      streamTimeoutSec: 86400,
      statusCallbackUrl: undefined,
      statusCallbackMethod: 'GET',
      contentType: 'audio/x-mulaw;rate=8000',
      extraHeaders: undefined,
    },
  ]);
});

test('start stream refusals: not-found and not-live are 404, refused is 400 ERR_API_STREAM_REFUSED', async () => {
  const cases: [CommandRefusal, number, string][] = [
    [{ ok: false, reason: 'not-found', message: 'call not found' }, 404, 'call not found'],
    [{ ok: false, reason: 'not-live', message: 'call is not in progress' }, 404, 'call is not in progress'],
    [{ ok: false, reason: 'refused', message: 'too many streams' }, 400, 'too many streams'],
  ];
  for (const [refusal, status, error] of cases) {
    refuse('startStream', refusal);
    const res = await call('POST', `/Call/${CALL}/Stream/`, { service_url: 'wss://app.example.com/ws' });
    assert.equal(res.status, status, refusal.reason);
    assert.equal(res.json['error'], error);
    assert.equal(typeof res.json['api_id'], 'string');
  }
});

test('an invalid stream request is 400 before the port is asked', async () => {
  commands.answers.clear();
  const before = commands.asked.length;
  const res = await call('POST', `/Call/${CALL}/Stream/`, { service_url: 'http://not-a-ws' });
  assert.equal(res.status, 400);
  assert.equal(commands.asked.length, before);
});

test('stop one stream: 204; an ended stream is 400, an unknown one 404 (both "No active stream found")', async () => {
  commands.answers.clear();
  assert.equal((await call('DELETE', `/Call/${CALL}/Stream/${STREAM}/`)).status, 204);
  assert.deepEqual(commands.asked.at(-1), ['stopStream', CALL, STREAM, 'API request']);
  refuse('stopStream', { ok: false, reason: 'not-live', message: 'stream has ended' });
  const ended = await call('DELETE', `/Call/${CALL}/Stream/${STREAM}/`);
  assert.deepEqual([ended.status, ended.json['error']], [400, 'No active stream found']);
  refuse('stopStream', { ok: false, reason: 'not-found', message: 'stream not found' });
  const unknown = await call('DELETE', `/Call/${CALL}/Stream/${STREAM}/`);
  assert.deepEqual([unknown.status, unknown.json['error']], [404, 'No active stream found']);
});

test('reads come from the store alone: call, live call, streams, one stream (the port is not asked)', async () => {
  const before = commands.asked.length;
  const got = await call('GET', `/Call/${CALL}/`);
  assert.equal(got.status, 200);
  assert.equal(got.json['to_number'], 'sip:bot@example.com');
  assert.equal(got.json['call_direction'], 'outbound');
  assert.equal((await call('GET', `/Call/${CALL}/?status=live`)).status, 200);
  assert.deepEqual((await call('GET', '/Call/?status=live')).json['calls'], [CALL]);
  const list = await call('GET', `/Call/${CALL}/Stream/`);
  assert.deepEqual(
    (list.json['objects'] as Json[]).map((s) => s['stream_id']),
    [STREAM],
  );
  assert.equal(
    (await call('GET', `/Call/${CALL}/Stream/${STREAM}/`)).json['service_url'],
    'wss://app.example.com/ws',
  );
  assert.equal((await call('GET', `/Call/${randomUUID()}/`)).status, 404);
  assert.equal(commands.asked.length, before);
});

test('hang up, transfer, DTMF: the port is asked; its refusals are 404', async () => {
  commands.answers.clear();
  assert.equal((await call('DELETE', `/Call/${CALL}/`)).status, 204);
  assert.deepEqual(commands.asked.at(-1), ['hangup', CALL, 'Normal Hangup']);
  assert.equal(
    (await call('POST', `/Call/${CALL}/`, { aleg_url: 'https://app.example.com/t', aleg_method: 'get' }))
      .status,
    202,
  );
  assert.deepEqual(commands.asked.at(-1), ['transfer', CALL, 'https://app.example.com/t', 'GET']);
  assert.equal((await call('POST', `/Call/${CALL}/DTMF/`, { digits: '12ab' })).status, 202);
  assert.deepEqual(commands.asked.at(-1), ['sendDtmf', CALL, '12AB']);
  for (const name of ['hangup', 'transfer', 'sendDtmf']) {
    refuse(name, { ok: false, reason: 'not-live', message: 'call is not in progress' });
  }
  const hungUp = await call('DELETE', `/Call/${CALL}/`);
  assert.deepEqual([hungUp.status, hungUp.json['error']], [404, 'call is not in progress']);
  assert.equal((await call('POST', `/Call/${CALL}/`, { aleg_url: 'https://app.example.com/t' })).status, 404);
  assert.equal((await call('POST', `/Call/${CALL}/DTMF/`, { digits: '1' })).status, 404);
});

test('create call: a failed dial keeps a catalogued code, an unknown code answers ERR_API_DIAL_FAILED', async () => {
  commands.answers.clear();
  const body = { from: '+14155550100', to: 'sip:bot@example.com', answer_url: 'https://app.example.com/a' };
  const ok = await call('POST', '/Call/', body);
  assert.deepEqual([ok.status, ok.json['request_uuid']], [201, '33333333-3333-4333-8333-333333333333']);
  refuse('createCall', { ok: false, reason: 'failed', code: 'ERR_API_UNSUPPORTED', message: 'nope' });
  const known = await call('POST', '/Call/', body);
  assert.deepEqual([known.status, known.json['error']], [400, 'nope']);
  refuse('createCall', { ok: false, reason: 'failed', code: 'ERR_NOT_A_CODE', message: 'no trunk' });
  const unknown = await call('POST', '/Call/', body);
  assert.deepEqual([unknown.status, unknown.json['error']], [400, 'no trunk']);
});
