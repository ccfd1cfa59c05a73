import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PromptPlayer } from './prompt-player.js';

function ramp(n: number): Int16Array {
  return Int16Array.from({ length: n }, (_v, i) => i + 1);
}

test('plays the audio `loop` times in 20 ms frames, zero-padding the last partial frame, then resolves', async () => {
  const player = new PromptPlayer(ramp(250), 2);
  const out = new Int16Array(160);
  const frames: Int16Array[] = [];
  while (player.render(out)) {
    frames.push(out.slice());
  }
  assert.equal(frames.length, 4, '500 samples = 3 full frames + 1 partial');
  const all = new Int16Array(frames.length * 160);
  frames.forEach((f, i) => {
    all.set(f, i * 160);
  });
  assert.deepEqual([...all.subarray(0, 250)], [...ramp(250)]);
  assert.deepEqual([...all.subarray(250, 500)], [...ramp(250)]);
  assert.ok(all.subarray(500).every((v) => v === 0));
  assert.equal(await player.done, 'finished');
  assert.equal(player.playedSamples, 500);
});

test('a frame-aligned end resolves on the last frame (no extra silent frame)', async () => {
  const player = new PromptPlayer(ramp(320), 1);
  const out = new Int16Array(160);
  assert.ok(player.render(out));
  assert.ok(player.render(out));
  assert.equal(player.ended, true);
  assert.equal(player.render(out), false);
  assert.equal(await player.done, 'finished');
});

test('loop 0 repeats until stop(); stop resolves at once with "stopped"', async () => {
  const player = new PromptPlayer(ramp(100), 0);
  const out = new Int16Array(160);
  for (let i = 0; i < 1000; i++) {
    assert.ok(player.render(out));
  }
  player.stop();
  assert.equal(player.render(out), false);
  assert.equal(await player.done, 'stopped');
});

test('empty audio finishes immediately', async () => {
  const player = new PromptPlayer(new Int16Array(0), 3);
  assert.equal(player.render(new Int16Array(160)), false);
  assert.equal(await player.done, 'finished');
});
