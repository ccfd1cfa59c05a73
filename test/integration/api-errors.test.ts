/**
 * Issue 5 acceptance: malformed REST requests, each answered with the documented status and
 * `{"api_id","error"}` (compatibility §8 "Errors", §9, D13). Driven through fastify `inject()`; the stream and
 * call state the cases need (a live call with a live stream, an ended stream, a finished call) is real.
 */
import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';

import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { until } from '../helpers/stream-call.js';
import {
  ACCOUNT_BASE,
  TEST_ACCOUNT_ID,
  TEST_AUTH_TOKEN,
  UNDIALLABLE,
  apiFixture,
  basicAuth,
  type ApiFixture,
} from '../interop/plivo-sdk/api-fixture.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const UNKNOWN_CALL = '7d2c1a0e-5b1f-4c1e-9f5e-0a1b2c3d4e5f';
const UNKNOWN_STREAM = '0f0e0d0c-0b0a-4909-8807-060504030201';

interface State {
  readonly live: string;
  readonly ended: string;
  readonly liveStreamUrl: string;
  readonly endedStream: string;
}

interface Case {
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';
  /** Path below /v1/Account/{auth_id}, or a full path when it starts with /v1/. */
  readonly path: (s: State) => string;
  readonly body?: (s: State) => unknown;
  readonly contentType?: string;
  readonly auth?: string | null;
  readonly status: number;
  readonly error: string | RegExp;
}

const stream = (s: State): string => `/Call/${s.live}/Stream/`;
const ws = 'ws://127.0.0.1:9/app';

const cases: readonly Case[] = [
  // Stream start parameters (compatibility §8 start table, §2.3).
  {
    name: 'missing service_url',
    method: 'POST',
    path: stream,
    body: () => ({ bidirectional: true }),
    status: 400,
    error: "missing required parameter 'service_url'",
  },
  {
    name: 'blank service_url',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: '  ' }),
    status: 400,
    error: "missing required parameter 'service_url'",
  },
  {
    name: 'service_url with http scheme',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: 'http://app.example/ws' }),
    status: 400,
    error: "invalid 'service_url': expected a ws:// or wss:// URL",
  },
  {
    name: 'service_url not a URL',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: 'wss//app' }),
    status: 400,
    error: "invalid 'service_url': expected a ws:// or wss:// URL",
  },
  {
    name: 'service_url of the wrong type (object)',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: { url: ws } }),
    status: 400,
    error: "invalid 'service_url': expected a ws:// or wss:// URL",
  },
  {
    name: 'bidirectional not a boolean',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: ws, bidirectional: 'maybe' }),
    status: 400,
    error: "invalid 'bidirectional': expected true or false",
  },
  {
    name: 'stream_timeout not a number',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: ws, stream_timeout: 'soon' }),
    status: 400,
    error: "invalid 'stream_timeout': expected a positive integer (seconds)",
  },
  {
    name: 'negative stream_timeout',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: ws, stream_timeout: -5 }),
    status: 400,
    error: "invalid 'stream_timeout': expected a positive integer (seconds)",
  },
  {
    name: 'fractional stream_timeout (form body)',
    method: 'POST',
    path: stream,
    body: () => `service_url=${encodeURIComponent(ws)}&stream_timeout=1.5`,
    contentType: 'application/x-www-form-urlencoded',
    status: 400,
    error: "invalid 'stream_timeout': expected a positive integer (seconds)",
  },
  {
    name: 'bidirectional with audio_track=both',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: ws, bidirectional: true, audio_track: 'both' }),
    status: 400,
    error: "invalid 'audio_track': a bidirectional stream must use inbound",
  },
  {
    name: 'bidirectional "true" with audio_track=outbound (form)',
    method: 'POST',
    path: stream,
    body: () => `service_url=${encodeURIComponent(ws)}&bidirectional=true&audio_track=outbound`,
    contentType: 'application/x-www-form-urlencoded',
    status: 400,
    error: "invalid 'audio_track': a bidirectional stream must use inbound",
  },
  {
    name: 'unknown audio_track',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: ws, audio_track: 'left' }),
    status: 400,
    error: "invalid 'audio_track': expected inbound, outbound or both",
  },
  {
    name: 'extra_headers of 600 bytes',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: ws, extra_headers: `a=${'x'.repeat(598)}` }),
    status: 400,
    error: "invalid 'extra_headers': expected at most 512 bytes",
  },
  {
    name: 'bad content_type',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: ws, content_type: 'audio/wav' }),
    status: 400,
    error:
      "invalid 'content_type': expected audio/x-l16;rate=8000, audio/x-l16;rate=16000 or audio/x-mulaw;rate=8000",
  },
  {
    name: 'mu-law at 16 kHz',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: ws, content_type: 'audio/x-mulaw;rate=16000' }),
    status: 400,
    error:
      "invalid 'content_type': expected audio/x-l16;rate=8000, audio/x-l16;rate=16000 or audio/x-mulaw;rate=8000",
  },
  {
    name: 'bad status_callback_method',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: ws, status_callback_method: 'PUT' }),
    status: 400,
    error: "invalid 'status_callback_method': expected GET or POST",
  },
  {
    name: 'status_callback_url with ftp scheme',
    method: 'POST',
    path: stream,
    body: () => ({ service_url: ws, status_callback_url: 'ftp://cb.example/x' }),
    status: 400,
    error: "invalid 'status_callback_url': expected an http:// or https:// URL",
  },
  {
    name: 'duplicate live service_url',
    method: 'POST',
    path: stream,
    body: (s) => ({ service_url: s.liveStreamUrl }),
    status: 400,
    error: 'an active stream already exists at this service_url',
  },
  {
    name: 'stream start on an unknown call',
    method: 'POST',
    path: () => `/Call/${UNKNOWN_CALL}/Stream/`,
    body: () => ({ service_url: ws }),
    status: 404,
    error: 'call not found',
  },
  {
    name: 'stream start on an ended call',
    method: 'POST',
    path: (s) => `/Call/${s.ended}/Stream/`,
    body: () => ({ service_url: ws }),
    status: 404,
    error: 'call is not in progress',
  },
  // Bodies (D13).
  {
    name: 'malformed JSON',
    method: 'POST',
    path: stream,
    body: () => '{"service_url": "ws://x"',
    contentType: 'application/json',
    status: 400,
    error: 'malformed JSON body',
  },
  {
    name: 'JSON that is not an object',
    method: 'POST',
    path: stream,
    body: () => '["ws://x"]',
    contentType: 'application/json',
    status: 400,
    error: 'the request body must be a JSON object or form data',
  },
  {
    name: 'no body at all',
    method: 'POST',
    path: stream,
    status: 400,
    error: 'the request body must be a JSON object or form data',
  },
  {
    name: 'unsupported content type',
    method: 'POST',
    path: stream,
    body: () => '<Stream/>',
    contentType: 'text/xml',
    status: 415,
    error: 'unsupported Content-Type; send application/json or application/x-www-form-urlencoded',
  },
  {
    name: 'a 5 MB body',
    method: 'POST',
    path: stream,
    body: () => JSON.stringify({ service_url: ws, extra_headers: 'x'.repeat(5_000_000) }),
    contentType: 'application/json',
    status: 413,
    error: 'request body too large',
  },
  // Authentication (compatibility §8: HTTP Basic auth_id:auth_token).
  {
    name: 'no credentials',
    method: 'GET',
    path: stream,
    auth: null,
    status: 401,
    error: 'authentication credentials were not provided',
  },
  {
    name: 'not Basic credentials',
    method: 'GET',
    path: stream,
    auth: `Bearer ${TEST_AUTH_TOKEN}`,
    status: 401,
    error: 'authentication credentials were not provided',
  },
  {
    name: 'wrong auth_token',
    method: 'GET',
    path: stream,
    auth: basicAuth(TEST_ACCOUNT_ID, `${TEST_AUTH_TOKEN}x`),
    status: 401,
    error: 'invalid auth_id or auth_token',
  },
  {
    name: 'wrong auth_id in the credentials',
    method: 'GET',
    path: stream,
    auth: basicAuth('MAOTHERACCOUNT000000', TEST_AUTH_TOKEN),
    status: 401,
    error: 'invalid auth_id or auth_token',
  },
  {
    name: 'another auth_id in the path',
    method: 'GET',
    path: (s) => `/v1/Account/MAOTHERACCOUNT000000/Call/${s.live}/Stream/`,
    status: 404,
    error: 'account not found',
  },
  {
    name: 'unauthenticated 5 MB body is refused before it is read',
    method: 'POST',
    path: stream,
    auth: null,
    body: () => JSON.stringify({ x: 'x'.repeat(5_000_000) }),
    contentType: 'application/json',
    status: 401,
    error: 'authentication credentials were not provided',
  },
  // Streams that are not there.
  {
    name: 'get an unknown stream',
    method: 'GET',
    path: (s) => `/Call/${s.live}/Stream/${UNKNOWN_STREAM}`,
    status: 404,
    error: 'stream not found',
  },
  {
    name: 'stop an unknown stream',
    method: 'DELETE',
    path: (s) => `/Call/${s.live}/Stream/${UNKNOWN_STREAM}`,
    status: 404,
    error: 'No active stream found',
  },
  {
    name: 'stop a stream that has ended',
    method: 'DELETE',
    path: (s) => `/Call/${s.live}/Stream/${s.endedStream}/`,
    status: 400,
    error: 'No active stream found',
  },
  {
    name: 'list streams of an unknown call',
    method: 'GET',
    path: () => `/Call/${UNKNOWN_CALL}/Stream/`,
    status: 404,
    error: 'call not found',
  },
  // Methods and paths.
  {
    name: 'PUT on the Stream list',
    method: 'PUT',
    path: stream,
    body: () => ({}),
    status: 405,
    error: 'method not allowed',
  },
  {
    name: 'POST on one stream',
    method: 'POST',
    path: (s) => `/Call/${s.live}/Stream/${s.endedStream}/`,
    body: () => ({}),
    status: 405,
    error: 'method not allowed',
  },
  {
    name: 'PATCH on a call',
    method: 'PATCH',
    path: (s) => `/Call/${s.live}/`,
    body: () => ({}),
    status: 405,
    error: 'method not allowed',
  },
  {
    name: 'GET on DTMF',
    method: 'GET',
    path: (s) => `/Call/${s.live}/DTMF/`,
    status: 405,
    error: 'method not allowed',
  },
  {
    name: 'unknown resource',
    method: 'GET',
    path: () => '/Conference/',
    status: 404,
    error: 'resource not found',
  },
  // Issue 11 item 8: fastify's own routing errors get our shape, and auth comes first.
  {
    name: 'over-long call_uuid, authenticated',
    method: 'GET',
    path: () => `/Call/${'x'.repeat(200)}/`,
    status: 414,
    error: 'a path segment is too long',
  },
  {
    name: 'over-long call_uuid, unauthenticated',
    method: 'GET',
    path: () => `/Call/${'x'.repeat(200)}/`,
    auth: null,
    status: 401,
    error: 'authentication credentials were not provided',
  },
  {
    name: 'over-long auth_id, unauthenticated',
    method: 'GET',
    path: () => `/v1/Account/${'M'.repeat(300)}/Call/`,
    auth: null,
    status: 401,
    error: 'authentication credentials were not provided',
  },
  {
    name: 'bad percent-encoding, authenticated',
    method: 'GET',
    path: () => '/Call/%zz/',
    status: 404,
    error: 'malformed URL',
  },
  {
    name: 'bad percent-encoding, unauthenticated',
    method: 'GET',
    path: () => '/Call/%zz/',
    auth: null,
    status: 401,
    error: 'authentication credentials were not provided',
  },
  {
    name: 'bad percent-encoding in the auth_id, unauthenticated',
    method: 'GET',
    path: () => '/v1/Account/%zz/Call/',
    auth: null,
    status: 401,
    error: 'authentication credentials were not provided',
  },
  {
    name: 'unknown resource, unauthenticated',
    method: 'GET',
    path: () => '/Recording/',
    auth: null,
    status: 401,
    error: 'authentication credentials were not provided',
  },
  {
    name: 'wrong method, unauthenticated',
    method: 'PATCH',
    path: (s) => `/Call/${s.live}/`,
    auth: null,
    body: () => ({}),
    status: 401,
    error: 'authentication credentials were not provided',
  },
  {
    name: 'malformed JSON, unauthenticated',
    method: 'POST',
    path: () => '/Call/',
    auth: null,
    body: () => '{"from": ',
    status: 401,
    error: 'authentication credentials were not provided',
  },
  {
    name: 'unknown path outside the account',
    method: 'GET',
    path: () => '/v1/Nothing/here',
    auth: null,
    status: 404,
    error: 'resource not found',
  },
  // Calls (compatibility §9).
  {
    name: 'hang up a finished call',
    method: 'DELETE',
    path: (s) => `/Call/${s.ended}/`,
    status: 404,
    error: 'call is not in progress',
  },
  {
    name: 'hang up an unknown call',
    method: 'DELETE',
    path: () => `/Call/${UNKNOWN_CALL}/`,
    status: 404,
    error: 'call not found',
  },
  {
    name: 'get an unknown call',
    method: 'GET',
    path: () => `/Call/${UNKNOWN_CALL}/`,
    status: 404,
    error: 'call not found',
  },
  {
    name: 'live view of a finished call',
    method: 'GET',
    path: (s) => `/Call/${s.ended}?status=live`,
    status: 404,
    error: 'call is not in progress',
  },
  {
    name: 'call status filter other than live',
    method: 'GET',
    path: (s) => `/Call/${s.live}/?status=queued`,
    status: 400,
    error: "invalid 'status': expected live",
  },
  {
    name: 'call list limit over 20',
    method: 'GET',
    path: () => '/Call/?limit=50',
    status: 400,
    error: "invalid 'limit': expected an integer from 1 to 20",
  },
  {
    name: 'call list negative offset',
    method: 'GET',
    path: () => '/Call/?offset=-1',
    status: 400,
    error: "invalid 'offset': expected an integer >= 0",
  },
  {
    name: 'create without answer_url',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415', to: '1416' }),
    status: 400,
    error: "missing required parameter 'answer_url'",
  },
  {
    name: 'create with a non-http answer_url',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415', to: '1416', answer_url: 'ws://x/a' }),
    status: 400,
    error: "invalid 'answer_url': expected an http:// or https:// URL",
  },
  {
    name: 'create with answer_method PUT',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415', to: '1416', answer_url: 'http://x/a', answer_method: 'PUT' }),
    status: 400,
    error: "invalid 'answer_method': expected GET or POST",
  },
  {
    name: 'create with time_limit 0',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415', to: '1416', answer_url: 'http://x/a', time_limit: 0 }),
    status: 400,
    error: "invalid 'time_limit': expected an integer from 1 to 86400 (seconds)",
  },
  {
    name: 'create with time_limit above 24 h (issue 11 item 5)',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415', to: '1416', answer_url: 'http://x/a', time_limit: 86401 }),
    status: 400,
    error: "invalid 'time_limit': expected an integer from 1 to 86400 (seconds)",
  },
  {
    name: 'create with an empty bulk destination',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415', to: '1416<<1417', answer_url: 'http://x/a' }),
    status: 400,
    error: /^invalid 'to': destination 2 of 3 is empty; expected a number /,
  },
  // Issue 11 item 4: junk destinations are refused before anything is dialled.
  {
    name: 'create with a junk to',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415', to: 'not a uri ;;; <>', answer_url: 'http://x/a' }),
    status: 400,
    error:
      /^invalid 'to': destination 1 of 2 is not valid; expected a number \(country code and number, digits with an optional \+\) or a sip:\/sips: URI/,
  },
  {
    name: 'create with one junk to',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415', to: 'hello world', answer_url: 'http://x/a' }),
    status: 400,
    error: /^invalid 'to': the destination is not valid; expected a number /,
  },
  {
    name: 'create with a bad SIP URI third in a bulk to (its password is not echoed)',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({
      from: '+1415',
      to: '14155550100<sip:bot@127.0.0.1:5080<sip:user:s3cret@bad host',
      answer_url: 'http://x/a',
    }),
    status: 400,
    error: /^invalid 'to': destination 3 of 3 is not valid; (?!.*s3cret)/,
  },
  {
    name: 'create with a number of 16 digits',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415', to: '+1234567890123456', answer_url: 'http://x/a' }),
    status: 400,
    error: /^invalid 'to': the destination is not valid/,
  },
  {
    name: 'create with a junk from',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: 'caller; drop table', to: '1416', answer_url: 'http://x/a' }),
    status: 400,
    error:
      "invalid 'from': expected a number (country code and number, digits with an optional +) or a sip:/sips: URI",
  },
  {
    name: 'create with a bulk from',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415<1416', to: '1416', answer_url: 'http://x/a' }),
    status: 400,
    error: /^invalid 'from': expected a number /,
  },
  {
    name: 'create with 11 destinations',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({
      from: '1415',
      to: Array.from({ length: 11 }, (_v, i) => `1416${i}`).join('<'),
      answer_url: 'http://x/a',
    }),
    status: 400,
    error: `invalid 'to': expected at most 10 destinations joined by "<"`,
  },
  {
    name: 'create to an undiallable destination',
    method: 'POST',
    path: () => '/Call/',
    body: () => ({ from: '1415', to: UNDIALLABLE, answer_url: 'http://x/a' }),
    status: 400,
    error: 'no SIP trunk configured for sip:nobody@invalid',
  },
  {
    name: 'DTMF with bad digits',
    method: 'POST',
    path: (s) => `/Call/${s.live}/DTMF/`,
    body: () => ({ digits: '12x' }),
    status: 400,
    error: "invalid 'digits': expected DTMF digits (0-9, A-D, *, #), at most 64",
  },
  {
    name: 'DTMF to the B leg',
    method: 'POST',
    path: (s) => `/Call/${s.live}/DTMF/`,
    body: () => ({ digits: '1', leg: 'bleg' }),
    status: 400,
    error: 'only leg=aleg is supported',
  },
  {
    name: 'DTMF to a finished call',
    method: 'POST',
    path: (s) => `/Call/${s.ended}/DTMF/`,
    body: () => ({ digits: '1' }),
    status: 404,
    error: 'call is not in progress',
  },
  {
    name: 'transfer of the B leg',
    method: 'POST',
    path: (s) => `/Call/${s.live}/`,
    body: () => ({ legs: 'bleg', bleg_url: 'http://x/b' }),
    status: 400,
    error: 'only legs=aleg is supported',
  },
  {
    name: 'transfer without aleg_url',
    method: 'POST',
    path: (s) => `/Call/${s.live}/`,
    body: () => ({ legs: 'aleg' }),
    status: 400,
    error: "missing required parameter 'aleg_url'",
  },
];

let fx: ApiFixture;
let consumer: ReferenceConsumer;
let state: State;

before(async () => {
  fx = apiFixture();
  consumer = await startReferenceConsumer({ path: '/live' });
  const live = await fx.addLiveCall();
  const gone = await fx.addLiveCall();
  gone.leg.callerHangup();
  const liveStream = live.call.startStream({
    serviceUrl: consumer.url,
    bidirectional: false,
    audioTrack: 'inbound',
    streamTimeoutSec: 600,
    statusCallbackMethod: 'POST',
    contentType: 'audio/x-mulaw;rate=8000',
    keepCallAlive: false,
  });
  const endedStream = live.call.startStream({ ...liveStream.spec, serviceUrl: `${consumer.url}?second=1` });
  endedStream.stop('API request');
  await until(() => endedStream.closed, 5000, 'the second stream to end');
  state = {
    live: live.call.callUuid,
    ended: gone.call.callUuid,
    liveStreamUrl: consumer.url,
    endedStream: endedStream.streamId,
  };
});

after(async () => {
  await fx.close();
  await consumer.close();
});

test('the table has at least 25 malformed requests', () => {
  assert.ok(cases.length >= 25, `${cases.length} cases`);
});

for (const c of cases) {
  test(`${c.method} ${c.name} → ${c.status}`, async () => {
    const path = c.path(state);
    const url = path.startsWith('/v1/') ? path : `${ACCOUNT_BASE}${path}`;
    const headers: Record<string, string> = {};
    if (c.auth !== null) {
      headers['authorization'] = c.auth ?? basicAuth();
    }
    const body = c.body?.(state);
    if (body !== undefined) {
      headers['content-type'] = c.contentType ?? 'application/json';
    }
    const res = await fx.app.inject({
      method: c.method,
      url,
      headers,
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    assert.equal(res.statusCode, c.status, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const json = JSON.parse(res.body) as { api_id: string; error: string };
    assert.deepEqual(Object.keys(json).sort(), ['api_id', 'error']);
    assert.match(json.api_id, UUID_V4);
    if (typeof c.error === 'string') {
      assert.equal(json.error, c.error);
    } else {
      assert.match(json.error, c.error);
    }
  });
}

test('401 answers carry a Basic challenge; 405 answers list the allowed methods', async () => {
  const unauth = await fx.app.inject({ method: 'GET', url: `${ACCOUNT_BASE}/Call/` });
  assert.equal(unauth.headers['www-authenticate'], 'Basic realm="streamfork"');
  const wrong = await fx.app.inject({
    method: 'PUT',
    url: `${ACCOUNT_BASE}/Call/${state.live}/Stream/`,
    headers: { authorization: basicAuth() },
  });
  assert.equal(wrong.headers.allow, 'GET, POST, DELETE, HEAD');
});

test('every answer has its own api_id', async () => {
  const ids = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const res = await fx.app.inject({
      method: 'GET',
      url: `${ACCOUNT_BASE}/Call/${UNKNOWN_CALL}/`,
      headers: { authorization: basicAuth() },
    });
    ids.add((JSON.parse(res.body) as { api_id: string }).api_id);
  }
  assert.equal(ids.size, 5);
});

test('issue 11: a bulk to with a bad destination dials none of them', async () => {
  const before = fx.dials.length;
  const res = await fx.app.inject({
    method: 'POST',
    url: `${ACCOUNT_BASE}/Call/`,
    headers: { authorization: basicAuth(), 'content-type': 'application/json' },
    payload: JSON.stringify({ from: '1415', to: '14155550100<not a uri ;;; <>', answer_url: 'http://x/a' }),
  });
  assert.equal(res.statusCode, 400, res.body);
  assert.equal(fx.dials.length, before);
});

/** One raw HTTP/1.1 exchange on a fresh connection; resolves with the status line and body. */
function rawExchange(
  port: number,
  request: string,
): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(request);
    });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', reject);
    socket.on('close', () => {
      const split = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        headers: text.slice(0, split),
        body: text.slice(split + 4),
      });
    });
  });
}

test('issue 11: what the Node HTTP parser refuses is answered {api_id, error} too (431, 400)', async () => {
  const local = apiFixture();
  try {
    await local.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (local.app.server.address() as AddressInfo).port;
    const huge = await rawExchange(
      port,
      `GET ${ACCOUNT_BASE}/Call/${'y'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    const bad = await rawExchange(port, `FOO ${ACCOUNT_BASE}/Call/ HTTP/1.1\r\nHost: x\r\n\r\n`);
    for (const [res, status, error] of [
      [huge, 431, 'request line and headers too large'],
      [bad, 400, 'malformed HTTP request'],
    ] as const) {
      assert.equal(res.status, status, res.headers);
      assert.match(res.headers, /content-type: application\/json/i);
      const json = JSON.parse(res.body) as { api_id: string; error: string };
      assert.deepEqual(Object.keys(json).sort(), ['api_id', 'error']);
      assert.match(json.api_id, UUID_V4);
      assert.equal(json.error, error);
    }
  } finally {
    await local.close();
  }
});
