// Tests of the echo-bot example on its own: the answer URL's XML (compatibility §2.1, §11.1) and
// the WebSocket app driven by a raw ws client that acts like streamfork (§4, §5).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';

import { WebSocket } from 'ws';

import { type EchoBot, startEchoBot } from './server.js';

type Json = Record<string, unknown>;

const STREAM_ID = randomUUID();
const T0 = 1_705_312_200_000;

interface PlivoXmlBuilder {
  Response: new () => { addStream(body: string, attrs: Json): unknown; toXML(): string };
}

/** The answer XML the official plivo SDK builds for the same <Stream>, as an independent reference. */
function plivoSdkXml(streamUrl: string, contentType: string): string {
  const plivo = createRequire(import.meta.url)('plivo') as PlivoXmlBuilder;
  const response = new plivo.Response();
  response.addStream(streamUrl, { bidirectional: true, keepCallAlive: true, contentType });
  return response.toXML();
}

/** A raw ws client that sends what streamfork sends and records what the bot answers. */
class FakeStreamfork {
  readonly received: Json[] = [];
  #seq = 0;
  #chunk = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(Buffer.from(data as Buffer).toString('utf8')) as Json);
    });
  }

  static async connect(url: string): Promise<FakeStreamfork> {
    const ws = new WebSocket(url);
    await once(ws, 'open', { signal: AbortSignal.timeout(2000) });
    return new FakeStreamfork(ws);
  }

  send(message: Json): void {
    this.#seq += 1;
    this.ws.send(JSON.stringify({ ...message, sequenceNumber: this.#seq }));
  }

  start(encoding: string, sampleRate: number): void {
    const start = {
      callId: randomUUID(),
      streamId: STREAM_ID,
      accountId: 'MAXXXXXXXXXXXXXXXXXX',
      tracks: ['inbound'],
      mediaFormat: { encoding, sampleRate },
    };
    this.send({ event: 'start', start, extra_headers: '' });
  }

  media(bytes: Uint8Array): string {
    this.#chunk += 1;
    const payload = Buffer.from(bytes).toString('base64');
    const media = {
      track: 'inbound',
      timestamp: String(T0 + 20 * (this.#chunk - 1)),
      chunk: this.#chunk,
      payload,
    };
    this.send({ event: 'media', streamId: STREAM_ID, media, extra_headers: '' });
    return payload;
  }

  dtmf(digit: string): void {
    this.send({
      event: 'dtmf',
      streamId: STREAM_ID,
      dtmf: { track: 'inbound', digit, timestamp: String(T0) },
      extra_headers: '',
    });
  }

  ofEvent(event: string): Json[] {
    return this.received.filter((m) => m['event'] === event);
  }

  async waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; received ${JSON.stringify(this.received.map((m) => m['event']))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

function frame(size: number, seed: number): Uint8Array {
  return new Uint8Array(size).map((_v, i) => (i * 31 + seed * 7) & 0xff);
}

function payloadOf(message: Json): { contentType: unknown; sampleRate: unknown; payload: string } {
  return message['media'] as { contentType: unknown; sampleRate: unknown; payload: string };
}

describe('echo bot: answer URL', () => {
  let bot: EchoBot;
  before(async () => {
    bot = await startEchoBot({ log: () => undefined });
  });
  after(async () => {
    await bot.close();
  });

  test('GET /answer returns a bidirectional, keepCallAlive Stream to /stream, μ-law 8k by default (§2.1)', async () => {
    const res = await fetch(bot.answerUrl, { signal: AbortSignal.timeout(2000) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/xml/);
    const xml = await res.text();
    assert.equal(
      xml,
      `<Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000">${bot.streamUrl}</Stream></Response>`,
    );
    assert.equal(xml, plivoSdkXml(bot.streamUrl, 'audio/x-mulaw;rate=8000'));
    assert.match(bot.streamUrl, /^ws:\/\/127\.0\.0\.1:\d+\/stream$/);
  });

  test('POST /answer with Plivo form parameters takes the content type from ?contentType= (§2.2)', async () => {
    const res = await fetch(`${bot.answerUrl}?contentType=${encodeURIComponent('audio/x-l16;rate=16000')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'CallUUID=abc&From=15551234567&To=15557654321&CallStatus=in-progress&Direction=inbound',
      signal: AbortSignal.timeout(2000),
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), plivoSdkXml(bot.streamUrl, 'audio/x-l16;rate=16000'));
  });

  test('an unsupported content type is a 400 and other paths are 404', async () => {
    const bad = await fetch(`${bot.answerUrl}?contentType=audio/wav`, { signal: AbortSignal.timeout(2000) });
    assert.equal(bad.status, 400);
    await bad.text();
    const missing = await fetch(bot.answerUrl.replace('/answer', '/nope'), {
      signal: AbortSignal.timeout(2000),
    });
    assert.equal(missing.status, 404);
    await missing.text();
  });

  test('the option sets the default content type; an invalid option is refused', async () => {
    const l16 = await startEchoBot({ contentType: 'audio/x-l16;rate=8000', log: () => undefined });
    try {
      const xml = await (await fetch(l16.answerUrl, { signal: AbortSignal.timeout(2000) })).text();
      assert.match(xml, /contentType="audio\/x-l16;rate=8000"/);
    } finally {
      await l16.close();
    }
    await assert.rejects(startEchoBot({ contentType: 'raw' }), TypeError);
  });
});

describe('echo bot: the WebSocket app', () => {
  test('echoes each μ-law frame back as playAudio, checkpoints each second, clears on * and closes on # (§5)', async () => {
    const lines: string[] = [];
    const bot = await startEchoBot({ delayMs: 0, log: (line) => lines.push(line) });
    let fork: FakeStreamfork | undefined;
    try {
      fork = await FakeStreamfork.connect(bot.streamUrl);
      fork.start('audio/x-mulaw', 8000);
      const sent: string[] = [];
      for (let i = 0; i < 60; i++) {
        sent.push(fork.media(frame(160, i)));
      }
      const f = fork;
      await f.waitFor(() => f.ofEvent('playAudio').length === 60, '60 playAudio');
      const plays = f.ofEvent('playAudio').map(payloadOf);
      assert.deepEqual(
        plays.map((m) => m.payload),
        sent,
      );
      assert.ok(plays.every((m) => m.contentType === 'audio/x-mulaw' && m.sampleRate === 8000));
      // One second of μ-law 8k is 8000 bytes = 50 frames: the checkpoint follows the 50th playAudio.
      const order = f.received.map((m) => m['event']);
      assert.equal(order.indexOf('checkpoint'), 50);
      assert.deepEqual(f.ofEvent('checkpoint'), [
        { event: 'checkpoint', streamId: STREAM_ID, name: 'echo-1' },
      ]);

      f.send({ event: 'playedStream', streamId: STREAM_ID, name: 'echo-1' });
      f.dtmf('*');
      await f.waitFor(() => f.ofEvent('clearAudio').length === 1, 'clearAudio');
      assert.deepEqual(f.ofEvent('clearAudio'), [{ event: 'clearAudio', streamId: STREAM_ID }]);
      f.send({ event: 'clearedAudio', streamId: STREAM_ID });
      const closed = once(f.ws, 'close', { signal: AbortSignal.timeout(2000) });
      f.dtmf('#');
      const [code] = (await closed) as [number];
      assert.equal(code, 1000);
      const stats = bot.stats();
      assert.deepEqual(stats.played, ['echo-1']);
      assert.equal(stats.cleared, 1);
      assert.equal(stats.dtmf, '*#');
      assert.equal(stats.bytesEchoed, 60 * 160);
      assert.ok(lines.some((line) => line.includes('playedStream echo-1')));
      assert.ok(lines.some((line) => line.includes('clearedAudio')));
    } finally {
      fork?.ws.terminate();
      await bot.close();
    }
  });

  test('with a delay, batches L16 16k audio into fewer playAudio messages whose bytes equal the media (D14)', async () => {
    const bot = await startEchoBot({ delayMs: 100, log: () => undefined });
    let fork: FakeStreamfork | undefined;
    try {
      fork = await FakeStreamfork.connect(bot.streamUrl);
      fork.start('audio/x-l16', 16000);
      const sent: Uint8Array[] = [];
      for (let i = 0; i < 60; i++) {
        const bytes = frame(640, i);
        sent.push(bytes);
        fork.media(bytes);
      }
      const f = fork;
      await f.waitFor(() => bot.stats().bytesEchoed === 60 * 640, 'all audio echoed');
      await f.waitFor(() => f.ofEvent('checkpoint').length === 1, 'checkpoint echo-1');
      const plays = f.ofEvent('playAudio').map(payloadOf);
      assert.ok(plays.length < 60, `expected batching, got ${plays.length} messages`);
      assert.ok(plays.every((m) => m.contentType === 'audio/x-l16' && m.sampleRate === 16000));
      const echoed = Buffer.concat(plays.map((m) => Buffer.from(m.payload, 'base64')));
      assert.deepEqual(echoed, Buffer.concat(sent));
      // The checkpoint sits exactly after one second (32000 bytes) of echoed L16 16k audio.
      let before = 0;
      for (const message of f.received) {
        if (message['event'] === 'checkpoint') {
          break;
        }
        if (message['event'] === 'playAudio') {
          before += Buffer.from(payloadOf(message).payload, 'base64').length;
        }
      }
      assert.equal(before, 32000);
    } finally {
      fork?.ws.terminate();
      await bot.close();
    }
  });
});
