/**
 * `<Stream noiseCancellation="true">` end to end on the fake-clock harness: a virtual caller speaks
 * (espeak-ng) in pink noise (sox) and three streams of the same call receive it. Only the streams that
 * asked for noise cancellation get less noise; the plain stream gets the caller's audio bit for bit,
 * and every RNNoise state is freed when the call ends.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { rnnoiseRuntime } from '../../src/adapters/rnnoise/rnnoise-wasm.js';
import { alignedCorrelation } from '../../src/media/analysis.js';
import { noiseSuppressorDelaySamples } from '../../src/media/noise/noise-suppressor.js';
import { resampleOffline } from '../../src/media/resample/rational.js';
import { CallHarness } from '../harness/harness.js';
import { energy, mixAtSnr, snrDb, soxNoise, speak } from '../helpers/noisy-speech.js';
import { responseXml, streamElement } from '../helpers/stream-call.js';

const RATE = 8000;
const LEAD_IN = RATE; // 1 s of noise alone before the speech.

function callerAudio(): { clean: Int16Array; noisy: Int16Array } {
  const speech = speak('Hello, I would like to check the status of my order, number four five six.', RATE);
  const clean = new Int16Array(LEAD_IN + speech.length + RATE / 2);
  clean.set(speech, LEAD_IN);
  return { clean, noisy: mixAtSnr(clean, soxNoise('pink', clean.length, RATE), 5) };
}

/** Where `sent` starts inside `received` (the stream starts a few frames into the call). */
function offsetOf(reference: Int16Array, received: Int16Array): number {
  const { lagSamples, correlation } = alignedCorrelation(reference, received, 2 * RATE);
  assert.ok(correlation > 0.5, `no alignment (correlation ${correlation.toFixed(2)})`);
  return lagSamples;
}

test('noiseCancellation="true": that stream receives less noise than a plain stream of the same call; the plain one is untouched; states are freed', async () => {
  const runtime = rnnoiseRuntime();
  const statesBefore = runtime.liveStates;
  const h = new CallHarness();
  const plain = h.app('/plain');
  const denoised = h.app('/denoised');
  const wide = h.app('/wide');
  h.web.serve(
    '/answer',
    responseXml(
      streamElement(plain.url),
      streamElement(wide.url, { noiseCancellation: true, contentType: 'audio/x-l16;rate=16000' }),
      streamElement(denoised.url, {
        noiseCancellation: true,
        noiseCancellationLevel: 100,
        keepCallAlive: true,
      }),
    ),
  );
  const { clean, noisy } = callerAudio();
  const call = h.start({ callerAudio: noisy, durationMs: (noisy.length / RATE) * 1000 + 500 });
  await h.until(() => denoised.sessions[0]?.start !== undefined, 2000, 'the streams to start');
  assert.equal(runtime.liveStates, statesBefore + 2, 'one RNNoise state per noise-cancelling stream');
  const result = await call.end();
  for (const app of [plain, denoised, wide]) {
    app.assertClean();
  }
  assert.ok(result.streams.every((s) => s.status === 'completed'));
  assert.equal(runtime.liveStates, statesBefore, 'every RNNoise state freed when its stream ended');

  // The plain stream: the caller's audio exactly as sent.
  const plainPcm = plain.session(0).inboundPcm;
  const at = offsetOf(noisy, plainPcm);
  assert.ok(at <= 0, `plain stream late by ${at}`);
  const start = -at; // Caller sample index of the plain stream's first sample.
  assert.deepEqual(plainPcm.subarray(0, 2 * RATE), noisy.subarray(start, start + 2 * RATE));

  // The noise-cancelling streams: the same caller samples, denoised and delayed by the suppressor.
  const denoisedPcm = denoised.session(0).inboundPcm;
  const delay = noiseSuppressorDelaySamples(RATE);
  const nc = offsetOf(noisy, denoisedPcm);
  const ncStart = -(nc - delay);
  const noiseOnly = (pcm: Int16Array, first: number, lag: number): number =>
    energy(pcm, RATE / 2 - first + lag, LEAD_IN - first + lag);
  const noiseDrop = 10 * Math.log10(noiseOnly(denoisedPcm, ncStart, delay) / noiseOnly(plainPcm, start, 0));
  assert.ok(noiseDrop < -15, `noise alone: ${noiseDrop.toFixed(1)} dB on the noise-cancelling stream`);
  const reference = clean.subarray(start);
  const snrPlain = snrDb(reference, plainPcm, 0);
  const snrDenoised = snrDb(clean.subarray(ncStart), denoisedPcm, delay);
  assert.ok(
    snrDenoised > snrPlain + 3,
    `SNR ${snrPlain.toFixed(1)} dB plain, ${snrDenoised.toFixed(1)} dB denoised`,
  );

  // The 16 kHz stream on this narrowband call: denoised at 8 kHz, then upsampled; less noise too.
  const widePcm = resampleOffline(wide.session(0).inboundPcm, 16000, RATE);
  const wideAt = offsetOf(noisy, widePcm);
  const wideStart = -(wideAt - delay);
  const wideDrop = 10 * Math.log10(noiseOnly(widePcm, wideStart, delay) / noiseOnly(plainPcm, start, 0));
  assert.ok(wideDrop < -6, `noise alone: ${wideDrop.toFixed(1)} dB on the 16 kHz stream (level 85)`);
});
