// Tests of the strict reference consumer itself (compatibility §3–§6, D1–D16): hand-written
// correct sessions from a raw ws client stay clean, and each rule is shown to catch its violation.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { describe, test } from 'node:test';

import { WebSocket } from 'ws';

import {
  type ConsumerSession,
  type ReferenceConsumer,
  type ReferenceConsumerOptions,
  type RuleId,
  RULES,
  startReferenceConsumer,
} from './reference-consumer.js';
import { decodeStrictBase64, mulawToLinear } from './stream-messages.js';

const CALL_ID = randomUUID();
const STREAM_ID = randomUUID();
const T0 = 1_705_312_200_000;

type Json = Record<string, unknown>;
type Patch = Record<string, unknown>;

interface Format {
  readonly encoding: 'audio/x-mulaw' | 'audio/x-l16';
  readonly sampleRate: number;
  readonly tracks: readonly ('inbound' | 'outbound')[];
}

const MULAW: Format = { encoding: 'audio/x-mulaw', sampleRate: 8000, tracks: ['inbound'] };

/** Sets dotted paths on a message; `undefined` removes the field from the JSON. */
function applyPatch(message: Json, patch: Patch): void {
  for (const [path, value] of Object.entries(patch)) {
    const keys = path.split('.');
    let target = message;
    for (const key of keys.slice(0, -1)) {
      target = target[key] as Json;
    }
    target[keys[keys.length - 1]!] = value;
  }
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A hand-written streamfork stand-in: a raw ws client that emits correct frames unless patched. */
class FakeStreamfork {
  sent = 0;
  readonly received: Json[] = [];
  #seq = 0;
  readonly #chunks = { inbound: 0, outbound: 0 };

  constructor(
    readonly ws: WebSocket,
    readonly format: Format = MULAW,
    readonly extraHeaders = 'userId=12345;sessionId=abc',
  ) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(Buffer.from(data as Buffer).toString('utf8')) as Json);
    });
  }

  get frameSize(): number {
    return (this.format.sampleRate / 50) * (this.format.encoding === 'audio/x-l16' ? 2 : 1);
  }

  send(message: Json, patch: Patch = {}): void {
    this.#seq += 1;
    applyPatch(message, { sequenceNumber: this.#seq, ...patch });
    this.ws.send(JSON.stringify(message));
    this.sent += 1;
  }

  raw(data: string | Buffer): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
    this.sent += 1;
  }

  start(patch: Patch = {}): void {
    const { encoding, sampleRate, tracks } = this.format;
    const start = {
      callId: CALL_ID,
      streamId: STREAM_ID,
      accountId: 'MAXXXXXXXXXXXXXXXXXX',
      tracks,
      mediaFormat: { encoding, sampleRate },
    };
    this.send({ event: 'start', start, extra_headers: this.extraHeaders }, patch);
  }

  media(
    track: 'inbound' | 'outbound' = 'inbound',
    patch: Patch = {},
    bytes = frameOf(this.frameSize, this.#chunks[track]),
  ): Uint8Array {
    this.#chunks[track] += 1;
    const chunk = this.#chunks[track];
    const media = {
      track,
      timestamp: String(T0 + 20 * (chunk - 1)),
      chunk,
      payload: Buffer.from(bytes).toString('base64'),
    };
    this.send({ event: 'media', streamId: STREAM_ID, media, extra_headers: this.extraHeaders }, patch);
    return bytes;
  }

  dtmf(digit: string, patch: Patch = {}): void {
    const dtmf = { track: 'inbound', digit, timestamp: String(T0 + 1234) };
    this.send({ event: 'dtmf', streamId: STREAM_ID, dtmf, extra_headers: this.extraHeaders }, patch);
  }

  played(name: string, patch: Patch = {}): void {
    this.send({ event: 'playedStream', streamId: STREAM_ID, name }, patch);
  }

  cleared(patch: Patch = {}): void {
    this.send({ event: 'clearedAudio', streamId: STREAM_ID }, patch);
  }

  stop(patch: Patch = {}): void {
    this.send(
      {
        event: 'stop',
        streamId: STREAM_ID,
        stop: { callId: CALL_ID, streamId: STREAM_ID, tracks: this.format.tracks },
      },
      patch,
    );
  }

  async expectReceived(event: string, count = 1): Promise<Json[]> {
    await waitUntil(
      () => this.received.filter((m) => m['event'] === event).length >= count,
      `${count} × ${event}`,
    );
    return this.received.filter((m) => m['event'] === event);
  }
}

function frameOf(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    bytes[i] = (i * 7 + seed * 13) & 0xff;
  }
  return bytes;
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers });
  await once(ws, 'open', { signal: AbortSignal.timeout(2000) });
  return ws;
}

interface Harness {
  readonly consumer: ReferenceConsumer;
  readonly fork: FakeStreamfork;
  /** The session, once the first frame reached the consumer. */
  readonly session: () => Promise<ConsumerSession>;
  /** Waits until the consumer has processed every frame the fake sent. */
  readonly settle: () => Promise<void>;
}

/** Runs a scenario against a fresh consumer and a connected fake; closes both afterwards. */
async function withSession(
  run: (h: Harness) => Promise<void>,
  options: ReferenceConsumerOptions & {
    format?: Format;
    headers?: Record<string, string>;
    query?: string;
  } = {},
): Promise<void> {
  const consumer = await startReferenceConsumer({ path: '/stream', ...options });
  let ws: WebSocket | undefined;
  try {
    ws = await connect(`${consumer.url}${options.query ?? ''}`, options.headers);
    const fork = new FakeStreamfork(ws, options.format);
    let claimed: Promise<ConsumerSession> | undefined;
    const session = (): Promise<ConsumerSession> => (claimed ??= consumer.waitForSession(2000));
    const settle = async (): Promise<void> => {
      await waitUntil(
        () => (consumer.sessions[0]?.frameCount ?? 0) >= fork.sent,
        `${fork.sent} frames at the consumer`,
      );
    };
    await run({ consumer, fork, session, settle });
  } finally {
    ws?.terminate();
    await consumer.close();
  }
}

function rules(consumer: ReferenceConsumer): RuleId[] {
  return consumer.violations.map((v) => v.rule);
}

/** Expects exactly these rules (in order) to be reported for the scripted frames. */
async function expectViolations(
  expected: RuleId[],
  script: (fork: FakeStreamfork, session: () => Promise<ConsumerSession>) => Promise<void> | void,
  options: ReferenceConsumerOptions & { format?: Format } = {},
): Promise<void> {
  await withSession(async ({ consumer, fork, session, settle }) => {
    await script(fork, session);
    await settle();
    assert.deepEqual(
      rules(consumer),
      expected,
      consumer.violations.map((v) => `${v.rule}: ${v.detail}`).join('\n'),
    );
    if (expected.length > 0) {
      assert.throws(
        () => {
          consumer.assertClean();
        },
        new RegExp(expected[0]!.replace('.', '\\.')),
      );
    } else {
      consumer.assertClean();
    }
  }, options);
}

describe('reference consumer: correct sessions stay clean', () => {
  test('a μ-law 8k session with media, DTMF, a checkpoint and a clear has no violations (§4.1–§4.5)', async () => {
    await withSession(async ({ consumer, fork, session, settle }) => {
      fork.start();
      const sent = [fork.media(), fork.media(), fork.media()];
      const s = await session();
      const start = await s.waitForStart(100);
      assert.equal(start, s.start);
      assert.equal(start.start.streamId, STREAM_ID);
      assert.equal(start.extra_headers, 'userId=12345;sessionId=abc');
      s.checkpoint('greeting');
      await fork.expectReceived('checkpoint');
      fork.media();
      fork.played('greeting');
      s.checkpoint('doomed');
      s.clearAudio();
      await fork.expectReceived('clearAudio');
      fork.cleared();
      fork.dtmf('1');
      fork.dtmf('#');
      fork.dtmf('D');
      await settle();
      consumer.assertClean();
      assert.deepEqual(s.playedCheckpoints, ['greeting']);
      assert.equal(s.clearedCount, 1);
      assert.equal(s.dtmfDigits, '1#D');
      assert.deepEqual(s.pendingCheckpoints, []);
      assert.equal(s.inboundAudio.length, 4 * 160);
      assert.deepEqual(s.inboundAudio.subarray(0, 480), new Uint8Array(Buffer.concat(sent)));
      assert.equal(s.inboundPcm.length, 640);
      assert.equal(s.inboundPcm[0], mulawToLinear(sent[0]![0]!));
      assert.equal(s.messages.length, 10);
      assert.equal(s.validMessages.length, 10);
      const played = await s.waitForEvent('playedStream', 100);
      assert.equal(played.name, 'greeting');
    });
  });

  test('an L16 16k session with both tracks interleaved is clean and decodes little-endian PCM (§3.3, D6)', async () => {
    const format: Format = { encoding: 'audio/x-l16', sampleRate: 16000, tracks: ['inbound', 'outbound'] };
    await withSession(
      async ({ consumer, fork, session, settle }) => {
        fork.start();
        const pcm = new Int16Array(320).map((_v, i) => (i - 160) * 100);
        fork.media('inbound', {}, new Uint8Array(pcm.buffer));
        fork.media('outbound');
        fork.media('outbound');
        fork.media('inbound');
        await settle();
        consumer.assertClean();
        const s = await session();
        assert.equal(s.outboundAudio.length, 1280);
        assert.deepEqual(s.inboundPcm.subarray(0, 320), pcm);
      },
      { format },
    );
  });

  test('a playedStream that races ahead of clearedAudio is accepted (§5.3: the audio finished first)', async () => {
    await expectViolations([], async (fork, session) => {
      fork.start();
      const s = await session();
      s.checkpoint('a');
      s.clearAudio();
      s.checkpoint('b');
      await fork.expectReceived('checkpoint', 2);
      fork.played('a');
      fork.cleared();
      fork.played('b');
    });
  });

  test('a signed upgrade (X-Plivo-Signature-V3 over GET http://host/path?query, D8) is clean and its headers are kept', async () => {
    const token = 'test-auth-token';
    const consumer = await startReferenceConsumer({ path: '/stream', authToken: token });
    try {
      const nonce = '12345678901234567890';
      const signed = `${consumer.url.replace('ws://', 'http://')}?a=1&b=2.${nonce}`;
      const signature = createHmac('sha256', token).update(signed).digest('base64');
      const ws = await connect(`${consumer.url}?b=2&a=1`, {
        'X-Plivo-Signature-V3': `other,${signature}`,
        'X-Plivo-Signature-V3-Nonce': nonce,
      });
      try {
        new FakeStreamfork(ws).start();
        const s = await consumer.waitForSession(2000);
        consumer.assertClean();
        assert.equal(s.upgradeHeaders['x-plivo-signature-v3-nonce'], nonce);
        assert.equal(s.requestUrl, '/stream?b=2&a=1');
      } finally {
        ws.terminate();
      }
    } finally {
      await consumer.close();
    }
  });

  test('extra fields are tolerated, as in the official SDK schemas (§4, §4.2)', async () => {
    await expectViolations([], (fork) => {
      fork.start({ 'start.customParameters': { a: 1 } });
      fork.media('inbound', { 'media.contentType': 'audio/x-mulaw', 'media.sampleRate': 8000 });
    });
  });

  test('stream-relative timestamps pass only when requireEpochTimestamps is false (D5, §13 item 3)', async () => {
    await expectViolations(
      [],
      (fork) => {
        fork.start();
        fork.media('inbound', { 'media.timestamp': '0' });
        fork.media('inbound', { 'media.timestamp': '20' });
        fork.dtmf('1', { 'dtmf.timestamp': '25' });
      },
      { requireEpochTimestamps: false },
    );
  });

  test('stop at the end is accepted when allowStop is set (D7)', async () => {
    await expectViolations(
      [],
      (fork) => {
        fork.start();
        fork.media();
        fork.stop();
      },
      { allowStop: true },
    );
  });
});

describe('reference consumer: each rule catches its violation', () => {
  const cases: {
    name: string;
    expected: RuleId[];
    script: (fork: FakeStreamfork) => void;
    options?: { format?: Format; allowStop?: boolean };
  }[] = [
    {
      name: 'a binary frame (§3.1)',
      expected: ['frame.binary'],
      script: (f) => {
        f.start();
        f.raw(Buffer.from([1, 2, 3]));
      },
    },
    {
      name: 'a frame that is not JSON (§3.2)',
      expected: ['frame.json'],
      script: (f) => {
        f.start();
        f.raw('{"event":');
      },
    },
    {
      name: 'a JSON array instead of an event object (§3.2)',
      expected: ['frame.json'],
      script: (f) => {
        f.start();
        f.raw('[1,2]');
      },
    },
    {
      name: 'media before start (§4.1)',
      expected: ['start.first'],
      script: (f) => {
        f.media();
      },
    },
    {
      name: 'a second start (§4.1)',
      expected: ['start.once'],
      script: (f) => {
        f.start();
        f.start();
      },
    },
    {
      name: 'start with sequenceNumber 0 (§3.2)',
      expected: ['seq.order'],
      script: (f) => {
        f.start({ sequenceNumber: 0 });
      },
    },
    {
      name: 'sequenceNumber as a string (§3.2)',
      expected: ['seq.type'],
      script: (f) => {
        f.start({ sequenceNumber: '1' });
      },
    },
    {
      name: 'a sequence gap (§3.2)',
      expected: ['seq.order'],
      script: (f) => {
        f.start();
        f.media();
        f.media('inbound', { sequenceNumber: 4 });
        f.media('inbound', { sequenceNumber: 5 });
      },
    },
    {
      name: 'a repeated sequenceNumber (§3.2)',
      expected: ['seq.order'],
      script: (f) => {
        f.start();
        f.media('inbound', { sequenceNumber: 1 });
      },
    },
    {
      name: 'a version 1 callId (D15)',
      expected: ['uuid.v4'],
      script: (f) => {
        f.start({ 'start.callId': 'c232ab00-9414-11ec-b3c8-9e6bdeced846' });
      },
    },
    {
      name: 'a streamId with wrong variant bits (D15)',
      expected: ['uuid.v4'],
      script: (f) => {
        f.start({ 'start.streamId': '20170ada-f610-433b-c758-c02a2aab3662', 'start.callId': CALL_ID });
      },
    },
    {
      name: 'a missing accountId (§4.1)',
      expected: ['start.account'],
      script: (f) => {
        f.start({ 'start.accountId': undefined });
      },
    },
    {
      name: 'tracks ["both"] (§4.1)',
      expected: ['start.tracks'],
      script: (f) => {
        f.start({ 'start.tracks': ['both'] });
      },
    },
    {
      name: 'sampleRate as the string "8000" in start (§4.1)',
      expected: ['start.format'],
      script: (f) => {
        f.start({ 'start.mediaFormat.sampleRate': '8000' });
      },
    },
    {
      name: 'μ-law at 16000 Hz (§3.3)',
      expected: ['start.format'],
      script: (f) => {
        f.start({ 'start.mediaFormat.sampleRate': 16000 });
      },
    },
    {
      name: 'encoding with ;rate= (§4.1)',
      expected: ['start.format'],
      script: (f) => {
        f.start({ 'start.mediaFormat.encoding': 'audio/x-mulaw;rate=8000' });
      },
    },
    {
      name: 'start without extra_headers (D4)',
      expected: ['extra_headers'],
      script: (f) => {
        f.start({ extra_headers: undefined });
      },
    },
    {
      name: 'media without extra_headers (D4)',
      expected: ['extra_headers'],
      script: (f) => {
        f.start();
        f.media('inbound', { extra_headers: undefined });
      },
    },
    {
      name: 'dtmf with a null extra_headers (D4)',
      expected: ['extra_headers'],
      script: (f) => {
        f.start();
        f.dtmf('5', { extra_headers: null });
      },
    },
    {
      name: 'media whose extra_headers differ from start (D4)',
      expected: ['extra_headers.stable'],
      script: (f) => {
        f.start();
        f.media('inbound', { extra_headers: 'userId=1' });
      },
    },
    {
      name: 'media without top-level streamId (§4.2)',
      expected: ['stream_id'],
      script: (f) => {
        f.start();
        f.media('inbound', { streamId: undefined });
      },
    },
    {
      name: 'media with another streamId (§4.2)',
      expected: ['stream_id'],
      script: (f) => {
        f.start();
        f.media('inbound', { streamId: randomUUID() });
      },
    },
    {
      name: 'media without the media object (§4.2)',
      expected: ['media.shape'],
      script: (f) => {
        f.start();
        f.media('inbound', { media: undefined });
      },
    },
    {
      name: 'an outbound frame when only inbound was announced (§4.2)',
      expected: ['media.track'],
      script: (f) => {
        f.start();
        f.media('outbound');
      },
    },
    {
      name: 'a number timestamp (§4.2, D5)',
      expected: ['media.timestamp'],
      script: (f) => {
        f.start();
        f.media('inbound', { 'media.timestamp': T0 });
      },
    },
    {
      name: 'a fractional timestamp (D5)',
      expected: ['media.timestamp'],
      script: (f) => {
        f.start();
        f.media('inbound', { 'media.timestamp': `${T0}.5` });
      },
    },
    {
      name: 'a timestamp relative to stream start, not epoch (D5)',
      expected: ['media.timestamp'],
      script: (f) => {
        f.start();
        f.media('inbound', { 'media.timestamp': '20' });
      },
    },
    {
      name: 'a timestamp going back within a track (D5)',
      expected: ['media.timestamp.order'],
      script: (f) => {
        f.start();
        f.media();
        f.media('inbound', { 'media.timestamp': String(T0 - 1) });
      },
    },
    {
      name: 'a chunk gap (§3.2)',
      expected: ['media.chunk'],
      script: (f) => {
        f.start();
        f.media();
        f.media('inbound', { 'media.chunk': 3 });
      },
    },
    {
      name: 'chunks starting at 0 (§3.2)',
      expected: ['media.chunk'],
      script: (f) => {
        f.start();
        f.media('inbound', { 'media.chunk': 0 });
      },
    },
    {
      name: 'a chunk as a string (§4.2)',
      expected: ['media.chunk'],
      script: (f) => {
        f.start();
        f.media('inbound', { 'media.chunk': '1' });
      },
    },
    {
      name: 'a 159-byte μ-law payload (§3.3)',
      expected: ['media.payload.size'],
      script: (f) => {
        f.start();
        f.media('inbound', {}, new Uint8Array(159));
      },
    },
    {
      name: 'a 160-byte payload on an L16 8k stream (§3.3)',
      expected: ['media.payload.size'],
      script: (f) => {
        f.start();
        f.media('inbound', {}, new Uint8Array(160));
      },
      options: { format: { encoding: 'audio/x-l16', sampleRate: 8000, tracks: ['inbound'] } },
    },
    {
      name: 'an unpadded base64 payload (§3.3)',
      expected: ['media.payload.base64'],
      script: (f) => {
        f.start();
        f.media('inbound', { 'media.payload': Buffer.alloc(161).toString('base64').replace(/=+$/, '') });
      },
    },
    {
      name: 'a URL-safe base64 payload (§3.3)',
      expected: ['media.payload.base64'],
      script: (f) => {
        f.start();
        f.media('inbound', { 'media.payload': Buffer.alloc(160, 0xfb).toString('base64url') });
      },
    },
    {
      name: 'base64 with non-zero padding bits (§3.3)',
      expected: ['media.payload.base64'],
      script: (f) => {
        f.start();
        f.media('inbound', { 'media.payload': Buffer.alloc(160).toString('base64').replace(/A==$/, 'B==') });
      },
    },
    {
      name: 'a dtmf digit E (§4.3)',
      expected: ['dtmf.digit'],
      script: (f) => {
        f.start();
        f.dtmf('E');
      },
    },
    {
      name: 'two digits in one dtmf message (§4.3)',
      expected: ['dtmf.digit'],
      script: (f) => {
        f.start();
        f.dtmf('12');
      },
    },
    {
      name: 'a number dtmf timestamp (§4.3)',
      expected: ['dtmf.timestamp'],
      script: (f) => {
        f.start();
        f.dtmf('1', { 'dtmf.timestamp': T0 });
      },
    },
    {
      name: 'a playedStream for a checkpoint never sent (§4.4)',
      expected: ['played.unknown'],
      script: (f) => {
        f.start();
        f.played('nobody-asked');
      },
    },
    {
      name: 'a clearedAudio without a clearAudio (§4.5)',
      expected: ['cleared.unexpected'],
      script: (f) => {
        f.start();
        f.cleared();
      },
    },
    {
      name: 'a playedStream without sequenceNumber (D2)',
      expected: ['seq.type', 'played.unknown'],
      script: (f) => {
        f.start();
        f.played('x', { sequenceNumber: undefined });
      },
    },
    {
      name: 'a playedStream without name (§4.4)',
      expected: ['played.shape'],
      script: (f) => {
        f.start();
        f.played('x', { name: undefined });
      },
    },
    {
      name: 'an unknown event (§4)',
      expected: ['event.unknown'],
      script: (f) => {
        f.start();
        f.send({ event: 'connected' });
      },
    },
    {
      name: 'stop without allowStop (D7)',
      expected: ['event.unknown'],
      script: (f) => {
        f.start();
        f.stop();
      },
    },
    {
      name: 'a message after stop (D7)',
      expected: ['stop.last'],
      script: (f) => {
        f.start();
        f.stop();
        f.media();
      },
      options: { allowStop: true },
    },
    {
      name: 'a stop with the wrong inner streamId (D7)',
      expected: ['stop.shape'],
      script: (f) => {
        f.start();
        f.stop({ 'stop.streamId': randomUUID() });
      },
      options: { allowStop: true },
    },
  ];
  for (const c of cases) {
    test(`flags ${c.name} as ${c.expected.join(' + ')}`, async () => {
      await expectViolations(c.expected, c.script, c.options);
    });
  }

  test('flags checkpoints acknowledged out of order as played.order (§5.2)', async () => {
    await expectViolations(['played.order'], async (fork, session) => {
      fork.start();
      const s = await session();
      s.checkpoint('first');
      s.checkpoint('second');
      await fork.expectReceived('checkpoint', 2);
      fork.played('second');
      fork.played('first');
    });
  });

  test('flags a playedStream for a checkpoint whose audio was cleared as played.cleared (§4.4, D2)', async () => {
    await expectViolations(['played.cleared'], async (fork, session) => {
      fork.start();
      const s = await session();
      s.playAudio(new Uint8Array(1600));
      s.checkpoint('cut');
      s.clearAudio();
      await fork.expectReceived('clearAudio');
      fork.cleared();
      fork.played('cut');
    });
  });

  test('flags a second playedStream for the same checkpoint as played.unknown (§4.4)', async () => {
    await expectViolations(['played.unknown'], async (fork, session) => {
      fork.start();
      const s = await session();
      s.checkpoint('once');
      await fork.expectReceived('checkpoint');
      fork.played('once');
      fork.played('once');
    });
  });

  test('flags a second clearedAudio for one clearAudio as cleared.unexpected (§4.5)', async () => {
    await expectViolations(['cleared.unexpected'], async (fork, session) => {
      fork.start();
      const s = await session();
      s.clearAudio();
      await fork.expectReceived('clearAudio');
      fork.cleared();
      fork.cleared();
    });
  });

  test('flags a playedStream with another streamId as stream_id (§4.4)', async () => {
    await expectViolations(['stream_id'], async (fork, session) => {
      fork.start();
      const s = await session();
      s.checkpoint('a');
      await fork.expectReceived('checkpoint');
      fork.played('a', { streamId: randomUUID() });
    });
  });

  test('flags a wrong or missing upgrade signature as upgrade.signature (D8)', async () => {
    for (const headers of [{ 'X-Plivo-Signature-V3': 'bm9wZQ==', 'X-Plivo-Signature-V3-Nonce': '1' }, {}]) {
      await withSession(
        async ({ consumer, fork, session }) => {
          fork.start();
          await session();
          assert.deepEqual(rules(consumer), ['upgrade.signature']);
        },
        { authToken: 'token', headers },
      );
    }
  });

  test('refuses an upgrade to another path with 404 and flags upgrade.path (§3.1)', async () => {
    const consumer = await startReferenceConsumer({ path: '/stream' });
    try {
      const ws = new WebSocket(consumer.url.replace('/stream', '/other'));
      const [error] = (await once(ws, 'error', { signal: AbortSignal.timeout(2000) })) as [Error];
      assert.match(error.message, /Unexpected server response: 404/);
      assert.deepEqual(rules(consumer), ['upgrade.path']);
      assert.equal(consumer.sessions.length, 0);
    } finally {
      await consumer.close();
    }
  });

  test('assertClean lists the rule, its spec clause and the offending frame', async () => {
    await withSession(async ({ consumer, fork, settle }) => {
      fork.start();
      fork.media('inbound', { 'media.timestamp': T0 });
      await settle();
      assert.throws(
        () => {
          consumer.assertClean();
        },
        (error: unknown) => {
          assert.ok(error instanceof assert.AssertionError);
          assert.match(error.message, /1 Plivo stream protocol violation/);
          assert.match(
            error.message,
            /media\.timestamp: media\.timestamp: expected a string, got the number 1705312200000/,
          );
          assert.ok(error.message.includes(RULES['media.timestamp']));
          assert.match(error.message, /"event":"media"/);
          return true;
        },
      );
    });
  });
});

describe('reference consumer: the app side it sends (§5)', () => {
  test('playAudio sends Plivo-bot-shaped messages in the negotiated format, split by chunkMs', async () => {
    await withSession(async ({ fork, session }) => {
      fork.start();
      const s = await session();
      const audio = frameOf(400, 3);
      assert.equal(s.playAudio(audio, { chunkMs: 20 }), 3);
      const messages = await fork.expectReceived('playAudio', 3);
      assert.deepEqual(Object.keys(messages[0]!).sort(), ['event', 'media']);
      const media = messages.map(
        (m) => m['media'] as { contentType: string; sampleRate: number; payload: string },
      );
      assert.deepEqual(
        media.map((m) => [m.contentType, m.sampleRate]),
        [
          ['audio/x-mulaw', 8000],
          ['audio/x-mulaw', 8000],
          ['audio/x-mulaw', 8000],
        ],
      );
      assert.deepEqual(
        media.map((m) => decodeStrictBase64(m.payload)?.length),
        [160, 160, 80],
      );
      assert.deepEqual(Buffer.concat(media.map((m) => Buffer.from(m.payload, 'base64'))), Buffer.from(audio));
      assert.deepEqual(s.sentAudio, audio);
      s.playAudio(frameOf(320, 1), { sampleRate: '8000' });
      const [, , , lenient] = await fork.expectReceived('playAudio', 4);
      assert.equal((lenient!['media'] as { sampleRate: unknown }).sampleRate, '8000');
    });
  });

  test('checkpoint, clearAudio and sendDTMF carry the spec fields', async () => {
    await withSession(async ({ fork, session }) => {
      fork.start();
      const s = await session();
      s.checkpoint('mark');
      s.clearAudio();
      s.sendDTMF('12#');
      await fork.expectReceived('sendDTMF');
      assert.deepEqual(fork.received, [
        { event: 'checkpoint', streamId: STREAM_ID, name: 'mark' },
        { event: 'clearAudio', streamId: STREAM_ID },
        { event: 'sendDTMF', dtmf: '12#' },
      ]);
      assert.deepEqual(s.pendingCheckpoints, ['mark']);
    });
  });

  test('closed resolves with the close code and pending waits fail fast with the reason', async () => {
    await withSession(async ({ fork, session }) => {
      fork.start();
      const s = await session();
      const waiting = s.waitForEvent('playedStream', 5000);
      fork.ws.close(1000, 'bye');
      assert.equal(await s.closed, 1000);
      await assert.rejects(waiting, /socket closed with code 1000/);
    });
  });

  test('a wait that times out reports the violations seen so far', async () => {
    await withSession(async ({ fork, session, settle }) => {
      fork.start();
      fork.media('inbound', { 'media.chunk': 9 });
      await settle();
      const s = await session();
      await assert.rejects(s.waitForEvent('dtmf', 50), /timed out after 50 ms[\s\S]*media\.chunk/);
    });
  });

  test('μ-law decodes per G.711: 0xFF → 0, 0x00 → -32124, 0x80 → 32124, 0xF0 → 120, 0xEF → 132', () => {
    assert.equal(mulawToLinear(0xff), 0);
    assert.equal(mulawToLinear(0x00), -32124);
    assert.equal(mulawToLinear(0x80), 32124);
    assert.equal(mulawToLinear(0x7f) + 0, 0);
    assert.equal(mulawToLinear(0xf0), 120);
    assert.equal(mulawToLinear(0xef), 132);
  });
});
