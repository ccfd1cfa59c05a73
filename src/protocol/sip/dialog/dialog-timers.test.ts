import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DialogTimers, type DialogTimerEffect } from './dialog-timers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Runs the machine's wake-ups up to `untilMs`, as a driver with a timer would; returns the effects with their times. */
function runUntil(
  t: DialogTimers,
  untilMs: number,
  onEffect?: (e: DialogTimerEffect, at: number) => void,
): [number, DialogTimerEffect][] {
  const seen: [number, DialogTimerEffect][] = [];
  for (let guard = 0; guard < 1000; guard++) {
    const next = t.nextWakeMs;
    if (next === undefined || next > untilMs) {
      break;
    }
    for (const e of t.input({ type: 'wake' }, next)) {
      seen.push([next, e]);
      onEffect?.(e, next);
    }
  }
  return seen;
}

test('time limit: the call is hung up (Scheduled Hangup) exactly time_limit after answer, a 4 h limit included', () => {
  const t = new DialogTimers({ timeLimitMs: 4 * HOUR, holdTimeoutMs: 0 });
  assert.equal(t.nextWakeMs, undefined, 'nothing runs before the answer');
  assert.deepEqual(t.input({ type: 'answered' }, 1000), []);
  assert.equal(t.nextWakeMs, 1000 + 4 * HOUR);
  assert.deepEqual(t.input({ type: 'wake' }, 1000 + 4 * HOUR - 1), []);
  const seen = runUntil(t, 5 * HOUR);
  assert.deepEqual(
    seen.map(([at, e]) => [at, e.type, e.type === 'hangup' ? e.cause : '']),
    [[1000 + 4 * HOUR, 'hangup', 'Scheduled Hangup']],
  );
  assert.equal(t.nextWakeMs, undefined);
  assert.ok(t.ended);
});

test('hold timeout: held for holdTimeout without a break hangs up (MEDIA_TIMEOUT); resuming resets it', () => {
  const t = new DialogTimers({ timeLimitMs: 0, holdTimeoutMs: 30 * MIN });
  t.input({ type: 'answered' }, 0);
  t.input({ type: 'hold', held: true }, 1 * MIN);
  assert.equal(t.nextWakeMs, 31 * MIN);
  t.input({ type: 'hold', held: true }, 10 * MIN); // a second hold re-INVITE does not restart the count
  assert.equal(t.nextWakeMs, 31 * MIN);
  t.input({ type: 'hold', held: false }, 20 * MIN);
  assert.equal(t.nextWakeMs, undefined, 'resumed: nothing pending');
  t.input({ type: 'hold', held: true }, 25 * MIN);
  const seen = runUntil(t, 2 * HOUR);
  assert.deepEqual(
    seen.map(([at, e]) => [at, e.type === 'hangup' ? e.cause : e.type]),
    [[55 * MIN, 'MEDIA_TIMEOUT']],
  );
});

test('RFC 4028 §10: as refresher, refresh at half the interval; each success restarts the interval; a fatal failure hangs up', () => {
  const t = new DialogTimers({ timeLimitMs: 0, holdTimeoutMs: 0 });
  t.input({ type: 'answered' }, 0);
  t.input({ type: 'session', session: { intervalSec: 1800, refresher: 'uas' }, weAre: 'uas' }, 0);
  const first = runUntil(t, 900_000);
  assert.deepEqual(first, [[900_000, { type: 'refresh', intervalSec: 1800 }]]);
  // In flight: the only wake-up left is the expiry (minus 32 s).
  assert.equal(t.nextWakeMs, 1_800_000 - 32_000);
  t.input({ type: 'session', session: { intervalSec: 1800, refresher: 'uas' }, weAre: 'uas' }, 901_000);
  assert.equal(t.nextWakeMs, 901_000 + 900_000);
  const second = runUntil(t, 901_000 + 900_000);
  assert.deepEqual(
    second.map(([, e]) => e.type),
    ['refresh'],
  );
  assert.deepEqual(t.input({ type: 'refresh-failed', status: 481 }, 1_802_000), [
    {
      type: 'hangup',
      cause: 'RECOVERY_ON_TIMER_EXPIRE',
      detail: 'session refresh failed (481, RFC 4028 §10)',
    },
  ]);
});

test('RFC 4028 §10: a refresh that times out or gets 408 ends the call at once', () => {
  for (const status of ['timeout', 408] as const) {
    const t = new DialogTimers({ timeLimitMs: 0, holdTimeoutMs: 0 });
    t.input({ type: 'session', session: { intervalSec: 600, refresher: 'uac' }, weAre: 'uac' }, 0);
    assert.deepEqual(
      runUntil(t, 300_000).map(([, e]) => e.type),
      ['refresh'],
    );
    const out = t.input({ type: 'refresh-failed', status }, 310_000);
    assert.deepEqual(
      out.map((e) => (e.type === 'hangup' ? e.cause : e.type)),
      ['RECOVERY_ON_TIMER_EXPIRE'],
    );
  }
});

test('RFC 4028 §10: other refresh failures are retried (491 after 4 s, else a tenth of the interval); unrefreshed, we hang up before expiry', () => {
  const t = new DialogTimers({ timeLimitMs: 0, holdTimeoutMs: 0 });
  t.input({ type: 'session', session: { intervalSec: 90, refresher: 'uac' }, weAre: 'uac' }, 0);
  assert.deepEqual(
    runUntil(t, 45_000).map(([, e]) => e.type),
    ['refresh'],
  );
  assert.deepEqual(t.input({ type: 'refresh-failed', status: 491 }, 46_000), []);
  assert.equal(t.nextWakeMs, 50_000, 'glare: retry 4 s later');
  assert.deepEqual(
    runUntil(t, 50_000).map(([at, e]) => [at, e.type]),
    [[50_000, 'refresh']],
  );
  assert.deepEqual(t.input({ type: 'refresh-failed', status: 500 }, 51_000), []);
  assert.equal(t.nextWakeMs, 60_000, '90 s interval: a 500 is retried after 9 s, but expiry comes first');
  // 90 s interval: margin min(32, 30) = 30 s, so the BYE goes at 60 s.
  const seen = runUntil(t, 200_000);
  assert.deepEqual(
    seen.map(([at, e]) => [at, e.type === 'hangup' ? e.cause : e.type]),
    [[60_000, 'RECOVERY_ON_TIMER_EXPIRE']],
  );
});

test('RFC 4028 §10: a retried refresh that succeeds restarts the interval', () => {
  const t = new DialogTimers({ timeLimitMs: 0, holdTimeoutMs: 0 });
  const session = { intervalSec: 1800, refresher: 'uas' as const };
  t.input({ type: 'session', session, weAre: 'uas' }, 0);
  assert.deepEqual(
    runUntil(t, 900_000).map(([, e]) => e.type),
    ['refresh'],
  );
  t.input({ type: 'refresh-failed', status: 503 }, 901_000);
  assert.equal(t.nextWakeMs, 901_000 + 180_000);
  assert.deepEqual(
    runUntil(t, 1_081_000).map(([, e]) => e.type),
    ['refresh'],
  );
  t.input({ type: 'session', session, weAre: 'uas' }, 1_082_000);
  assert.equal(t.nextWakeMs, 1_082_000 + 900_000);
});

test('RFC 4028 §10: when the far end refreshes, no refresh arrives → BYE at expiry minus min(32 s, interval/3); a refresh in time postpones it', () => {
  const t = new DialogTimers({ timeLimitMs: 0, holdTimeoutMs: 0 });
  t.input({ type: 'session', session: { intervalSec: 1800, refresher: 'uac' }, weAre: 'uas' }, 0);
  assert.equal(t.nextWakeMs, 1_768_000);
  t.input({ type: 'session', session: { intervalSec: 1800, refresher: 'uac' }, weAre: 'uas' }, 900_000);
  assert.equal(t.nextWakeMs, 900_000 + 1_768_000);
  const seen = runUntil(t, 10 * HOUR);
  assert.deepEqual(
    seen.map(([at, e]) => [at, e.type === 'hangup' ? e.cause : e.type]),
    [[900_000 + 1_768_000, 'RECOVERY_ON_TIMER_EXPIRE']],
  );
});

test('closed: no effects after the dialog ended', () => {
  const t = new DialogTimers({ timeLimitMs: 1000, holdTimeoutMs: 1000 });
  t.input({ type: 'answered' }, 0);
  t.input({ type: 'closed' }, 10);
  assert.equal(t.nextWakeMs, undefined);
  assert.deepEqual(t.input({ type: 'wake' }, 5000), []);
});
