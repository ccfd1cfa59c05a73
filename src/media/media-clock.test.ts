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
  assert.throws(() => new MediaClock({ frameMs: 20, startMs: 0, maxCatchUpFrames: 1, phases: 0 }), TypeError);
  assert.throws(
    () => new MediaClock({ frameMs: 20, startMs: 0, maxCatchUpFrames: 1, phases: 2.5 }),
    TypeError,
  );
});

test('phases 4: slot s is due at start + s·5 ms and is frame floor(s/4), phase s % 4', () => {
  const c = new MediaClock({ frameMs: 20, startMs: 1000, maxCatchUpFrames: 5, phases: 4 });
  assert.equal(c.phases, 4);
  const seen: [number, number][] = [];
  for (let t = 1000; t < 1045; t++) {
    const due = c.poll(t);
    for (let s = c.slotIndex - due; s < c.slotIndex; s++) {
      seen.push([c.frameIndexOf(s), c.phaseOf(s)]);
    }
    assert.equal(c.nextDueMs, 1000 + c.slotIndex * 5);
  }
  assert.deepEqual(seen, [
    [0, 0],
    [0, 1],
    [0, 2],
    [0, 3],
    [1, 0],
    [1, 1],
    [1, 2],
    [1, 3],
    [2, 0],
  ]);
  assert.equal(c.frameIndex, 3, 'frames with an emitted slot');
  assert.deepEqual(c.advance(1057), { framesDue: 3, skippedFrames: 0, nextDueMs: 1060 });
});

test('phases 4: the catch-up cap is in frames; frames skipped entirely take no index', () => {
  const c = new MediaClock({ frameMs: 20, startMs: 0, maxCatchUpFrames: 2, phases: 4 });
  assert.equal(c.poll(40), 8, 'slots 0..8 due, capped at 8: slot 0 skipped');
  assert.equal(c.skippedTotal, 1);
  assert.equal(c.skippedWholeFrames, 0, 'frame 0 keeps its index (phases 1..3 emitted)');
  assert.deepEqual([c.frameIndexOf(1), c.phaseOf(1), c.frameIndexOf(8), c.phaseOf(8)], [0, 1, 2, 0]);
  // Slots 9..24 due at 120: 16 pending, 8 emitted (17..24), 8 skipped (9..16); frame 3 wholly skipped.
  assert.deepEqual(c.advance(120), { framesDue: 8, skippedFrames: 8, nextDueMs: 125 });
  assert.equal(c.skippedWholeFrames, 1);
  assert.deepEqual([c.frameIndexOf(17), c.phaseOf(17)], [3, 1]);
  assert.deepEqual([c.frameIndexOf(24), c.phaseOf(24)], [5, 0]);
  assert.equal(c.frameIndex, 6);
  // A stall of exactly whole frames: slots 25..44 due at 220, 12 skipped (25..36), frames 7 and 8 lost.
  assert.equal(c.poll(220), 8);
  assert.equal(c.skippedWholeFrames, 3);
  assert.deepEqual([c.frameIndexOf(37), c.phaseOf(37)], [6, 1]);
  assert.equal(c.skippedTotal, 21);
});
