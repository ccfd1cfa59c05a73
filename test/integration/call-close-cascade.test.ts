/**
 * The close cascade of docs/lifecycle.md on real sockets: ending a call ends its media leg, stops each of
 * its stream forks (their WebSockets close), closes the leg's RTP/RTCP socket pair and gives the port
 * pair back to the allocator, and ends the SIP dialog (BYE). Once from our side (`CallSession.hangup`,
 * as the REST API or `<Hangup>` do) and once from the far end (BYE). Every entity of the call (the call,
 * its leg, its forks, its dialog) fires its `closed` event exactly once, children before parents, and
 * the RTP socket is closed when the leg's fires.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';

import type { CallSession } from '../../src/engine/call/call-session.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { closeAgain, watchClosed, type Closable } from '../helpers/closed-order.js';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import { responseXml, streamElement, until, within } from '../helpers/stream-call.js';

const HOST = '127.0.0.1';

let app: HttpRecorder;
let first: ReferenceConsumer;
let second: ReferenceConsumer;
let callee: SipStack;
let caller: SipStack;

before(async () => {
  first = await startReferenceConsumer({ path: '/one' });
  second = await startReferenceConsumer({ path: '/two' });
  app = await startHttpRecorder();
  // Two forks on one call: the first lets the XML go on, the second keeps the call up.
  app.serve(
    '/answer',
    responseXml(
      streamElement(first.url, { contentType: 'audio/x-mulaw;rate=8000' }),
      streamElement(second.url, { contentType: 'audio/x-mulaw;rate=8000', keepCallAlive: true }),
    ),
  );
  callee = await startSipStack({ answerUrl: app.url('/answer') });
  caller = await startSipStack();
});

after(async () => {
  await caller.close();
  await callee.close();
  await first.close();
  await second.close();
  await app.close();
});

/** True when both ports of the pair can be bound again: the call's sockets are really closed. */
async function pairIsFree(rtpPort: number): Promise<boolean> {
  const bind = (port: number): Promise<dgram.Socket | undefined> =>
    new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(undefined);
      });
      s.bind(port, HOST, () => {
        resolve(s);
      });
    });
  const sockets = [await bind(rtpPort), await bind(rtpPort + 1)];
  for (const s of sockets) {
    s?.close();
  }
  return sockets.every((s) => s !== undefined);
}

/** What the `closed` events of the callee's side of one call reported. */
interface ClosedLog {
  /** Entity names, in the order their `closed` fired (a repeat shows up twice). */
  readonly order: string[];
  /** Whether the RTP socket was already closed when the leg's `closed` fired. */
  socketClosedAtLeg: boolean | undefined;
  readonly entities: Readonly<Record<string, Closable>>;
}

/** Subscribes to `closed` on the inbound call, its leg, its two forks and its SIP dialog. */
function watchCall(inbound: CallSession): ClosedLog {
  const dialog = callee.server.dialogForTesting(inbound.callUuid);
  assert.ok(dialog, 'the inbound dialog is registered');
  const [fork1, fork2] = inbound.allStreams;
  assert.ok(fork1 && fork2);
  const entities: Record<string, Closable> = { call: inbound, leg: inbound.leg, fork1, fork2, dialog };
  const order = watchClosed(entities, (name) => {
    if (name === 'leg') {
      log.socketClosedAtLeg = dialog.socket.closed;
    }
  });
  const log: ClosedLog = { order, socketClosedAtLeg: undefined, entities };
  return log;
}

/** Each entity closed once (a second `close()` changes nothing), children before their parents. */
function assertClosedOnce(log: ClosedLog): void {
  closeAgain(log.entities);
  assert.deepEqual([...log.order].sort(), ['call', 'dialog', 'fork1', 'fork2', 'leg'], log.order.join(' '));
  const at = (name: string): number => log.order.indexOf(name);
  assert.ok(at('leg') < at('call'), `the leg closes before the call: ${log.order.join(' ')}`);
  assert.ok(
    at('fork1') < at('call') && at('fork2') < at('call'),
    `forks before the call: ${log.order.join(' ')}`,
  );
  assert.ok(at('leg') < at('dialog'), `the leg closes before its dialog: ${log.order.join(' ')}`);
  assert.equal(log.socketClosedAtLeg, true, "the RTP socket is closed when the leg's closed fires");
}

/** Dials the callee and waits until the call is up with both forks streaming. */
async function callWithTwoForks(): Promise<{ inbound: CallSession; outbound: CallSession; rtpPort: number }> {
  const index = callee.calls.length;
  const dialed = await caller.server.dial({ to: `sip:cascade@${HOST}:${callee.port}`, from: 'cascade' });
  assert.ok(dialed.ok, JSON.stringify(dialed));
  await within(Promise.all([first.waitForSession(5000), second.waitForSession(5000)]), 6000, 'both forks');
  const inbound = callee.calls[index]?.call;
  assert.ok(inbound);
  await until(() => inbound.liveStreams.length === 2, 3000, 'two live forks');
  assert.equal(inbound.liveStreams.filter((f) => f.status === 'in-progress').length, 2);
  const rtp = callee.server.rtpStatsForTesting(inbound.callUuid);
  assert.ok(rtp);
  assert.equal(await pairIsFree(rtp.rtpPort), false, "the call's RTP pair is bound while it is up");
  return { inbound, outbound: dialed.call, rtpPort: rtp.rtpPort };
}

async function assertCascaded(inbound: CallSession, outbound: CallSession, rtpPort: number): Promise<void> {
  assert.equal(inbound.status, 'completed');
  // Forks: every fork stopped on the hangup, each WebSocket closed with a normal close.
  assert.equal(inbound.allStreams.length, 2);
  assert.deepEqual(
    inbound.allStreams.map((f) => f.status),
    ['completed', 'completed'],
  );
  const sessions = [first.sessions.at(-1), second.sessions.at(-1)];
  const codes = await within(
    Promise.all(sessions.map((s) => s?.closed ?? Promise.resolve(-1))),
    3000,
    'the forks closing their WebSockets',
  );
  assert.deepEqual(codes, [1000, 1000]);
  // Dialog: the far end saw it end, and the callee's dialog is gone.
  await until(() => outbound.status === 'completed', 3000, 'the other side of the dialog ending');
  await until(() => callee.server.stats().liveDialogs === 0, 3000, 'the dialog closing');
  assert.equal(callee.server.rtpStatsForTesting(inbound.callUuid), undefined);
  // Sockets: the port pair is back in the allocator and bindable again.
  await until(() => callee.server.stats().rtpPortsInUse === 0, 3000, 'the RTP port released');
  assert.equal(await pairIsFree(rtpPort), true, "the call's RTP/RTCP sockets are closed");
  assert.equal(callee.runtime.engine.calls.size, 0);
  first.assertClean();
  second.assertClean();
}

test('closing a call from our side ends its leg, its forks and their WebSockets, its sockets and its dialog', async () => {
  const { inbound, outbound, rtpPort } = await callWithTwoForks();
  const log = watchCall(inbound);
  inbound.hangup('NORMAL_CLEARING', 'api');
  assert.equal(inbound.hangupInfo?.source, 'api');
  // Synchronous part of the cascade: the call and its forks end at once.
  assert.equal(inbound.liveStreams.length, 0);
  await assertCascaded(inbound, outbound, rtpPort);
  assertClosedOnce(log);
  // From our side the dialog outlives the call: it closes once our BYE is answered.
  assert.deepEqual(log.order.slice(-2), ['call', 'dialog']);
  assert.equal(outbound.hangupInfo?.source, 'callee');
});

test('a BYE from the far end cascades the same way', async () => {
  const { inbound, outbound, rtpPort } = await callWithTwoForks();
  const log = watchCall(inbound);
  outbound.hangup('NORMAL_CLEARING', 'caller');
  await until(() => inbound.status === 'completed', 3000, 'the inbound call ending on BYE');
  assert.equal(inbound.hangupInfo?.source, 'caller');
  await assertCascaded(inbound, outbound, rtpPort);
  assertClosedOnce(log);
  // From the far end the dialog is the root: leg, forks, call, then the dialog.
  assert.deepEqual(log.order, ['leg', 'fork1', 'fork2', 'call', 'dialog']);
});
