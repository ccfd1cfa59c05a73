/**
 * Several streams on one call (compatibility §2.5, §3.3, §4.2, §6, D3, D5), on real loopback
 * sockets: four concurrent `<Stream>`s, each with its own format and track, each to its own strict
 * reference consumer. The bidirectional one plays a tone back; the caller must hear it, and the
 * streams that fork the outbound track (what the caller hears) must carry that same audio.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { alignedCorrelation, generateTone, rms, tonePower } from '../../src/media/analysis.js';
import {
  type ConsumerSession,
  type ReferenceConsumer,
  startReferenceConsumer,
} from '../../src/testing/reference-consumer.js';
import { Scenario, mediaOf, runCall } from '../helpers/scenario.js';
import { callerTone, responseXml, streamElement } from '../helpers/stream-call.js';

let scenario = new Scenario();
afterEach(async () => {
  await scenario.close();
  scenario = new Scenario();
});

const CALLER_HZ = 440;
const PLAYED_HZ = 1000;

interface StreamCase {
  readonly name: string;
  readonly attrs: Record<string, string | boolean>;
  readonly tracks: readonly ('inbound' | 'outbound')[];
  readonly encoding: 'audio/x-mulaw' | 'audio/x-l16';
  readonly sampleRate: 8000 | 16000;
  readonly frameBytes: number;
}

const CASES: readonly StreamCase[] = [
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
function mulawByte(sample: number): number {
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

function assertMediaShape(session: ConsumerSession, c: StreamCase): void {
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

test('four concurrent streams, each with its own format and track, are all clean; the played tone is heard and forked on the outbound track', async () => {
  const runtime = scenario.runtime();
  const app = await scenario.app();
  const consumers: ReferenceConsumer[] = [];
  for (const c of CASES) {
    consumers.push(scenario.own(await startReferenceConsumer({ path: `/${c.name}` })));
  }
  // Three background streams, then one that keeps the call alive (D3).
  app.serve('/answer', responseXml(...CASES.map((c, i) => streamElement(consumers[i]!.url, c.attrs))));
  const callerAudio = callerTone(3000, CALLER_HZ);
  const call = runCall(runtime, { answerUrl: app.url('/answer'), callerAudio, durationMs: 3500 });

  const sessions: ConsumerSession[] = [];
  for (const consumer of consumers) {
    sessions.push(await consumer.waitForSession(3000));
  }
  const bidi = sessions[3]!;
  await bidi.waitForStart(2000);
  // The app plays 1 s of a 1 kHz tone, μ-law, in 20 ms messages, then a checkpoint.
  const played = generateTone(PLAYED_HZ, 8000, 1000, 6000);
  bidi.playAudio(Uint8Array.from(played, mulawByte), { chunkMs: 20 });
  bidi.checkpoint('tone played');
  await bidi.waitForEvent('playedStream', 3000);
  const result = await call;

  for (const [i, consumer] of consumers.entries()) {
    consumer.assertClean();
    assert.equal(await sessions[i]!.closed, 1000, `${CASES[i]!.name}: closed normally at hang-up`);
  }
  for (const [i, c] of CASES.entries()) {
    assertMediaShape(sessions[i]!, c);
  }
  assert.equal(result.streams.length, 4);
  assert.ok(result.streams.every((s) => s.status === 'completed' && s.endReason === 'Call hangup'));
  assert.equal(result.streams[3]!.stats.playedFrames, 50, 'the whole second played');

  // The caller heard the tone: 1 s of 1 kHz in one piece, and silence otherwise.
  const heard = result.heard;
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
});
