import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadRnnoiseRuntime, rnnoiseRuntime } from '../../adapters/rnnoise/rnnoise-wasm.js';
import { alignedCorrelation } from '../analysis.js';
import { energy, mixAtSnr, runFrames, snrDb, soxNoise, speak } from '../../../test/helpers/noisy-speech.js';
import { NoiseSuppressor, noiseSuppressorDelaySamples } from './noise-suppressor.js';

const runtime = rnnoiseRuntime();
const SENTENCE =
  'Hello, this is a test of noise suppression on a telephone line. Please leave a message after the tone.';
const speech8k = speak(SENTENCE, 8000);
const speech16k = speak(SENTENCE, 16000);

function db(ratio: number): number {
  return 10 * Math.log10(ratio);
}

/** Output energy over input energy in dB, skipping the first second (RNNoise adapts to the noise). */
function gainDb(input: Int16Array, output: Int16Array, rateHz: number): number {
  return db(energy(output, rateHz) / energy(input, rateHz, output.length));
}

for (const [rateHz, speech] of [
  [8000, speech8k],
  [16000, speech16k],
] as const) {
  const frame = rateHz / 50;

  test(`${rateHz} Hz: pink noise alone loses at least 20 dB (level 100)`, () => {
    const noise = soxNoise('pink', 10 * rateHz, rateHz);
    const ns = new NoiseSuppressor(runtime, { sampleRateHz: rateHz, level: 100 });
    const out = runFrames(noise, frame, (a, b) => {
      ns.process(a, b);
    });
    ns.close();
    assert.ok(gainDb(noise, out, rateHz) < -20, `gain ${gainDb(noise, out, rateHz).toFixed(1)} dB`);
  });

  test(`${rateHz} Hz: white noise alone loses at least 3 dB (level 100)`, () => {
    const noise = soxNoise('white', 10 * rateHz, rateHz);
    const ns = new NoiseSuppressor(runtime, { sampleRateHz: rateHz, level: 100 });
    const out = runFrames(noise, frame, (a, b) => {
      ns.process(a, b);
    });
    ns.close();
    assert.ok(gainDb(noise, out, rateHz) < -3, `gain ${gainDb(noise, out, rateHz).toFixed(1)} dB`);
  });

  test(`${rateHz} Hz: clean speech keeps its energy within 1 dB and its shape, delayed by exactly ${noiseSuppressorDelaySamples(rateHz)} samples`, () => {
    const ns = new NoiseSuppressor(runtime, { sampleRateHz: rateHz, level: 100 });
    const out = runFrames(speech, frame, (a, b) => {
      ns.process(a, b);
    });
    ns.close();
    const kept = db(energy(out) / energy(speech, 0, out.length));
    assert.ok(Math.abs(kept) < 1, `speech energy changed by ${kept.toFixed(2)} dB`);
    const match = alignedCorrelation(speech, out, 400);
    assert.equal(match.lagSamples, ns.delaySamples);
    assert.equal(ns.delaySamples, noiseSuppressorDelaySamples(rateHz));
    assert.ok(match.correlation > 0.97, `correlation ${match.correlation.toFixed(3)}`);
  });

  test(`${rateHz} Hz: speech in pink noise at 5 dB SNR comes out at least 3 dB better`, () => {
    const mix = mixAtSnr(speech, soxNoise('pink', speech.length, rateHz), 5);
    const ns = new NoiseSuppressor(runtime, { sampleRateHz: rateHz, level: 85 });
    const out = runFrames(mix, frame, (a, b) => {
      ns.process(a, b);
    });
    ns.close();
    const after = snrDb(speech, out, ns.delaySamples);
    assert.ok(after > snrDb(speech, mix, 0) + 3, `SNR after ${after.toFixed(1)} dB`);
  });
}

test('level bounds the suppression: the noise drops by no more than -20·log10(1 - level/100) dB', () => {
  const noise = soxNoise('pink', 80000, 8000);
  const drops = [60, 85, 95, 100].map((level) => {
    const ns = new NoiseSuppressor(runtime, { sampleRateHz: 8000, level });
    const out = runFrames(noise, 160, (a, b) => {
      ns.process(a, b);
    });
    ns.close();
    const drop = -gainDb(noise, out, 8000);
    if (level < 100) {
      const bound = -20 * Math.log10(1 - level / 100);
      assert.ok(drop <= bound + 0.5, `level ${level}: ${drop.toFixed(1)} dB > bound ${bound.toFixed(1)}`);
      assert.ok(
        drop >= bound - 3,
        `level ${level}: ${drop.toFixed(1)} dB, far below bound ${bound.toFixed(1)}`,
      );
    }
    return drop;
  });
  for (let i = 1; i < drops.length; i++) {
    assert.ok(drops[i]! > drops[i - 1]!, `drops ${drops.map((d) => d.toFixed(1)).join(', ')} not increasing`);
  }
});

test('frame size: 20 ms only (160 at 8 kHz, 320 at 16 kHz); out may be the input; bad options throw', () => {
  const ns8 = new NoiseSuppressor(runtime, { sampleRateHz: 8000 });
  assert.equal(ns8.frameSamples, 160);
  assert.throws(() => {
    ns8.process(new Int16Array(320), new Int16Array(320));
  }, /8000 Hz frame has 160 samples/);
  assert.throws(() => {
    ns8.process(new Int16Array(160), new Int16Array(80));
  }, TypeError);
  const inPlace = speech8k.slice(0, 160);
  ns8.process(inPlace, inPlace);
  ns8.close();
  const ns16 = new NoiseSuppressor(runtime, { sampleRateHz: 16000 });
  assert.equal(ns16.frameSamples, 320);
  assert.throws(() => {
    ns16.process(new Int16Array(160), new Int16Array(320));
  }, /16000 Hz frame has 320 samples/);
  ns16.close();
  assert.throws(() => new NoiseSuppressor(runtime, { sampleRateHz: 44100 as 8000 }), TypeError);
  assert.throws(() => new NoiseSuppressor(runtime, { sampleRateHz: 8000, level: 101 }), TypeError);
  assert.throws(() => new NoiseSuppressor(runtime, { sampleRateHz: 8000, level: Number.NaN }), TypeError);
});

test('close frees the RNNoise state: idempotent, no use after close, survives a memory growth, no growth over 2000 streams after it', () => {
  const before = runtime.liveStates;
  const ns = new NoiseSuppressor(runtime, { sampleRateHz: 16000, level: 85 });
  assert.equal(runtime.liveStates, before + 1);
  ns.close();
  ns.close();
  assert.equal(runtime.liveStates, before);
  assert.ok(ns.closed);
  assert.throws(() => {
    ns.process(new Int16Array(320), new Int16Array(320));
  }, /after close/);
  // Many states alive at once grow the wasm memory (16 MB at start, 20 KB a state): the states made
  // before the growth find their frame again (the old memory's views are detached), and all of it is
  // reused afterwards.
  const startMemory = runtime.memoryBytes;
  const many = Array.from({ length: 1000 }, () => new NoiseSuppressor(runtime, { sampleRateHz: 8000 }));
  assert.ok(runtime.memoryBytes > startMemory, 'the wasm memory grew');
  const frame = speech8k.slice(8000, 8160);
  const outs = many.map((s) => {
    const out = new Int16Array(160);
    for (let f = 0; f < 3; f++) {
      s.process(speech8k.subarray(8000 + 160 * f, 8160 + 160 * f), out);
    }
    return out;
  });
  assert.deepEqual(outs[0], outs[999], 'a state made before the growth works as one made after it');
  assert.ok(outs[0]!.some((v) => v !== 0));
  for (const s of many) {
    s.close();
  }
  const memory = runtime.memoryBytes;
  for (let i = 0; i < 2000; i++) {
    const s = new NoiseSuppressor(runtime, { sampleRateHz: 8000 });
    s.process(frame, new Int16Array(160));
    s.close();
  }
  assert.equal(runtime.memoryBytes, memory);
  assert.equal(runtime.liveStates, before);
});

test('the wasm failing to load is a startup error naming the package and the cause', async () => {
  const missing = (): Promise<never> =>
    Promise.reject(new Error("Cannot find package '@echogarden/rnnoise-wasm'"));
  await assert.rejects(loadRnnoiseRuntime(missing), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'ERR_MEDIA_NOISE_WASM_UNAVAILABLE');
    assert.match(err.message, /npm package @echogarden\/rnnoise-wasm did not load \(Cannot find package/);
    return true;
  });
  const wrongBuild = () =>
    Promise.resolve({
      default: () => Promise.resolve({ _rnnoise_get_frame_size: () => 512 }),
    } as unknown as typeof import('@echogarden/rnnoise-wasm'));
  await assert.rejects(loadRnnoiseRuntime(wrongBuild), /frame size 512, expected 480/);
  // The real package loads, and gives a runtime of its own.
  const fresh = await loadRnnoiseRuntime();
  assert.equal(fresh.liveStates, 0);
});
