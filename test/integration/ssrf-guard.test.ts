/**
 * The outbound target policy on real loopback sockets (issue 11 item 6): servers listen on 127.0.0.2
 * and 127.0.0.3 (Linux routes all of 127/8 to lo), the policy denies 127.0.0.2/32, and each test checks
 * that the denied server never saw a byte while the call or request fails with ERR_TARGET_DENIED.
 * Names resolve through an injected resolver (`*.test` names) or the system one (`localhost`).
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { interceptors, request } from 'undici';
import { WebSocketServer } from 'ws';

import { HttpAudioFetcher } from '../../src/adapters/audio-fetcher/http-audio-fetcher.js';
import { UndiciHttpClient, guardedAgent } from '../../src/adapters/http-client/undici-http-client.js';
import { TargetGuard, type Resolver } from '../../src/adapters/net/target-guard.js';
import { NodeWsConnector } from '../../src/adapters/ws-client/ws-connector.js';
import { startSipStack } from '../../src/app/sip/testing.js';
import { loadConfig } from '../../src/config/load.js';
import { errorCatalog } from '../../src/errors/catalog.js';
import { parseTargetPolicy } from '../../src/protocol/net/target-policy.js';
import { streamElement } from '../helpers/stream-call.js';
import { startHarness, within, xml, type Harness } from './call-control-harness.js';

const NAMES: Readonly<Record<string, string>> = {
  'denied.test': '127.0.0.2',
  'allowed.test': '127.0.0.3',
  'metadata.test': '169.254.169.254',
  'mapped.test': '::ffff:127.0.0.2',
};

/** Resolves the `.test` names above (`mixed.test` to an allowed and a denied address); others: not found. */
const testResolver: Resolver = (host) => {
  if (host === 'mixed.test') {
    return Promise.resolve([
      { address: '127.0.0.3', family: 4 },
      { address: '127.0.0.2', family: 4 },
    ]);
  }
  const address = NAMES[host];
  return address === undefined
    ? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }))
    : Promise.resolve([{ address, family: address.includes(':') ? 6 : 4 }]);
};

function guardFor(denied: string[], allowed: string[] = [], resolver?: Resolver): TargetGuard {
  const policy = parseTargetPolicy({ allowed, denied });
  assert.ok(policy.ok);
  return new TargetGuard(policy.value, resolver);
}

interface Listener {
  readonly port: number;
  /** Requests (HTTP) or connections (WebSocket) that reached it. */
  hits: number;
  close(): Promise<void>;
}

async function httpListener(
  host: string,
  handler: (path: string) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<Listener> {
  const state = { hits: 0 };
  const server: Server = createServer((req, res) => {
    state.hits++;
    const answer = handler(req.url ?? '/');
    res
      .writeHead(answer.status, answer.headers ?? { 'content-type': 'application/xml' })
      .end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

async function wsListener(host: string): Promise<Listener> {
  const state = { hits: 0 };
  const wss = new WebSocketServer({ host, port: 0 });
  wss.on('connection', () => {
    state.hits++;
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  return {
    port: (wss.address() as AddressInfo).port,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) {
          c.terminate();
        }
        wss.close(() => {
          resolve();
        });
      }),
  };
}

const ok = (): { status: number; body: string } => ({ status: 200, body: 'fine' });

test('ERR_TARGET_DENIED is in the error catalogue', () => {
  assert.equal(errorCatalog.get('ERR_TARGET_DENIED')?.category, 'authorization');
});

describe('HTTP client', () => {
  let denied: Listener;
  let allowed: Listener;
  before(async () => {
    denied = await httpListener('127.0.0.2', ok);
    allowed = await httpListener('127.0.0.3', ok);
  });
  after(async () => {
    await denied.close();
    await allowed.close();
  });

  test('a denied address literal is refused while a server listens there; an allowed one works', async () => {
    const http = new UndiciHttpClient({ guard: guardFor(['127.0.0.2/32']) });
    const before = denied.hits;
    const res = await http.request({
      method: 'GET',
      url: `http://127.0.0.2:${denied.port}/answer?token=secret`,
      timeoutMs: 2000,
      maxBodyBytes: 1000,
    });
    assert.equal(res.ok, false);
    assert.ok(!res.ok);
    assert.equal(res.reason, 'denied');
    assert.match(
      res.detail,
      /^ERR_TARGET_DENIED: host "127\.0\.0\.2" matched "127\.0\.0\.2\/32" in http\.deniedTargets/,
    );
    assert.doesNotMatch(res.detail, /secret/, 'the query string is not in the refusal');
    const good = await http.request({
      method: 'GET',
      url: `http://127.0.0.3:${allowed.port}/`,
      timeoutMs: 2000,
      maxBodyBytes: 1000,
    });
    assert.ok(good.ok && good.status === 200);
    assert.equal(denied.hits, before, 'the denied server saw no request');
    await http.close();
  });

  test('a name that resolves to a denied address is refused; the allowed name connects to the address checked', async () => {
    const http = new UndiciHttpClient({ guard: guardFor(['127.0.0.2/32'], [], testResolver) });
    const before = denied.hits;
    for (const name of ['denied.test', 'mapped.test', 'mixed.test']) {
      const res = await http.request({
        method: 'POST',
        url: `http://${name}:${denied.port}/`,
        timeoutMs: 2000,
        maxBodyBytes: 1000,
      });
      assert.ok(!res.ok, name);
      assert.equal(res.reason, 'denied', name);
      assert.match(
        res.detail,
        new RegExp(`host "${name}" resolves to an address that matched "127\\.0\\.0\\.2/32"`),
      );
      assert.doesNotMatch(res.detail, /127\.0\.0\.2"|::ffff/, 'the resolved address is not disclosed');
    }
    const good = await http.request({
      method: 'GET',
      url: `http://allowed.test:${allowed.port}/`,
      timeoutMs: 2000,
      maxBodyBytes: 1000,
    });
    assert.ok(good.ok && good.status === 200, JSON.stringify(good));
    assert.equal(denied.hits, before);
    await http.close();
  });

  test('localhost is refused when loopback is denied (system resolver)', async () => {
    const http = new UndiciHttpClient({ guard: guardFor(['127.0.0.0/8', '::1/128']) });
    const res = await http.request({
      method: 'GET',
      url: `http://localhost:${allowed.port}/`,
      timeoutMs: 2000,
      maxBodyBytes: 1000,
    });
    assert.ok(!res.ok);
    assert.equal(res.reason, 'denied');
    assert.match(res.detail, /host "localhost" resolves to an address that matched/);
    await http.close();
  });

  test('the default policy refuses metadata addresses, also by name and in IPv4-mapped form, without connecting', async () => {
    const http = new UndiciHttpClient({ guard: new TargetGuard(undefined, testResolver) });
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/latest/meta-data/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://metadata.test/computeMetadata/v1/',
      'http://metadata.google.internal/computeMetadata/v1/',
    ]) {
      const res = await http.request({ method: 'GET', url, timeoutMs: 2000, maxBodyBytes: 1000 });
      assert.ok(!res.ok, url);
      assert.equal(res.reason, 'denied', `${url}: ${res.detail}`);
    }
    await http.close();
  });

  test('a redirect to a denied address is not followed, and a redirect-following agent checks every hop', async () => {
    const redirector = await httpListener('127.0.0.3', () => ({
      status: 302,
      headers: { location: `http://127.0.0.2:${denied.port}/stolen` },
    }));
    const guard = guardFor(['127.0.0.2/32']);
    const before = denied.hits;
    const http = new UndiciHttpClient({ guard });
    const res = await http.request({
      method: 'GET',
      url: `http://127.0.0.3:${redirector.port}/`,
      timeoutMs: 2000,
      maxBodyBytes: 1000,
    });
    assert.ok(res.ok && res.status === 302, 'the client returns the 3xx as it is');
    const following = guardedAgent(guard).compose(interceptors.redirect({ maxRedirections: 3 }));
    await assert.rejects(
      request(`http://127.0.0.3:${redirector.port}/`, { dispatcher: following }),
      (err: Error & { code?: string }) => err.code === 'ERR_TARGET_DENIED',
    );
    assert.equal(redirector.hits, 2, 'both requests reached the redirector');
    assert.equal(denied.hits, before, 'the hop to the denied address was refused at connect');
    await http.close();
    await following.close();
    await redirector.close();
  });

  test('<Play> audio from a denied host fails with ERR_PLAY_FETCH_FAILED and the refusal', async () => {
    const http = new UndiciHttpClient({ guard: guardFor(['127.0.0.2/32'], [], testResolver) });
    const audio = new HttpAudioFetcher({ http, timeoutMs: 2000 });
    const before = denied.hits;
    const res = await audio.fetch(`http://denied.test:${denied.port}/prompt.wav`);
    assert.ok(!res.ok);
    assert.equal(res.code, 'ERR_PLAY_FETCH_FAILED');
    assert.match(res.detail, /ERR_TARGET_DENIED/);
    assert.equal(denied.hits, before);
    await http.close();
  });
});

describe('WebSocket client', () => {
  let deniedWs: Listener;
  let allowedWs: Listener;
  before(async () => {
    deniedWs = await wsListener('127.0.0.2');
    allowedWs = await wsListener('127.0.0.3');
  });
  after(async () => {
    await deniedWs.close();
    await allowedWs.close();
  });

  test('a denied ws:// literal or name is refused before any byte is sent; an allowed name connects', async () => {
    const ws = new NodeWsConnector({ guard: guardFor(['127.0.0.2/32'], [], testResolver) });
    const opts = { headers: {}, timeoutMs: 2000, maxPayloadBytes: 65536 };
    for (const url of [`ws://127.0.0.2:${deniedWs.port}/`, `ws://denied.test:${deniedWs.port}/`]) {
      await assert.rejects(ws.connect(url, opts), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_TARGET_DENIED', url);
        assert.match(err.message, /"127\.0\.0\.2\/32" in http\.deniedTargets/);
        return true;
      });
    }
    const conn = await ws.connect(`ws://allowed.test:${allowedWs.port}/`, opts);
    conn.close(1000, 'done');
    assert.equal(deniedWs.hits, 0);
    assert.equal(allowedWs.hits, 1);
  });
});

describe('calls', () => {
  let h: Harness;
  let deniedHttp: Listener;
  let deniedWs: Listener;
  before(async () => {
    h = await startHarness({ targets: guardFor(['127.0.0.2/32']) });
    h.app.route('/hangup', { body: '' });
    h.app.route('/status', { body: '' });
    deniedHttp = await httpListener('127.0.0.2', () => ({ status: 200, body: xml('<Wait length="1"/>') }));
    deniedWs = await wsListener('127.0.0.2');
  });
  after(async () => {
    await h.close();
    await deniedHttp.close();
    await deniedWs.close();
  });

  async function recordOf(callUuid: string): Promise<{ hangupCause: string | null; errorText: string }> {
    await within(h.control.idle(), 5000, 'records');
    const record = h.store.getCall(callUuid);
    assert.ok(record !== undefined);
    return { hangupCause: record.hangupCause, errorText: JSON.stringify(record.error) };
  }

  test('an answer URL on a denied host: the call ends "Answer URL Unreachable" with the refusal on its record, nothing sent', async () => {
    const before = deniedHttp.hits;
    const placed = h.place({
      answerPath: '',
      answerUrl: `http://127.0.0.2:${deniedHttp.port}/answer`,
      hangupPath: '/hangup',
    });
    await within(placed.ended, 10000, 'the call');
    const { hangupCause, errorText } = await recordOf(placed.call.callUuid);
    assert.equal(hangupCause, 'Answer URL Unreachable');
    assert.match(
      errorText,
      /ERR_TARGET_DENIED: host \\"127\.0\.0\.2\\" matched \\"127\.0\.0\.2\/32\\" in http\.deniedTargets/,
    );
    assert.equal(deniedHttp.hits, before, 'no request reached the denied host');
    const cb = await h.app.waitFor(
      (r) => r.path === '/hangup' && r.param('CallUUID') === placed.call.callUuid,
      3000,
      'hangup_url on an allowed host still fires',
    );
    assert.equal(cb.param('HangupCause'), 'Answer URL Unreachable');
  });

  test('an answer URL on a denied host with a fallback: the fallback runs at once (no retries of the denied URL)', async () => {
    h.app.route('/fallback', { body: xml('<Wait length="1"/>') });
    const before = deniedHttp.hits;
    const placed = h.place({
      answerPath: '',
      answerUrl: `http://127.0.0.2:${deniedHttp.port}/answer`,
      fallbackPath: '/fallback',
      hangupPath: '/hangup',
    });
    await within(placed.ended, 10000, 'the call');
    const { hangupCause } = await recordOf(placed.call.callUuid);
    assert.equal(hangupCause, 'End Of XML Instructions');
    assert.equal(h.app.requestsTo('/fallback').length, 1);
    assert.equal(deniedHttp.hits, before);
  });

  test('a hangup URL on a denied host: the call completes, the callback is refused and logged, nothing sent', async () => {
    h.app.route('/short', { body: xml('<Wait length="1"/>') });
    const before = deniedHttp.hits;
    const placed = h.place({
      answerPath: '/short',
      hangupUrl: `http://127.0.0.2:${deniedHttp.port}/hangup`,
    });
    await within(placed.ended, 10000, 'the call');
    const { hangupCause } = await recordOf(placed.call.callUuid);
    assert.equal(hangupCause, 'End Of XML Instructions');
    await within(h.runtime.engine.callbacks.idle(), 10000, 'callbacks');
    const failed = h.runtime.logs.find(
      (l) =>
        l.msg === 'callback delivery failed' &&
        String(l.fields['url']).startsWith(`http://127.0.0.2:${deniedHttp.port}/hangup`),
    );
    assert.ok(failed !== undefined, 'the refused callback is logged');
    assert.match(String(failed.fields['why']), /^denied: ERR_TARGET_DENIED: host "127\.0\.0\.2"/);
    assert.equal(deniedHttp.hits, before);
  });

  test('<Stream> to a denied ws:// URL: one attempt, DroppedStream with the refusal, the XML goes on', async () => {
    h.app.route('/stream-answer', {
      body: xml(
        streamElement(`ws://127.0.0.2:${deniedWs.port}/stream`, { statusCallbackUrl: h.app.url('/status') }),
        '<Wait length="1"/>',
      ),
    });
    const placed = h.place({ answerPath: '/stream-answer', hangupPath: '/hangup' });
    await within(placed.ended, 10000, 'the call');
    const { hangupCause } = await recordOf(placed.call.callUuid);
    assert.equal(hangupCause, 'End Of XML Instructions', 'the call went on after the refused stream');
    const dropped = await h.app.waitFor(
      (r) =>
        r.path === '/status' &&
        r.param('Event') === 'DroppedStream' &&
        r.param('CallUUID') === placed.call.callUuid,
      3000,
      'DroppedStream',
    );
    assert.equal(dropped.param('Reason'), 'Connection error');
    assert.match(
      dropped.param('Error') ?? '',
      /^ERR_TARGET_DENIED: host "127\.0\.0\.2" matched "127\.0\.0\.2\/32"/,
    );
    const callbacks = h.app.requestsTo('/status').filter((r) => r.param('CallUUID') === placed.call.callUuid);
    assert.deepEqual(
      callbacks.map((r) => r.param('Event')),
      ['DroppedStream'],
    );
    const failures = h.runtime.logs.filter(
      (l) =>
        l.msg === 'stream connect attempt failed' &&
        String(l.fields['error']).startsWith('ERR_TARGET_DENIED'),
    );
    assert.equal(failures.length, 1, 'a refusal is not retried');
    assert.equal(deniedWs.hits, 0);
  });
});

describe('SIP URIs dialled without a trunk', () => {
  let peers: { socket: UdpSocket; port: number; invites: string[] }[];

  /** A UDP SIP peer that answers every INVITE with 486 Busy Here. */
  async function busyPeer(host: string): Promise<{ socket: UdpSocket; port: number; invites: string[] }> {
    const socket = createSocket('udp4');
    const invites: string[] = [];
    socket.on('message', (msg, rinfo) => {
      const text = msg.toString('utf8');
      if (!text.startsWith('INVITE ')) {
        return;
      }
      invites.push(text);
      const header = (name: string): string =>
        text
          .split('\r\n')
          .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
          .join('\r\n');
      const reply = [
        'SIP/2.0 486 Busy Here',
        header('Via'),
        header('From'),
        `${header('To')};tag=busy1`,
        header('Call-ID'),
        header('CSeq'),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, host, resolve));
    return { socket, port: socket.address().port, invites };
  }

  before(async () => {
    peers = [await busyPeer('127.0.0.2'), await busyPeer('127.0.0.3')];
  });
  after(() => {
    for (const p of peers) {
      p.socket.close();
    }
  });

  test('the host is resolved and checked before the INVITE: denied literal and name refused, allowed name dialled at its address', async () => {
    const [denied, allowed] = peers;
    assert.ok(denied !== undefined && allowed !== undefined);
    const stack = await startSipStack({ targets: guardFor(['127.0.0.2/32'], [], testResolver) });
    try {
      for (const to of [`sip:bob@127.0.0.2:${denied.port}`, `sip:bob@denied.test:${denied.port}`]) {
        const res = await stack.server.dial({ to, from: '2000', timeoutSec: 5 });
        assert.ok(!res.ok, to);
        assert.equal(res.cause, 'NETWORK_OUT_OF_ORDER', to);
        assert.match(
          res.detail ?? '',
          /^ERR_TARGET_DENIED: host "(127\.0\.0\.2|denied\.test)".* "127\.0\.0\.2\/32"/,
          to,
        );
      }
      const busy = await stack.server.dial({
        to: `sip:bob@allowed.test:${allowed.port}`,
        from: '2000',
        timeoutSec: 5,
      });
      assert.deepEqual(busy, { ok: false, cause: 'USER_BUSY', sipStatus: 486 });
      assert.equal(allowed.invites.length, 1);
      assert.match(
        allowed.invites[0] ?? '',
        /^INVITE sip:bob@allowed\.test:/,
        'the Request-URI keeps the name',
      );
      assert.equal(denied.invites.length, 0, 'no INVITE reached the denied host');
    } finally {
      await stack.close();
    }
  });
});

test('config: bad entries of http.deniedTargets/allowedTargets are refused at load with the key, index and reason', () => {
  const res = loadConfig({
    env: {
      STREAMFORK_AUTH_AUTH_TOKEN: 'x',
      STREAMFORK_HTTP_DENIED_TARGETS: '10.0.0.0/8,10.0.0.0/33',
      STREAMFORK_HTTP_ALLOWED_TARGETS: 'https://bots.example.com',
    },
  });
  assert.ok(!res.ok);
  assert.ok(
    res.errors.some((e) => e.startsWith('http.deniedTargets[1]: "10.0.0.0/33": the prefix length')),
    res.errors.join('\n'),
  );
  assert.ok(
    res.errors.some((e) => e.startsWith('http.allowedTargets[0]: "https://bots.example.com": a URL')),
  );
  const good = loadConfig({
    env: {
      STREAMFORK_AUTH_AUTH_TOKEN: 'x',
      STREAMFORK_HTTP_DENIED_TARGETS: '10.0.0.0/8,*.internal.example.com',
    },
  });
  assert.ok(good.ok, good.ok ? '' : good.errors.join('\n'));
  assert.deepEqual(good.config.http.deniedTargets, ['10.0.0.0/8', '*.internal.example.com']);
  assert.deepEqual(good.config.http.allowedTargets, []);
});
