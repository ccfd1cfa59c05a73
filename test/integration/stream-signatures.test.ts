/**
 * Signature acceptance tests (compatibility D8, D12, §3.1, §7, §10.3): every request streamfork makes
 * to the customer's servers, on real loopback sockets, is checked with the official `plivo` package's
 * `validateV3Signature` exactly as a customer's server would (scheme://Host + path?query, POST form
 * params), and must NOT verify with a wrong token or a tampered parameter.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';

import { startReferenceConsumer } from '../../src/testing/reference-consumer.js';
import type { RecordedRequest } from '../helpers/http-recorder.js';
import { Scenario, runCall } from '../helpers/scenario.js';
import { plivoAccepts, type SignedRequest, signedRequestOf, signedUpgradeOf } from '../helpers/signatures.js';
import {
  TEST_ACCOUNT_ID,
  TEST_AUTH_TOKEN,
  callerTone,
  responseXml,
  streamElement,
} from '../helpers/stream-call.js';

const WRONG_TOKEN = `${TEST_AUTH_TOKEN.slice(0, -1)}X`;
const MULAW = 'audio/x-mulaw;rate=8000';

let scenario = new Scenario();
afterEach(async () => {
  await scenario.close();
  scenario = new Scenario();
});

/** Verifies with the right token, with the Ma header, and fails with a wrong token. */
function assertSigned(req: SignedRequest, label: string): void {
  assert.ok(
    plivoAccepts(req, TEST_AUTH_TOKEN),
    `${label}: X-Plivo-Signature-V3 verifies (${req.method} ${req.uri})`,
  );
  assert.ok(req.maSignature !== undefined, `${label}: X-Plivo-Signature-Ma-V3 is sent`);
  assert.ok(
    plivoAccepts(req, TEST_AUTH_TOKEN, req.maSignature),
    `${label}: X-Plivo-Signature-Ma-V3 verifies (main account)`,
  );
  assert.ok(!plivoAccepts(req, WRONG_TOKEN), `${label}: a wrong token does not verify`);
  assert.match(req.nonce, /^\d{20}$/, `${label}: 20-digit nonce`);
}

/** The same request with one parameter changed must not verify. */
function assertTamperDetected(req: SignedRequest, name: string, label: string): void {
  let tampered: SignedRequest;
  if (req.method === 'POST') {
    tampered = { ...req, params: { ...req.params, [name]: ['tampered'] } };
  } else {
    const url = new URL(req.uri);
    url.searchParams.set(name, 'tampered');
    tampered = { ...req, uri: url.toString() };
  }
  assert.ok(!plivoAccepts(tampered, TEST_AUTH_TOKEN), `${label}: a tampered ${name} does not verify`);
}

describe('signatures: the WebSocket upgrade (D8)', () => {
  test('GET over http://host:port/path?query with no params, for service URLs with and without a query', async () => {
    const runtime = scenario.runtime();
    const app = await scenario.app();
    const signing = scenario.own(await startReferenceConsumer({ authToken: TEST_AUTH_TOKEN, path: '/ws' }));
    const plain = signing.url;
    const withQuery = `${signing.url}?session=abc-123&body=eyJhIjoxfQ%3D%3D&path=x%2Fy&empty=&n=2&n=1`;
    app.serve(
      '/answer',
      responseXml(
        streamElement(plain, { contentType: MULAW }),
        // Plivo apps put the URL on its own indented line; the body is trimmed and XML-unescaped.
        `<Stream keepCallAlive="true">\n      ${withQuery.replace(/&/g, '&amp;')}\n  </Stream>`,
      ),
    );
    const call = runCall(runtime, {
      answerUrl: app.url('/answer'),
      callerAudio: callerTone(1500),
      durationMs: 1500,
    });
    const sessions = [await signing.waitForSession(3000), await signing.waitForSession(3000)];
    await call;

    // The reference consumer checked each upgrade with plivo.validateV3Signature too (upgrade.signature).
    signing.assertClean();
    const byUrl = new Map(sessions.map((s) => [s.requestUrl, s]));
    const queryPart = withQuery.slice(withQuery.indexOf('/ws'));
    assert.deepEqual(
      [...byUrl.keys()].sort(),
      ['/ws', queryPart].sort(),
      'path and query unchanged on the wire',
    );
    for (const [requestUrl, session] of byUrl) {
      const signed = signedUpgradeOf(session.upgradeHeaders, requestUrl);
      assert.equal(
        signed.uri,
        requestUrl === '/ws' ? plain.replace('ws:', 'http:') : withQuery.replace('ws:', 'http:'),
      );
      assertSigned(signed, `upgrade ${requestUrl}`);
      if (requestUrl !== '/ws') {
        assertTamperDetected(signed, 'session', `upgrade ${requestUrl}`);
      }
    }
  });
});

describe('signatures: the answer URL (D8, §9)', () => {
  for (const method of ['POST', 'GET'] as const) {
    test(`${method}: the call parameters are ${method === 'POST' ? 'form-encoded' : 'in the query'} and signed`, async () => {
      const runtime = scenario.runtime();
      const app = await scenario.app();
      app.serve('/answer', responseXml('<Hangup/>'));
      const result = await runCall(runtime, {
        answerUrl: app.url('/answer?app=demo&lang=en%20US'),
        answerMethod: method,
        callerAudio: callerTone(500),
        durationMs: 2000,
        from: '+14155550100',
        to: '+14155550199',
      });
      const [req] = app.requestsTo('/answer');
      assert.ok(req, 'the answer URL was fetched');
      assert.equal(req.method, method);
      if (method === 'POST') {
        assert.match(String(req.headers['content-type']), /^application\/x-www-form-urlencoded/);
        assert.deepEqual(
          req.query,
          [
            ['app', 'demo'],
            ['lang', 'en US'],
          ],
          'the answer URL keeps its own query',
        );
      } else {
        assert.equal(req.body, '');
        assert.deepEqual(req.query.slice(0, 2), [
          ['app', 'demo'],
          ['lang', 'en US'],
        ]);
      }
      assert.equal(req.param('CallUUID'), result.callUuid);
      assert.equal(req.param('From'), '+14155550100');
      assert.equal(req.param('To'), '+14155550199');
      assert.equal(req.param('CallStatus'), 'in-progress');
      assert.equal(req.param('ParentAuthID'), TEST_ACCOUNT_ID);
      const signed = signedRequestOf(req);
      assertSigned(signed, `answer ${method}`);
      assertTamperDetected(signed, 'CallUUID', `answer ${method}`);
      assertTamperDetected(signed, 'From', `answer ${method}`);
    });
  }
});

/** The D12 parameters every stream callback carries. */
function assertCommonParams(
  req: RecordedRequest,
  expected: {
    event: string;
    streamId: string;
    callUuid: string;
    serviceUrl: string;
    method: 'GET' | 'POST';
    callbackUrl: string;
  },
  window: { fromMs: number; toMs: number },
): void {
  const label = `${expected.method} ${expected.event}`;
  assert.equal(req.method, expected.method, `${label}: method`);
  assert.equal(req.param('Event'), expected.event, `${label}: Event`);
  assert.equal(req.param('StreamID'), expected.streamId, `${label}: StreamID`);
  assert.equal(req.param('CallUUID'), expected.callUuid, `${label}: CallUUID`);
  assert.equal(req.param('AccountID'), TEST_ACCOUNT_ID, `${label}: AccountID`);
  assert.equal(req.param('ServiceURL'), expected.serviceUrl, `${label}: ServiceURL`);
  const ts = req.param('Timestamp') ?? '';
  assert.match(ts, /^\d{13}$/, `${label}: Timestamp is epoch ms`);
  assert.ok(Number(ts) >= window.fromMs && Number(ts) <= window.toMs, `${label}: Timestamp within the call`);
  // The stream's attributes, echoed in camelCase.
  assert.equal(req.param('bidirectional'), 'true', `${label}: bidirectional`);
  assert.equal(req.param('audioTrack'), 'inbound', `${label}: audioTrack`);
  assert.equal(req.param('streamTimeout'), '120', `${label}: streamTimeout`);
  assert.equal(req.param('statusCallbackUrl'), expected.callbackUrl, `${label}: statusCallbackUrl`);
  assert.equal(req.param('statusCallbackMethod'), expected.method, `${label}: statusCallbackMethod`);
  assert.equal(req.param('contentType'), MULAW, `${label}: contentType`);
  assert.equal(req.param('extraHeaders'), 'userId=42,tier=gold', `${label}: extraHeaders`);
  assert.equal(req.param('keepCallAlive'), 'true', `${label}: keepCallAlive`);
}

describe('signatures: stream status callbacks (D12, §7)', () => {
  test('StartStream, PlayedStream, ClearedAudio and StopStream, by POST form and by GET query, carry D12 and verify', async () => {
    const runtime = scenario.runtime();
    const app = await scenario.app();
    const postApp = scenario.own(await startReferenceConsumer({ path: '/post-app' }));
    const getApp = scenario.own(await startReferenceConsumer({ path: '/get-app' }));
    const callbackUrl = { POST: app.url('/status'), GET: app.url('/status?tag=get&x=1') };
    const attrs = {
      bidirectional: true,
      audioTrack: 'inbound',
      streamTimeout: 120,
      contentType: MULAW,
      extraHeaders: 'userId=42,tier=gold',
      keepCallAlive: true,
    };
    app.serve(
      '/answer',
      responseXml(
        streamElement(postApp.url, {
          ...attrs,
          statusCallbackUrl: callbackUrl.POST,
          statusCallbackMethod: 'POST',
        }),
        streamElement(getApp.url, {
          ...attrs,
          statusCallbackUrl: callbackUrl.GET,
          statusCallbackMethod: 'GET',
        }),
      ),
    );
    const fromMs = Date.now();
    const call = runCall(runtime, {
      answerUrl: app.url('/answer'),
      callerAudio: callerTone(3000),
      durationMs: 6000,
    });
    const beep = new Uint8Array(Buffer.alloc(1600, 0x10)); // 200 ms of quiet μ-law
    const long = new Uint8Array(Buffer.alloc(16000, 0x20)); // 2 s, cleared before it plays out
    // The first <Stream> blocks the XML (keepCallAlive) until its app closes; then the second starts.
    for (const consumer of [postApp, getApp]) {
      const session = await consumer.waitForSession(3000);
      await session.waitForStart(2000);
      session.playAudio(beep);
      session.checkpoint('greeting done');
      await session.waitForEvent('playedStream', 3000);
      session.playAudio(long);
      session.checkpoint('never played');
      session.clearAudio();
      await session.waitForEvent('clearedAudio', 2000);
      await session.close(1000, 'done');
    }
    const result = await call;
    const toMs = Date.now();
    postApp.assertClean();
    getApp.assertClean();

    for (const method of ['POST', 'GET'] as const) {
      const consumer = method === 'POST' ? postApp : getApp;
      const session = consumer.sessions[0]!;
      const expected = {
        streamId: session.start!.start.streamId,
        callUuid: result.callUuid,
        serviceUrl: consumer.url,
        method,
        callbackUrl: callbackUrl[method],
      };
      await app.waitFor(
        (r) => r.param('StreamID') === expected.streamId && r.param('Event') === 'StopStream',
        3000,
        `${method} StopStream`,
      );
      const cbs = app.requestsTo('/status').filter((r) => r.param('StreamID') === expected.streamId);
      assert.deepEqual(
        cbs.map((r) => r.param('Event')),
        ['StartStream', 'PlayedStream', 'ClearedAudio', 'StopStream'],
        `${method}: the callbacks, in order (no PlayedStream for the cleared checkpoint)`,
      );
      for (const req of cbs) {
        const event = req.param('Event')!;
        assertCommonParams(req, { ...expected, event }, { fromMs, toMs });
        if (method === 'POST') {
          assert.match(String(req.headers['content-type']), /^application\/x-www-form-urlencoded/);
          assert.deepEqual(req.query, [], 'POST: parameters only in the body');
        } else {
          assert.equal(req.body, '');
          assert.deepEqual(
            req.query.slice(0, 2),
            [
              ['tag', 'get'],
              ['x', '1'],
            ],
            'GET: the callback URL keeps its own query',
          );
        }
        assert.equal(
          req.param('Name'),
          event === 'PlayedStream' ? 'greeting done' : undefined,
          `${event}: Name`,
        );
        assert.equal(
          req.param('Reason'),
          event === 'StopStream' ? 'Closed by app' : undefined,
          `${event}: Reason`,
        );
        const signed = signedRequestOf(req);
        assertSigned(signed, `${method} ${event}`);
        assertTamperDetected(signed, 'Event', `${method} ${event}`);
        assertTamperDetected(signed, 'StreamID', `${method} ${event}`);
      }
    }
  });
});
