/**
 * The harness's own fakes, checked against what the real adapters do (so scenarios on them mean
 * something): in-memory WebSocket delivery, closes and faults, the slow reader's buffer, the web app's
 * routes, and the clock stepping that lets promise continuations run between timers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { WsConnectOptions } from '../../src/ports/ws-client.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { SeededRandom } from '../fakes/seeded-random.js';
import { AnswerServer } from './answer-server.js';
import { CallHarness } from './harness.js';
import { MemoryWsNetwork, type MemoryLink } from './memory-ws.js';

const OPTIONS: WsConnectOptions = { headers: {}, timeoutMs: 300, maxPayloadBytes: 1000 };

/** A network with one app at ws://apps.test/x that accepts and keeps its links. */
function network(answer: Parameters<MemoryWsNetwork['listen']>[1]['answer'] = () => 'accept') {
  const clock = new FakeClock();
  const net = new MemoryWsNetwork(clock);
  const links: MemoryLink[] = [];
  net.listen('ws://apps.test/x', { answer, accepted: (link) => links.push(link) });
  return { clock, net, links };
}

function text(data: Buffer | ArrayBuffer | Buffer[]): string {
  return Buffer.isBuffer(data) ? data.toString('utf8') : '<not a buffer>';
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('MemoryWsNetwork', () => {
  test('frames arrive in order, after the sender returns, as bytes (like the ws adapter)', async () => {
    const { net, links } = network();
    const conn = await net.connect('ws://apps.test/x?a=1', OPTIONS);
    const atApp: string[] = [];
    links[0]!.appEnd.on('message', (data) => atApp.push(text(data)));
    const atEngine: (string | Uint8Array)[] = [];
    conn.onMessage((data, isBinary) => {
      assert.equal(isBinary, false);
      atEngine.push(data);
    });
    conn.send('one');
    conn.send('two');
    assert.deepEqual(atApp, [], 'not delivered inside send()');
    links[0]!.appEnd.send('back');
    await flush();
    assert.deepEqual(atApp, ['one', 'two']);
    assert.ok(atEngine[0] instanceof Uint8Array);
    assert.equal(Buffer.from(atEngine[0]).toString(), 'back');
  });

  test('connect answers: unknown URL and refuse reject at once, silent after the handshake timeout, status with HTTP n', async () => {
    const { clock, net } = network((req) =>
      req.url.endsWith('silent') ? 'silent' : req.url.endsWith('401') ? { status: 401 } : 'refuse',
    );
    net.listen('ws://apps.test/silent', { answer: () => 'silent', accepted: () => undefined });
    net.listen('ws://apps.test/401', { answer: () => ({ status: 401 }), accepted: () => undefined });
    await assert.rejects(net.connect('ws://apps.test/nobody', OPTIONS), /ECONNREFUSED apps\.test/);
    await assert.rejects(net.connect('ws://apps.test/x', OPTIONS), /ECONNREFUSED/);
    await assert.rejects(net.connect('ws://apps.test/401', OPTIONS), /HTTP 401/);
    let failed: unknown;
    net.connect('ws://apps.test/silent', OPTIONS).catch((err: unknown) => (failed = err));
    clock.advance(299);
    await flush();
    assert.equal(failed, undefined, 'still waiting before the timeout');
    clock.advance(1);
    await flush();
    assert.match(String(failed), /handshake has timed out/);
  });

  test('engine close: the app reads what came first, both ends see the code; terminate: both see 1006', async () => {
    const { net, links } = network();
    const a = await net.connect('ws://apps.test/x', OPTIONS);
    const b = await net.connect('ws://apps.test/x', OPTIONS);
    const seen: string[] = [];
    links[0]!.appEnd.on('message', (data) => seen.push(text(data)));
    links[0]!.appEnd.on('close', (code) => seen.push(`app closed ${code}`));
    a.onClose((code, reason) => seen.push(`engine closed ${code} ${reason}`));
    a.send('last');
    a.close(1000, 'stream stopped');
    a.send('after close');
    const dropped: number[] = [];
    links[1]!.appEnd.on('close', (code) => dropped.push(code));
    b.onClose((code) => dropped.push(code));
    b.terminate();
    await flush();
    assert.deepEqual(seen, ['last', 'app closed 1000', 'engine closed 1000 stream stopped']);
    assert.deepEqual(dropped, [1006, 1006]);
    assert.ok(links[1]!.terminatedByEngine);
  });

  test('a frame over maxPayloadBytes: the app sees 1009, the engine 1006 "Max payload size exceeded"', async () => {
    const { net, links } = network();
    const conn = await net.connect('ws://apps.test/x', OPTIONS);
    const seen: string[] = [];
    conn.onClose((code, reason) => seen.push(`${code} ${reason}`));
    links[0]!.appEnd.on('close', (code) => seen.push(`app ${code}`));
    links[0]!.appEnd.send('x'.repeat(1001));
    await flush();
    assert.deepEqual(seen, ['app 1009', '1006 Max payload size exceeded']);
  });

  test('a slow reader: unread bytes stay in bufferedAmount and drain at its rate', async () => {
    const { clock, net, links } = network();
    const conn = await net.connect('ws://apps.test/x', OPTIONS);
    const got: string[] = [];
    links[0]!.appEnd.on('message', (data) => got.push(text(data)));
    links[0]!.setReadRate(100);
    conn.send('a'.repeat(50));
    conn.send('b'.repeat(50));
    assert.equal(conn.bufferedAmount, 100);
    clock.advance(500);
    assert.equal(conn.bufferedAmount, 50, 'half a second at 100 B/s read one frame');
    await flush();
    assert.equal(got.length, 1);
    links[0]!.setReadRate(0);
    clock.advance(10_000);
    assert.equal(conn.bufferedAmount, 50, 'a stalled reader reads nothing');
    links[0]!.setReadRate(Infinity);
    assert.equal(conn.bufferedAmount, 0);
    assert.equal(links[0]!.maxBufferedSeen, 100);
  });
});

describe('AnswerServer and the clock', () => {
  test('routes answer after delayMs of fake time; other hosts fail as a transport error; requests are recorded', async () => {
    const clock = new FakeClock();
    const web = new AnswerServer(clock, 100);
    web.serve('/answer', '<Response/>');
    web.serve('/down', { ok: true, status: 503, contentType: 'text/plain', body: '' });
    const timeout = { method: 'POST' as const, timeoutMs: 1000, maxBodyBytes: 1000 };
    const answer = web.request({ ...timeout, url: web.url('/answer'), form: [['CallUUID', 'c1']] });
    const down = web.request({ ...timeout, url: web.url('/down') });
    const elsewhere = web.request({ ...timeout, url: 'http://elsewhere.test/' });
    clock.advance(100);
    assert.deepEqual(await answer, {
      ok: true,
      status: 200,
      contentType: 'application/xml',
      body: '<Response/>',
    });
    const failing = await down;
    assert.ok(failing.ok);
    assert.equal(failing.status, 503);
    assert.equal((await elsewhere).ok, false);
    assert.equal(web.requestsTo('/answer')[0]?.param('CallUUID'), 'c1');
  });

  test('advance() lets promise continuations run between timers, in due order', async () => {
    const h = new CallHarness();
    const order: string[] = [];
    const wait = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        h.clock.after(ms, resolve);
      });
    void (async () => {
      await wait(10);
      order.push(`a@${h.now}`);
      await wait(10);
      order.push(`b@${h.now}`);
    })();
    h.clock.after(15, () => order.push(`t@${h.now}`));
    await h.advance(30);
    assert.deepEqual(order, ['a@10', 't@15', 'b@20']);
    assert.equal(h.now, 30);
    await assert.rejects(
      h.until(() => false, 100, 'never'),
      /never: not within 100 ms of fake time/,
    );
  });

  test('SeededRandom: version 4 UUIDs, the same sequence for the same seed', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const id = a.uuid();
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(b.uuid(), id);
    assert.notEqual(a.uuid(), id);
  });
});
