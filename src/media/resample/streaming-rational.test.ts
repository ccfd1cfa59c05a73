import assert from 'node:assert/strict';
import { test } from 'node:test';

import { generateTone, tonePower } from '../analysis.js';
import { resampleOffline } from './rational.js';
import { StreamingResampler } from './streaming-rational.js';

function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feeds `input` in pieces of the given lengths (cycled). */
function streamed(r: StreamingResampler, input: Int16Array, pieces: readonly number[]): Int16Array {
  const out: Int16Array[] = [];
  for (let at = 0, i = 0; at < input.length; i++) {
    const n = pieces[i % pieces.length] ?? 1;
    out.push(r.process(input.subarray(at, at + n)));
    at += n;
  }
  return concat(out);
}

function db(a: number, b: number): number {
  return 10 * Math.log10((a + 1e-12) / (b + 1e-12));
}

for (const [from, to] of [
  [24000, 8000],
  [24000, 16000],
] as const) {
  test(`${from} → ${to}: any cutting of the input gives the offline resampler's samples, delayed by nothing`, () => {
    const input = generateTone(1000, from, 500, 12000);
    const offline = resampleOffline(input, from, to);
    const whole = new StreamingResampler(from, to).process(input);
    const pieces = streamed(new StreamingResampler(from, to), input, [1, 7, 480, 3, 961, 2]);
    assert.deepEqual(pieces, whole, 'the same samples whatever the piece sizes');
    // Everything but the last half kernel is out, sample for sample the offline result.
    const expectMissing = Math.ceil((new StreamingResampler(from, to).delaySamples * to) / from);
    assert.ok(whole.length >= offline.length - expectMissing - 1, `${whole.length} of ${offline.length}`);
    assert.deepEqual(whole, offline.subarray(0, whole.length));
  });

  test(`${from} → ${to}: a passband tone keeps its level; a tone above the new Nyquist is gone (> 70 dB down)`, () => {
    const r = new StreamingResampler(from, to);
    const tone = r.process(generateTone(1000, from, 1000, 10000)).subarray(400);
    const inBand = tonePower(tone, to, 1000);
    assert.ok(Math.abs(db(inBand, 10000 ** 2 / 2)) < 0.1, `1 kHz level ${db(inBand, 10000 ** 2 / 2)} dB`);
    // Above the output's Nyquist the tone would alias to |f - to|: measure there.
    const high = to === 8000 ? 5000 : 9500;
    const alias = Math.abs(to - high);
    const out = new StreamingResampler(from, to).process(generateTone(high, from, 1000, 10000)).subarray(400);
    const leaked = tonePower(out, to, alias);
    assert.ok(
      db(leaked, 10000 ** 2 / 2) < -70,
      `alias of ${high} Hz at ${alias} Hz: ${db(leaked, 10000 ** 2 / 2)} dB`,
    );
  });
}

test('reset forgets the history: after it the output is that of a fresh resampler', () => {
  const r = new StreamingResampler(24000, 8000);
  r.process(generateTone(440, 24000, 300, 20000));
  r.reset();
  const next = generateTone(1000, 24000, 200, 8000);
  assert.deepEqual(r.process(next), new StreamingResampler(24000, 8000).process(next));
});

test('refuses rates that are not positive integers', () => {
  assert.throws(() => new StreamingResampler(0, 8000), TypeError);
  assert.throws(() => new StreamingResampler(24000.5, 8000), TypeError);
});
