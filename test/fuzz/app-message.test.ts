/**
 * CI fuzzing of the app's WebSocket messages (issue 11; spec §5, D14) and of the playAudio fast path.
 * Input: a stream's worth of frames, each a havoc mutation of a message real apps send (the Plivo SDKs'
 * compact JSON, Python's `json.dumps` spacing as pipecat sends it, every event, legacy WAV payloads) on a
 * stream of one negotiated format, handed over as bytes the way `ws` does. Properties: nothing throws;
 * a failure is a catalogued ERR_STREAM_* code with a short detail; accepted audio is whole samples; and
 * for every frame the result through the stream's own scanner (whose memory of the previous frames is
 * the risky part), through a fresh scan and through the general parser on the decoded text are the same
 * (bytes that are not UTF-8 are ERR_STREAM_NOT_JSON whichever path sees them).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { errorCatalog } from '../../src/errors/catalog.js';
import type { ParseResult } from '../../src/errors/result.js';
import {
  DEFAULT_MAX_APP_MESSAGE_BYTES,
  parseAppMessage,
  type AppMessage,
} from '../../src/protocol/stream-ws/app-message.js';
import { ContentTypes, mediaFormatOf, type MediaFormat } from '../../src/protocol/stream-ws/formats.js';
import { PlayAudioScanner } from '../../src/protocol/stream-ws/play-audio-scan.js';
import { corpus, havoc, runFuzz } from './harness.js';

const TARGET = 'app-message';
const utf8 = new TextDecoder('utf-8', { fatal: true });

function b64(length: number, fill = 0x55): string {
  return Buffer.alloc(length, fill).toString('base64');
}

/** A minimal mono WAV around `data` bytes (format tag 1 = PCM 16 bit, 7 = mu-law 8 bit). */
function wavBase64(tag: 1 | 7, rateHz: number, data: number): string {
  const bits = tag === 1 ? 16 : 8;
  const out = Buffer.alloc(44 + data, 0x11);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + data, 4);
  out.write('WAVEfmt ', 8, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(tag, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(rateHz, 24);
  out.writeUInt32LE((rateHz * bits) / 8, 28);
  out.writeUInt16LE(bits / 8, 32);
  out.writeUInt16LE(bits, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(data, 40);
  return out.toString('base64');
}

const seedTexts = [
  `{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,"payload":"${b64(160)}"}}`,
  `{"event": "playAudio", "media": {"contentType": "audio/x-l16", "sampleRate": 16000, "payload": "${b64(640)}"}}`,
  `{"event":"playAudio","streamId":"b1e0-44","media":{"contentType":"audio/x-l16","sampleRate":"8000","payload":"${b64(320)}"}}`,
  `{"media":{"payload":"${b64(159)}","sampleRate":8000},"event":"playAudio"}`,
  `{"event":"playAudio","media":{"contentType":"wav","sampleRate":8000,"payload":"${wavBase64(7, 8000, 160)}"}}`,
  `{"event":"playAudio","media":{"contentType":"audio/wav","payload":"${wavBase64(1, 16000, 640)}"}}`,
  `{"event":"playAudio","media":{"contentType":"raw","payload":"${b64(3)}="}}`,
  '{"event":"checkpoint","streamId":"b1e0-44","name":"turn-1"}',
  '{"event":"clearAudio","streamId":"b1e0-44"}',
  '{"event":"sendDTMF","dtmf":"123#*ABCD"}',
  '{"event":"stop"}',
  '{"event":"media","media":{"payload":""}}',
  '{"event":"playAudio","media":{"payload":"\\u0041AAA"}}',
  '[1,2,3]',
];
const seeds = seedTexts.map((t) => Buffer.from(t, 'utf8'));
const dictionary = [
  '"',
  '\\',
  '\\"',
  '\\u0000',
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  ' ',
  '\n',
  'null',
  'true',
  '-0',
  '1e400',
  '16000',
  '8000.0',
  '"payload":"AAAA"',
  '"event":"playAudio"',
  '"contentType":"audio/x-mulaw;rate=8000"',
  '"sampleRate":16000',
  '"__proto__":{}',
  '=',
  '==',
  '-',
  '_',
  '+/',
  'é',
  '\u2028',
  '\xff',
];

/** What the general parser says of these bytes: UTF-8 text through JSON.parse, else ERR_STREAM_NOT_JSON. */
function reference(
  frame: Uint8Array,
  format: MediaFormat,
  maxMessageBytes: number | undefined,
): ParseResult<AppMessage> {
  const opts = maxMessageBytes === undefined ? {} : { maxMessageBytes };
  let text: string;
  try {
    text = utf8.decode(frame);
  } catch {
    // The size limit comes first on either path.
    const limit = maxMessageBytes ?? DEFAULT_MAX_APP_MESSAGE_BYTES;
    const detail =
      frame.byteLength > limit
        ? `message of ${frame.byteLength} bytes exceeds the limit of ${limit}`
        : 'message is not valid UTF-8';
    return {
      ok: false,
      error: {
        code: frame.byteLength > limit ? 'ERR_STREAM_MESSAGE_TOO_LARGE' : 'ERR_STREAM_NOT_JSON',
        detail,
      },
    };
  }
  return parseAppMessage(text, format, opts);
}

function checkResult(r: ParseResult<AppMessage>, format: MediaFormat): void {
  if (!r.ok) {
    assert.ok(r.error.code.startsWith('ERR_STREAM_') && errorCatalog.has(r.error.code), r.error.code);
    assert.ok(r.error.detail.length > 0 && r.error.detail.length < 300, r.error.detail);
  } else if (r.value.event === 'playAudio') {
    assert.equal(r.value.audio.length % format.bytesPerSample, 0);
  }
}

interface StreamInput {
  readonly contentType: (typeof ContentTypes)[number];
  readonly maxMessageBytes: number | undefined;
  readonly frames: readonly Uint8Array[];
}

function checkStream({ contentType, maxMessageBytes, frames }: StreamInput): void {
  const format = mediaFormatOf(contentType);
  const scanner = new PlayAudioScanner();
  const opts = maxMessageBytes === undefined ? {} : { maxMessageBytes };
  for (const frame of frames) {
    const expected = reference(frame, format, maxMessageBytes);
    checkResult(expected, format);
    const bytes = Buffer.from(frame);
    assert.deepEqual(
      parseAppMessage(bytes, format, { ...opts, scanner }),
      expected,
      bytes.toString('latin1'),
    );
    assert.deepEqual(parseAppMessage(bytes, format, opts), expected, bytes.toString('latin1'));
  }
}

const frame = havoc(seeds, dictionary, 4);
const stream = fc.record({
  contentType: fc.constantFrom(...ContentTypes),
  maxMessageBytes: fc.constantFrom(undefined, undefined, 200, 1000),
  // Repeating frames exercise the scanner's memory: the same JSON around a new payload.
  frames: fc
    .array(frame, { minLength: 1, maxLength: 5 })
    .chain((fs) => fc.shuffledSubarray([...fs, ...fs], { minLength: 1 })),
});

test('fuzz: 10,000 streams of mutated app messages: no throw, catalogued codes, fast path (with its memory) equals the general parser', () => {
  runFuzz('stream-frames', stream, checkStream, {
    target: TARGET,
    runs: 10_000,
    ext: 'case',
    toBytes: (s) =>
      Buffer.from(
        JSON.stringify({ ...s, frames: s.frames.map((f) => Buffer.from(f).toString('base64')) }, null, 1),
      ),
  });
});

for (const entry of corpus(TARGET)) {
  test(`corpus ${TARGET}/${entry.name}: ${entry.sidecar.note}`, () => {
    const saved = JSON.parse(entry.bytes.toString('utf8')) as {
      contentType: StreamInput['contentType'];
      maxMessageBytes?: number;
      frames: string[];
    };
    checkStream({
      contentType: saved.contentType,
      maxMessageBytes: saved.maxMessageBytes,
      frames: saved.frames.map((f) => Buffer.from(f, 'base64')),
    });
  });
}
