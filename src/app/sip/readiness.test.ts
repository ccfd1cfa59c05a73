import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  DRAINING_RETRY_AFTER_SEC,
  FULL_RETRY_AFTER_SEC,
  OVERLOADED_RETRY_AFTER_SEC,
  Readiness,
} from './readiness.js';

const load = (calls: number, streams = 0, eventLoopLagMs = 0) => ({ calls, streams, eventLoopLagMs });

test('no limit: ready whatever the load, until drained', () => {
  const r = new Readiness();
  for (const calls of [0, 1, 5000]) {
    assert.deepEqual(r.check(load(calls, calls * 8, 900)), { ready: true });
  }
  assert.equal(r.draining, false);
  r.drain();
  assert.equal(r.draining, true);
  assert.deepEqual(r.check(load(0)), {
    ready: false,
    why: 'draining',
    reason: 'Service Unavailable (draining)',
    retryAfterSec: DRAINING_RETRY_AFTER_SEC,
  });
  assert.equal(r.checkStream({ streams: 0, eventLoopLagMs: 0 }).ready, false);
});

test('a call limit of 2: ready at 0 and 1 call, full at 2 and beyond, ready again when one ends', () => {
  const r = new Readiness({ maxCalls: 2 });
  assert.equal(r.check(load(0)).ready, true);
  assert.equal(r.check(load(1)).ready, true);
  for (const calls of [2, 3]) {
    const state = r.check(load(calls));
    assert.ok(!state.ready);
    assert.equal(state.why, 'full');
    assert.equal(state.retryAfterSec, FULL_RETRY_AFTER_SEC);
    assert.match(state.reason, /limits\.maxCalls/);
  }
  assert.equal(r.check(load(1)).ready, true);
  // The call limit does not stop a stream on a call already up.
  assert.equal(r.checkStream({ streams: 5, eventLoopLagMs: 0 }).ready, true);
});

test('a stream limit refuses new calls and new streams at the limit, not below it', () => {
  const r = new Readiness({ maxStreams: 3 });
  assert.equal(r.check(load(10, 2)).ready, true);
  const full = r.check(load(1, 3));
  assert.ok(!full.ready);
  assert.equal(full.why, 'streams');
  assert.match(full.reason, /limits\.maxStreams/);
  assert.equal(r.checkStream({ streams: 3, eventLoopLagMs: 0 }).ready, false);
  assert.equal(r.checkStream({ streams: 2, eventLoopLagMs: 0 }).ready, true);
});

test('an event-loop lag limit refuses while the lag is over it, and takes work again when it falls', () => {
  const r = new Readiness({ maxEventLoopLagMs: 50 });
  assert.equal(r.check(load(0, 0, 50)).ready, true, 'at the limit is not over it');
  const over = r.check(load(0, 0, 51));
  assert.ok(!over.ready);
  assert.equal(over.why, 'overloaded');
  assert.equal(over.retryAfterSec, OVERLOADED_RETRY_AFTER_SEC);
  assert.equal(r.checkStream({ streams: 0, eventLoopLagMs: 80 }).ready, false);
  assert.equal(r.check(load(0, 0, 10)).ready, true);
});

test('draining wins over every limit and is one-way; refusals are counted by why', () => {
  const r = new Readiness({ maxCalls: 1, maxStreams: 1, maxEventLoopLagMs: 1 });
  r.countRefusal(r.check(load(1)));
  r.countRefusal(r.check(load(0, 1)));
  r.countRefusal(r.check(load(0, 0, 5)));
  r.countRefusal(r.check(load(0)));
  r.drain();
  r.drain();
  const state = r.check(load(1, 1, 5));
  assert.ok(!state.ready);
  assert.equal(state.why, 'draining');
  r.countRefusal(state);
  assert.equal(r.check(load(0)).ready, false);
  assert.deepEqual(r.refused, { full: 1, streams: 1, overloaded: 1, draining: 1 });
});

test('a limit that is not a whole number >= 0 is refused', () => {
  for (const bad of [-1, 1.5, Number.NaN]) {
    assert.throws(() => new Readiness({ maxCalls: bad }), RangeError);
    assert.throws(() => new Readiness({ maxStreams: bad }), RangeError);
    assert.throws(() => new Readiness({ maxEventLoopLagMs: bad }), RangeError);
  }
});
