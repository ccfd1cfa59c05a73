/**
 * The web console's HTTP side on real loopback sockets (issue 15 item 4): login and the session cookie,
 * 401 without a session on every /console/api route, Origin and CSRF checks on actions, the SSE event
 * feed (snapshot, events with ids, heartbeats, a stalled client dropped without slowing `emit`), the
 * timeline and history reads, hang-up and stop through `CallCommands`, and the listen-in WebSocket.
 * The feed is the real `ConsoleFeed` on a real `CallEventBus`; the commands and the tap are fakes.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';

import WebSocket from 'ws';

import { loadConsoleAssets } from '../../src/adapters/console-assets/console-assets.js';
import { MemoryCallStore } from '../../src/adapters/memory-store/memory-call-store.js';
import { buildApiServer } from '../../src/api/server.js';
import { ConsoleFeed } from '../../src/app/console/console-feed.js';
import { CallEventBus } from '../../src/engine/events/call-event-bus.js';
import type { CallEvent } from '../../src/engine/events/call-events.js';
import type { CallCommands, CommandResult } from '../../src/ports/call-commands.js';
import type { CallRecord } from '../../src/ports/call-store.js';
import type { AudioTapListener, CallAudioTap } from '../../src/ports/call-event-feed.js';
import { nullLogger } from '../../src/ports/logger.js';

const AUTH_ID = 'MACONSOLETEST0000000';
const TOKEN = 'console-test-token';
const CALL = '11111111-1111-4111-8111-111111111111';

const bus = new CallEventBus(nullLogger);
const feed = new ConsoleFeed({ events: bus });
const store = new MemoryCallStore();
const asked: string[][] = [];
const ok: CommandResult = { ok: true };
const commands = {
  hangup: (callUuid: string, cause: string) => {
    asked.push(['hangup', callUuid, cause]);
    return Promise.resolve(ok);
  },
  stopStream: (callUuid: string, streamId: string, reason: string) => {
    asked.push(['stopStream', callUuid, streamId, reason]);
    return Promise.resolve(
      streamId === 'gone' ? { ok: false as const, reason: 'not-live' as const, message: 'ended' } : ok,
    );
  },
} as unknown as CallCommands;

/** A tap whose listener the test drives. */
const tapped = new Map<string, AudioTapListener>();
const tap: CallAudioTap = {
  listen(callUuid, listener) {
    if (callUuid !== CALL) {
      return undefined;
    }
    tapped.set(callUuid, listener);
    return () => tapped.delete(callUuid);
  },
};

const app = buildApiServer({
  store,
  commands,
  clock: { epochMs: () => Date.now() },
  uuid: randomUUID,
  logger: nullLogger,
  authId: AUTH_ID,
  authToken: TOKEN,
  console: {
    feed,
    tap,
    assets: loadConsoleAssets(),
    heartbeatMs: 200,
    maxFeedBufferBytes: 64 * 1024,
  },
});
let base = '';
let origin = '';

before(async () => {
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  origin = base;
});
after(async () => {
  await app.close();
  feed.close();
});

function started(callUuid: string): CallEvent {
  return {
    type: 'call.started',
    callUuid,
    atMs: Date.now(),
    direction: 'inbound',
    from: '+14155550100',
    to: '+14155550199',
    answerUrl: 'http://127.0.0.1:9/answer',
    requestUuid: null,
    sipCallId: 'abc@host',
    startedAtMs: Date.now(),
    nodeId: null,
    hangupCallback: { url: 'http://127.0.0.1:9/hangup?secret=1', method: 'POST', params: [] } as never,
  };
}

async function login(): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const res = await fetch(`${base}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ auth_id: AUTH_ID, auth_token: TOKEN }).toString(),
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/console');
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  const session = await fetch(`${base}/console/api/session`, { headers: { cookie } });
  assert.equal(session.status, 200);
  const body = (await session.json()) as { csrfToken: string; authId: string };
  assert.equal(body.authId, AUTH_ID);
  return { cookie, csrf: body.csrfToken, setCookie };
}

/** Reads an SSE response until `until` says stop; returns the frames. */
async function readSse(res: Response, until: (frames: string[]) => boolean): Promise<string[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    text += decoder.decode(value, { stream: true });
    const frames = text.split('\n\n').filter((f) => f !== '');
    if (until(frames)) {
      await reader.cancel();
      return frames;
    }
  }
  await reader.cancel();
  throw new Error(`SSE did not deliver in time:\n${text}`);
}

test('login: a wrong token is 401 with the form again; the right one sets an HttpOnly, SameSite=Strict cookie on /console', async () => {
  const bad = await fetch(`${base}/console/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams({ auth_id: AUTH_ID, auth_token: 'wrong' }).toString(),
  });
  assert.equal(bad.status, 401);
  assert.equal(bad.headers.get('set-cookie'), null);
  assert.match(await bad.text(), /Wrong auth ID or auth token/);

  const { setCookie } = await login();
  assert.match(setCookie, /^sf_console=[A-Za-z0-9_-]{43}; /);
  for (const attr of ['Path=/console', 'HttpOnly', 'SameSite=Strict', 'Max-Age=28800']) {
    assert.ok(setCookie.includes(attr), `${attr} in ${setCookie}`);
  }
  assert.ok(!setCookie.includes('Secure'), 'plain HTTP without a TLS proxy: no Secure flag');

  const proxied = await fetch(`${base}/console/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin, 'x-forwarded-proto': 'https' },
    body: new URLSearchParams({ auth_id: AUTH_ID, auth_token: TOKEN }).toString(),
  });
  assert.match(proxied.headers.get('set-cookie') ?? '', /; Secure$/);

  const crossSite = await fetch(`${base}/console/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
    body: new URLSearchParams({ auth_id: AUTH_ID, auth_token: TOKEN }).toString(),
  });
  assert.equal(crossSite.status, 403, 'a login form posted from another site is refused');
});

test('without a session every /console/api route is 401 and /console redirects to the login form', async () => {
  const routes: [string, string][] = [
    ['GET', '/console/api/session'],
    ['GET', '/console/api/events'],
    ['GET', '/console/api/history'],
    ['GET', `/console/api/calls/${CALL}/timeline`],
    ['POST', `/console/api/calls/${CALL}/hangup`],
    ['POST', `/console/api/calls/${CALL}/streams/s1/stop`],
    ['POST', '/console/api/logout'],
  ];
  for (const [method, path] of routes) {
    for (const cookie of [undefined, 'sf_console=forged']) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { origin, ...(cookie === undefined ? {} : { cookie }) },
      });
      assert.equal(res.status, 401, `${method} ${path} (${cookie ?? 'no cookie'})`);
      assert.equal(((await res.json()) as { error: string }).error.length > 0, true);
    }
  }
  const page = await fetch(`${base}/console`, { redirect: 'manual' });
  assert.equal(page.status, 303);
  assert.equal(page.headers.get('location'), '/console/login');
  assert.equal(asked.length, 0, 'nothing was asked of the commands');
});

test('actions need this Origin and the CSRF token; then hang-up and stop go through CallCommands', async () => {
  const { cookie, csrf } = await login();
  const hangup = `${base}/console/api/calls/${CALL}/hangup`;
  const cases: [Record<string, string>, number][] = [
    [{ cookie, origin }, 403],
    [{ cookie, origin, 'x-csrf-token': 'wrong' }, 403],
    [{ cookie, 'x-csrf-token': csrf }, 403],
    [{ cookie, origin: 'http://evil.example', 'x-csrf-token': csrf }, 403],
  ];
  for (const [headers, status] of cases) {
    const res = await fetch(hangup, { method: 'POST', headers });
    assert.equal(res.status, status, JSON.stringify(Object.keys(headers)));
  }
  assert.equal(asked.length, 0);
  const headers = { cookie, origin, 'x-csrf-token': csrf };
  assert.equal((await fetch(hangup, { method: 'POST', headers })).status, 204);
  const stop = await fetch(`${base}/console/api/calls/${CALL}/streams/s1/stop`, { method: 'POST', headers });
  assert.equal(stop.status, 204);
  const gone = await fetch(`${base}/console/api/calls/${CALL}/streams/gone/stop`, {
    method: 'POST',
    headers,
  });
  assert.equal(gone.status, 400);
  assert.deepEqual(asked.slice(0, 2), [
    ['hangup', CALL, 'Normal Hangup'],
    ['stopStream', CALL, 's1', 'Stopped from the console'],
  ]);
  // Logout ends the session: the cookie no longer works.
  assert.equal((await fetch(`${base}/console/api/logout`, { method: 'POST', headers })).status, 204);
  assert.equal((await fetch(`${base}/console/api/session`, { headers: { cookie } })).status, 401);
});

test('the event feed: a snapshot of live calls, then each event with an increasing id, and heartbeats', async () => {
  const { cookie } = await login();
  const a = randomUUID();
  bus.emit(started(a));
  const res = await fetch(`${base}/console/api/events`, { headers: { cookie } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const pending = readSse(
    res,
    (frames) =>
      frames.some((f) => f.includes('"call.ended"')) && frames.some((f) => f.startsWith(': heartbeat')),
  );
  await new Promise((r) => setTimeout(r, 50));
  bus.emit({
    type: 'call.answered',
    callUuid: a,
    atMs: Date.now(),
    answerUrl: 'http://x/a',
    sipCallId: null,
    hangupCallback: null,
  });
  bus.emit({ type: 'call.dtmf', callUuid: a, atMs: Date.now(), digit: '5' });
  await new Promise((r) => setTimeout(r, 300));
  bus.emit({
    type: 'call.ended',
    callUuid: a,
    atMs: Date.now(),
    status: 'completed',
    cause: 'Normal Hangup',
    causeCode: 4000,
    source: 'api',
  });
  const frames = await pending;
  const snapshotFrame = frames.find((f) => f.includes('event: snapshot'));
  assert.ok(snapshotFrame !== undefined);
  const snap = JSON.parse(/data: (.*)/.exec(snapshotFrame)![1]!) as {
    calls: { callUuid: string }[];
    lastId: number;
  };
  assert.ok(
    snap.calls.some((c) => c.callUuid === a),
    'the live call is in the snapshot',
  );
  const events = frames
    .filter((f) => f.startsWith('id: ') && !f.includes('event: snapshot'))
    .map((f) => ({
      id: Number(/^id: (\d+)/.exec(f)![1]),
      event: JSON.parse(/data: (.*)/.exec(f)![1]!) as CallEvent,
    }))
    .filter((e) => e.event.callUuid === a);
  assert.deepEqual(
    events.map((e) => e.event.type),
    ['call.answered', 'call.dtmf', 'call.ended'],
  );
  assert.ok(events.every((e, i) => e.id > snap.lastId && (i === 0 || e.id === events[i - 1]!.id + 1)));
  assert.equal(frames.join('\n').includes('secret=1'), false, 'the hangup callback is not on the feed');

  const timeline = await fetch(`${base}/console/api/calls/${a}/timeline`, { headers: { cookie } });
  const body = (await timeline.json()) as { events: { event: { type: string } }[] };
  assert.deepEqual(
    body.events.map((e) => e.event.type),
    ['call.started', 'call.answered', 'call.dtmf', 'call.ended'],
  );
});

test('a browser that stops reading is dropped once its unsent bytes pass the bound; emit never waits', async () => {
  const { cookie } = await login();
  const before = feed.listenerCount;
  const port = Number(new URL(base).port);
  const sock = connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write(`GET /console/api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie}\r\n\r\n`);
  sock.pause(); // never reads: the kernel buffers fill, then the server's
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(feed.listenerCount, before + 1);
  const big = 'x'.repeat(32 * 1024);
  let slowest = 0;
  const call = randomUUID();
  bus.emit(started(call));
  for (let i = 0; i < 2000 && feed.listenerCount > before; i++) {
    const t0 = process.hrtime.bigint();
    bus.emit({
      type: 'call.error',
      callUuid: call,
      atMs: Date.now(),
      code: 'ERR_CALL_XML_INVALID',
      message: big,
    });
    slowest = Math.max(slowest, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  assert.equal(feed.listenerCount, before, 'the stalled client was dropped');
  assert.ok(slowest < 50, `one emit took ${slowest.toFixed(1)} ms`);
  sock.destroy();
});

test('history lists ended calls from the store, newest first, with cause and duration', async () => {
  const { cookie } = await login();
  const t = Date.now();
  const ended = randomUUID();
  const record: CallRecord = {
    callUuid: ended,
    direction: 'inbound',
    from: '+14155550100',
    to: '+14155550199',
    status: 'completed',
    answerUrl: null,
    requestUuid: null,
    parentCallUuid: null,
    startedAt: t - 5000,
    answeredAt: t - 4000,
    endedAt: t,
    hangupCause: 'Normal Hangup',
    hangupCauseCode: 4000,
    hangupSource: 'API Request',
    durationSec: 5,
    billDurationSec: 4,
    error: null,
    sipCallId: null,
    endedAbnormally: false,
    lastSeenAt: null,
    nodeId: null,
    hangupCallback: null,
  };
  await store.insertCall(record);
  await store.insertCall({ ...record, callUuid: randomUUID(), status: 'in-progress', endedAt: null });
  const res = await fetch(`${base}/console/api/history`, { headers: { cookie } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as {
    calls: { callUuid: string; hangupCause: string; durationSec: number }[];
  };
  assert.equal(body.calls.length, 1, 'only ended calls');
  assert.equal(body.calls[0]?.callUuid, ended);
  assert.equal(body.calls[0].hangupCause, 'Normal Hangup');
  assert.equal(body.calls[0].durationSec, 5);
});

test('listen-in: 401 without a session, 403 from another origin; then hello, binary frames, ended', async () => {
  const { cookie } = await login();
  const url = `${base.replace('http', 'ws')}/console/api/calls/${CALL}/audio`;
  const refused = (headers: Record<string, string>): Promise<number> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
      });
      ws.on('open', () => {
        resolve(101);
      });
      ws.on('error', () => undefined);
    });
  assert.equal(await refused({ origin }), 401);
  assert.equal(await refused({ origin: 'http://evil.example', cookie }), 403);

  const ws = new WebSocket(url, { headers: { origin, cookie } });
  const texts: string[] = [];
  const frames: Buffer[] = [];
  const closed = new Promise<number>((r) => {
    ws.on('close', (code) => {
      r(code);
    });
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      frames.push(data as Buffer);
    } else {
      texts.push((data as Buffer).toString('utf8'));
    }
  });
  await new Promise((r) => ws.once('open', r));
  await new Promise((r) => setTimeout(r, 50));
  const listener = tapped.get(CALL);
  assert.ok(listener !== undefined, 'the socket is listening to the call');
  const pcm = new Int16Array(160).map((_, i) => (i % 2 === 0 ? 1000 : -1000));
  listener.frame('inbound', pcm, 1234.5);
  listener.frame('outbound', new Int16Array(160), 1240);
  await new Promise((r) => setTimeout(r, 50));
  listener.ended();
  assert.equal(await closed, 1000);
  const typeOf = (text: string | undefined): unknown => (JSON.parse(text ?? '{}') as { type?: string }).type;
  assert.equal(typeOf(texts[0]), 'hello');
  assert.equal(typeOf(texts.at(-1)), 'ended');
  assert.equal(frames.length, 2);
  assert.equal(frames[0]!.length, 336);
  assert.equal(frames[0]![0], 0);
  assert.equal(frames[0]!.readDoubleLE(8), 1234.5);
  assert.equal(frames[0]!.readInt16LE(16), 1000);
  assert.equal(frames[1]![0], 1);

  const other = new WebSocket(`${base.replace('http', 'ws')}/console/api/calls/${randomUUID()}/audio`, {
    headers: { origin, cookie },
  });
  const otherCode = await new Promise<number>((r) => {
    other.on('close', (code) => {
      r(code);
    });
  });
  assert.equal(otherCode, 4404);
});

test('the page and its files come from streamfork with a self-only CSP', async () => {
  const { cookie } = await login();
  const page = await fetch(`${base}/console`, { headers: { cookie } });
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  const script = await (await fetch(`${base}/console/assets/console.js`)).text();
  assert.doesNotMatch(
    script,
    /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/,
    'call values (From, To, URLs, messages: caller-controlled) only ever go into the page as text',
  );
  const html = await page.text();
  for (const m of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    assert.ok(m[1]!.startsWith('/console/'), `${m[1]} is served by streamfork`);
    assert.equal((await fetch(`${base}${m[1]}`)).status, 200, m[1]);
  }
});

test('an expired session: the open event feed ends at its next heartbeat, and the cookie is refused', async () => {
  const short = buildApiServer({
    store,
    commands,
    clock: { epochMs: () => Date.now() },
    uuid: randomUUID,
    logger: nullLogger,
    authId: AUTH_ID,
    authToken: TOKEN,
    console: { feed, tap, assets: loadConsoleAssets(), heartbeatMs: 100, sessionTtlMs: 400 },
  });
  const url = await short.listen({ host: '127.0.0.1', port: 0 });
  try {
    const res = await fetch(`${url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
      body: new URLSearchParams({ auth_id: AUTH_ID, auth_token: TOKEN }).toString(),
    });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    assert.match(
      res.headers.get('set-cookie') ?? '',
      /Max-Age=1(;|$)/,
      'a 400 ms session: Max-Age rounds up',
    );
    const t0 = Date.now();
    const feedRes = await fetch(`${url}/console/api/events`, { headers: { cookie } });
    assert.equal(feedRes.status, 200);
    const reader = (feedRes.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) {
        break;
      }
    }
    const lasted = Date.now() - t0;
    assert.ok(lasted >= 300 && lasted < 1500, `the feed ended ${lasted} ms after login`);
    assert.equal((await fetch(`${url}/console/api/session`, { headers: { cookie } })).status, 401);
  } finally {
    await short.close();
  }
});
