import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { ContentTypes, mediaFormatOf } from './formats.js';
import { mediaMessageBytes, StreamMessageWriter, type Track } from './writer.js';

const ids = {
  callId: '5f1c1a9e-5e4b-4b1a-9c52-3b8c1f0f2a11',
  streamId: '20170ada-f610-433b-8758-c02a2aab3662',
  accountId: 'MAXXXXXXXXXXXXXXXXXX',
  extraHeaders: 'userId=12345;sessionId=abc-xyz',
};

test('Plivo stream §4.1: start is sequenceNumber 1 with nested ids, tracks, mediaFormat and top-level extra_headers', () => {
  const w = new StreamMessageWriter(ids);
  const msg: unknown = JSON.parse(w.start(['inbound'], mediaFormatOf('audio/x-mulaw;rate=8000')));
  assert.deepEqual(msg, {
    event: 'start',
    sequenceNumber: 1,
    start: {
      callId: ids.callId,
      streamId: ids.streamId,
      accountId: ids.accountId,
      tracks: ['inbound'],
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 },
    },
    extra_headers: ids.extraHeaders,
  });
  assert.equal(w.lastSequenceNumber, 1);
});

test('Plivo stream §4.2/D5: media has top-level streamId, string timestamp, per-track chunk from 1, base64 payload', () => {
  const w = new StreamMessageWriter({ ...ids, extraHeaders: '' });
  const format = mediaFormatOf('audio/x-l16;rate=16000');
  w.start(['inbound', 'outbound'], format);
  const frame = new Uint8Array(format.frameBytes).map((_, i) => i & 0xff);
  const a = JSON.parse(w.media('inbound', 1705312200000, frame)) as Record<string, unknown>;
  const b = JSON.parse(w.media('outbound', 1705312200000, frame)) as Record<string, unknown>;
  const c = JSON.parse(w.media('inbound', 1705312200020.7, frame)) as Record<string, unknown>;
  assert.deepEqual(a, {
    event: 'media',
    sequenceNumber: 2,
    streamId: ids.streamId,
    media: {
      track: 'inbound',
      timestamp: '1705312200000',
      chunk: 1,
      payload: Buffer.from(frame).toString('base64'),
    },
    extra_headers: '',
  });
  assert.deepEqual([b['sequenceNumber'], (b['media'] as Record<string, unknown>)['chunk']], [3, 1]);
  assert.deepEqual(
    [
      c['sequenceNumber'],
      (c['media'] as Record<string, unknown>)['chunk'],
      (c['media'] as Record<string, unknown>)['timestamp'],
    ],
    [4, 2, '1705312200020'],
  );
  assert.equal(w.nextChunk('inbound'), 3);
});

test('media payload: a view into a larger buffer is encoded without the bytes around it', () => {
  const w = new StreamMessageWriter(ids);
  const big = new Uint8Array(1000).fill(7);
  big.fill(1, 100, 260);
  const msg = JSON.parse(w.media('inbound', 0, big.subarray(100, 260))) as { media: { payload: string } };
  assert.deepEqual(Buffer.from(msg.media.payload, 'base64'), Buffer.alloc(160, 1));
});

test('Plivo stream §4.3-§4.6: dtmf, playedStream, clearedAudio and stop, sequence numbers gap-free', () => {
  const w = new StreamMessageWriter(ids);
  w.start(['inbound'], mediaFormatOf('audio/x-l16;rate=8000'));
  assert.deepEqual(JSON.parse(w.dtmf('inbound', '5', 1705312201234)), {
    event: 'dtmf',
    sequenceNumber: 2,
    streamId: ids.streamId,
    dtmf: { track: 'inbound', digit: '5', timestamp: '1705312201234' },
    extra_headers: ids.extraHeaders,
  });
  assert.deepEqual(JSON.parse(w.playedStream('customer greeting audio')), {
    event: 'playedStream',
    sequenceNumber: 3,
    streamId: ids.streamId,
    name: 'customer greeting audio',
  });
  assert.deepEqual(JSON.parse(w.clearedAudio()), {
    event: 'clearedAudio',
    sequenceNumber: 4,
    streamId: ids.streamId,
  });
  assert.deepEqual(JSON.parse(w.stop('Call hangup')), {
    event: 'stop',
    sequenceNumber: 5,
    streamId: ids.streamId,
    stop: { callId: ids.callId, streamId: ids.streamId, tracks: ['inbound'], reason: 'Call hangup' },
  });
  assert.equal(w.lastSequenceNumber, 5);
});

// Strings that need escaping in JSON: quotes, backslashes, control characters, lone surrogates, U+2028.
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('"', '\\', '\n\u0000', '\ud800', '</script>', '\u2028'),
);

test('property: every message JSON.parse-deep-equals the object it stands for (5,000 inputs)', () => {
  fc.assert(
    fc.property(
      fc.record({ callId: nasty, streamId: nasty, accountId: nasty, extraHeaders: nasty }),
      fc.constantFrom(...ContentTypes),
      fc.array(
        fc.oneof(
          fc.record({
            kind: fc.constant('media' as const),
            track: fc.constantFrom<Track>('inbound', 'outbound'),
            ts: fc.integer({ min: 0, max: 4e12 }),
            bytes: fc.uint8Array({ maxLength: 700 }),
            offset: fc.nat(16),
          }),
          fc.record({
            kind: fc.constant('dtmf' as const),
            digit: nasty,
            ts: fc.integer({ min: 0, max: 4e12 }),
          }),
          fc.record({ kind: fc.constant('played' as const), name: nasty }),
          fc.record({ kind: fc.constant('cleared' as const) }),
          fc.record({ kind: fc.constant('stop' as const), reason: nasty }),
        ),
        { maxLength: 12 },
      ),
      (opts, contentType, ops) => {
        const w = new StreamMessageWriter(opts);
        const format = mediaFormatOf(contentType);
        const tracks: Track[] = ['inbound', 'outbound'];
        assert.deepEqual(JSON.parse(w.start(tracks, format)), {
          event: 'start',
          sequenceNumber: 1,
          start: {
            callId: opts.callId,
            streamId: opts.streamId,
            accountId: opts.accountId,
            tracks,
            mediaFormat: { encoding: format.encoding, sampleRate: format.sampleRateHz },
          },
          extra_headers: opts.extraHeaders,
        });
        const chunks = { inbound: 0, outbound: 0 };
        let seq = 1;
        for (const op of ops) {
          seq++;
          let text: string;
          let expected: unknown;
          const sid = opts.streamId;
          switch (op.kind) {
            case 'media': {
              const backing = new Uint8Array(op.bytes.length + op.offset * 2).fill(0xaa);
              backing.set(op.bytes, op.offset);
              text = w.media(op.track, op.ts, backing.subarray(op.offset, op.offset + op.bytes.length));
              chunks[op.track]++;
              const media = {
                track: op.track,
                timestamp: String(op.ts),
                chunk: chunks[op.track],
                payload: Buffer.from(op.bytes).toString('base64'),
              };
              expected = {
                event: 'media',
                sequenceNumber: seq,
                streamId: sid,
                media,
                extra_headers: opts.extraHeaders,
              };
              break;
            }
            case 'dtmf':
              text = w.dtmf('inbound', op.digit, op.ts);
              expected = {
                event: 'dtmf',
                sequenceNumber: seq,
                streamId: sid,
                dtmf: { track: 'inbound', digit: op.digit, timestamp: String(op.ts) },
                extra_headers: opts.extraHeaders,
              };
              break;
            case 'played':
              text = w.playedStream(op.name);
              expected = { event: 'playedStream', sequenceNumber: seq, streamId: sid, name: op.name };
              break;
            case 'cleared':
              text = w.clearedAudio();
              expected = { event: 'clearedAudio', sequenceNumber: seq, streamId: sid };
              break;
            case 'stop':
              text = w.stop(op.reason);
              expected = {
                event: 'stop',
                sequenceNumber: seq,
                streamId: sid,
                stop: { callId: opts.callId, streamId: sid, tracks, reason: op.reason },
              };
              break;
          }
          assert.deepEqual(JSON.parse(text), expected);
          // The hand-built text is exactly what JSON.stringify makes of the same object (same key order).
          assert.equal(text, JSON.stringify(expected));
        }
        assert.equal(w.lastSequenceNumber, seq);
      },
    ),
    { numRuns: 5000 },
  );
});

test('mediaMessageBytes: at least the size of a real media message of the format', () => {
  for (const ct of ContentTypes) {
    const format = mediaFormatOf(ct);
    const w = new StreamMessageWriter(ids);
    w.start(['inbound'], format);
    const real = Buffer.byteLength(w.media('inbound', 1705312200000, new Uint8Array(format.frameBytes)));
    const est = mediaMessageBytes(ids, format);
    assert.ok(est >= real && est - real < 32, `${ct}: ${est} vs ${real}`);
  }
});
