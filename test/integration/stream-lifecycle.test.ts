/**
 * Stream lifecycle on real sockets: streamTimeout, keepCallAlive true/false (D3), extra_headers (D4),
 * DTMF both ways, and the optional stop message (D7).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';

import { runVirtualCall } from '../../src/app/virtual-call.js';
import { composeRuntime, type Runtime } from '../../src/compose.js';
import { defaultStreamSettings } from '../../src/engine/fork/stream-defaults.js';
import type { StreamSettings } from '../../src/engine/fork/stream-fork.types.js';
import { generateTone } from '../../src/media/analysis.js';
import { nullLogger } from '../../src/ports/logger.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';

const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const close of closers.reverse()) {
    await close();
  }
});

async function serveXml(xml: string): Promise<string> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/answer`;
}

async function consumer(opts: { allowStop?: boolean } = {}): Promise<ReferenceConsumer> {
  const c = await startReferenceConsumer(opts);
  closers.push(() => c.close());
  return c;
}

function runtime(settings: Partial<StreamSettings> = {}): Runtime {
  const r = composeRuntime({
    stream: { ...defaultStreamSettings('MA' + 'X'.repeat(18), 'token'), ...settings },
    logger: nullLogger,
  });
  closers.push(() => r.close(1000));
  return r;
}

const caller = generateTone(440, 8000, 3000, 6000);

test('Plivo <Stream streamTimeout="1" keepCallAlive="true">: the stream stops after 1 s and the XML continues (D3)', async () => {
  const app = await consumer();
  const next = await consumer();
  const url = await serveXml(
    `<Response><Stream streamTimeout="1" keepCallAlive="true">${app.url}</Stream><Stream keepCallAlive="true">${next.url}</Stream></Response>`,
  );
  const result = await runVirtualCall(runtime(), { answerUrl: url, callerAudio: caller, durationMs: 2500 });
  const [first, second] = result.streams;
  assert.equal(first?.endReason, 'Stream timeout');
  const media = app.sessions[0]?.messages.filter((m) => m.event === 'media').length ?? 0;
  assert.ok(media >= 45 && media <= 55, `about 1 s of media before the timeout (${media} frames)`);
  assert.equal(second?.status, 'completed', 'the next element ran after the timeout');
  assert.ok((next.sessions[0]?.messages.length ?? 0) > 10);
  app.assertClean();
  next.assertClean();
});

test('Plivo <Stream keepCallAlive="false"> as the only element: the XML ends at once and so does the call (D3)', async () => {
  const app = await consumer();
  const url = await serveXml(`<Response><Stream>${app.url}</Stream></Response>`);
  const result = await runVirtualCall(runtime(), { answerUrl: url, callerAudio: caller, durationMs: 5000 });
  assert.equal(result.hangupCause, 'End Of XML Instructions');
  assert.ok(result.durationMs < 1000, `call ended right away (${result.durationMs} ms)`);
  assert.equal(result.streams[0]?.endReason, 'Call hangup');
});

test('D4: extra_headers re-joined with ";" on start, media and dtmf; DTMF forwarded; sendDTMF plays to the caller', async () => {
  const app = await consumer();
  const url = await serveXml(
    `<Response><Stream bidirectional="true" keepCallAlive="true" extraHeaders="userId=12345,session=abc">${app.url}</Stream></Response>`,
  );
  const session = app.waitForSession(5000).then(async (s) => {
    await s.waitFor((m) => m.event === 'dtmf', 5000);
    s.sendDTMF('12#');
    await new Promise((r) => setTimeout(r, 200));
    return s;
  });
  const result = await runVirtualCall(runtime(), {
    answerUrl: url,
    callerAudio: caller,
    durationMs: 1500,
    dtmf: [{ digit: '5', atMs: 500 }],
  });
  const s = await session;
  app.assertClean();
  assert.equal(s.start?.extra_headers, 'userId=12345;session=abc');
  for (const m of s.messages.filter((x) => x.event === 'media' || x.event === 'dtmf')) {
    assert.equal(m['extra_headers'], 'userId=12345;session=abc');
  }
  assert.equal(s.dtmfDigits, '5');
  assert.deepEqual(result.sentDtmf, ['12#']);
});

test('D7: with sendStop the app gets {"event":"stop"} just before the close with 1000', async () => {
  const app = await consumer({ allowStop: true });
  const url = await serveXml(`<Response><Stream keepCallAlive="true">${app.url}</Stream></Response>`);
  await runVirtualCall(runtime({ sendStop: true }), {
    answerUrl: url,
    callerAudio: caller,
    durationMs: 1000,
  });
  const s = app.sessions[0];
  assert.ok(s);
  assert.equal(await s.closed, 1000);
  assert.equal(s.messages.at(-1)?.event, 'stop');
  app.assertClean();
});
