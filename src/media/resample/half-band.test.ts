import assert from 'node:assert/strict';
import { test } from 'node:test';

import { generateTone, rms, tonePower } from '../analysis.js';
import {
  Downsampler2x,
  DOWNSAMPLER_DELAY_SAMPLES,
  HALF_BAND_PAIRS,
  halfBandTaps,
  Upsampler2x,
  UPSAMPLER_DELAY_SAMPLES,
} from './half-band.js';

/*
 * Reference: the straightforward polyphase algorithm the resamplers shipped with before the unrolled
 * kernels (same taps, one tap loop per output, additions in tap order), kept here verbatim in substance
 * so the fast path can be held to it.
 */
function referenceSideTaps(scale: number): Float64Array {
  const taps = halfBandTaps();
  const half = 2 * HALF_BAND_PAIRS - 1;
  return Float64Array.from({ length: HALF_BAND_PAIRS }, (_, j) => taps[half + 2 * j + 1]! * scale);
}

function referenceToInt16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

class ReferenceUpsampler {
  readonly #taps = referenceSideTaps(2);
  readonly #history = 2 * HALF_BAND_PAIRS - 1;
  #buf = new Float64Array(this.#history);

  process(input: Int16Array, out: Int16Array): void {
    const hist = this.#history;
    const buf = new Float64Array(hist + input.length);
    buf.set(this.#buf);
    buf.set(input, hist);
    for (let i = 0; i < input.length; i++) {
      const centre = hist + i - HALF_BAND_PAIRS;
      let acc = 0;
      for (let j = 0; j < HALF_BAND_PAIRS; j++) {
        acc += this.#taps[j]! * (buf[centre - j]! + buf[centre + 1 + j]!);
      }
      out[2 * i] = buf[centre]!;
      out[2 * i + 1] = referenceToInt16(acc);
    }
    this.#buf = buf.slice(input.length);
  }
}

class ReferenceDownsampler {
  readonly #taps = referenceSideTaps(1);
  readonly #history = 4 * HALF_BAND_PAIRS - 2;
  #buf = new Float64Array(this.#history);

  process(input: Int16Array, out: Int16Array): void {
    const hist = this.#history;
    const buf = new Float64Array(hist + input.length);
    buf.set(this.#buf);
    buf.set(input, hist);
    for (let i = 0; i < input.length; i += 2) {
      const centre = hist + i + 2 - 2 * HALF_BAND_PAIRS;
      let acc = 0.5 * buf[centre]!;
      for (let j = 0; j < HALF_BAND_PAIRS; j++) {
        const d = 2 * j + 1;
        acc += this.#taps[j]! * (buf[centre - d]! + buf[centre + d]!);
      }
      out[i >> 1] = referenceToInt16(acc);
    }
    this.#buf = buf.slice(input.length);
  }
}

/** Deterministic int16 noise (LCG), full scale unless `amplitude` is given. */
function randomInt16(length: number, seed: number, amplitude = 32768): Int16Array {
  let s = seed >>> 0;
  return Int16Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.max(-32768, Math.min(32767, Math.round(((s / 2 ** 32) * 2 - 1) * amplitude)));
  });
}

/** Largest absolute difference and how many samples differ at all. */
function compare(a: Int16Array, b: Int16Array): { maxDiff: number; differing: number } {
  assert.equal(a.length, b.length);
  let maxDiff = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d !== 0) {
      differing++;
      maxDiff = Math.max(maxDiff, d);
    }
  }
  return { maxDiff, differing };
}

interface Resampler {
  process(input: Int16Array, out: Int16Array): void;
}

/** Feeds `x` through `up` in chunks of `chunk` 8 kHz samples (20 ms = 160). */
function upsample(x: Int16Array, chunk = 160, up: Resampler = new Upsampler2x()): Int16Array {
  const out = new Int16Array(2 * x.length);
  for (let i = 0; i < x.length; i += chunk) {
    const n = Math.min(chunk, x.length - i);
    up.process(x.subarray(i, i + n), out.subarray(2 * i, 2 * (i + n)));
  }
  return out;
}

/** Feeds `x` through `down` in chunks of `chunk` 16 kHz samples (20 ms = 320; must be even). */
function downsample(x: Int16Array, chunk = 320, down: Resampler = new Downsampler2x()): Int16Array {
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
  const z = downsample(
    Int16Array.from({ length: 1600 }, (_, i) => (Math.floor(i / 8) % 2 === 0 ? 32767 : -32768)),
  );
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

test('fast kernels match the straightforward reference within ±1 LSB on random signals, any chunking', () => {
  const cases: [string, Int16Array][] = [
    ['full-scale noise', randomInt16(8000 * 5, 1)],
    ['-20 dBFS noise', randomInt16(8000 * 5, 2, 3277)],
    ['noise + tones', mix(randomInt16(8000 * 5, 3, 4000), generateTone(1234, 8000, 5000, 12000))],
  ];
  for (const [name, x8] of cases) {
    const x16 = mix(randomInt16(2 * x8.length, 7, 8000), upsample(x8, 160, new ReferenceUpsampler()));
    for (const chunk of [1, 3, 4, 5, 160, 4003]) {
      const up = compare(upsample(x8, chunk), upsample(x8, chunk, new ReferenceUpsampler()));
      assert.ok(
        up.maxDiff <= 1,
        `up, ${name}, chunk ${chunk}: max diff ${up.maxDiff} (${up.differing} samples)`,
      );
      const down16 = 2 * chunk;
      const down = compare(downsample(x16, down16), downsample(x16, down16, new ReferenceDownsampler()));
      assert.ok(
        down.maxDiff <= 1,
        `down, ${name}, chunk ${down16}: max diff ${down.maxDiff} (${down.differing} samples)`,
      );
    }
  }
});

test('reset() mid-stream: the next output equals a fresh resampler on the same input', () => {
  const up = new Upsampler2x();
  const down = new Downsampler2x();
  upsample(randomInt16(1000, 11), 160, up);
  downsample(randomInt16(2000, 12), 320, down);
  up.reset();
  down.reset();
  const x8 = randomInt16(1600, 13);
  const x16 = randomInt16(3200, 14);
  assert.deepEqual(upsample(x8, 160, up), upsample(x8, 160, new Upsampler2x()));
  assert.deepEqual(downsample(x16, 320, down), downsample(x16, 320, new Downsampler2x()));
  // A reset in the middle of a block-unaligned stream too (the remainder paths).
  upsample(randomInt16(7, 15), 7, up);
  downsample(randomInt16(14, 16), 14, down);
  up.reset();
  down.reset();
  assert.deepEqual(upsample(x8, 7, up), upsample(x8, 7, new Upsampler2x()));
  assert.deepEqual(downsample(x16, 14, down), downsample(x16, 14, new Downsampler2x()));
});

test('Downsampler2x as the wideband → narrowband path: stopband 4.6–8 kHz attenuated by at least 90 dB', (t) => {
  // What a G.722 call feeds a narrowband fork: every tone between the stopband edge and 8 kHz, at a
  // high level, must leave its alias (8 kHz − f) below -90 dB relative to the input tone.
  const amplitude = 20000;
  let worst = Infinity;
  let worstHz = 4600;
  for (let f = 4600; f <= 7900; f += 100) {
    // A 997 Hz tone beside it keeps the int16 rounding realistic (a lone tone rounds its alias to 0).
    const x = mix(generateTone(f, 16000, 1100, amplitude), generateTone(997, 16000, 1100, 8000));
    const y = downsample(x).subarray(400, 8400);
    const input = tonePower(x.subarray(800, 16800), 16000, f);
    const alias = tonePower(y, 8000, 8000 - f);
    const db = ratioDb(input, alias);
    if (db < worst) {
      worst = db;
      worstHz = f;
    }
  }
  t.diagnostic(`worst stopband attenuation ${worst.toFixed(1)} dB at ${worstHz} Hz`);
  assert.ok(worst >= 90, `stopband attenuation ${worst.toFixed(1)} dB at ${worstHz} Hz`);
});
