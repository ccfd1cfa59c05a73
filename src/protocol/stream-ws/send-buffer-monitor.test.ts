import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sendBufferCapacityBytes, SendBufferMonitor } from './send-buffer-monitor.js';

test('D11: DegradedStream at 30, 60 and 90 % crossed upward, once each', () => {
  const m = new SendBufferMonitor(1000);
  const seen = [0, 100, 299, 300, 350, 310, 600, 650, 899, 900, 950].map((b) => m.update(b));
  assert.deepEqual(seen, [
    { type: 'ok' },
    { type: 'ok' },
    { type: 'ok' },
    { type: 'degraded', percent: 30 },
    { type: 'ok' },
    { type: 'ok' },
    { type: 'degraded', percent: 60 },
    { type: 'ok' },
    { type: 'ok' },
    { type: 'degraded', percent: 90 },
    { type: 'ok' },
  ]);
  assert.equal(m.usagePercent, 95);
});

test('D11: a jump over several levels reports the highest; the lower ones are not reported afterwards', () => {
  const m = new SendBufferMonitor(1000);
  assert.deepEqual(m.update(700), { type: 'degraded', percent: 60 });
  assert.deepEqual(m.update(650), { type: 'ok' });
  assert.deepEqual(m.update(320), { type: 'ok' });
});

test('D11: a level re-arms only after draining below it by the hysteresis (10 points by default)', () => {
  const m = new SendBufferMonitor(1000);
  assert.equal(m.update(310).type, 'degraded');
  assert.equal(m.update(250).type, 'ok');
  assert.equal(m.update(310).type, 'ok');
  assert.equal(m.update(150).type, 'ok');
  assert.deepEqual(m.update(300), { type: 'degraded', percent: 30 });
  const strict = new SendBufferMonitor(1000, { rearmHysteresisPercent: 0 });
  strict.update(300);
  strict.update(299);
  assert.equal(strict.update(300).type, 'degraded');
});

test('D11: overflow whenever the buffer is full', () => {
  const m = new SendBufferMonitor(1000);
  assert.deepEqual(m.update(1000), { type: 'overflow' });
  assert.deepEqual(m.update(5000), { type: 'overflow' });
  assert.throws(() => new SendBufferMonitor(0), TypeError);
  assert.equal(sendBufferCapacityBytes(400, 2), 400 * 2 * 50 * 40);
});
