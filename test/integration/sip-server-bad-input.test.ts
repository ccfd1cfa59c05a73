/**
 * Acceptance (issue 4, bad input): the malformed-SIP corpus (test/vectors/sip/bad/*.sip with .json
 * sidecars) is sent to a live SipServer while a call is in progress. Each message gets the status its
 * sidecar expects or is dropped, nothing crashes, and the call carries on: its stream keeps receiving
 * the caller's audio without a gap. Random datagrams on the call's RTP port are ignored and counted.
 * The caller is a second SipServer dialing the first over loopback.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';

import { BufferSource } from '../../src/app/sip/caller-leg.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import type { CallSession } from '../../src/engine/call/call-session.js';
import { generateTone, tonePower } from '../../src/media/analysis.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder.js';
import { delay, responseXml, streamElement, until } from '../helpers/stream-call.js';

const HOST = '127.0.0.1';
const vectors = new URL('../vectors/sip/bad/', import.meta.url);

interface Expect {
  parse: string;
  answer: number | 'drop';
}

let app: HttpRecorder;
let consumer: ReferenceConsumer;
let callee: SipStack;
let caller: SipStack;
let probe: dgram.Socket;
const replies: string[] = [];

before(async () => {
  consumer = await startReferenceConsumer({ path: '/stream' });
  app = await startHttpRecorder();
  app.serve(
    '/answer',
    responseXml(streamElement(consumer.url, { contentType: 'audio/x-mulaw;rate=8000', keepCallAlive: true })),
  );
  callee = await startSipStack({ answerUrl: app.url('/answer') });
  caller = await startSipStack();
  probe = dgram.createSocket('udp4');
  probe.on('message', (m) => replies.push(m.toString('latin1')));
  await new Promise<void>((resolve) => probe.bind(0, HOST, resolve));
});

after(async () => {
  probe.close();
  await caller.close();
  await callee.close();
  await consumer.close();
  await app.close();
});

/** Makes a vector routable back to the probe and unique as a transaction (TU-answered vectors only). */
function prepare(bytes: Buffer, name: string, expect: Expect): Buffer {
  if (expect.parse !== 'ok') {
    return bytes;
  }
  const text = bytes.toString('latin1').replace('branch=z9hG4bK776asdhds', `branch=z9hG4bK-${name};rport`);
  return Buffer.from(text, 'latin1');
}

async function sendUdp(bytes: Buffer, name: string, waitMs: number): Promise<string | undefined> {
  replies.length = 0;
  probe.send(bytes, callee.port, HOST);
  const deadline = Date.now() + waitMs;
  // A final response to this vector: not 100 Trying, and not a retransmitted final response to an earlier
  // INVITE vector (Timer G keeps resending those until an ACK we do not send; they carry their own branch).
  const mine = (r: string): boolean =>
    !r.startsWith('SIP/2.0 100') && (!r.includes('branch=z9hG4bK-') || r.includes(`branch=z9hG4bK-${name};`));
  while (Date.now() < deadline && !replies.some(mine)) {
    await delay(5);
  }
  return replies.find(mine);
}

function sendTcp(bytes: Buffer, waitMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect(callee.port, HOST, () => socket.write(bytes));
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data === '' ? undefined : data);
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', done);
    socket.on('close', done);
  });
}

function statusOf(reply: string | undefined): number | 'drop' {
  const m = reply === undefined ? null : /^SIP\/2\.0 (\d{3})/.exec(reply);
  return m === null ? 'drop' : Number(m[1]);
}

test('the malformed corpus against a live call: expected status or drop, no crash, the call unaffected', async () => {
  const dialed = await caller.server.dial({
    to: `sip:stream@${HOST}:${callee.port}`,
    from: 'bad-input-test',
    timeoutSec: 5,
  });
  assert.ok(dialed.ok, JSON.stringify(dialed));
  const callerCall: CallSession = dialed.call;
  callerCall.addSource(new BufferSource(generateTone(700, 8000, 60_000, 6000)));
  const session = await consumer.waitForSession(5000);
  await session.waitFor((_m, s) => s.inboundPcm.length >= 8000, 5000);
  const inboundCall = callee.calls[0]?.call;
  assert.ok(inboundCall);

  const names = readdirSync(vectors)
    .filter((f) => f.endsWith('.sip'))
    .sort();
  assert.ok(names.length >= 40, `${names.length} vectors`);
  const mismatches: string[] = [];
  const before = callee.server.stats();
  for (const file of names) {
    const name = file.slice(0, -4);
    const expect = JSON.parse(readFileSync(new URL(`${name}.json`, vectors), 'utf8')) as { expect: Expect };
    const bytes = prepare(readFileSync(new URL(file, vectors)), name, expect.expect);
    const wanted = expect.expect.answer;
    const reply =
      bytes.length > 65000
        ? await sendTcp(bytes, 500)
        : await sendUdp(bytes, name, wanted === 'drop' ? 150 : 1000);
    const got = statusOf(reply);
    if (got !== wanted) {
      mismatches.push(`${name}: expected ${wanted}, got ${got}`);
    }
  }
  assert.deepEqual(mismatches, []);
  const after = callee.server.stats();
  assert.ok(
    after.malformed - before.malformed >= 50,
    `malformed counted: ${after.malformed - before.malformed}`,
  );

  // Random bytes on the call's RTP port: dropped and counted, media unaffected.
  const rtp = callee.server.rtpStatsForTesting(inboundCall.callUuid);
  assert.ok(rtp);
  const junk = dgram.createSocket('udp4');
  for (let i = 0; i < 200; i++) {
    const size = 1 + Math.floor(Math.random() * 300);
    junk.send(
      Buffer.from(Array.from({ length: size }, () => Math.floor(Math.random() * 256))),
      rtp.rtpPort,
      HOST,
    );
  }
  await delay(300);
  junk.close();
  const counted = callee.server.rtpStatsForTesting(inboundCall.callUuid)?.stats;
  assert.ok(counted !== undefined && counted.otherSource + counted.malformed >= 200, JSON.stringify(counted));

  // The call is still up and its stream received a gap-free 700 Hz tone all along.
  assert.equal(inboundCall.status, 'in-progress');
  const heardBefore = session.inboundPcm.length;
  await session.waitFor((_m, s) => s.inboundPcm.length >= heardBefore + 4000, 3000);
  callerCall.hangup('NORMAL_CLEARING', 'server');
  await until(() => inboundCall.status === 'completed', 3000, 'the inbound call ending on BYE');
  const heard = session.inboundPcm.subarray(1600, -1600);
  const share = tonePower(heard, 8000, 700) / (heard.reduce((a, v) => a + v * v, 0) / heard.length);
  assert.ok(share > 0.9, `the stream heard the tone throughout (700 Hz share ${share.toFixed(3)})`);
  assert.ok(inboundCall.inboundGaps < 60, `inbound gaps: ${inboundCall.inboundGaps}`);
  consumer.assertClean();
  await until(
    () => callee.server.stats().liveDialogs === 0 && callee.server.stats().rtpPortsInUse === 0,
    3000,
    'callee released',
  );
  await until(
    () => caller.server.stats().liveDialogs === 0 && caller.server.stats().rtpPortsInUse === 0,
    3000,
    'caller released',
  );
});
