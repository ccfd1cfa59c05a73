/**
 * Issue 11 item 5: every duration in the config schema has a documented maximum that a timer can hold
 * (at most 24 h, far below setTimeout's 2^31-1 ms, though the Timers adapter chains longer waits anyway),
 * and the loader refuses a value above it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadConfig } from './load.js';
import { configLeaves } from './schema.js';

const DAY_MS = 86_400_000;
const token = { STREAMFORK_AUTH_AUTH_TOKEN: 'secret' };
const MS_PER_UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1000 };

const durations = configLeaves().filter((leaf) => {
  const unit = (leaf.schema as { unit?: unknown }).unit;
  return typeof unit === 'string' && unit in MS_PER_UNIT;
});

test('every config duration has a maximum of at most 24 h, shown in docs/config.md', () => {
  assert.ok(durations.length >= 10, `found ${durations.length} durations`);
  for (const leaf of durations) {
    const s = leaf.schema as { unit: string; maximum?: number };
    const name = leaf.path.join('.');
    assert.equal(typeof s.maximum, 'number', `${name} has no maximum`);
    assert.ok((s.maximum ?? Infinity) * (MS_PER_UNIT[s.unit] ?? 1) <= DAY_MS, `${name} may exceed 24 h`);
  }
});

test('the new limits: holdTimeoutSec, maxCallDurationSec and the session timer keys, from env', () => {
  const loaded = loadConfig({
    env: {
      ...token,
      STREAMFORK_TUNING_HOLD_TIMEOUT_SEC: '1200',
      STREAMFORK_TUNING_MAX_CALL_DURATION_SEC: '7200',
      STREAMFORK_SIP_SESSION_EXPIRES_SEC: '600',
      STREAMFORK_SIP_MIN_SESSION_EXPIRES_SEC: '120',
    },
  });
  assert.ok(loaded.ok, JSON.stringify(loaded));
  assert.equal(loaded.config.tuning.holdTimeoutSec, 1200);
  assert.equal(loaded.config.tuning.maxCallDurationSec, 7200);
  assert.equal(loaded.config.sip.sessionExpiresSec, 600);
  assert.equal(loaded.config.sip.minSessionExpiresSec, 120);
  const defaults = loadConfig({ env: token });
  assert.ok(defaults.ok);
  assert.deepEqual(
    [
      defaults.config.tuning.holdTimeoutSec,
      defaults.config.tuning.maxCallDurationSec,
      defaults.config.sip.sessionExpiresSec,
      defaults.config.sip.minSessionExpiresSec,
    ],
    [3600, 14400, 1800, 90],
  );
});

test('a duration above its maximum is refused by the loader, naming the key', () => {
  for (const [env, key] of [
    ['STREAMFORK_TUNING_HOLD_TIMEOUT_SEC', 'tuning.holdTimeoutSec'],
    ['STREAMFORK_TUNING_MAX_CALL_DURATION_SEC', 'tuning.maxCallDurationSec'],
    ['STREAMFORK_SIP_SESSION_EXPIRES_SEC', 'sip.sessionExpiresSec'],
  ] as const) {
    const r = loadConfig({ env: { ...token, [env]: '86401' } });
    assert.ok(!r.ok, `${env}=86401 accepted`);
    assert.equal(r.errors.length, 1, JSON.stringify(r.errors));
    assert.ok(r.errors[0]?.startsWith(`${key}:`), r.errors[0]);
  }
  const low = loadConfig({ env: { ...token, STREAMFORK_SIP_MIN_SESSION_EXPIRES_SEC: '89' } });
  assert.ok(!low.ok, 'a Min-SE below the RFC 4028 floor of 90 s is refused');
  assert.match(low.errors[0] ?? '', /^sip\.minSessionExpiresSec:/);
});
