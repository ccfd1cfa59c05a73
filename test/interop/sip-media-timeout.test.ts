/**
 * Media timeout: a caller that sends no RTP at all (sipp, whose scenario only answers the BYE) while
 * its SDP says sendrecv is hung up by streamfork after `mediaTimeoutMs`: BYE sent, cause
 * MEDIA_TIMEOUT, the stream closed, every port released. This is what keeps a call whose BYE was lost
 * from streaming forever.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
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

const TIMEOUT_MS = 1500;
let dir: string;
let app: HttpRecorder;
let consumer: ReferenceConsumer;
let stack: SipStack;
let sink: dgram.Socket;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-media-timeout-'));
  consumer = await startReferenceConsumer({ path: '/stream' });
  app = await startHttpRecorder();
  app.serve(
    '/answer',
    responseXml(streamElement(consumer.url, { contentType: 'audio/x-mulaw;rate=8000', keepCallAlive: true })),
  );
  stack = await startSipStack({ answerUrl: app.url('/answer'), mediaTimeoutMs: TIMEOUT_MS });
  sink = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, HOST, resolve));
});

after(async () => {
  killChildren();
  sink.close();
  await stack.close();
  await consumer.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a caller that sends no RTP is hung up after the media timeout: BYE, MEDIA_TIMEOUT, stream closed', async () => {
  let rtpFromUs = 0;
  sink.on('message', () => rtpFromUs++);
  const file = fillScenario('uac-until-bye.xml', dir, { RTP_PORT: String(sink.address().port) });
  const args = [
    ...sippArgs(`${HOST}:${stack.port}`, await freeUdpPort(), await freeUdpPort(true), 30),
    '-sf',
    file,
    '-m',
    '1',
  ];
  const started = Date.now();
  const run = await runTool('sipp', args, 40_000, dir);
  const elapsed = Date.now() - started;
  assert.equal(run.code, 0, run.output.slice(-3000));
  assert.deepEqual(
    sippTotals(run.output),
    { successful: 1, failed: 0 },
    'sipp received our BYE and answered it',
  );
  assert.ok(elapsed >= TIMEOUT_MS && elapsed < TIMEOUT_MS + 8000, `hung up after ${elapsed} ms`);
  assert.ok(rtpFromUs > 0, 'streamfork kept sending RTP until the timeout');
  assert.deepEqual(stack.calls[0]?.call.hangupInfo, { cause: 'MEDIA_TIMEOUT', source: 'error' });
  const session = await consumer.waitForSession(3000);
  await within(session.closed, 5000, 'the stream closing');
  consumer.assertClean();
  await until(
    () => stack.server.stats().liveDialogs === 0 && stack.server.stats().rtpPortsInUse === 0,
    5000,
    'released',
  );
});
