/**
 * CI fuzzing of the REST API (issue 11; spec §8, §9, D13) through fastify `inject`, on the fixture the
 * API tests use (real engine runtime, in-memory store, fake dial). Each input is one request: a method,
 * a path built from the routes with real, ended, unknown and malformed call and stream ids (and path
 * noise), credentials good, bad or absent, a Content-Type, and a body that is either generated from the
 * route's parameters with hostile values or a havoc mutation of a valid JSON or form body. Properties:
 * every answer has a documented status (2xx from the route, or the catalogued HTTP status of an
 * ERR_API_* code; never 5xx); every error is exactly `{"api_id","error"}` with a v4 UUID and a non-empty
 * message; and after the run, once the streams it started are stopped, no stream is left live, no call
 * was created or lost, and every dial went out with a non-empty destination. The REST `to` validation of
 * issue 11 item 4 is held here too.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import fc from 'fast-check';

import { apiCodes } from '../../src/errors/codes/api.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../../src/testing/reference-consumer.js';
import { until } from '../helpers/stream-call.js';
import {
  ACCOUNT_BASE,
  TEST_ACCOUNT_ID,
  apiFixture,
  basicAuth,
  type ApiFixture,
  type LiveCall,
} from '../interop/plivo-sdk/api-fixture.js';
import { corpus, havoc, runFuzzAsync } from './harness.js';

const TARGET = 'rest-api';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The statuses the catalogue documents for ERR_API_* codes (400, 401, 404, 405, 413, 415). */
const DOCUMENTED_ERRORS = new Set<number>(Object.values(apiCodes).map((e) => e.httpStatus));
/** Replaced by the reference consumer's URL when a request is sent: a stream that really starts. */
const CONSUMER = '@CONSUMER@';
const SUCCESS = new Set([200, 201, 202, 204]);

let fx: ApiFixture;
let consumer: ReferenceConsumer;
let live: LiveCall;
let ended: string;
/** Every call the fixture made; a fuzzed hangup ends the live one, and the next request gets a new one. */
const made: LiveCall[] = [];

function liveCall(): LiveCall {
  if (fx.runtime.engine.getCall(live.call.callUuid) === undefined) {
    live = fx.addLiveCall();
    made.push(live);
  }
  return live;
}

before(async () => {
  fx = apiFixture();
  consumer = await startReferenceConsumer({ path: '/fuzz' });
  live = fx.addLiveCall();
  made.push(live);
  const gone = fx.addLiveCall();
  gone.leg.callerHangup();
  ended = gone.call.callUuid;
  fx.addCompletedCall();
});

after(async () => {
  await fx.close();
  await consumer.close();
});

/** A request as generated; ids are resolved against the fixture when it is sent. */
interface FuzzRequest {
  readonly method: string;
  readonly route: string;
  readonly call: string;
  readonly stream: string;
  readonly pathNoise: string;
  readonly auth: string;
  readonly contentType: string;
  readonly body: string | undefined;
}

const routes = [
  '/Call/',
  '/Call/{call}/',
  '/Call/{call}/DTMF/',
  '/Call/{call}/Stream/',
  '/Call/{call}/Stream/{stream}/',
];
// 'long' (a path past fastify's 100-character parameter limit, answered 414 in fastify's own shape) is
// issue 11 item 8: it is fuzzed in the framework-errors property below, not here.
const ids = ['live', 'ended', 'unknown', 'garbage', 'empty', 'traversal'];
const hostileStrings = [
  '',
  ' ',
  'not a uri ;;; <>',
  '<<',
  '+',
  '14155550100',
  '+14155550100<sip:bob@127.0.0.1',
  'sip:',
  'tel:+1',
  'http://127.0.0.1:9/a',
  'ws://127.0.0.1:9/app',
  CONSUMER,
  'wss://',
  'file:///etc/passwd',
  '1'.repeat(5000),
  '\u0000',
  'é',
  '../../etc',
  '__proto__',
  '{"a":1}',
];
const hostileValue = fc.oneof(
  fc.constantFrom(...hostileStrings),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.constantFrom(true, false, null, 0, -1, 1.5, 1e300, [], {}, ['ws://127.0.0.1:9/app'], { url: 'x' }),
);
const fieldNames = [
  'from',
  'to',
  'answer_url',
  'answer_method',
  'hangup_url',
  'time_limit',
  'ring_timeout',
  'service_url',
  'bidirectional',
  'audio_track',
  'stream_timeout',
  'status_callback_url',
  'status_callback_method',
  'content_type',
  'extra_headers',
  'digits',
  'leg',
  'legs',
  'aleg_url',
  'aleg_method',
  '__proto__',
  'constructor',
];
const validBodies = [
  '{"from":"14155550100","to":"14155550199","answer_url":"http://127.0.0.1:9/answer"}',
  `{"service_url":"${CONSUMER}","bidirectional":true,"audio_track":"inbound","content_type":"audio/x-l16;rate=16000"}`,
  '{"digits":"12#"}',
  '{"legs":"aleg","aleg_url":"http://127.0.0.1:9/next"}',
  'from=1415&to=1416%3C1417&answer_url=http%3A%2F%2F127.0.0.1%3A9%2Fa&time_limit=30',
];

const jsonBody = fc
  .dictionary(fc.constantFrom(...fieldNames), hostileValue, { maxKeys: 6 })
  .map((o) => JSON.stringify(o));
const formBody = fc
  .array(
    fc.tuple(fc.constantFrom(...fieldNames), fc.oneof(fc.constantFrom(...hostileStrings), fc.string())),
    {
      maxLength: 5,
    },
  )
  .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
const mutatedBody = havoc(
  validBodies.map((b) => Buffer.from(b)),
  ['"', '{', '}', ',', ':', '&', '=', '%', '%zz', 'null', '[]', '\\u0000', 'é', '1e999'],
  4,
).map((b) => Buffer.from(b).toString('utf8'));

/** The routes as the API declares them, with a body that each accepts. */
const endpoints: readonly { method: string; route: string; body?: Record<string, unknown> }[] = [
  {
    method: 'POST',
    route: '/Call/',
    body: { from: '14155550100', to: '14155550199', answer_url: 'http://127.0.0.1:9/answer' },
  },
  { method: 'GET', route: '/Call/' },
  { method: 'GET', route: '/Call/{call}/' },
  { method: 'POST', route: '/Call/{call}/', body: { legs: 'aleg', aleg_url: 'http://127.0.0.1:9/next' } },
  { method: 'DELETE', route: '/Call/{call}/' },
  { method: 'POST', route: '/Call/{call}/DTMF/', body: { digits: '12#' } },
  {
    method: 'POST',
    route: '/Call/{call}/Stream/',
    body: {
      service_url: CONSUMER,
      bidirectional: true,
      audio_track: 'inbound',
      content_type: 'audio/x-l16;rate=16000',
    },
  },
  { method: 'GET', route: '/Call/{call}/Stream/' },
  { method: 'GET', route: '/Call/{call}/Stream/{stream}/' },
  { method: 'DELETE', route: '/Call/{call}/Stream/{stream}/' },
  { method: 'DELETE', route: '/Call/{call}/Stream/' },
];

/** A declared route with its valid body, zero to two fields replaced or added with hostile values. */
const nearValid = fc
  .record({
    endpoint: fc.constantFrom(...endpoints),
    edits: fc.array(fc.tuple(fc.constantFrom(...fieldNames), hostileValue), { maxLength: 2 }),
    form: fc.boolean(),
  })
  .map(({ endpoint, edits, form }) => {
    const body: Record<string, unknown> = { ...endpoint.body };
    for (const [k, v] of edits) {
      body[k] = v;
    }
    const text = form
      ? Object.entries(body)
          .map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`)
          .join('&')
      : JSON.stringify(body);
    return {
      method: endpoint.method,
      route: endpoint.route,
      contentType: form ? 'application/x-www-form-urlencoded' : 'application/json',
      body: endpoint.body === undefined && edits.length === 0 ? undefined : text,
    };
  });

const anyShape = fc.record({
  method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'),
  route: fc.constantFrom(...routes),
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'application/x-www-form-urlencoded',
    'text/plain',
    'application/json; charset=utf-16',
    'multipart/form-data; boundary=x',
    '',
  ),
  body: fc.option(fc.oneof(jsonBody, formBody, mutatedBody, fc.constantFrom('', 'null', '[]', '"x"', '{')), {
    nil: undefined,
  }),
});

const request: fc.Arbitrary<FuzzRequest> = fc
  .record({
    shape: fc.oneof(nearValid, anyShape),
    call: fc.constantFrom(...ids, 'live', 'live'),
    stream: fc.constantFrom(...ids),
    // A lone '%' (a malformed URL, answered in fastify's own shape) is issue 11 item 8: see the framework-errors property below.
    pathNoise: fc.constantFrom(
      '',
      '',
      '',
      '',
      '',
      '?status=live',
      '?limit=-1&offset=x',
      '//',
      '%2e%2e/',
      '?a=%ff',
    ),
    auth: fc.constantFrom(
      'good',
      'good',
      'good',
      'good',
      'good',
      'good',
      'none',
      'wrong',
      'garbage',
      'other-account',
    ),
  })
  .map(({ shape, ...rest }) => ({ ...shape, ...rest }));

function idFor(kind: string): string {
  switch (kind) {
    case 'live':
      return liveCall().call.callUuid;
    case 'ended':
      return ended;
    case 'unknown':
      return '7d2c1a0e-5b1f-4c1e-9f5e-0a1b2c3d4e5f';
    case 'empty':
      return '';
    case 'long':
      return 'a'.repeat(3000);
    case 'traversal':
      return '..%2F..%2Fetc';
    default:
      return 'not-a-uuid';
  }
}

function urlOf(r: FuzzRequest): string {
  const path = r.route.replace('{call}', idFor(r.call)).replace('{stream}', idFor(r.stream));
  const account = r.auth === 'other-account' ? '/v1/Account/MAOTHERACCOUNT000000' : ACCOUNT_BASE;
  return `${account}${path}${r.pathNoise}`;
}

function authOf(kind: string): string | undefined {
  switch (kind) {
    case 'good':
    case 'other-account':
      return basicAuth();
    case 'wrong':
      return basicAuth(TEST_ACCOUNT_ID, 'wrong-token');
    case 'garbage':
      return 'Basic %%%';
    default:
      return undefined;
  }
}

async function send(r: FuzzRequest): Promise<{ status: number; body: string; contentType: string }> {
  const headers: Record<string, string> = {};
  const auth = authOf(r.auth);
  if (auth !== undefined) {
    headers['authorization'] = auth;
  }
  if (r.body !== undefined && r.contentType !== '') {
    headers['content-type'] = r.contentType;
  }
  const res = await fx.app.inject({
    method: r.method as 'GET',
    url: urlOf(r),
    headers,
    ...(r.body === undefined
      ? {}
      : {
          payload: r.body
            .replaceAll(CONSUMER, consumer.url)
            .replaceAll(encodeURIComponent(CONSUMER), encodeURIComponent(consumer.url)),
        }),
  });
  return { status: res.statusCode, body: res.body, contentType: String(res.headers['content-type'] ?? '') };
}

/** The documented answer shape for one request. */
const statuses = new Map<number, number>();

async function checkRequest(r: FuzzRequest): Promise<void> {
  const res = await send(r);
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  assert.ok(res.status < 500, `${res.status} ${res.body.slice(0, 200)}`);
  if (SUCCESS.has(res.status)) {
    return;
  }
  assert.ok(DOCUMENTED_ERRORS.has(res.status), `undocumented status ${res.status}`);
  if (r.method === 'HEAD') {
    return;
  }
  assert.match(res.contentType, /^application\/json/);
  const json = JSON.parse(res.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(json).sort(), ['api_id', 'error'], res.body);
  assert.match(String(json['api_id']), UUID_V4);
  assert.ok(typeof json['error'] === 'string' && json['error'].length > 0, res.body);
}

test('fuzz: 10,000 hostile REST requests: documented status, {api_id, error} bodies, nothing leaked', async () => {
  await runFuzzAsync('requests', request, checkRequest, {
    target: TARGET,
    runs: 10_000,
    ext: 'case',
    toBytes: (r) => Buffer.from(JSON.stringify(r, null, 1)),
  });
  const seen = [...statuses.entries()].sort(([a], [b]) => a - b);
  const started = made.reduce((n, c) => n + c.call.allStreams.length, 0);
  console.log(
    `  statuses: ${seen.map(([k, n]) => `${k}×${n}`).join(' ')}; calls ${made.length}, streams started ${started}`,
  );
  // The generator must reach the routes' success paths too, or the run proves little.
  assert.ok((statuses.get(201) ?? 0) > 10 && (statuses.get(200) ?? 0) > 10, 'too few accepted requests');
  assert.ok(started > 10, `only ${started} streams started`);
  // Stop what is still live, then nothing may be left: every stream ends, and the engine holds no call
  // but the fixture's own (the fake dial places none; a hung-up call is gone).
  for (const c of made) {
    for (const s of c.call.liveStreams) {
      s.stop('API request');
    }
  }
  await until(
    () => made.every((c) => c.call.liveStreams.length === 0),
    10_000,
    'every fuzz-started stream to end',
  );
  const ours = new Set(made.map((c) => c.call.callUuid));
  for (const uuid of fx.runtime.engine.calls.keys()) {
    assert.ok(ours.has(uuid), `a call the fuzz run did not make: ${uuid}`);
  }
  assert.ok(fx.runtime.engine.calls.size <= 1, `${fx.runtime.engine.calls.size} calls live`);
  for (const d of fx.dials) {
    assert.ok(d.to.trim() !== '', `a dial went out to ${JSON.stringify(d.to)}`);
  }
});

test('issue 11 item 8: framework errors (a 3,000-character id, a malformed URL) answer {api_id, error} with a documented status (1,000 requests)', async () => {
  const framework = fc
    .tuple(request, fc.boolean())
    .map(([r, long]) => (long ? { ...r, call: 'long' } : { ...r, pathNoise: '%' }));
  await runFuzzAsync('framework-errors', framework, checkRequest, {
    target: TARGET,
    runs: 1000,
    save: false,
  });
});

const junkTo = fc.oneof(
  fc.constantFrom(
    'not a uri ;;; <>',
    ';;;',
    '<>',
    'sip:',
    'tel:',
    'abc def',
    '+',
    '1416 555 0100',
    'http://x/y',
  ),
  fc
    .string({
      unit: fc.constantFrom('a', 'b', ' ', ';', '"', '{', '}', '>', '@'),
      minLength: 1,
      maxLength: 16,
    })
    .filter((s) => /[ ;"{}]/.test(s)),
);

test('issue 11 item 4: POST /Call/ with a junk "to" is refused with 400 and no dial (1,000 values)', async () => {
  await runFuzzAsync(
    'junk-to',
    junkTo,
    async (to) => {
      const dials = fx.dials.length;
      const res = await fx.app.inject({
        method: 'POST',
        url: `${ACCOUNT_BASE}/Call/`,
        headers: { authorization: basicAuth(), 'content-type': 'application/json' },
        payload: JSON.stringify({ from: '14155550100', to, answer_url: 'http://127.0.0.1:9/a' }),
      });
      assert.equal(res.statusCode, 400, `${JSON.stringify(to)} → ${res.statusCode}`);
      assert.equal(fx.dials.length, dials, 'dialled');
      const json = JSON.parse(res.body) as { error: string };
      assert.match(json.error, /'to'/);
    },
    { target: TARGET, runs: 1000, save: false },
  );
});

for (const entry of corpus(TARGET)) {
  test(`corpus ${TARGET}/${entry.name}: ${entry.sidecar.note}`, async () => {
    await checkRequest(JSON.parse(entry.bytes.toString('utf8')) as FuzzRequest);
  });
}
