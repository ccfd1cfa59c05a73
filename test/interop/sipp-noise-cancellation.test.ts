// test-runner: exclusive (real-time RTP from sipp; see scripts/run-tests.mjs)
/**
 * `<Stream noiseCancellation="true">` with a real caller: sipp (Debian package `sip-tester`) streams a
 * noisy recording over RTP (espeak-ng speech after 1.5 s of pink noise from sox, mixed at 5 dB SNR,
 * μ-law), and one call forks it to two streams of the strict reference consumer: a plain one and one with
 * noise cancellation. The noise-cancelling stream receives far less noise where nobody speaks, and about
 * the same speech.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { alignedCorrelation } from '../../src/media/analysis.js';
import { parseWav, serializeWav } from '../../src/media/wav.js';
import { energy, mixAtSnr, soxNoise, speak } from '../helpers/noisy-speech.js';
import { responseXml, streamElement, until, within } from '../helpers/stream-call.js';
import { killChildren } from './helpers/sipp.js';
import { startSippStreamRig, type SippStreamRig } from './helpers/sipp-stream-rig.js';

const RATE = 8000;
const LEAD_IN = 1.5 * RATE;

let rig: SippStreamRig;
let noisyWav: string;
let noisy: Int16Array;

before(async () => {
  rig = await startSippStreamRig('sf-sipp-nc-');
  const speech = speak(
    'Hello, I am calling from a noisy street about my delivery, order number seven two one.',
    RATE,
  );
  const clean = new Int16Array(LEAD_IN + speech.length);
  clean.set(speech, LEAD_IN);
  const pcm = join(rig.dir, 'noisy-pcm.wav');
  const mix = mixAtSnr(clean, soxNoise('pink', clean.length, RATE), 5);
  writeFileSync(pcm, serializeWav(mix, RATE));
  noisyWav = join(rig.dir, 'noisy-ulaw.wav');
  execFileSync('sox', [pcm, '-r', '8000', '-c', '1', '-e', 'u-law', '-b', '8', noisyWav]);
  const wav = parseWav(readFileSync(noisyWav));
  assert.ok(wav.ok, 'sox wrote a u-law WAV we can read');
  noisy = wav.value.samples;
});

after(async () => {
  killChildren();
  await rig.close();
});

test('sipp → RTP → two streams of one call: the noiseCancellation stream gets 12–17.5 dB less noise where nobody speaks (level 85), and the speech goes through', async (t) => {
  const url = rig.consumer.url;
  rig.app.serve(
    '/answer',
    responseXml(
      streamElement(`${url}?kind=plain`, {
        contentType: 'audio/x-mulaw;rate=8000',
        extraHeaders: 'kind=plain',
      }),
      // A second URL: a call refuses two live streams at one service URL.
      streamElement(`${url}?kind=nc`, {
        contentType: 'audio/x-mulaw;rate=8000',
        extraHeaders: 'kind=nc',
        noiseCancellation: true,
        keepCallAlive: true,
      }),
    ),
  );
  const holdMs = Math.round(noisy.length / 8) + 1200;
  const run = await rig.callWithScenario(
    'uac-stream-audio.xml',
    {
      CASE: 'noise',
      MEDIA: `  <nop><action><exec rtp_stream="${noisyWav},1,0"/></action></nop>`,
      HOLD_MS: String(holdMs),
    },
    30,
  );
  assert.equal(run.code, 0, `sipp exit ${run.code}:\n${run.output.slice(-3000)}`);
  await until(() => rig.consumer.sessions.length === 2, 5000, 'both streams');
  for (const s of rig.consumer.sessions) {
    await within(s.closed, 5000, 'the streams closing after BYE');
  }
  rig.consumer.assertClean();
  const byKind = (kind: string) => {
    const s = rig.consumer.sessions.find((x) => x.start?.extra_headers.includes(`kind=${kind}`));
    assert.ok(s, `the ${kind} stream`);
    return s.inboundPcm;
  };
  const plain = byKind('plain');
  const nc = byKind('nc');
  // Both streams start within a few frames of the answer, while the recording is still noise alone
  // (1.5 s of it), so each stream's own frames 25–60 (0.5–1.2 s) are noise alone; RTP timing on a busy
  // machine may shift or conceal a frame, so compare median frame energies rather than aligned samples.
  const medianFrameEnergy = (pcm: Int16Array, first: number, last: number): number => {
    const e: number[] = [];
    for (let f = first; f < last; f++) {
      e.push(energy(pcm, f * 160, (f + 1) * 160));
    }
    return e.sort((a, b) => a - b)[Math.floor(e.length / 2)]!;
  };
  assert.ok(plain.length > 4 * RATE && nc.length > 4 * RATE, `${plain.length} and ${nc.length} samples`);
  const drop = 10 * Math.log10(medianFrameEnergy(nc, 25, 60) / medianFrameEnergy(plain, 25, 60));
  // Level 85 (the default) caps the reduction at -20·log10(0.15) = 16.5 dB.
  assert.ok(drop < -12 && drop > -17.5, `noise alone: ${drop.toFixed(1)} dB on the noise-cancelling stream`);
  // The speech (from 1.6 s on) keeps most of its energy: speech plus noise at 5 dB SNR, minus the noise.
  const from = 1.6 * RATE;
  const to = Math.min(plain.length, nc.length) - RATE / 2;
  const kept = 10 * Math.log10(energy(nc, from, to) / energy(plain, from, to));
  assert.ok(kept > -4 && kept < 0.5, `speech part: ${kept.toFixed(1)} dB`);
  // And it is the caller's speech: the plain stream is the recording, the other follows it.
  const match = alignedCorrelation(plain.subarray(from, to), nc.subarray(from, to), RATE / 4);
  t.diagnostic(
    `noise alone ${drop.toFixed(1)} dB, speech part ${kept.toFixed(1)} dB, correlation ${match.correlation.toFixed(2)}`,
  );
  assert.ok(match.correlation > 0.6, `noise-cancelling vs plain stream: ${match.correlation.toFixed(2)}`);
  await until(() => rig.stack.server.stats().liveDialogs === 0, 3000, 'the dialog released');
});
