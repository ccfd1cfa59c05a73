import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  PolyphaseDecimator,
  PolyphaseInterpolator,
  polyphaseLowPass,
  polyphaseTapCount,
} from './polyphase.js';

/** Power of the `freqHz` component of `x` (Goertzel), as amplitude², after skipping `skip` samples. */
function toneAmplitude(x: ArrayLike<number>, rateHz: number, freqHz: number, skip: number): number {
  const w = (2 * Math.PI * freqHz) / rateHz;
  let re = 0;
  let im = 0;
  const n = x.length - skip;
  for (let i = 0; i < n; i++) {
    re += x[skip + i]! * Math.cos(w * i);
    im -= x[skip + i]! * Math.sin(w * i);
  }
  return (2 * Math.hypot(re, im)) / n;
}

function toneInt16(freqHz: number, rateHz: number, samples: number, amplitude = 10000): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * i) / rateHz)),
  );
}

function dB(ratio: number): number {
  return 20 * Math.log10(ratio);
}

for (const [low, factor] of [
  [8000, 6],
  [16000, 3],
] as const) {
  const high = low * factor;
  const frame = low / 50;

  test(`${low} → ${high} Hz: a passband tone keeps its level (±0.1 dB), its image is 70 dB down`, () => {
    const up = new PolyphaseInterpolator(factor);
    const f = low === 8000 ? 1000 : 3000;
    const input = toneInt16(f, low, 50 * frame);
    const out = new Float32Array(input.length * factor);
    for (let at = 0; at < input.length; at += frame) {
      up.process(input.subarray(at, at + frame), out.subarray(at * factor, (at + frame) * factor));
    }
    const skip = 10 * frame * factor;
    assert.ok(Math.abs(dB(toneAmplitude(out, high, f, skip) / 10000)) < 0.1);
    assert.ok(dB(toneAmplitude(out, high, low - f, skip) / 10000) < -70);
    assert.ok(dB(toneAmplitude(out, high, low + f, skip) / 10000) < -70);
  });

  test(`${high} → ${low} Hz: a passband tone keeps its level, tones above ${low / 2} Hz + the transition are 70 dB down`, () => {
    const f = low === 8000 ? 1000 : 3000;
    for (const [freq, expectDb] of [
      [f, 0],
      [low / 2 + 1000, -70],
      [low, -70],
      [2.5 * low, -70],
    ] as const) {
      const down = new PolyphaseDecimator(factor);
      const input = Float32Array.from(toneInt16(freq, high, 50 * frame * factor));
      const out = new Float64Array(input.length / factor);
      down.process(input, out);
      const alias = Math.abs(((freq + low / 2) % low) - low / 2); // Where the tone lands at the low rate.
      const level = dB(toneAmplitude(out, low, alias, 10 * frame) / 10000);
      if (expectDb === 0) {
        assert.ok(Math.abs(level) < 0.1, `${freq} Hz: ${level.toFixed(2)} dB`);
      } else {
        assert.ok(level < expectDb, `${freq} Hz: ${level.toFixed(1)} dB`);
      }
    }
  });

  test(`${low} Hz round trip: delay exactly ${(polyphaseTapCount(factor) - 1) / factor} samples, independent of chunking`, () => {
    const impulse = new Int16Array(4 * frame);
    impulse[frame] = 16000;
    const run = (chunk: number): Float64Array => {
      const up = new PolyphaseInterpolator(factor);
      const down = new PolyphaseDecimator(factor);
      const result = new Float64Array(impulse.length);
      for (let at = 0; at < impulse.length; at += chunk) {
        const wide = new Float32Array(chunk * factor);
        up.process(impulse.subarray(at, at + chunk), wide);
        down.process(wide, result.subarray(at, at + chunk));
      }
      return result;
    };
    const whole = run(frame);
    let peak = 0;
    for (let i = 1; i < whole.length; i++) {
      if (Math.abs(whole[i]!) > Math.abs(whole[peak]!)) {
        peak = i;
      }
    }
    assert.equal(peak - frame, (polyphaseTapCount(factor) - 1) / factor);
    assert.ok(Math.abs(whole[peak]! / 16000 - 1) < 0.2);
    const halves = run(frame / 2);
    for (let i = 0; i < whole.length; i++) {
      assert.ok(Math.abs(whole[i]! - halves[i]!) < 1e-3, `sample ${i}`);
    }
  });
}

test('the prototype low-pass is symmetric with unit DC gain; bad sizes throw', () => {
  const h = polyphaseLowPass(6);
  assert.equal(h.length, 169);
  assert.ok(Math.abs(h.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  for (let k = 0; k < h.length; k++) {
    assert.ok(Math.abs(h[k]! - h[h.length - 1 - k]!) < 1e-15);
  }
  assert.throws(() => polyphaseLowPass(6, 168), TypeError);
  assert.throws(() => new PolyphaseInterpolator(1), TypeError);
  assert.throws(() => {
    new PolyphaseInterpolator(3).process(new Int16Array(10), new Float32Array(29));
  }, TypeError);
  assert.throws(() => {
    new PolyphaseDecimator(3).process(new Float32Array(31), new Float64Array(10));
  }, TypeError);
});

test('the unrolled ×6 and ×3 kernels and the generic loop (×4) equal the direct zero-stuffed convolution', () => {
  for (const factor of [6, 3, 4]) {
    const h = polyphaseLowPass(factor);
    let seed = 7;
    const input = Int16Array.from({ length: 400 }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return (seed % 20001) - 10000;
    });
    const up = new PolyphaseInterpolator(factor);
    const out = new Float32Array(input.length * factor);
    up.process(input.subarray(0, 160), out.subarray(0, 160 * factor));
    up.process(input.subarray(160), out.subarray(160 * factor));
    for (let t = 0; t < out.length; t += 7) {
      let direct = 0;
      for (let k = 0; k < h.length; k++) {
        const u = t - k;
        if (u >= 0 && u % factor === 0) {
          direct += factor * h[k]! * input[u / factor]!;
        }
      }
      assert.ok(Math.abs(out[t]! - direct) < 0.01, `×${factor}, output ${t}: ${out[t]} vs ${direct}`);
    }
  }
});
