/**
 * Acceptance (issue 4): streamfork dials out through a trunk. sipp plays a trunk that challenges the
 * first INVITE with 407 (RFC 3261 §22.3) and answers the authenticated one; the Proxy-Authorization it
 * received is checked by recomputing the RFC 2617 digest. sipp runs with -rtp_echo, so the 1 kHz tone we
 * send must come back. Then we hang up (BYE) and every dialog, port and transaction is released.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { BufferSource, RecordingLeg } from '../../src/app/sip/caller-leg.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import type { MediaLeg } from '../../src/engine/call/media-leg.types.js';
import { generateTone, rms, tonePower } from '../../src/media/analysis.js';
import { computeDigestResponse, parseDigestParams } from '../../src/protocol/sip/digest/digest-params.js';
import { delay, until } from '../helpers/stream-call.js';
import {
  fillScenario,
  freeUdpPort,
  HOST,
  killChildren,
  runTool,
  sippArgs,
  sippTotals,
  waitForUdpListener,
} from './helpers/sipp.js';

const USER = 'alice';
const PASSWORD = 's3cret-pw';
const NONCE = 'b7c9036dbf357f7683f054aea940e04f';

let dir: string;
let stack: SipStack;
let trunkPort: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-sipp-out-'));
  trunkPort = await freeUdpPort();
  stack = await startSipStack({
    trunk: {
      uri: `sip:${HOST}:${trunkPort}`,
      username: USER,
      password: PASSWORD,
      fromUser: '+15550009999',
      fromDomain: 'streamfork.test',
    },
  });
});

after(async () => {
  killChildren();
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

test('dial through a trunk: 407 → digest Proxy-Authorization → 200/ACK, audio echoed by sipp, BYE releases everything', async (t) => {
  const scenario = fillScenario('uas-auth-407.xml', dir, { NONCE });
  const logFile = join(dir, 'sipp-log.txt');
  const args = [
    ...sippArgs('', trunkPort, await freeUdpPort(true), 30).slice(1),
    '-sf',
    scenario,
    '-m',
    '1',
    '-rtp_echo',
    '-trace_logs',
    '-log_file',
    logFile,
  ];
  const sipp = runTool('sipp', args, 40_000, dir);
  await waitForUdpListener(trunkPort, 10_000);

  let recorder: RecordingLeg | undefined;
  const dialed = await stack.server.dial({
    to: '+15557654321',
    from: '+15550001234',
    timeoutSec: 10,
    wrapLeg: (leg: MediaLeg) => (recorder = new RecordingLeg(leg)),
  });
  assert.ok(dialed.ok, `dial failed: ${JSON.stringify(dialed)}`);
  const call = dialed.call;
  const tone = generateTone(1000, 8000, 1500, 8000);
  call.addSource(new BufferSource(tone));
  await delay(2000);
  call.hangup('NORMAL_CLEARING', 'server');

  const run = await sipp;
  assert.equal(run.code, 0, run.output.slice(-3000));
  assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 });

  // The credentials sipp received answer its challenge (RFC 2617 §3.2.2).
  const log = readFileSync(logFile, 'utf8');
  const header = /PROXY-AUTHORIZATION:(?:Proxy-Authorization:)?\s*(Digest .*)/.exec(log)?.[1]?.trim();
  assert.ok(header !== undefined, `no Proxy-Authorization logged:\n${log}`);
  const p = parseDigestParams(header);
  assert.ok(p, header);
  assert.equal(p.get('username'), USER);
  assert.equal(p.get('realm'), 'sipp.test');
  assert.equal(p.get('nonce'), NONCE);
  assert.equal(p.get('qop'), 'auth');
  const expected = computeDigestResponse({
    algorithm: 'MD5',
    username: USER,
    realm: 'sipp.test',
    password: PASSWORD,
    nonce: NONCE,
    method: 'INVITE',
    uri: p.get('uri') ?? '',
    qop: { nc: p.get('nc') ?? '', cnonce: p.get('cnonce') ?? '' },
  });
  assert.equal(p.get('response'), expected, 'the digest response is right');
  assert.equal(p.get('uri'), `sip:+15557654321@${HOST}:${trunkPort}`);
  assert.match(log, /FROM:.*sip:\+15550009999@streamfork\.test/, 'From uses the trunk fromUser/fromDomain');

  // Audio flowed both ways: the tone we sent came back from sipp's RTP echo.
  assert.ok(recorder !== undefined);
  const heard = recorder.recorded();
  const level = rms(heard);
  const toneDb = 10 * Math.log10(tonePower(heard, 8000, 1000) / (level * level));
  t.diagnostic(
    `heard ${heard.length} samples (${recorder.audioFrames} audio frames), rms ${level.toFixed(0)}, 1 kHz share ${toneDb.toFixed(1)} dB`,
  );
  assert.ok(recorder.audioFrames >= 50, `RTP came back (${recorder.audioFrames} frames)`);
  assert.ok(level > 1000 && toneDb > -3, 'what came back is our 1 kHz tone');

  await until(
    () => stack.server.stats().liveDialogs === 0 && stack.server.stats().rtpPortsInUse === 0,
    5000,
    'dialog and RTP port released',
  );
  assert.equal(call.hangupInfo?.source, 'server');
});

test('dial to a sip: URI with nobody there fails within the ring timeout and releases the port', async () => {
  const port = await freeUdpPort();
  const started = Date.now();
  const result = await stack.server.dial({
    to: `sip:nobody@${HOST}:${port}`,
    from: 'streamfork',
    timeoutSec: 2,
  });
  assert.equal(result.ok, false);
  assert.ok(Date.now() - started < 4000);
  await until(() => stack.server.stats().rtpPortsInUse === 0, 3000, 'RTP port released');
});
