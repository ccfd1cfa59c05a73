/**
 * Per-frame cost of the stream WebSocket hot paths (src/protocol/stream-ws): building `media` messages
 * and handling the app's `playAudio`, against null baselines, expressed as % of one core per stream.
 * Run: `node --import tsx test/bench/run.ts stream-ws`.
 */
import { Buffer } from 'node:buffer';

import { parseAppMessage, type ParseAppMessageOptions } from '../../src/protocol/stream-ws/app-message.js';
import { PlayAudioScanner } from '../../src/protocol/stream-ws/play-audio-scan.js';
import { mediaFormatOf, type MediaFormat } from '../../src/protocol/stream-ws/formats.js';
import { PlayoutQueue } from '../../src/protocol/stream-ws/playout-queue.js';
import { StreamMessageWriter } from '../../src/protocol/stream-ws/writer.js';
import { bench, formatRow, type BenchResult } from './bench-util.js';

const FRAMES_PER_SEC = 50;
const ids = {
  callId: '5f1c1a9e-5e4b-4b1a-9c52-3b8c1f0f2a11',
  streamId: '20170ada-f610-433b-8758-c02a2aab3662',
  accountId: 'MAXXXXXXXXXXXXXXXXXX',
  extraHeaders: 'userId=12345;sessionId=abc-xyz',
};

// Results go into a sink so the work cannot be optimised away.
let sink = 0;

/** % of one core used by one stream doing `perSec` operations of this cost each second. */
function corePercent(r: BenchResult, perSec: number): string {
  return `${((r.nsPerOp * perSec) / 1e7).toFixed(4)} %`;
}

function frame(format: MediaFormat): Uint8Array {
  // A view into a larger buffer, as the engine's encoder output may be.
  const backing = new Uint8Array(format.frameBytes + 32);
  for (let i = 0; i < backing.length; i++) {
    backing[i] = (i * 37) & 0xff;
  }
  return backing.subarray(16, 16 + format.frameBytes);
}

function mediaCases(format: MediaFormat, label: string): BenchResult[] {
  const payload = frame(format);
  const writer = new StreamMessageWriter(ids);
  writer.start(['inbound'], format);
  let ts = 1_705_312_200_000;
  const built = bench(`media ${label}: StreamMessageWriter.media`, () => {
    ts += 20;
    sink += writer.media('inbound', ts, payload).length;
  });
  const withUtf8 = bench(`media ${label}: media + UTF-8 encode (what ws.send does next)`, () => {
    ts += 20;
    sink += Buffer.from(writer.media('inbound', ts, payload), 'utf8').length;
  });
  const head = `{"event":"media","sequenceNumber":42,"streamId":"${ids.streamId}","media":{"track":"inbound","timestamp":"1705312200000","chunk":41,"payload":"`;
  const tail = `"},"extra_headers":"${ids.extraHeaders}"}`;
  const nullTemplate = bench(`media ${label}: null baseline (base64 into a fixed template)`, () => {
    sink += (
      head +
      Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64') +
      tail
    ).length;
  });
  const copy = new Uint8Array(format.frameBytes);
  const rawCopy = bench(`media ${label}: null baseline (raw byte copy)`, () => {
    copy.set(payload);
    sink += copy[0] ?? 0;
  });
  let seq = 0;
  let chunk = 0;
  const naive = bench(`media ${label}: naive JSON.stringify of the whole object`, () => {
    ts += 20;
    sink += JSON.stringify({
      event: 'media',
      sequenceNumber: ++seq,
      streamId: ids.streamId,
      media: {
        track: 'inbound',
        timestamp: String(ts),
        chunk: ++chunk,
        payload: Buffer.from(payload).toString('base64'),
      },
      extra_headers: ids.extraHeaders,
    }).length;
  });
  return [built, withUtf8, nullTemplate, rawCopy, naive];
}

function playAudioMessage(format: MediaFormat, ms: number): string {
  const bytes = new Uint8Array((format.frameBytes / 20) * ms);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = (i * 13) & 0xff;
  }
  const [encoding] = format.contentType.split(';');
  return JSON.stringify({
    event: 'playAudio',
    streamId: ids.streamId,
    media: {
      contentType: encoding,
      sampleRate: format.sampleRateHz,
      payload: Buffer.from(bytes).toString('base64'),
    },
  });
}

function playAudioCases(
  format: MediaFormat,
  label: string,
): { short: BenchResult; general: BenchResult; long: BenchResult; pop: BenchResult } {
  const queue = new PlayoutQueue(format);
  const out = new Uint8Array(format.frameBytes);
  // The stream's own parse options: ws hands a text frame over as bytes, and each bidirectional
  // stream has a playAudio scanner (src/engine/fork/stream-fork.ts).
  const streamOptions = { scanner: new PlayAudioScanner() };
  const handle = (data: string | Uint8Array, opts: ParseAppMessageOptions = streamOptions): void => {
    const r = parseAppMessage(data, format, opts);
    if (r.ok && r.value.event === 'playAudio') {
      queue.enqueue(r.value.audio);
    }
    queue.clear();
  };
  const shortText = playAudioMessage(format, 20);
  const short = Buffer.from(shortText);
  const long = Buffer.from(playAudioMessage(format, 1000));
  const shortResult = bench(
    `playAudio ${label}: parse + enqueue 20 ms (${short.length} B frame, as a stream receives it)`,
    () => {
      handle(short);
    },
  );
  const general = bench(
    `playAudio ${label}: the same through the general parser (text, JSON.parse, re-encoding base64 check)`,
    () => {
      handle(shortText, {});
    },
  );
  const longResult = bench(
    `playAudio ${label}: parse + enqueue 1 s (${long.length} B frame)`,
    () => {
      handle(long);
    },
    { batch: 20 },
  );
  const audio = new Uint8Array(format.frameBytes * 50);
  const pop = bench(`playAudio ${label}: PlayoutQueue.nextFrame (one 20 ms frame)`, () => {
    if (!queue.nextFrame(out).played) {
      queue.enqueue(audio);
    }
    sink += out[0] ?? 0;
  });
  return { short: shortResult, general, long: longResult, pop };
}

/** Runs the benchmark and returns its Markdown section. */
export async function run(): Promise<string> {
  await Promise.resolve();
  const lines: string[] = [
    '## stream-ws: per-frame cost',
    '',
    '| case | time/op | ops/s | % of one core per stream |',
    '|---|---|---|---|',
  ];
  const totals: string[] = [];
  for (const [ct, label] of [
    ['audio/x-mulaw;rate=8000', 'μ-law 8k, 160 B'],
    ['audio/x-l16;rate=16000', 'L16 16k, 640 B'],
  ] as const) {
    const format = mediaFormatOf(ct);
    const media = mediaCases(format, label);
    for (const r of media) {
      lines.push(formatRow(r, `${corePercent(r, FRAMES_PER_SEC)} (at 50/s)`));
    }
    const { short, general, long, pop } = playAudioCases(format, label);
    lines.push(formatRow(short, `${corePercent(short, FRAMES_PER_SEC)} (at 50/s)`));
    lines.push(formatRow(general, `${corePercent(general, FRAMES_PER_SEC)} (at 50/s)`));
    lines.push(formatRow(long, `${corePercent(long, 1)} (at 1/s)`));
    lines.push(formatRow(pop, `${corePercent(pop, FRAMES_PER_SEC)} (at 50/s)`));
    const built = media[0];
    if (built !== undefined) {
      // A bidirectional stream: one inbound media message, one 20 ms playAudio and one popped frame per tick.
      const perTickNs = built.nsPerOp + short.nsPerOp + pop.nsPerOp;
      totals.push(
        `- ${label}: media + playAudio(20 ms) + nextFrame = ${(perTickNs / 1000).toFixed(3)} µs per 20 ms tick = **${((perTickNs * FRAMES_PER_SEC) / 1e7).toFixed(4)} % of one core per stream** (target ≤ 0.05 %).`,
      );
    }
  }
  lines.push(
    '',
    'Per-stream total (bidirectional stream, app sending 20 ms chunks):',
    '',
    ...totals,
    '',
    `(sink ${sink % 10})`,
    '',
  );
  return lines.join('\n');
}
