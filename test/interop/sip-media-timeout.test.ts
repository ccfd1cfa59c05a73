/**
 * Media timeout: a caller that sends no RTP at all (sipp, whose scenario only answers the BYE) while
 * its SDP says sendrecv is hung up by streamfork after `mediaTimeoutMs`: BYE sent, cause
 * MEDIA_TIMEOUT, the stream closed, every port released. This is what keeps a call whose BYE was lost
 * from streaming forever.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';

import { until, within } from '../helpers/stream-call.js';
import { HOST, killChildren, sippTotals } from './helpers/sipp.js';
import { startSippStreamRig, type SippStreamRig } from './helpers/sipp-stream-rig.js';

const TIMEOUT_MS = 1500;
let rig: SippStreamRig;
let sink: dgram.Socket;

before(async () => {
  rig = await startSippStreamRig('sf-media-timeout-', { mediaTimeoutMs: TIMEOUT_MS });
  sink = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, HOST, resolve));
});

after(async () => {
  killChildren();
  sink.close();
  await rig.close();
});

test('a caller that sends no RTP is hung up after the media timeout: BYE, MEDIA_TIMEOUT, stream closed', async () => {
  let rtpFromUs = 0;
  sink.on('message', () => rtpFromUs++);
  const started = Date.now();
  const run = await rig.callWithScenario('uac-until-bye.xml', { RTP_PORT: String(sink.address().port) }, 30);
  const elapsed = Date.now() - started;
  assert.equal(run.code, 0, run.output.slice(-3000));
  assert.deepEqual(
    sippTotals(run.output),
    { successful: 1, failed: 0 },
    'sipp received our BYE and answered it',
  );
  assert.ok(elapsed >= TIMEOUT_MS && elapsed < TIMEOUT_MS + 8000, `hung up after ${elapsed} ms`);
  assert.ok(rtpFromUs > 0, 'streamfork kept sending RTP until the timeout');
  assert.deepEqual(rig.stack.calls[0]?.call.hangupInfo, { cause: 'MEDIA_TIMEOUT', source: 'error' });
  const session = await rig.consumer.waitForSession(3000);
  await within(session.closed, 5000, 'the stream closing');
  rig.consumer.assertClean();
  await until(
    () => rig.stack.server.stats().liveDialogs === 0 && rig.stack.server.stats().rtpPortsInUse === 0,
    5000,
    'released',
  );
});
