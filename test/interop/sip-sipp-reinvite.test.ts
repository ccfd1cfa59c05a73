/**
 * Hold and resume (RFC 3264 §8.4, RFC 3261 §14): sipp calls streamfork, then re-INVITEs with a=sendonly
 * (hold; the answer must say a=recvonly) and with a=sendrecv (resume; a=sendrecv), checked by the
 * scenario itself; the call is the same engine call throughout and its stream stays up until the BYE.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { until, within } from '../helpers/stream-call.js';
import { killChildren, sippTotals } from './helpers/sipp.js';
import { startSippStreamRig, type SippStreamRig } from './helpers/sipp-stream-rig.js';

let rig: SippStreamRig;

before(async () => {
  rig = await startSippStreamRig('sf-sipp-reinvite-');
});

after(async () => {
  killChildren();
  await rig.close();
});

test('re-INVITE sendonly → 200 recvonly (hold), sendrecv → 200 sendrecv (resume), same call, then BYE', async () => {
  const run = await rig.callWithScenario('uac-hold-resume.xml', {}, 30);
  assert.equal(run.code, 0, run.output.slice(-3000));
  assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 });
  assert.equal(rig.stack.calls.length, 1, 'one engine call for the whole dialog');
  const session = await rig.consumer.waitForSession(3000);
  await within(session.closed, 5000, 'the stream closing at BYE');
  rig.consumer.assertClean();
  assert.equal(rig.stack.calls[0]?.call.hangupInfo?.source, 'caller');
  await until(
    () => rig.stack.server.stats().liveDialogs === 0 && rig.stack.server.stats().rtpPortsInUse === 0,
    3000,
    'released',
  );
});
