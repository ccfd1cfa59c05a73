import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FRAME_SAMPLES } from '../../call/media-leg.types.js';
import { FrameRelay, RELAY_MAX_FRAMES, RELAY_TRIM_WINDOW } from './dial-bridge.js';

function frame(v: number): Int16Array {
  return new Int16Array(FRAME_SAMPLES).fill(v);
}

test('FrameRelay: frames come out in order, copied (the tap reuses its array); empty renders nothing', () => {
  const relay = new FrameRelay();
  const out = new Int16Array(FRAME_SAMPLES);
  assert.equal(relay.render(out), false);
  const reused = frame(1);
  relay.push(reused);
  reused.fill(2);
  relay.push(reused);
  assert.equal(relay.render(out), true);
  assert.equal(out[0], 1);
  assert.equal(relay.render(out), true);
  assert.equal(out[FRAME_SAMPLES - 1], 2);
  assert.equal(relay.render(out), false);
  assert.equal(relay.relayed, 2);
});

test('FrameRelay: a full queue drops its oldest frame', () => {
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
  relay.push(frame(0));
  // One frame behind: one in, one out, one always left: kept.
  for (let i = 1; i <= RELAY_TRIM_WINDOW * 2; i++) {
    relay.push(frame(i));
    relay.render(out);
  }
  assert.equal(relay.trimmed, 0);
  // Two behind for a whole window: one frame is dropped.
  relay.push(frame(0));
  for (let i = 1; i <= RELAY_TRIM_WINDOW; i++) {
    relay.push(frame(i));
    relay.render(out);
  }
  assert.equal(relay.trimmed, 1);
  // Drain the one left, then in step.
  relay.render(out);
  // Now in step: the queue empties at every render, nothing more is trimmed.
  for (let i = 0; i < RELAY_TRIM_WINDOW * 3; i++) {
    relay.push(frame(i));
    assert.equal(relay.render(out), true);
    assert.equal(out[0], i);
  }
  assert.equal(relay.trimmed, 1);
});
