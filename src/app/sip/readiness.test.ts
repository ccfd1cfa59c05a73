import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DRAINING_RETRY_AFTER_SEC, FULL_RETRY_AFTER_SEC, Readiness } from './readiness.js';

test('no limit: ready whatever the number of calls, until drained', () => {
  const r = new Readiness(0);
  for (const calls of [0, 1, 5000]) {
    assert.deepEqual(r.check(calls), { ready: true });
  }
  assert.equal(r.draining, false);
  r.drain();
  assert.equal(r.draining, true);
  assert.deepEqual(r.check(0), {
    ready: false,
    why: 'draining',
    reason: 'Service Unavailable (draining)',
    retryAfterSec: DRAINING_RETRY_AFTER_SEC,
  });
});

test('a limit of 2: ready at 0 and 1 call, full at 2 and beyond, ready again when one ends', () => {
  const r = new Readiness(2);
  assert.equal(r.check(0).ready, true);
  assert.equal(r.check(1).ready, true);
  for (const calls of [2, 3]) {
    const state = r.check(calls);
    assert.ok(!state.ready);
    assert.equal(state.why, 'full');
    assert.equal(state.retryAfterSec, FULL_RETRY_AFTER_SEC);
    assert.match(state.reason, /tuning\.maxCalls/);
  }
  assert.equal(r.check(1).ready, true);
});

test('draining wins over full and is one-way', () => {
  const r = new Readiness(1);
  r.drain();
  r.drain();
  const full = r.check(1);
  assert.ok(!full.ready);
  assert.equal(full.why, 'draining');
  assert.equal(r.check(0).ready, false);
});

test('a limit that is not a whole number >= 0 is refused', () => {
  for (const bad of [-1, 1.5, Number.NaN]) {
    assert.throws(() => new Readiness(bad), RangeError);
  }
});
