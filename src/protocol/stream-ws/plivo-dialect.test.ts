/**
 * The Plivo dialect on its own: what it sends is byte for byte what the writer built before the
 * dialect existed, and what it reads maps one for one onto the app-message parser's results.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { verifyV3 } from '../signature/v3.js';
import type {
  StreamCommand,
  StreamDialectContext,
  StreamDialectSettings,
  StreamDialectSpec,
  StreamStatusEvent,
} from '../stream-dialect.types.js';
import { BUILT_IN_STREAM_DIALECTS } from '../stream-dialects.js';
import { parseAppMessage, type AppMessage } from './app-message.js';
import { extraHeadersWire } from './extra-headers.js';
import { mediaFormatOf, type ContentType } from './formats.js';
import { PlayAudioScanner } from './play-audio-scan.js';
import { streamCallbackParams, type StreamCallbackEvent } from './status-callback.js';
import { plivoDialect } from './plivo-dialect.js';
import { StreamMessageWriter } from './writer.js';

const settings: StreamDialectSettings = {
  accountId: 'MAXXXXXXXXXXXXXXXXXX',
  authToken: 'secret-token',
  extraHeadersMode: 'semicolon',
  l16LittleEndian: true,
  sendStop: true,
  maxMessageBytes: 16 * 1024 * 1024,
  signWebSocketUrlAs: 'scheme-mapped',
};

function context(
  spec: Partial<StreamDialectSpec> = {},
  over: Partial<StreamDialectSettings> = {},
  contentType: ContentType = 'audio/x-mulaw;rate=8000',
): StreamDialectContext {
  return {
    callId: '5f1c1a9e-5e4b-4b1a-9c52-3b8c1f0f2a11',
    streamId: '20170ada-f610-433b-8758-c02a2aab3662',
    tracks: ['inbound', 'outbound'],
    format: mediaFormatOf(contentType),
    spec: {
      serviceUrl: 'wss://app.example.com/stream?x=1',
      bidirectional: true,
      audioTrack: 'both',
      streamTimeoutSec: 86400,
      statusCallbackUrl: 'https://app.example.com/status',
      statusCallbackMethod: 'POST',
      contentType,
      extraHeaders: 'userId=12345,sessionId=abc-xyz',
      keepCallAlive: true,
      ...spec,
    },
    settings: { ...settings, ...over },
  };
}

/** The writer of the same stream, set up as the fork set it up before the dialect. */
function writerFor(ctx: StreamDialectContext): StreamMessageWriter {
  return new StreamMessageWriter({
    callId: ctx.callId,
    streamId: ctx.streamId,
    accountId: ctx.settings.accountId,
    extraHeaders: extraHeadersWire(ctx.spec.extraHeaders, ctx.settings.extraHeadersMode),
  });
}

test('Plivo dialect: every message out is byte-identical to the writer, sequence numbers and chunks included', () => {
  for (const contentType of ['audio/x-mulaw;rate=8000', 'audio/x-l16;rate=16000'] as const) {
    for (const extraHeadersMode of ['semicolon', 'verbatim'] as const) {
      const ctx = context({}, { extraHeadersMode }, contentType);
      const dialect = plivoDialect(ctx);
      const writer = writerFor(ctx);
      const frame = new Uint8Array(ctx.format.frameBytes).map((_, i) => (i * 7) & 0xff);
      const t0 = 1_705_312_200_000;
      assert.deepEqual(dialect.start(t0), [writer.start(ctx.tracks, ctx.format)]);
      for (let i = 0; i < 5; i++) {
        assert.equal(
          dialect.media('inbound', t0 + i * 20, frame),
          writer.media('inbound', t0 + i * 20, frame),
        );
        assert.equal(
          dialect.media('outbound', t0 + i * 20.5, frame),
          writer.media('outbound', t0 + i * 20.5, frame),
        );
      }
      assert.equal(dialect.dtmf('5', t0 + 99.7), writer.dtmf('inbound', '5', t0 + 99.7));
      assert.equal(dialect.checkpointPlayed('greeting "1"'), writer.playedStream('greeting "1"'));
      assert.deepEqual(dialect.cleared(['a', 'b']), [writer.clearedAudio()]);
      assert.equal(dialect.stop('Stream timeout'), writer.stop('Stream timeout'));
    }
  }
});

test('Plivo dialect D7: no stop message unless the server setting enables it', () => {
  const dialect = plivoDialect(context({}, { sendStop: false }));
  dialect.start(0);
  assert.equal(dialect.stop('API request'), undefined);
});

test('Plivo dialect D8: the upgrade is signed with V3 over the scheme-mapped or the plain-http URL', () => {
  const nonce = '12345678901234567890';
  const mapped = plivoDialect(context()).upgradeHeaders(nonce);
  assert.equal(mapped['X-Plivo-Signature-V3-Nonce'], nonce);
  const check = (url: string, headers: Readonly<Record<string, string>>): boolean =>
    verifyV3({
      method: 'GET',
      url,
      nonce,
      authToken: settings.authToken,
      signature: headers['X-Plivo-Signature-V3'] ?? '',
    });
  assert.ok(check('https://app.example.com/stream?x=1', mapped));
  assert.ok(!check('http://app.example.com/stream?x=1', mapped));
  assert.equal(mapped['X-Plivo-Signature-Ma-V3'], mapped['X-Plivo-Signature-V3']);
  const plain = plivoDialect(context({}, { signWebSocketUrlAs: 'plain-http' })).upgradeHeaders(nonce);
  assert.ok(check('http://app.example.com/stream?x=1', plain));
  const ws = plivoDialect(context({ serviceUrl: 'ws://app.example.com/s' })).upgradeHeaders(nonce);
  assert.ok(check('http://app.example.com/s', ws));
});

/** The command a parser result stands for, written out independently of the dialect. */
function expected(r: ReturnType<typeof parseAppMessage>): StreamCommand {
  if (!r.ok) {
    return { type: 'error', code: r.error.code, detail: r.error.detail };
  }
  const m: AppMessage = r.value;
  switch (m.event) {
    case 'playAudio':
      return { type: 'play', audio: m.audio };
    case 'checkpoint':
      return { type: 'checkpoint', name: m.name };
    case 'clearAudio':
      return { type: 'clear' };
    case 'sendDTMF':
      return { type: 'sendDtmf', digits: m.digits };
    case 'stop':
      return { type: 'stop' };
    case 'ignored':
      return { type: 'ignored', reason: m.reason };
  }
}

test('Plivo dialect: each app message maps to the parser result (same commands, same error codes and details)', () => {
  const mulaw = mediaFormatOf('audio/x-mulaw;rate=8000');
  const b64 = (n: number): string => Buffer.from(new Uint8Array(n).fill(0x55)).toString('base64');
  const cases: [string, StreamCommand['type'], string?][] = [
    [
      JSON.stringify({
        event: 'playAudio',
        media: { contentType: 'audio/x-mulaw', sampleRate: 8000, payload: b64(160) },
      }),
      'play',
    ],
    [JSON.stringify({ event: 'checkpoint', streamId: 's', name: 'first' }), 'checkpoint'],
    ['{"event":"clearAudio"}', 'clear'],
    ['{"event":"sendDTMF","dtmf":"12#"}', 'sendDtmf'],
    ['{"event":"stop"}', 'stop'],
    ['{"event":"mark","mark":{"name":"x"}}', 'ignored'],
    ['not json', 'error', 'ERR_STREAM_NOT_JSON'],
    ['{"event":"checkpoint"}', 'error', 'ERR_STREAM_BAD_CHECKPOINT'],
    ['{"event":"sendDTMF","dtmf":"x"}', 'error', 'ERR_STREAM_BAD_DTMF'],
    [
      JSON.stringify({
        event: 'playAudio',
        media: { contentType: 'audio/x-l16', sampleRate: 8000, payload: b64(4) },
      }),
      'error',
      'ERR_STREAM_FORMAT_MISMATCH',
    ],
  ];
  for (const bidirectional of [true, false]) {
    const dialect = plivoDialect(context({ bidirectional }));
    for (const [text, type, code] of cases) {
      for (const data of [text, new TextEncoder().encode(text)]) {
        const got = dialect.parse(data, false);
        assert.equal(got.type, type, text);
        assert.deepEqual(got, expected(parseAppMessage(data, mulaw)), text);
        if (code !== undefined) {
          assert.equal(got.type === 'error' ? got.code : '', code, text);
        }
      }
    }
  }
  const binary = plivoDialect(context()).parse(new Uint8Array([1, 2, 3]), true);
  assert.deepEqual(binary, {
    type: 'error',
    code: 'ERR_STREAM_BINARY_FRAME',
    detail: 'binary frames are not part of the protocol; ignored',
  });
});

test('property: the Plivo dialect (with its playAudio scanner memory) gives the parser result for every frame of a sequence', () => {
  const format = mediaFormatOf('audio/x-l16;rate=16000');
  const frame = fc.oneof(
    fc.uint8Array({ maxLength: 700 }).map((b) => ({
      event: 'playAudio',
      media: { contentType: 'audio/x-l16', sampleRate: 16000, payload: Buffer.from(b).toString('base64') },
    })),
    fc
      .uint8Array({ maxLength: 60 })
      .map((b) => ({ event: 'playAudio', media: { payload: Buffer.from(b).toString('base64') } })),
    fc.string().map((name) => ({ event: 'checkpoint', name })),
    fc.constantFrom(
      { event: 'clearAudio' },
      { event: 'stop' },
      { event: 'sendDTMF', dtmf: '1*' },
      { event: 'x' },
    ),
    fc.jsonValue(),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(frame, fc.boolean()), { maxLength: 12 }), (frames) => {
      const dialect = plivoDialect(context({ bidirectional: true }, {}, 'audio/x-l16;rate=16000'));
      const scanner = new PlayAudioScanner();
      for (const [msg, asBytes] of frames) {
        const text = JSON.stringify(msg);
        const data = asBytes ? new TextEncoder().encode(text) : text;
        const reference = parseAppMessage(data, format, {
          maxMessageBytes: settings.maxMessageBytes,
          scanner,
        });
        assert.deepEqual(dialect.parse(data, false), expected(reference));
      }
    }),
    { numRuns: 2000 },
  );
});

test('the built-in registry names the Plivo dialect plivo', () => {
  assert.equal(BUILT_IN_STREAM_DIALECTS.plivo, plivoDialect);
});

test('Plivo dialect D12: each stream event becomes the status callback the fork built before, field for field', () => {
  const ctx = context();
  const dialect = plivoDialect(ctx);
  const t = 1_705_312_200_123;
  const info = {
    streamId: ctx.streamId,
    callUuid: ctx.callId,
    accountId: settings.accountId,
    serviceUrl: ctx.spec.serviceUrl,
    timestampMs: t,
    attributes: ctx.spec,
  };
  const cases: [StreamStatusEvent, StreamCallbackEvent, object][] = [
    [{ type: 'started' }, 'StartStream', {}],
    [{ type: 'checkpointPlayed', name: 'greeting' }, 'PlayedStream', { name: 'greeting' }],
    [{ type: 'cleared' }, 'ClearedAudio', {}],
    [{ type: 'degraded', bufferUsagePercent: 60 }, 'DegradedStream', { bufferUsagePercent: 60 }],
    [{ type: 'stopped', reason: 'API request' }, 'StopStream', { reason: 'API request' }],
    [{ type: 'stopped', reason: 'x', error: undefined }, 'StopStream', { reason: 'x' }],
    [
      { type: 'dropped', reason: 'Connection error', error: 'ECONNREFUSED' },
      'DroppedStream',
      { reason: 'Connection error', error: 'ECONNREFUSED' },
    ],
  ];
  for (const [event, plivoEvent, extra] of cases) {
    assert.deepEqual(
      dialect.statusCallback(event, t),
      streamCallbackParams(plivoEvent, { ...info, ...extra }),
    );
  }
});
