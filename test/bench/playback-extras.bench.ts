/**
 * Cost of the playback extras (docs/playback-extras.md) per stream: a bot's 24 kHz TTS audio converted
 * to the stream's format (parse + streaming windowed-sinc resampling + encode), one 20 ms `playAudio` at
 * a time, beside the same stream's ordinary 20 ms `playAudio` in its own format; and the ordinary message
 * on a stream with the extras off (the default path the extras must not slow down).
 * Run: `node --import tsx test/bench/run.ts playback-extras`.
 */
import { Buffer } from 'node:buffer';

import { generateTone } from '../../src/media/analysis.js';
import { l16Encode } from '../../src/media/codecs/l16.js';
import type { StreamDialectContext } from '../../src/protocol/stream-dialect.types.js';
import { mediaFormatOf, type ContentType } from '../../src/protocol/stream-ws/formats.js';
import { plivoDialect } from '../../src/protocol/stream-ws/plivo-dialect.js';
import { bench, formatRow, type BenchResult } from './bench-util.js';

let sink = 0;

function context(extras: boolean, contentType: ContentType): StreamDialectContext {
  return {
    callId: '5f1c1a9e-5e4b-4b1a-9c52-3b8c1f0f2a11',
    streamId: '20170ada-f610-433b-8758-c02a2aab3662',
    tracks: ['inbound'],
    format: mediaFormatOf(contentType),
    spec: {
      serviceUrl: 'wss://app.example.com/s',
      bidirectional: true,
      audioTrack: 'inbound',
      streamTimeoutSec: 86400,
      statusCallbackMethod: 'POST',
      contentType,
      ...(extras ? { playbackExtras: true } : {}),
    },
    settings: {
      accountId: 'MAXXXXXXXXXXXXXXXXXX',
      authToken: 't',
      extraHeadersMode: 'semicolon',
      l16LittleEndian: true,
      sendStop: false,
      maxMessageBytes: 4 << 20,
      signWebSocketUrlAs: 'scheme-mapped',
    },
  };
}

function frameMessage(rate: number, contentType: string): Buffer {
  const pcm = generateTone(440, rate, 20, 8000);
  const bytes = new Uint8Array(pcm.length * 2);
  l16Encode(pcm, bytes, true);
  const payload = Buffer.from(bytes).toString('base64');
  return Buffer.from(
    `{"event":"playAudio","media":{"contentType":"${contentType}","sampleRate":${rate},"payload":"${payload}"}}`,
  );
}

function percent(r: BenchResult): string {
  return `${((r.nsPerOp * 50) / 1e7).toFixed(4)} % (at 50/s)`;
}

export function run(): Promise<string> {
  const rows: string[] = [];
  for (const [contentType, rate] of [
    ['audio/x-l16;rate=8000', 8000],
    ['audio/x-l16;rate=16000', 16000],
  ] as const) {
    const own = frameMessage(rate, 'audio/x-l16');
    const tts = frameMessage(24000, 'audio/x-l16;rate=24000');
    const off = plivoDialect(context(false, contentType));
    const on = plivoDialect(context(true, contentType));
    const label = `${rate / 1000}k stream`;
    const r1 = bench(`${label}: 20 ms playAudio in the stream's format, extras off`, () => {
      const c = off.parse(own, false);
      sink += c.type === 'play' ? c.audio.length : 0;
    });
    const r2 = bench(`${label}: the same, extras on`, () => {
      const c = on.parse(own, false);
      sink += c.type === 'play' ? c.audio.length : 0;
    });
    const r3 = bench(`${label}: 20 ms playAudio of 24 kHz L16, extras on (resampled)`, () => {
      const c = on.parse(tts, false);
      sink += c.type === 'play' ? c.audio.length : 0;
    });
    rows.push(...[r1, r2, r3].map((r) => formatRow(r, percent(r))));
  }
  return Promise.resolve(
    [
      '## playback extras (24 kHz playAudio)',
      '',
      '| case | time/op | ops/s | % of one core per stream |',
      '| --- | --- | --- | --- |',
      ...rows,
      '',
      `(sink ${sink > 0 ? 'ok' : 'empty'})`,
    ].join('\n'),
  );
}
