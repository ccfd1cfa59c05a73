/**
 * Issue 11 item 2 against a real peer: sipp calls streamfork (asking for RFC 4028 session timers, which
 * the 200 must reflect), streams, then puts the call on hold with a=inactive and goes silent, as a caller
 * that vanished while holding. The media timeout is suspended on hold, so only the hold timeout can end
 * the call: BYE with Reason MEDIA_TIMEOUT (checked by the scenario), the stream closed, every port
 * released. Short timeouts keep the test quick; the media timeout is on, longer than the hold timeout.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { until, within } from '../helpers/stream-call.js';
import { killChildren, sippTotals } from './helpers/sipp.js';
import { startSippStreamRig, type SippStreamRig } from './helpers/sipp-stream-rig.js';

const HOLD_TIMEOUT_MS = 1500;
let rig: SippStreamRig;

before(async () => {
  rig = await startSippStreamRig('sf-sipp-hold-timeout-', {
    holdTimeoutMs: HOLD_TIMEOUT_MS,
    mediaTimeoutMs: 20_000,
    sessionExpiresSec: 1800,
  });
});

after(async () => {
  killChildren();
  await rig.close();
});

test('a caller that holds (a=inactive) and vanishes is hung up after the hold timeout: BYE MEDIA_TIMEOUT, stream closed, ports freed', async () => {
  const started = Date.now();
  const run = await rig.callWithScenario('uac-hold-until-bye.xml', {}, 12);
  const elapsed = Date.now() - started;
  assert.equal(run.code, 0, run.output.slice(-6000));
  assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 }, 'sipp got our BYE and answered it');
  assert.ok(elapsed >= HOLD_TIMEOUT_MS && elapsed < 15_000, `hung up after ${elapsed} ms`);
  assert.equal(rig.stack.calls.length, 1);
  assert.deepEqual(rig.stack.calls[0]?.call.hangupInfo, { cause: 'MEDIA_TIMEOUT', source: 'server' });
  const session = await rig.consumer.waitForSession(3000);
  await within(session.closed, 5000, 'the stream closing');
  rig.consumer.assertClean();
  await until(
    () => rig.stack.server.stats().liveDialogs === 0 && rig.stack.server.stats().rtpPortsInUse === 0,
    5000,
    'released',
  );
});
