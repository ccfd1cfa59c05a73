import assert from 'node:assert/strict';
import { test } from 'node:test';

import { generateTone, tonePower } from '../../media/analysis.js';
import { UPSAMPLER_DELAY_SAMPLES } from '../../media/resample/half-band.js';
import { WideMix } from './wide-mix.js';

function run(frames: number, fill: (mix: WideMix, f: number) => void): Int16Array {
  const mix = new WideMix();
  const out = new Int16Array(frames * 320);
  for (let f = 0; f < frames; f++) {
    mix.begin();
    fill(mix, f);
    out.set(mix.finish(), f * 320);
  }
  return out;
}

function db(a: number, b: number): number {
  return 10 * Math.log10(a / b);
}

test('WideMix: a 16 kHz source passes as it is, an 8 kHz one is upsampled; both at their level', () => {
  const wide = generateTone(6000, 16000, 1000, 8000);
  const narrow = generateTone(1000, 8000, 1000, 8000);
  const out = run(50, (mix, f) => {
    mix.addWide(wide.subarray(f * 320, f * 320 + 320));
    mix.addNarrow(narrow.subarray(f * 160, f * 160 + 160));
  });
  const tail = out.subarray(1600);
  const ref = (8000 * 8000) / 2;
  assert.ok(Math.abs(db(tonePower(tail, 16000, 6000), ref)) < 0.5);
  assert.ok(Math.abs(db(tonePower(tail, 16000, 1000), ref)) < 0.5);
  // No image of the 1 kHz tone at 7 kHz.
  assert.ok(db(tonePower(tail, 16000, 1000), tonePower(tail, 16000, 7000)) > 80);
});

test('WideMix: 8 kHz sources alone are the upsampled submix (delayed by the upsampler); silence is silent; sums clip once', () => {
  const narrow = generateTone(700, 8000, 400, 12000);
  const out = run(20, (mix, f) => {
    mix.addNarrow(narrow.subarray(f * 160, f * 160 + 160));
  });
  for (let n = UPSAMPLER_DELAY_SAMPLES; n < narrow.length; n++) {
    assert.equal(out[2 * n], narrow[n - UPSAMPLER_DELAY_SAMPLES]);
  }
  assert.ok(run(3, () => undefined).every((v) => v === 0));
  const loud = new Int16Array(320).fill(30000);
  const clipped = run(1, (mix) => {
    mix.addWide(loud);
    mix.addWide(loud);
  });
  assert.ok(clipped.every((v) => v === 32767));
});
