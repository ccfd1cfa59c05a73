/**
 * The playback extras of the Plivo dialect (`playbackExtras`, playback-extras.ts): off, every playback
 * message has exactly Plivo's fields and 24 kHz audio is a format mismatch; on, 24 kHz L16 is resampled
 * into the stream's format and the playback messages carry the cleared checkpoints and the progress.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { generateTone, tonePower } from '../../media/analysis.js';
import { mulawDecode } from '../../media/codecs/g711.js';
import { l16Decode, l16Encode } from '../../media/codecs/l16.js';
import type { StreamCommand, StreamDialectContext, StreamDialectSpec } from '../stream-dialect.types.js';
import { mediaFormatOf, type ContentType } from './formats.js';
import { plivoDialect } from './plivo-dialect.js';

function context(extras: boolean, contentType: ContentType): StreamDialectContext {
  const spec: StreamDialectSpec = {
    serviceUrl: 'wss://app.example.com/stream',
    bidirectional: true,
    audioTrack: 'inbound',
    streamTimeoutSec: 86400,
    statusCallbackMethod: 'POST',
    contentType,
    ...(extras ? { playbackExtras: true } : {}),
  };
  return {
    callId: '5f1c1a9e-5e4b-4b1a-9c52-3b8c1f0f2a11',
    streamId: '20170ada-f610-433b-8758-c02a2aab3662',
    tracks: ['inbound'],
    format: mediaFormatOf(contentType),
    spec,
    settings: {
      accountId: 'MAXXXXXXXXXXXXXXXXXX',
      authToken: 'secret-token',
      extraHeadersMode: 'semicolon',
      l16LittleEndian: true,
      sendStop: false,
      maxMessageBytes: 16 * 1024 * 1024,
      signWebSocketUrlAs: 'scheme-mapped',
    },
  };
}

function tts(hz: number, ms: number): Uint8Array {
  const pcm = generateTone(hz, 24000, ms, 10000);
  const bytes = new Uint8Array(pcm.length * 2);
  l16Encode(pcm, bytes, true);
  return bytes;
}

function playAudio(payload: Uint8Array, media: Record<string, unknown>): string {
  return JSON.stringify({
    event: 'playAudio',
    media: { ...media, payload: Buffer.from(payload).toString('base64') },
  });
}

/** The dialect parses the frame both as text and as bytes (the fast path). */
function parseBoth(extras: boolean, contentType: ContentType, frame: string): [StreamCommand, StreamCommand] {
  return [
    plivoDialect(context(extras, contentType)).parse(frame, false),
    plivoDialect(context(extras, contentType)).parse(Buffer.from(frame), false),
  ];
}

const TTS_SHAPES: readonly Record<string, unknown>[] = [
  { contentType: 'audio/x-l16;rate=24000' },
  { contentType: 'audio/x-l16', sampleRate: 24000 },
  { contentType: 'audio/x-l16;rate=24000', sampleRate: '24000' },
  { sampleRate: 24000 },
];

test('extras off: 24 kHz playAudio is a format mismatch (D14), on both parse paths', () => {
  for (const media of TTS_SHAPES) {
    for (const cmd of parseBoth(false, 'audio/x-l16;rate=8000', playAudio(tts(440, 20), media))) {
      assert.equal(
        cmd.type === 'error' ? cmd.code : cmd.type,
        'ERR_STREAM_FORMAT_MISMATCH',
        JSON.stringify(media),
      );
    }
  }
});

for (const contentType of [
  'audio/x-l16;rate=8000',
  'audio/x-l16;rate=16000',
  'audio/x-mulaw;rate=8000',
] as const) {
  test(`extras on, ${contentType}: 24 kHz L16 becomes the stream's format at its rate, a tone kept in tune`, () => {
    const format = mediaFormatOf(contentType);
    for (const media of TTS_SHAPES) {
      for (const cmd of parseBoth(true, contentType, playAudio(tts(440, 200), media))) {
        assert.equal(cmd.type, 'play', JSON.stringify(cmd));
      }
    }
    // One second in 50 pieces of 20 ms: what comes out is the tone at the stream's rate.
    const dialect = plivoDialect(context(true, contentType));
    const whole = tts(440, 1000);
    const parts: Uint8Array[] = [];
    for (let at = 0; at < whole.length; at += 960) {
      const cmd = dialect.parse(playAudio(whole.subarray(at, at + 960), TTS_SHAPES[0] ?? {}), false);
      assert.ok(cmd.type === 'play');
      parts.push(cmd.audio.slice());
    }
    const bytes = Buffer.concat(parts);
    const samples = bytes.length / format.bytesPerSample;
    const expected = format.sampleRateHz;
    // All but the resampler's latency (under 5 ms) is out.
    assert.ok(samples <= expected && samples >= expected * 0.99, `${samples} samples for 1 s`);
    const pcm = new Int16Array(samples);
    if (format.encoding === 'audio/x-mulaw') {
      mulawDecode(bytes, pcm);
    } else {
      l16Decode(bytes, pcm, true);
    }
    const body = pcm.subarray(samples / 4);
    const at440 = tonePower(body, format.sampleRateHz, 440);
    const off = tonePower(body, format.sampleRateHz, 440 * 1.5);
    assert.ok(10 * Math.log10(at440 / (10000 ** 2 / 2)) > -0.5, 'the tone keeps its level');
    assert.ok(10 * Math.log10(at440 / off) > 40, 'and its pitch (nothing at 1.5 × 440 Hz)');
  });
}

test('extras on: half a 24 kHz sample, or 24 kHz as another encoding, is still refused', () => {
  const odd = playAudio(new Uint8Array(961), { contentType: 'audio/x-l16;rate=24000' });
  for (const cmd of parseBoth(true, 'audio/x-l16;rate=8000', odd)) {
    assert.equal(cmd.type === 'error' ? cmd.code : cmd.type, 'ERR_STREAM_PARTIAL_SAMPLE');
  }
  const mulaw24 = playAudio(new Uint8Array(480), { contentType: 'audio/x-mulaw;rate=24000' });
  const mixed = playAudio(new Uint8Array(480), { contentType: 'audio/x-l16;rate=24000', sampleRate: 8000 });
  for (const frame of [mulaw24, mixed]) {
    for (const cmd of parseBoth(true, 'audio/x-l16;rate=8000', frame)) {
      assert.equal(
        cmd.type === 'error' ? cmd.code : cmd.type,
        'ERR_STREAM_FORMAT_MISMATCH',
        frame.slice(0, 80),
      );
    }
  }
});

test('extras on: clearAudio forgets the resampler history (what follows is a fresh conversion)', () => {
  const a = plivoDialect(context(true, 'audio/x-l16;rate=8000'));
  const b = plivoDialect(context(true, 'audio/x-l16;rate=8000'));
  a.parse(playAudio(tts(440, 300), TTS_SHAPES[0] ?? {}), false);
  assert.equal(a.parse('{"event":"clearAudio"}', false).type, 'clear');
  const next = playAudio(tts(1000, 200), TTS_SHAPES[0] ?? {});
  const after = a.parse(next, false);
  const fresh = b.parse(next, false);
  assert.ok(after.type === 'play' && fresh.type === 'play');
  assert.deepEqual(after.audio, fresh.audio);
});

test("extras off: playedStream and clearedAudio have exactly Plivo's fields, whatever progress the fork passes", () => {
  const d = plivoDialect(context(false, 'audio/x-l16;rate=8000'));
  const played = JSON.parse(
    d.checkpointPlayed('greeting', { playedMs: 1200, queuedMs: 300 }) ?? '',
  ) as object;
  assert.deepEqual(Object.keys(played), ['event', 'sequenceNumber', 'streamId', 'name']);
  const cleared = d.cleared(['a', 'b'], { playedMs: 1400, queuedMs: 0, clearedMs: 800 });
  assert.equal(cleared.length, 1);
  assert.deepEqual(Object.keys(JSON.parse(cleared[0] ?? '') as object), [
    'event',
    'sequenceNumber',
    'streamId',
  ]);
});

test('extras on: clearedAudio names the cleared checkpoints and the audio dropped; both carry the progress', () => {
  const d = plivoDialect(context(true, 'audio/x-l16;rate=8000'));
  assert.deepEqual(JSON.parse(d.checkpointPlayed('greeting', { playedMs: 1200, queuedMs: 300.5 }) ?? ''), {
    event: 'playedStream',
    sequenceNumber: 1,
    streamId: '20170ada-f610-433b-8758-c02a2aab3662',
    name: 'greeting',
    playedMs: 1200,
    queuedMs: 301,
  });
  assert.deepEqual(
    JSON.parse(d.cleared(['a', 'b'], { playedMs: 1400, queuedMs: 0, clearedMs: 800 })[0] ?? ''),
    {
      event: 'clearedAudio',
      sequenceNumber: 2,
      streamId: '20170ada-f610-433b-8758-c02a2aab3662',
      clearedCheckpoints: ['a', 'b'],
      clearedMs: 800,
      playedMs: 1400,
      queuedMs: 0,
    },
  );
  const none = JSON.parse(d.cleared([])[0] ?? '') as { clearedCheckpoints?: unknown };
  assert.deepEqual(none.clearedCheckpoints, [], 'an empty list, not absent');
});
