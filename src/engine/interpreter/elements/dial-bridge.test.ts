import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FRAME_SAMPLES } from '../../call/media-leg.types.js';
import { FrameRelay, RELAY_MAX_FRAMES, RELAY_TRIM_WINDOW } from './dial-bridge.js';

function frame(v: number): Int16Array {
  return new Int16Array(FRAME_SAMPLES).fill(v);
}

test('FrameRelay: frames come out in order, copied (the tap reuses its array), once the cushion is in', () => {
  const relay = new FrameRelay();
  const out = new Int16Array(FRAME_SAMPLES);
  assert.equal(relay.render(out), false);
  const reused = frame(1);
  relay.push(reused);
  assert.equal(relay.render(out), false, 'one frame is not enough: it waits for the cushion');
  reused.fill(2);
  relay.push(reused);
  assert.equal(relay.render(out), true);
  assert.equal(out[0], 1);
  assert.equal(relay.render(out), true);
  assert.equal(out[FRAME_SAMPLES - 1], 2);
  assert.equal(relay.render(out), false);
  assert.equal(relay.underruns, 1);
  assert.equal(relay.relayed, 2);
  relay.push(frame(3));
  assert.equal(relay.render(out), false, 'after running dry it primes again');
});

test('FrameRelay: arrivals jittering around the tick never run it dry once primed', () => {
  const relay = new FrameRelay();
  const out = new Int16Array(FRAME_SAMPLES);
  let n = 0;
  relay.push(frame(n++));
  relay.push(frame(n++));
  const played: number[] = [];
  for (let tick = 0; tick < 200; tick++) {
    // Every other tick the frame comes just after the tick instead of just before it.
    const late = tick % 2 === 1;
    if (!late) {
      relay.push(frame(n++));
    }
    if (relay.render(out)) {
      played.push(out[0] ?? -1);
    }
    if (late) {
      relay.push(frame(n++));
    }
  }
  assert.equal(relay.underruns, 0);
  assert.equal(relay.trimmed, 0);
  assert.deepEqual(
    played,
    played.map((_, i) => i),
    'every frame, in order, none dropped or repeated',
  );
});

test('FrameRelay: a full queue drops its oldest frame', () => {
  // (The cushion does not matter here: the queue is full.)
  const relay = new FrameRelay();
  for (let i = 1; i <= RELAY_MAX_FRAMES + 2; i++) {
    relay.push(frame(i));
  }
  assert.equal(relay.dropped, 2);
  const out = new Int16Array(FRAME_SAMPLES);
  relay.render(out);
  assert.equal(out[0], 3, 'the two oldest were dropped');
});

test('FrameRelay: two frames left over at every render for a window are trimmed to one; one is kept', () => {
  const relay = new FrameRelay();
  const out = new Int16Array(FRAME_SAMPLES);
  let n = 0;
  const tick = (): number => {
    relay.push(frame(n++));
    relay.render(out);
    return out[0] ?? -1;
  };
  relay.push(frame(n++));
  // The cushion: one frame always left after each render, for many windows: kept.
  for (let i = 0; i < RELAY_TRIM_WINDOW * 3; i++) {
    tick();
  }
  assert.equal(relay.trimmed, 0);
  // A burst: one more frame behind, standing for two windows: exactly one frame is dropped.
  relay.push(frame(n++));
  const before = tick();
  for (let i = 0; i < RELAY_TRIM_WINDOW * 2; i++) {
    tick();
  }
  assert.equal(relay.trimmed, 1);
  // Back to the cushion: each tick plays the frame pushed one tick earlier.
  for (let i = 0; i < RELAY_TRIM_WINDOW * 2; i++) {
    assert.equal(tick(), n - 2);
  }
  assert.equal(relay.trimmed, 1);
  assert.ok(before >= 0);
  // A stall's burst of three more frames standing for a window: cut back to the cushion at once.
  relay.push(frame(n++));
  relay.push(frame(n++));
  relay.push(frame(n++));
  for (let i = 0; i < RELAY_TRIM_WINDOW * 2; i++) {
    tick();
  }
  assert.equal(relay.trimmed, 4, 'three more dropped in one cut');
  assert.equal(tick(), n - 2);
});
