/**
 * The Record API and the Recording resource on a fake `RecordingCommands`, a memory recording store
 * and in-memory files, with no engine: what each request passes to the port, the list filters, the
 * Plivo object, the file download, and each refusal's answer.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';

import { MemoryCallStore } from '../adapters/memory-store/memory-call-store.js';
import { MemoryRecordingStore } from '../adapters/memory-store/memory-recording-store.js';
import type { CallCommands, CommandResult } from '../ports/call-commands.js';
import { nullLogger } from '../ports/logger.js';
import type { RecordStartRequest, RecordingCommands } from '../ports/recording-commands.js';
import type { RecordingRecord } from '../ports/recording-store.js';
import { buildApiServer } from './server.js';

const AUTH_ID = 'MARECORDINGUNIT00000';
const TOKEN = 'unit-token';
const BASE = `/v1/Account/${AUTH_ID}`;
const CALL = '11111111-1111-4111-8111-111111111111';
const REC = '99999999-9999-4999-8999-999999999999';
const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

class FakeRecordingCommands implements RecordingCommands {
  readonly calls: unknown[][] = [];
  next: CommandResult<{ recordingId: string; url: string }> = { ok: true, recordingId: REC, url: 'u' };
  startRecording(
    callUuid: string,
    req: RecordStartRequest,
  ): Promise<CommandResult<{ recordingId: string; url: string }>> {
    this.calls.push(['start', callUuid, req]);
    return Promise.resolve(this.next);
  }
  stopRecording(callUuid: string): Promise<CommandResult<{ stopped: number }>> {
    this.calls.push(['stop', callUuid]);
    return Promise.resolve({ ok: true, stopped: 1 });
  }
  deleteRecording(recordingId: string): Promise<CommandResult> {
    this.calls.push(['delete', recordingId]);
    return Promise.resolve(
      recordingId === REC ? { ok: true } : { ok: false, reason: 'not-found', message: 'recording not found' },
    );
  }
  urlOf(recordingId: string): string {
    return `http://api.test${BASE}/Recording/${recordingId}.wav`;
  }
}

const store = new MemoryRecordingStore();
const commands = new FakeRecordingCommands();
const wav = new Uint8Array([82, 73, 70, 70, 1, 2, 3, 4]);
const app = buildApiServer({
  store: new MemoryCallStore(),
  commands: {} as CallCommands,
  clock: { epochMs: () => T0 + 120_000 },
  uuid: randomUUID,
  logger: nullLogger,
  authId: AUTH_ID,
  authToken: TOKEN,
  recordings: {
    commands,
    store,
    files: {
      read: (name) =>
        Promise.resolve(
          name === `${REC}.wav`
            ? { sizeBytes: wav.length, body: Readable.from([Buffer.from(wav)]) }
            : undefined,
        ),
    },
  },
});
after(() => app.close());

const auth = 'Basic ' + Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64');

async function call(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: object,
  headers: Record<string, string> = { authorization: auth },
): Promise<{ status: number; json: Record<string, unknown>; raw: Buffer; type: string }> {
  const res = await app.inject({
    method,
    url: `${BASE}${path}`,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  const type = String(res.headers['content-type'] ?? '');
  return {
    status: res.statusCode,
    json: type.includes('json') && res.body !== '' ? (JSON.parse(res.body) as Record<string, unknown>) : {},
    raw: res.rawPayload,
    type,
  };
}

function rec(n: number, overrides: Partial<RecordingRecord> = {}): RecordingRecord {
  return {
    recordingId: n === 0 ? REC : `9999999${n}-9999-4999-8999-999999999999`,
    callUuid: CALL,
    format: 'wav',
    channels: 2,
    source: 'api',
    state: 'completed',
    failureReason: null,
    startedAt: T0 + n * 60_000,
    endedAt: T0 + n * 60_000 + 5000,
    durationMs: 5000,
    sizeBytes: 44 + 5 * 32_000,
    ...overrides,
  };
}

test('POST Record/: the validated request reaches the port; 202 with recording_id and url', async () => {
  commands.next = { ok: true, recordingId: REC, url: commands.urlOf(REC) };
  const res = await call('POST', `/Call/${CALL}/Record/`, {
    time_limit: 30,
    channel: 'stereo',
    callback_url: 'https://app.example.com/rec',
    callback_method: 'get',
  });
  assert.equal(res.status, 202);
  assert.deepEqual(
    { ...res.json, api_id: 'x' },
    {
      api_id: 'x',
      message: 'call recording started',
      recording_id: REC,
      url: commands.urlOf(REC),
    },
  );
  assert.deepEqual(commands.calls.at(-1), [
    'start',
    CALL,
    {
      channels: 2,
      timeLimitSec: 30,
      fileFormat: 'wav',
      callbackUrl: 'https://app.example.com/rec',
      callbackMethod: 'GET',
    },
  ]);
  const defaults = await call('POST', `/Call/${CALL}/Record/`, {});
  assert.equal(defaults.status, 202);
  assert.deepEqual(commands.calls.at(-1), [
    'start',
    CALL,
    { channels: 1, timeLimitSec: 60, fileFormat: 'wav', callbackUrl: undefined, callbackMethod: 'POST' },
  ]);
});

test('POST Record/: mp3, a bad channel, a bad callback_url are 400; an unknown call 404, an ended one 409', async () => {
  const mp3 = await call('POST', `/Call/${CALL}/Record/`, { file_format: 'mp3' });
  assert.equal(mp3.status, 400);
  assert.match(String(mp3.json['error']), /mp3 is not supported/);
  assert.equal((await call('POST', `/Call/${CALL}/Record/`, { channel: 'quad' })).status, 400);
  assert.equal((await call('POST', `/Call/${CALL}/Record/`, { callback_url: 'ftp://x' })).status, 400);
  commands.next = { ok: false, reason: 'not-found', message: 'call not found' };
  assert.equal((await call('POST', `/Call/${CALL}/Record/`, {})).status, 404);
  commands.next = { ok: false, reason: 'not-live', message: 'call is not in progress' };
  const ended = await call('POST', `/Call/${CALL}/Record/`, {});
  assert.equal(ended.status, 409);
  assert.equal(ended.json['error'], 'call is not in progress');
});

test('DELETE Record/ stops through the port: 204', async () => {
  const res = await call('DELETE', `/Call/${CALL}/Record/`);
  assert.equal(res.status, 204);
  assert.deepEqual(commands.calls.at(-1), ['stop', CALL]);
});

test('Recording list: newest first, filters by call and add_time bounds, Plivo paging meta', async () => {
  for (let n = 0; n < 4; n++) {
    await store.insertRecording(rec(n, n === 3 ? { callUuid: '33333333-3333-4333-8333-333333333333' } : {}));
  }
  const all = await call('GET', '/Recording/');
  assert.equal(all.status, 200);
  const ids = (r: typeof all): string[] =>
    (r.json['objects'] as { recording_id: string }[]).map((o) => o.recording_id);
  assert.deepEqual(ids(all), [rec(3).recordingId, rec(2).recordingId, rec(1).recordingId, REC]);
  assert.equal((all.json['meta'] as { total_count: number }).total_count, 4);
  const byCall = await call('GET', `/Recording/?call_uuid=${CALL}&limit=2`);
  assert.deepEqual(ids(byCall), [rec(2).recordingId, rec(1).recordingId]);
  assert.equal((byCall.json['meta'] as { next: string | null }).next, `${BASE}/Recording/?limit=2&offset=2`);
  // rec(n) starts at 03:04:05 + n minutes.
  const window = await call(
    'GET',
    '/Recording/?add_time__gt=2026-01-02%2003:05:05&add_time__lte=2026-01-02%2003:07:05',
  );
  assert.deepEqual(ids(window), [rec(3).recordingId, rec(2).recordingId]);
  const exact = await call('GET', '/Recording/?add_time=2026-01-02%2003:06');
  assert.deepEqual(ids(exact), [rec(2).recordingId]);
  assert.equal((await call('GET', '/Recording/?add_time__gt=yesterday')).status, 400);
});

test('Recording get: the Plivo object with streamfork fields; unknown id is 404 ERR_API_RECORDING_NOT_FOUND', async () => {
  const got = await call('GET', `/Recording/${REC}/`);
  assert.equal(got.status, 200);
  assert.equal(got.json['add_time'], '2026-01-02 03:04:05+00:00');
  assert.equal(got.json['recording_duration_ms'], 5000);
  assert.equal(got.json['recording_start_ms'], T0);
  assert.equal(got.json['recording_end_ms'], T0 + 5000);
  assert.equal(got.json['recording_url'], commands.urlOf(REC));
  assert.equal(got.json['resource_uri'], `${BASE}/Recording/${REC}/`);
  assert.equal(got.json['rounded_recording_duration'], 60);
  assert.equal(got.json['recording_state'], 'completed');
  assert.equal(got.json['recording_channels'], 2);
  assert.equal(got.json['file_size'], 44 + 5 * 32_000);
  const missing = await call('GET', '/Recording/00000000-0000-4000-8000-000000000000/');
  assert.equal(missing.status, 404);
  assert.equal(missing.json['error'], 'recording not found');
});

test('Recording file: served as audio/wav with credentials only; 404 while recording or unknown', async () => {
  const file = await call('GET', `/Recording/${REC}.wav`);
  assert.equal(file.status, 200);
  assert.equal(file.type, 'audio/wav');
  assert.deepEqual(new Uint8Array(file.raw), wav);
  assert.equal((await call('GET', `/Recording/${REC}.wav`, undefined, {})).status, 401);
  await store.insertRecording(
    rec(7, { state: 'recording', endedAt: null, durationMs: null, sizeBytes: null }),
  );
  assert.equal((await call('GET', `/Recording/${rec(7).recordingId}.wav`)).status, 404);
});

test('Recording delete: through the port; 204, unknown 404', async () => {
  assert.equal((await call('DELETE', `/Recording/${REC}/`)).status, 204);
  assert.deepEqual(commands.calls.at(-1), ['delete', REC]);
  const missing = await call('DELETE', '/Recording/00000000-0000-4000-8000-000000000000/');
  assert.equal(missing.status, 404);
});
