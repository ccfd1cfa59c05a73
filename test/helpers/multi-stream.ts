/**
 * The four-stream case shared by the real-socket test (test/integration/stream-multi.test.ts) and its
 * fake-clock port (test/scenarios/stream-multi.test.ts): one `<Stream>` per format and track, and the
 * checks on what each app received and what the caller heard.
 */
import assert from 'node:assert/strict';

import { alignedCorrelation, rms, tonePower } from '../../src/media/analysis.js';
import type { ConsumerSession } from '../consumer/consumer-session.js';
import { mediaOf } from './scenario.js';

export const CALLER_HZ = 440;
export const PLAYED_HZ = 1000;

export interface StreamCase {
  readonly name: string;
  readonly attrs: Record<string, string | boolean>;
  readonly tracks: readonly ('inbound' | 'outbound')[];
  readonly encoding: 'audio/x-mulaw' | 'audio/x-l16';
  readonly sampleRate: 8000 | 16000;
  readonly frameBytes: number;
}

export const CASES: readonly StreamCase[] = [
  {
    name: 'mulaw-in',
    attrs: { contentType: 'audio/x-mulaw;rate=8000', audioTrack: 'inbound' },
    tracks: ['inbound'],
    encoding: 'audio/x-mulaw',
    sampleRate: 8000,
    frameBytes: 160,
  },
  {
    name: 'l16-8k-out',
    attrs: { contentType: 'audio/x-l16;rate=8000', audioTrack: 'outbound' },
    tracks: ['outbound'],
    encoding: 'audio/x-l16',
    sampleRate: 8000,
    frameBytes: 320,
  },
  {
    name: 'l16-16k-both',
    attrs: { contentType: 'audio/x-l16;rate=16000', audioTrack: 'both' },
    tracks: ['inbound', 'outbound'],
    encoding: 'audio/x-l16',
    sampleRate: 16000,
    frameBytes: 640,
  },
  {
    name: 'mulaw-bidi',
    attrs: {
      contentType: 'audio/x-mulaw;rate=8000',
      audioTrack: 'inbound',
      bidirectional: true,
      keepCallAlive: true,
    },
    tracks: ['inbound'],
    encoding: 'audio/x-mulaw',
    sampleRate: 8000,
    frameBytes: 160,
  },
];

/** G.711 μ-law encoder (ITU-T reference algorithm), kept here so the test does not use the engine's codec. */
export function mulawByte(sample: number): number {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, sample));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) {
    s = -s;
  }
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) {
    exponent--;
  }
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Finds where `part` (a whole number of 20 ms frames) sits in `whole`, comparing exactly, frame-aligned. */
function frameOffsetOf(whole: Int16Array, part: Int16Array): number {
  const probe = part.subarray(0, Math.min(part.length, whole.length));
  for (let offset = 0; offset + probe.length <= whole.length; offset += 160) {
    let same = true;
    for (let i = 0; i < probe.length && same; i++) {
      same = whole[offset + i] === probe[i];
    }
    if (same) {
      return offset;
    }
  }
  return -1;
}

/** From the first to the last sample above a small threshold (the audible part). */
function loudSegment(x: Int16Array, threshold = 64): Int16Array {
  const first = x.findIndex((v) => Math.abs(v) > threshold);
  const last = x.findLastIndex((v) => Math.abs(v) > threshold);
  return first < 0 ? new Int16Array(0) : x.subarray(first, last + 1);
}

/** Nearly all of `x`'s power is at `freqHz`. */
function isTone(x: Int16Array, sampleRateHz: number, freqHz: number): boolean {
  return x.length > 0 && tonePower(x, sampleRateHz, freqHz) / rms(x) ** 2 > 0.9;
}

export function assertMediaShape(session: ConsumerSession, c: StreamCase): void {
  const start = session.start;
  assert.ok(start, `${c.name}: start`);
  assert.deepEqual(start.start.tracks, c.tracks, `${c.name}: tracks`);
  assert.deepEqual(
    start.start.mediaFormat,
    { encoding: c.encoding, sampleRate: c.sampleRate },
    `${c.name}: format`,
  );
  assert.deepEqual(
    [...new Set(mediaOf(session).map((m) => m.track))].sort(),
    [...c.tracks].sort(),
    `${c.name}: media tracks`,
  );
  for (const track of c.tracks) {
    const media = mediaOf(session, track);
    assert.ok(media.length >= 100, `${c.name}/${track}: ${media.length} media frames`);
    const sizes = new Set(media.map((m) => Buffer.from(m.payload, 'base64').length));
    assert.deepEqual([...sizes], [c.frameBytes], `${c.name}/${track}: every payload is one 20 ms frame`);
    const chunks = media.map((m) => m.chunk);
    assert.deepEqual(
      chunks,
      chunks.map((_v, i) => i + 1),
      `${c.name}/${track}: chunks 1..n`,
    );
    const ts = media.map((m) => Number(m.timestamp));
    const steps = ts.slice(1).map((t, i) => t - ts[i]!);
    assert.ok(
      steps.every((d) => d > 0),
      `${c.name}/${track}: timestamps strictly increasing`,
    );
    assert.ok(
      steps.every((d) => d === 20),
      `${c.name}/${track}: timestamps 20 ms apart (media clock, D5)`,
    );
  }
}

/**
 * What the caller heard and what each stream carried: the played tone heard once, in one piece; the
 * inbound tracks carry the caller; the outbound tracks carry exactly what the caller heard.
 */
export function assertFourStreamAudio(
  sessions: readonly ConsumerSession[],
  heard: Int16Array,
  callerAudio: Int16Array,
): void {
  // The caller heard the tone: 1 s of 1 kHz in one piece, and silence otherwise.
  const heardTone = loudSegment(heard);
  assert.ok(Math.abs(heardTone.length - 8000) <= 16, `1 s of audio was heard (${heardTone.length} samples)`);
  assert.ok(isTone(heardTone, 8000, PLAYED_HZ), 'and it is the 1 kHz tone');
  assert.ok(tonePower(heard, 8000, CALLER_HZ) < 1, 'the caller does not hear themselves');

  // Inbound tracks carry the caller's audio.
  const inbound8k = sessions[0]!.inboundPcm;
  assert.ok(
    alignedCorrelation(callerAudio, inbound8k, 8000).correlation > 0.99,
    'μ-law inbound is the caller tone',
  );
  assert.ok(
    isTone(loudSegment(sessions[2]!.inboundPcm), 16000, CALLER_HZ),
    'L16 16k inbound is the caller tone',
  );

  // The outbound tracks are what the caller heard: L16 8k bit-exact, L16 16k the same tone at the same level.
  const out8k = sessions[1]!.outboundPcm;
  assert.ok(
    frameOffsetOf(heard, out8k) >= 0,
    'the L16 8k outbound track is a frame-aligned, bit-exact copy of what the caller heard',
  );
  assert.deepEqual(loudSegment(out8k), heardTone, 'and it carries the whole tone');
  const out16kTone = loudSegment(sessions[2]!.outboundPcm);
  assert.ok(
    Math.abs(out16kTone.length - 16000) <= 32,
    `L16 16k outbound: ${out16kTone.length} samples of tone (1 s)`,
  );
  assert.ok(isTone(out16kTone, 16000, PLAYED_HZ), 'L16 16k outbound carries the 1 kHz tone');
  const levelDb = 20 * Math.log10(rms(out16kTone) / rms(heardTone));
  assert.ok(Math.abs(levelDb) < 1, `at the level heard (${levelDb.toFixed(2)} dB)`);
}
