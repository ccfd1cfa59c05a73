/**
 * The Twilio dialect on its own: the messages it sends have Twilio's documented fields and types
 * (counters as strings, the media format as numbers), and the app's messages in the shapes a
 * pipecat-style bot sends (its Twilio serializer: `media` with `media.payload`, `clear`, `mark`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { StreamDialectContext, StreamDialectSpec } from '../stream-dialect.types.js';
import { BUILT_IN_STREAM_DIALECTS } from '../stream-dialects.js';
import { mediaFormatOf } from '../stream-ws/formats.js';
import { TwilioDialect } from './twilio-dialect.js';
import { twilioSignature } from './twilio-signature.js';

const CALL_ID = '5f1c1a9e-5e4b-4b1a-9c52-3b8c1f0f2a11';
const STREAM_ID = '20170ada-f610-433b-8758-c02a2aab3662';
const STREAM_SID = 'MZ20170adaf610433b8758c02a2aab3662';
const CALL_SID = 'CA5f1c1a9e5e4b4b1a9c523b8c1f0f2a11';
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';

function context(spec: Partial<StreamDialectSpec> = {}): StreamDialectContext {
  return {
    callId: CALL_ID,
    streamId: STREAM_ID,
    tracks: ['inbound', 'outbound'],
    format: mediaFormatOf('audio/x-mulaw;rate=8000'),
    spec: {
      serviceUrl: 'wss://bot.example.com/media?room=7',
      bidirectional: true,
      audioTrack: 'both',
      streamTimeoutSec: 86400,
      statusCallbackMethod: 'POST',
      contentType: 'audio/x-mulaw;rate=8000',
      customParameters: [
        ['FirstName', 'Ada'],
        ['Plan', 'gold'],
      ],
      ...spec,
    },
    settings: {
      accountId: ACCOUNT_SID,
      authToken: 'twilio-token',
      extraHeadersMode: 'semicolon',
      l16LittleEndian: true,
      sendStop: false,
      maxMessageBytes: 64 * 1024,
      signWebSocketUrlAs: 'scheme-mapped',
    },
  };
}

const T0 = 1_700_000_000_000;

function parseJson(text: string | undefined): unknown {
  assert.ok(text !== undefined);
  return JSON.parse(text);
}

test('registered as twilio', () => {
  assert.ok(BUILT_IN_STREAM_DIALECTS.twilio(context()) instanceof TwilioDialect);
});

test('connected then start, as Twilio documents them (sids, tracks, mediaFormat numbers, customParameters)', () => {
  const d = new TwilioDialect(context());
  const [connected, start, ...rest] = d.start(T0);
  assert.equal(rest.length, 0);
  assert.deepEqual(parseJson(connected), { event: 'connected', protocol: 'Call', version: '1.0.0' });
  assert.deepEqual(parseJson(start), {
    event: 'start',
    sequenceNumber: '1',
    start: {
      accountSid: ACCOUNT_SID,
      streamSid: STREAM_SID,
      callSid: CALL_SID,
      tracks: ['inbound', 'outbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      customParameters: { FirstName: 'Ada', Plan: 'gold' },
    },
    streamSid: STREAM_SID,
  });
});

test('media: per-track chunks from 1, timestamp in ms since the stream started, all counters strings', () => {
  const d = new TwilioDialect(context());
  d.start(T0);
  const frame = new Uint8Array(160).fill(0xff);
  const a = parseJson(d.media('inbound', T0, frame));
  const b = parseJson(d.media('outbound', T0, frame));
  const c = parseJson(d.media('inbound', T0 + 20, frame));
  assert.deepEqual(a, {
    event: 'media',
    sequenceNumber: '2',
    media: { track: 'inbound', chunk: '1', timestamp: '0', payload: Buffer.from(frame).toString('base64') },
    streamSid: STREAM_SID,
  });
  assert.deepEqual(b, {
    event: 'media',
    sequenceNumber: '3',
    media: { track: 'outbound', chunk: '1', timestamp: '0', payload: Buffer.from(frame).toString('base64') },
    streamSid: STREAM_SID,
  });
  assert.deepEqual(c, {
    event: 'media',
    sequenceNumber: '4',
    media: { track: 'inbound', chunk: '2', timestamp: '20', payload: Buffer.from(frame).toString('base64') },
    streamSid: STREAM_SID,
  });
});

test('a payload view into a larger buffer sends only its own bytes', () => {
  const d = new TwilioDialect(context());
  d.start(T0);
  const big = new Uint8Array(400).map((_, i) => i & 0xff);
  const view = big.subarray(100, 260);
  const m = parseJson(d.media('inbound', T0, view)) as { media: { payload: string } };
  assert.deepEqual(new Uint8Array(Buffer.from(m.media.payload, 'base64')), view);
});

test('dtmf, mark and stop shapes', () => {
  const d = new TwilioDialect(context());
  d.start(T0);
  assert.deepEqual(parseJson(d.dtmf('7', T0 + 5)), {
    event: 'dtmf',
    streamSid: STREAM_SID,
    sequenceNumber: '2',
    dtmf: { track: 'inbound_track', digit: '7' },
  });
  assert.deepEqual(parseJson(d.checkpointPlayed('greeting')), {
    event: 'mark',
    sequenceNumber: '3',
    streamSid: STREAM_SID,
    mark: { name: 'greeting' },
  });
  assert.deepEqual(parseJson(d.stop('Stream ended')), {
    event: 'stop',
    sequenceNumber: '4',
    streamSid: STREAM_SID,
    stop: { accountSid: ACCOUNT_SID, callSid: CALL_SID },
  });
});

test('clear echoes every pending mark in order; a clear with none pending sends nothing', () => {
  const d = new TwilioDialect(context());
  d.start(T0);
  const sent = d.cleared(['a', 'b']).map((m) => parseJson(m));
  assert.deepEqual(sent, [
    { event: 'mark', sequenceNumber: '2', streamSid: STREAM_SID, mark: { name: 'a' } },
    { event: 'mark', sequenceNumber: '3', streamSid: STREAM_SID, mark: { name: 'b' } },
  ]);
  assert.deepEqual(d.cleared([]), []);
});

test('a resumed stream sends start again (same streamSid, resumed: true, numbering goes on) and no connected', () => {
  const d = new TwilioDialect(context());
  d.start(T0);
  d.media('inbound', T0, new Uint8Array(160));
  const msgs = d.resume(T0 + 5000);
  assert.equal(msgs.length, 1);
  const start = parseJson(msgs[0]) as {
    sequenceNumber: string;
    start: { resumed: boolean; streamSid: string };
  };
  assert.equal(start.sequenceNumber, '3');
  assert.equal(start.start.resumed, true);
  assert.equal(start.start.streamSid, STREAM_SID);
});

test('the upgrade carries X-Twilio-Signature over the https form of the URL', () => {
  const d = new TwilioDialect(context());
  const h = d.upgradeHeaders('nonce-unused');
  assert.deepEqual(Object.keys(h), ['X-Twilio-Signature']);
  assert.equal(
    h['X-Twilio-Signature'],
    twilioSignature('twilio-token', 'https://bot.example.com/media?room=7', []),
  );
});

// The app's side, as a pipecat-style bot writes it.

test('pipecat-style bot exchange: media payload → play, mark → checkpoint, clear → clear', () => {
  const d = new TwilioDialect(context());
  d.start(T0);
  const audio = new Uint8Array(320).map((_, i) => (i * 7) & 0x7f);
  const play = d.parse(
    JSON.stringify({
      event: 'media',
      streamSid: STREAM_SID,
      media: { payload: Buffer.from(audio).toString('base64') },
    }),
    false,
  );
  assert.ok(play.type === 'play');
  assert.deepEqual(new Uint8Array(play.audio), audio);
  assert.deepEqual(
    d.parse(JSON.stringify({ event: 'mark', streamSid: STREAM_SID, mark: { name: 'turn-1' } }), false),
    {
      type: 'checkpoint',
      name: 'turn-1',
    },
  );
  assert.deepEqual(d.parse(JSON.stringify({ event: 'clear', streamSid: STREAM_SID }), false), {
    type: 'clear',
  });
  // the same text as bytes (a text frame the socket handed over undecoded)
  assert.deepEqual(d.parse(Buffer.from(JSON.stringify({ event: 'clear', streamSid: STREAM_SID })), false), {
    type: 'clear',
  });
});

test('a payload in another format (a WAV, Ogg, MP3 file) is refused with a format error, never played', () => {
  const d = new TwilioDialect(context());
  d.start(T0);
  for (const [magic, word] of [
    ['RIFF', 'WAV'],
    ['OggS', 'Ogg'],
    ['ID3', 'MP3'],
  ] as const) {
    const bytes = Buffer.concat([Buffer.from(magic, 'latin1'), Buffer.alloc(200, 1)]);
    const cmd = d.parse(
      JSON.stringify({ event: 'media', streamSid: STREAM_SID, media: { payload: bytes.toString('base64') } }),
      false,
    );
    assert.ok(cmd.type === 'error');
    assert.equal(cmd.code, 'ERR_STREAM_FORMAT_MISMATCH');
    assert.match(cmd.detail, new RegExp(`${word}.*audio/x-mulaw`));
  }
});

test('refusals: wrong or missing streamSid, bad base64, empty payload, bad mark, not JSON, binary, too large', () => {
  const d = new TwilioDialect(context());
  d.start(T0);
  const code = (text: string | Uint8Array, binary = false): string => {
    const c = d.parse(text, binary);
    return c.type === 'error' ? c.code : c.type;
  };
  assert.equal(code(JSON.stringify({ event: 'clear', streamSid: 'MZother' })), 'ERR_TWILIO_STREAM_SID');
  assert.equal(code(JSON.stringify({ event: 'clear' })), 'ERR_TWILIO_STREAM_SID');
  assert.equal(
    code(JSON.stringify({ event: 'media', streamSid: STREAM_SID, media: { payload: 'ab$' } })),
    'ERR_STREAM_BAD_PAYLOAD',
  );
  assert.equal(
    code(JSON.stringify({ event: 'media', streamSid: STREAM_SID, media: { payload: '' } })),
    'ERR_STREAM_BAD_MESSAGE',
  );
  assert.equal(code(JSON.stringify({ event: 'media', streamSid: STREAM_SID })), 'ERR_STREAM_BAD_MESSAGE');
  assert.equal(
    code(JSON.stringify({ event: 'mark', streamSid: STREAM_SID, mark: {} })),
    'ERR_STREAM_BAD_CHECKPOINT',
  );
  assert.equal(code('{nope'), 'ERR_STREAM_NOT_JSON');
  assert.equal(code('[1]'), 'ERR_STREAM_BAD_MESSAGE');
  assert.equal(code(new Uint8Array([0xc3, 0x28])), 'ERR_STREAM_NOT_JSON');
  assert.equal(code(new Uint8Array([1, 2]), true), 'ERR_STREAM_BINARY_FRAME');
  assert.equal(code('x'.repeat(64 * 1024 + 1)), 'ERR_STREAM_MESSAGE_TOO_LARGE');
  assert.equal(code(JSON.stringify({ event: 'playAudio', streamSid: STREAM_SID })), 'ignored');
});

test('status callbacks: started, stopped and error (a drop) in Twilio fields; marks and clears have none', () => {
  const d = new TwilioDialect(context({ name: 'agent' }));
  assert.deepEqual(d.statusCallback({ type: 'started' }, T0), [
    ['AccountSid', ACCOUNT_SID],
    ['CallSid', CALL_SID],
    ['StreamSid', STREAM_SID],
    ['StreamName', 'agent'],
    ['StreamEvent', 'stream-started'],
    ['Timestamp', new Date(T0).toISOString()],
  ]);
  assert.equal(d.statusCallback({ type: 'stopped', reason: 'x' }, T0)?.[4]?.[1], 'stream-stopped');
  const dropped = d.statusCallback({ type: 'dropped', reason: 'Connection lost', error: 'ECONNRESET' }, T0);
  assert.deepEqual(dropped?.slice(4, 6), [
    ['StreamEvent', 'stream-error'],
    ['StreamError', 'ECONNRESET'],
  ]);
  assert.equal(d.statusCallback({ type: 'checkpointPlayed', name: 'a' }, T0), undefined);
  assert.equal(d.statusCallback({ type: 'cleared' }, T0), undefined);
  assert.equal(d.statusCallback({ type: 'degraded', bufferUsagePercent: 60 }, T0), undefined);
});
