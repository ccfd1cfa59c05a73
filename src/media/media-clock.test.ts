import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MediaClock } from './media-clock.js';

test('frame i is due at start + i·20 ms; frame 0 is due at the start', () => {
  const c = new MediaClock({ frameMs: 20, startMs: 1000, maxCatchUpFrames: 5 });
  assert.deepEqual(c.advance(999), { framesDue: 0, skippedFrames: 0, nextDueMs: 1000 });
  assert.deepEqual(c.advance(1000), { framesDue: 1, skippedFrames: 0, nextDueMs: 1020 });
  assert.deepEqual(c.advance(1019.9), { framesDue: 0, skippedFrames: 0, nextDueMs: 1020 });
  assert.deepEqual(c.advance(1020), { framesDue: 1, skippedFrames: 0, nextDueMs: 1040 });
  assert.equal(c.frameIndex, 2);
});

test('late wake-ups produce catch-up frames; the schedule does not drift', () => {
  const c = new MediaClock({ frameMs: 20, startMs: 0, maxCatchUpFrames: 5 });
  c.advance(0);
  // 37 ms late for frame 1: frames 1 and 2 are due (20, 40); next is 60, not 57 + 20.
  assert.deepEqual(c.advance(57), { framesDue: 2, skippedFrames: 0, nextDueMs: 60 });
  // Many slightly-late wake-ups never accumulate lateness.
  let emitted = c.frameIndex;
  for (let i = 3; i < 1000; i++) {
    emitted += c.advance(i * 20 + 3.7).framesDue;
  }
  assert.equal(emitted, 1000);
  assert.equal(c.advance(999 * 20 + 19).nextDueMs, 20000);
});

test('beyond maxCatchUpFrames, the oldest frames are skipped and counted', () => {
  const c = new MediaClock({ frameMs: 20, startMs: 0, maxCatchUpFrames: 3 });
  c.advance(0);
  // Frames 1..10 are due at 200 ms: emit 3, skip 7.
  assert.deepEqual(c.advance(200), { framesDue: 3, skippedFrames: 7, nextDueMs: 220 });
  assert.equal(c.frameIndex, 4);
  assert.equal(c.slotIndex, 11);
  assert.equal(c.skippedTotal, 7);
  assert.deepEqual(c.advance(220), { framesDue: 1, skippedFrames: 0, nextDueMs: 240 });
});

test('floating-point boundaries count as due; time going backwards emits nothing', () => {
  const c = new MediaClock({ frameMs: 20, startMs: 0.1, maxCatchUpFrames: 10 });
  let total = 0;
  for (let i = 0; i < 500; i++) {
    total += c.advance(0.1 + i * 20).framesDue;
    assert.equal(total, i + 1, `boundary ${i}`);
  }
  assert.equal(c.advance(5).framesDue, 0);
});

test('constructor rejects nonsense options', () => {
  assert.throws(() => new MediaClock({ frameMs: 0, startMs: 0, maxCatchUpFrames: 1 }), TypeError);
  assert.throws(() => new MediaClock({ frameMs: 20, startMs: Number.NaN, maxCatchUpFrames: 1 }), TypeError);
  assert.throws(() => new MediaClock({ frameMs: 20, startMs: 0, maxCatchUpFrames: 0 }), TypeError);
});
