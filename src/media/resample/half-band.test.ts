import assert from 'node:assert/strict';
import { test } from 'node:test';

import { generateTone, rms, tonePower } from '../analysis.js';
import {
  Downsampler2x,
  DOWNSAMPLER_DELAY_SAMPLES,
  halfBandTaps,
  Upsampler2x,
  UPSAMPLER_DELAY_SAMPLES,
} from './half-band.js';

/** Feeds `x` through `up` in chunks of `chunk` 8 kHz samples (20 ms = 160). */
function upsample(x: Int16Array, chunk = 160, up = new Upsampler2x()): Int16Array {
  const out = new Int16Array(2 * x.length);
  for (let i = 0; i < x.length; i += chunk) {
    const n = Math.min(chunk, x.length - i);
    up.process(x.subarray(i, i + n), out.subarray(2 * i, 2 * (i + n)));
  }
  return out;
}

/** Feeds `x` through `down` in chunks of `chunk` 16 kHz samples (20 ms = 320; must be even). */
function downsample(x: Int16Array, chunk = 320, down = new Downsampler2x()): Int16Array {
  const out = new Int16Array(x.length / 2);
  for (let i = 0; i < x.length; i += chunk) {
    const n = Math.min(chunk, x.length - i);
    down.process(x.subarray(i, i + n), out.subarray(i / 2, (i + n) / 2));
  }
  return out;
}

/** Ratio in dB; a zero denominator (energy below one LSB, rounded away) counts as infinite rejection. */
function ratioDb(signal: number, leak: number): number {
  return leak === 0 ? Infinity : 10 * Math.log10(signal / leak);
}

function mix(a: Int16Array, b: Int16Array): Int16Array {
  return Int16Array.from(a, (v, i) => v + b[i]!);
}

test('half-band design: even taps are zero, symmetric, unity DC gain', () => {
  const h = halfBandTaps();
  const mid = (h.length - 1) / 2;
  assert.equal(h[mid], 0.5);
  let sum = 0;
  for (let k = 1; k <= mid; k++) {
    assert.equal(h[mid + k], h[mid - k]);
    if (k % 2 === 0) {
      assert.equal(h[mid + k], 0);
    }
  }
  for (const v of h) {
    sum += v;
  }
  assert.ok(Math.abs(sum - 1) < 1e-12);
});

test('Upsampler2x: image rejection of a 3 kHz tone (5 kHz image) is at least 80 dB', () => {
  const y = upsample(generateTone(3000, 8000, 2000, 16000)).subarray(400, 16400);
  const rejection = ratioDb(tonePower(y, 16000, 3000), tonePower(y, 16000, 5000));
  assert.ok(rejection >= 80, `image rejection ${rejection.toFixed(1)} dB`);
});

test('Downsampler2x: alias rejection of a 6 kHz tone (alias at 2 kHz) vs a passband tone is at least 80 dB', () => {
  // Mixed in one signal so that the int16 rounding noise is realistic rather than exactly zero; 997 Hz
  // and 6007 Hz (alias 1993 Hz) are not harmonically related, so that noise is spread out.
  const x = mix(generateTone(997, 16000, 2000, 12000), generateTone(6007, 16000, 2000, 12000));
  // Exactly 1 s, so both tones have whole cycles and the Goertzel bins do not leak into each other.
  const y = downsample(x).subarray(200, 8200);
  const rejection = ratioDb(tonePower(y, 8000, 997), tonePower(y, 8000, 1993));
  assert.ok(rejection >= 80, `alias rejection ${rejection.toFixed(1)} dB`);
  // The 6 kHz tone alone leaves nothing at 2 kHz above one LSB.
  const alone = downsample(generateTone(6000, 16000, 2000, 16000)).subarray(200);
  assert.ok(rms(alone) < 1, `rms of the aliased 6 kHz tone ${rms(alone)}`);
});

test('Upsampler2x and Downsampler2x: passband flat to 3.4 kHz within 0.5 dB', () => {
  const amplitude = 10000;
  const reference = (amplitude * amplitude) / 2;
  for (const f of [100, 300, 1000, 2000, 3000, 3400]) {
    const up = upsample(generateTone(f, 8000, 1000, amplitude)).subarray(400);
    const down = downsample(generateTone(f, 16000, 1000, amplitude)).subarray(200);
    const upDb = 10 * Math.log10(tonePower(up, 16000, f) / reference);
    const downDb = 10 * Math.log10(tonePower(down, 8000, f) / reference);
    assert.ok(Math.abs(upDb) < 0.5, `up ${f} Hz: ${upDb.toFixed(3)} dB`);
    assert.ok(Math.abs(downDb) < 0.5, `down ${f} Hz: ${downDb.toFixed(3)} dB`);
  }
});

test('Upsampler2x: even outputs are the input delayed by 22 samples; DC passes exactly', () => {
  const x = generateTone(700, 8000, 100, 20000);
  const y = upsample(x);
  for (let n = UPSAMPLER_DELAY_SAMPLES; n < x.length; n++) {
    assert.equal(y[2 * n], x[n - UPSAMPLER_DELAY_SAMPLES]);
  }
  const dc = upsample(new Int16Array(400).fill(-12345));
  assert.ok(dc.subarray(100).every((v) => v === -12345));
  const dcDown = downsample(new Int16Array(800).fill(23456));
  assert.ok(dcDown.subarray(100).every((v) => v === 23456));
});

test('up then down reproduces a band-limited signal delayed by 43 samples at 8 kHz', () => {
  const x = mix(generateTone(440, 8000, 500, 9000), generateTone(2900, 8000, 500, 9000));
  const y = downsample(upsample(x));
  const delay = 2 * UPSAMPLER_DELAY_SAMPLES - 1;
  assert.equal(delay, UPSAMPLER_DELAY_SAMPLES + DOWNSAMPLER_DELAY_SAMPLES);
  let errSq = 0;
  let sigSq = 0;
  for (let n = 200; n < x.length; n++) {
    const e = y[n]! - x[n - delay]!;
    errSq += e * e;
    sigSq += x[n - delay]! * x[n - delay]!;
  }
  const snrDb = 10 * Math.log10(sigSq / errSq);
  assert.ok(snrDb > 60, `round-trip SNR ${snrDb.toFixed(1)} dB`);
});

test('output does not depend on how the stream is split into chunks', () => {
  const x = mix(generateTone(1234, 8000, 300, 15000), generateTone(3300, 8000, 300, 15000));
  const whole = upsample(x, x.length);
  for (const chunk of [1, 7, 160, 1000]) {
    assert.deepEqual(upsample(x, chunk), whole, `up chunk ${chunk}`);
  }
  const x16 = upsample(x);
  const wholeDown = downsample(x16, x16.length);
  for (const chunk of [2, 14, 320, 2000]) {
    assert.deepEqual(downsample(x16, chunk), wholeDown, `down chunk ${chunk}`);
  }
});

test('reset(): no pre-reset audio leaks out; silence after reset is exact zeros', () => {
  const up = new Upsampler2x();
  const down = new Downsampler2x();
  const tone8 = generateTone(1000, 8000, 20, 30000);
  const tone16 = generateTone(1000, 16000, 20, 30000);
  up.process(tone8, new Int16Array(320));
  down.process(tone16, new Int16Array(160));
  // Without a reset the filter tail carries over (the test can see leaks).
  const leak = new Int16Array(320);
  const probe = new Upsampler2x();
  probe.process(tone8, new Int16Array(320));
  probe.process(new Int16Array(160), leak);
  assert.ok(leak.some((v) => v !== 0));
  up.reset();
  down.reset();
  const upOut = new Int16Array(320).fill(1);
  const downOut = new Int16Array(160).fill(1);
  up.process(new Int16Array(160), upOut);
  down.process(new Int16Array(320), downOut);
  assert.ok(upOut.every((v) => v === 0));
  assert.ok(downOut.every((v) => v === 0));
});

test('full-scale square waves clamp to int16 instead of wrapping', () => {
  const x = Int16Array.from({ length: 800 }, (_, i) => (Math.floor(i / 4) % 2 === 0 ? 32767 : -32768));
  const y = upsample(x);
  const z = downsample(Int16Array.from({ length: 1600 }, (_, i) => (Math.floor(i / 8) % 2 === 0 ? 32767 : -32768)));
  // Ringing overshoots full scale; it must saturate at the rails, never wrap to the other sign.
  assert.equal(Math.max(...y), 32767);
  assert.equal(Math.min(...y), -32768);
  assert.equal(Math.max(...z), 32767);
  for (let i = 1; i < y.length; i++) {
    assert.ok(Math.abs(y[i]! - y[i - 1]!) < 40000, `wrap at ${i}`);
  }
});

test('process() rejects mismatched buffer sizes with TypeError', () => {
  assert.throws(() => {
    new Upsampler2x().process(new Int16Array(160), new Int16Array(160));
  }, TypeError);
  assert.throws(() => {
    new Downsampler2x().process(new Int16Array(321), new Int16Array(160));
  }, TypeError);
  assert.throws(() => {
    new Downsampler2x().process(new Int16Array(320), new Int16Array(320));
  }, TypeError);
});
