/**
 * Hold and resume (RFC 3264 §8.4, RFC 3261 §14): sipp calls streamfork, then re-INVITEs with a=sendonly
 * (hold; the answer must say a=recvonly) and with a=sendrecv (resume; a=sendrecv), checked by the
 * scenario itself; the call is the same engine call throughout and its stream stays up until the BYE.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startSipStack, type SipStack } from '../../src/app/sip/testing.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../../src/testing/reference-consumer.js';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder.js';
import { responseXml, streamElement, until, within } from '../helpers/stream-call.js';
import {
  fillScenario,
  freeUdpPort,
  HOST,
  killChildren,
  runTool,
  sippArgs,
  sippTotals,
} from './helpers/sipp.js';

let dir: string;
let app: HttpRecorder;
let consumer: ReferenceConsumer;
let stack: SipStack;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-sipp-reinvite-'));
  consumer = await startReferenceConsumer({ path: '/stream' });
  app = await startHttpRecorder();
  app.serve(
    '/answer',
    responseXml(streamElement(consumer.url, { contentType: 'audio/x-mulaw;rate=8000', keepCallAlive: true })),
  );
  stack = await startSipStack({ answerUrl: app.url('/answer') });
});

after(async () => {
  killChildren();
  await stack.close();
  await consumer.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

test('re-INVITE sendonly → 200 recvonly (hold), sendrecv → 200 sendrecv (resume), same call, then BYE', async () => {
  const file = fillScenario('uac-hold-resume.xml', dir, {});
  const args = [
    ...sippArgs(`${HOST}:${stack.port}`, await freeUdpPort(), await freeUdpPort(true), 30),
    '-sf',
    file,
    '-m',
    '1',
  ];
  const run = await runTool('sipp', args, 40_000, dir);
  assert.equal(run.code, 0, run.output.slice(-3000));
  assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 });
  assert.equal(stack.calls.length, 1, 'one engine call for the whole dialog');
  const session = await consumer.waitForSession(3000);
  await within(session.closed, 5000, 'the stream closing at BYE');
  consumer.assertClean();
  assert.equal(stack.calls[0]?.call.hangupInfo?.source, 'caller');
  await until(
    () => stack.server.stats().liveDialogs === 0 && stack.server.stats().rtpPortsInUse === 0,
    3000,
    'released',
  );
});
