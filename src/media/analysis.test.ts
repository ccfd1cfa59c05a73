import assert from 'node:assert/strict';
import { test } from 'node:test';

import { alignedCorrelation, generateTone, rms, tonePower } from './analysis.js';

/** Deterministic pseudo-random noise (LCG), amplitude ±`amplitude`. */
function noise(n: number, seed: number, amplitude: number): Int16Array {
  const out = new Int16Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = Math.round(((s / 2 ** 32) * 2 - 1) * amplitude);
  }
  return out;
}

test('generateTone: length, amplitude, frequency', () => {
  const t = generateTone(1000, 8000, 20, 10000);
  assert.equal(t.length, 160);
  assert.deepEqual([...t.subarray(0, 3)], [0, 7071, 10000]);
  assert.equal(generateTone(440, 16000, 0, 100).length, 0);
  assert.equal(Math.max(...generateTone(100, 8000, 100, 99999)), 32767);
});

test('rms: sine of amplitude A gives A/√2; empty gives 0', () => {
  assert.ok(Math.abs(rms(generateTone(1000, 8000, 1000, 10000)) - 10000 / Math.SQRT2) < 1);
  assert.equal(rms(new Int16Array(0)), 0);
});

test('tonePower (Goertzel): A²/2 at the tone, far less elsewhere, works off-bin', () => {
  const t = generateTone(1234.5, 8000, 1000, 8000);
  const p = tonePower(t, 8000, 1234.5);
  assert.ok(Math.abs(p / ((8000 * 8000) / 2) - 1) < 1e-3, `${p}`);
  assert.ok(tonePower(t, 8000, 2000) < p * 1e-5);
  assert.equal(tonePower(new Int16Array(0), 8000, 1000), 0);
});

test('alignedCorrelation: finds a positive lag (test late) with noise added', () => {
  const ref = noise(16000, 1, 8000);
  const delayed = new Int16Array(16000 + 700);
  const extra = noise(delayed.length, 2, 800);
  for (let i = 0; i < delayed.length; i++) {
    delayed[i] = (i >= 700 ? ref[i - 700]! : 0) + extra[i]!;
  }
  const r = alignedCorrelation(ref, delayed, 1000);
  assert.equal(r.lagSamples, 700);
  assert.ok(r.correlation > 0.99, `${r.correlation}`);
});

test('alignedCorrelation: negative lag (test early), exact copy gives 1', () => {
  const ref = noise(8000, 3, 10000);
  const early = ref.subarray(250);
  const r = alignedCorrelation(ref, early, 500);
  assert.equal(r.lagSamples, -250);
  assert.ok(Math.abs(r.correlation - 1) < 1e-9);
  const scaled = Int16Array.from(ref, (v) => Math.round(v / 3) + 100);
  assert.ok(alignedCorrelation(ref, scaled, 0).correlation > 0.9999);
});

test('alignedCorrelation: unrelated noise correlates near 0; constant input gives 0', () => {
  const r = alignedCorrelation(noise(8000, 4, 10000), noise(8000, 5, 10000), 400);
  assert.ok(Math.abs(r.correlation) < 0.1, `${r.correlation}`);
  assert.deepEqual(alignedCorrelation(new Int16Array(100).fill(5), noise(100, 6, 10), 10), {
    correlation: 0,
    lagSamples: 0,
  });
  assert.deepEqual(alignedCorrelation(new Int16Array(0), noise(100, 6, 10), 10), {
    correlation: 0,
    lagSamples: 0,
  });
});

test('alignedCorrelation: 10 s at 8 kHz with maxLag 8000 is fast and exact', () => {
  const ref = noise(80000, 7, 10000);
  const test2 = new Int16Array(80000 + 5000);
  test2.set(ref, 4321);
  const started = performance.now();
  const r = alignedCorrelation(ref, test2, 8000);
  const elapsedMs = performance.now() - started;
  assert.equal(r.lagSamples, 4321);
  assert.ok(r.correlation > 0.999999);
  assert.ok(elapsedMs < 2000, `${elapsedMs.toFixed(0)} ms`);
});
