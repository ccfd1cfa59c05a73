/**
 * Early media at the SIP layer (RFC 3261 §13.3.1.1 provisional responses, §9.2 CANCEL), with a raw UAC
 * on loopback and the server's `screen` hook: a screened call gets 183 with the same SDP and To-tag as
 * its later 200 (no session-timer headers in the 183), and the engine call exists before the answer;
 * a CANCEL while the screen is still deciding gets 487 and leaves no call and no RTP port behind.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import type { CallSession } from '../../src/engine/call/call-session.js';
import type { InboundScreening, InboundSetup } from '../../src/app/sip/sip-server.js';
import { audioSdp, bodyOf, finalFor, headerOf, RawSipPeer, statusOf } from '../helpers/raw-sip-peer.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import { until } from '../helpers/stream-call.js';

let stack: SipStack;
let peer: RawSipPeer;
let decide: (s: InboundScreening) => void = () => undefined;
let screened = 0;
const seen: { call: CallSession; setup: InboundSetup | undefined }[] = [];

before(async () => {
  stack = await startSipStack({
    sessionExpiresSec: 1800,
    screen: () =>
      new Promise<InboundScreening>((resolve) => {
        decide = resolve;
        screened++;
      }),
    onInboundCall: (call, _info, setup) => {
      seen.push({ call, setup });
    },
  });
  peer = await RawSipPeer.open(stack.port);
});

after(async () => {
  peer.close();
  await stack.close();
});

const HOST = '127.0.0.1';

test('a screened call gets 183 with the SDP answer, then the same SDP and To-tag in the 200 on answer()', async () => {
  const callId = `early-${process.pid}@${HOST}`;
  const base = { callId, fromTag: 'e1', cseq: 1 };
  peer.sendText(peer.request('INVITE', base, audioSdp(`IN IP4 ${HOST}`, 40_000)));
  await until(() => screened === 1, 2000, 'the screen asked');
  assert.equal(stack.server.stats().liveDialogs, 0, 'no dialog before the decision');
  decide({ earlyMedia: true });
  const progress = await peer.received((r) => statusOf(r) === 183 && r.includes(callId), 'the 183');
  assert.match(bodyOf(progress), /m=audio \d+ RTP\/AVP 0/);
  assert.equal(headerOf(progress, 'Session-Expires'), undefined, 'no session timer in a 183');
  assert.equal(headerOf(progress, 'Require'), undefined);
  await until(() => seen.length === 1, 1000, 'onInboundCall at the 183');
  const first = seen[0];
  assert.ok(first?.setup?.early !== undefined, 'the call is handed over in early media');
  assert.equal(first.setup.early.answered, false);
  assert.equal(first.call.status, 'in-progress', 'the engine call runs (early media plays on it)');
  assert.ok(!peer.inbox.some(finalFor(callId, 'INVITE')), 'no final response yet');

  await first.setup.early.answer();
  assert.equal(first.setup.early.answered, true);
  const ok = await peer.received(finalFor(callId, 'INVITE'), 'the 200');
  assert.equal(statusOf(ok), 200);
  assert.equal(bodyOf(ok), bodyOf(progress), 'the 200 carries the same SDP');
  const tag = (r: string): string | undefined => /\r\nTo: [^\r]*;tag=([^;\r]+)/i.exec(r)?.[1];
  assert.equal(tag(ok), tag(progress), 'the same To-tag: one dialog');
  assert.ok(headerOf(ok, 'Session-Expires') !== undefined, 'the session timer is in the 200');
  const dialog = { ...base, toTag: tag(ok) ?? '' };
  peer.sendText(peer.request('ACK', dialog));
  await first.setup.early.answer(); // a second answer does nothing
  assert.equal(peer.inbox.filter(finalFor(callId, 'INVITE')).length, 0, 'one 200 only');
  const bye = await peer.bye(dialog, 2);
  assert.equal(statusOf(bye), 200);
  await until(() => first.call.status !== 'in-progress', 2000, 'the call ending');
  assert.equal(first.call.hangupInfo?.source, 'caller');
});

test('CANCEL while the screen is deciding: 487, no call, the RTP port released', async () => {
  const callId = `early-cancel-${process.pid}@${HOST}`;
  const invite = peer.request(
    'INVITE',
    { callId, fromTag: 'e2', cseq: 1 },
    audioSdp(`IN IP4 ${HOST}`, 40_002),
  );
  peer.sendText(invite);
  await until(() => screened === 2, 2000, 'the screen asked');
  assert.equal(stack.server.stats().rtpPortsInUse, 1, 'the RTP port is open');
  const via = /\r\n(Via: [^\r]*)/.exec(invite)?.[1] ?? '';
  const cancel = peer
    .request('CANCEL', { callId, fromTag: 'e2', cseq: 1 })
    .replace(/\r\nVia: [^\r]*/, `\r\n${via}`)
    .replace(/\r\nContact: [^\r]*/, '');
  const cancelOk = await peer.send(cancel, finalFor(callId, 'CANCEL'), 'the CANCEL answer');
  assert.equal(statusOf(cancelOk), 200);
  const terminated = await peer.received(finalFor(callId, 'INVITE'), 'the 487');
  assert.equal(statusOf(terminated), 487);
  decide({ earlyMedia: true }); // the decision comes too late
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(seen.length, 1, 'no call was handed over');
  assert.ok(!peer.inbox.some((r) => statusOf(r) === 183 && r.includes(callId)), 'no 183 after the CANCEL');
  await until(() => stack.server.stats().rtpPortsInUse === 0, 2000, 'the RTP port released');
});
