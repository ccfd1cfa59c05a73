/**
 * Issue 11, item 1 ("one INVITE wedges the server"), on real loopback UDP: a raw SIP peer sends the
 * hostile offers the probe found (`m=audio 99999`, `c=IN IP4 999.1.1.1`) and they are refused with 488
 * and a Warning naming the problem, for an initial INVITE and for a re-INVITE (the call keeps its media).
 * An offer that passes the check but whose every RTP send fails (`c=IN IP4 255.255.255.255`: EACCES
 * without SO_BROADCAST) ends that call alone: BYE to the caller, cause NETWORK_OUT_OF_ORDER, its port
 * pair released, while the other call keeps streaming. The stack then stops within its bound.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import { audioSdp, bodyOf, headerOf, RawSipPeer, rtpCounter, statusOf } from '../helpers/raw-sip-peer.js';
import { until } from '../helpers/stream-call.js';

const HOST = '127.0.0.1';
let stack: SipStack;
let peer: RawSipPeer;
let media: Awaited<ReturnType<typeof rtpCounter>>;

before(async () => {
  stack = await startSipStack();
  peer = await RawSipPeer.open(stack.port);
  media = await rtpCounter();
});

after(async () => {
  const t0 = performance.now();
  await stack.close();
  assert.ok(performance.now() - t0 < 8000, 'the stack stops within its bound');
  assert.equal(stack.server.stats().rtpPortsInUse, 0);
  peer.close();
  media.close();
});

test('issue 11: m=audio 99999 and c=IN IP4 999.1.1.1 are refused 488 with a Warning naming the problem; nothing is left', async () => {
  const callsBefore = stack.calls.length;
  const port = await peer.invite(audioSdp(`IN IP4 ${HOST}`, 99999));
  assert.equal(statusOf(port.response), 488, port.response);
  assert.equal(headerOf(port.response, 'Warning'), '399 streamfork "Invalid media port 99999"');
  const address = await peer.invite(audioSdp('IN IP4 999.1.1.1', media.port));
  assert.equal(statusOf(address.response), 488, address.response);
  assert.equal(headerOf(address.response, 'Warning'), '399 streamfork "Invalid media address 999.1.1.1"');
  const v6 = await peer.invite(audioSdp('IN IP6 ::1', media.port));
  assert.equal(statusOf(v6.response), 488, v6.response);
  assert.match(
    headerOf(v6.response, 'Warning') ?? '',
    /^301 streamfork "Incompatible network address formats/,
  );
  await until(
    () => stack.server.stats().rtpPortsInUse === 0 && stack.server.stats().liveDialogs === 0,
    3000,
    'no port or dialog left',
  );
  assert.equal(stack.calls.length, callsBefore, 'no engine call was started');
});

test('issue 11: every RTP send failing (255.255.255.255) ends that call alone: BYE, NETWORK_OUT_OF_ORDER, port released', async () => {
  const good = await peer.invite(audioSdp(`IN IP4 ${HOST}`, media.port));
  assert.equal(statusOf(good.response), 200);
  await until(() => stack.calls.length > 0 && media.count() > 10, 3000, 'the good call streaming RTP');
  const goodCall = stack.calls.at(-1)?.call;
  assert.ok(goodCall !== undefined);

  const bad = await peer.invite(audioSdp('IN IP4 255.255.255.255', 40000));
  assert.equal(statusOf(bad.response), 200, bad.response);
  const badCallId = bad.dialog?.callId ?? '';
  const bye = await peer.answerBye(badCallId);
  assert.equal(headerOf(bye, 'Reason'), 'Q.850;cause=38;text="NETWORK_OUT_OF_ORDER"');
  const badCall = stack.calls.find((c) => c.info.sipCallId === badCallId)?.call;
  assert.ok(badCall !== undefined, 'the bad call reached the engine');
  await until(() => badCall.status !== 'in-progress', 3000, 'the bad call ended');
  assert.deepEqual(badCall.hangupInfo, { cause: 'NETWORK_OUT_OF_ORDER', source: 'error' });
  await until(() => stack.server.stats().rtpPortsInUse === 1, 3000, 'its port pair released');
  await until(() => stack.server.stats().liveDialogs === 1, 3000, 'its dialog over once our BYE is answered');

  // The other call never noticed.
  const before = media.count();
  await until(() => media.count() > before + 10, 3000, 'the good call still streaming');
  assert.equal(goodCall.status, 'in-progress');

  // A caller's BYE ends it normally.
  assert.ok(good.dialog !== undefined);
  assert.equal(statusOf(await peer.bye(good.dialog, 2)), 200);
  assert.equal(goodCall.status, 'completed');
  await until(() => stack.server.stats().rtpPortsInUse === 0, 3000, 'every port released');
});

test('issue 11 / RFC 3261 §14.2: a re-INVITE with m=audio 99999 gets 488 and the call keeps its media', async () => {
  const call = await peer.invite(audioSdp(`IN IP4 ${HOST}`, media.port));
  assert.equal(statusOf(call.response), 200);
  const d = call.dialog;
  assert.ok(d !== undefined);
  await until(() => stack.calls.some((c) => c.info.sipCallId === d.callId), 3000, 'the call started');
  const session = stack.calls.find((c) => c.info.sipCallId === d.callId)?.call;
  const re = await peer.send(
    peer.request('INVITE', { ...d, cseq: 2 }, audioSdp(`IN IP4 ${HOST}`, 99999)),
    (r) => /^SIP\/2\.0 [2-6]/.test(r) && r.includes(d.callId) && r.includes('2 INVITE'),
    're-INVITE answer',
  );
  assert.equal(statusOf(re), 488, re);
  assert.equal(headerOf(re, 'Warning'), '399 streamfork "Invalid media port 99999"');
  const before = media.count();
  await until(() => media.count() > before + 10, 3000, 'RTP still flowing to the old address');
  assert.equal(session?.status, 'in-progress');
  assert.equal(statusOf(await peer.bye(d, 3)), 200);
  await until(() => stack.server.stats().rtpPortsInUse === 0, 3000, 'port released');
});

test('issue 11 / RFC 3261 §8.2.2.1: tel: and http: Request-URIs get 416 Unsupported URI Scheme; no call is set up', async () => {
  const callsBefore = stack.calls.length;
  for (const uri of ['tel:+15551234567', 'http://example.com/stream', 'urn:service:sos']) {
    const r = await peer.invite(audioSdp(`IN IP4 ${HOST}`, media.port), { requestUri: uri });
    assert.equal(statusOf(r.response), 416, `${uri}: ${r.response}`);
    assert.match(r.response, /^SIP\/2\.0 416 Unsupported URI Scheme\r\n/);
  }
  const options = await peer.send(
    peer.request(
      'OPTIONS',
      { callId: `opt-${process.pid}@${HOST}`, fromTag: 'o1', cseq: 1 },
      '',
      'tel:+1555',
    ),
    (r) => /^SIP\/2\.0 \d/.test(r) && r.includes(' OPTIONS\r\n'),
    'the OPTIONS answer',
  );
  assert.equal(statusOf(options), 416);
  assert.equal(stack.calls.length, callsBefore);
  assert.equal(stack.server.stats().rtpPortsInUse, 0);
});

test('RFC 3261 §13.2.1 / RFC 3264 §4: delayed offer: our offer in the 200, the answer in the ACK, RTP to the answered address', async () => {
  const call = await peer.invite('', { ackBody: () => audioSdp(`IN IP4 ${HOST}`, media.port) });
  assert.equal(statusOf(call.response), 200);
  assert.equal(headerOf(call.response, 'Content-Type'), 'application/sdp');
  assert.match(bodyOf(call.response), /\r\nm=audio \d+ RTP\/AVP 0 8 101\r\n/);
  const d = call.dialog;
  assert.ok(d !== undefined);
  await until(() => stack.calls.some((c) => c.info.sipCallId === d.callId), 3000, 'the call started');
  const session = stack.calls.find((c) => c.info.sipCallId === d.callId)?.call;
  const before = media.count();
  await until(() => media.count() > before + 10, 3000, 'RTP to the address in the ACK');
  assert.equal(session?.status, 'in-progress');
  assert.equal(statusOf(await peer.bye(d, 2)), 200);
  await until(() => stack.server.stats().rtpPortsInUse === 0, 3000, 'port released');
});

test('issue 11 / RFC 3264 §4: a delayed offer whose ACK has no usable answer gets BYE and an ended call with the cause', async () => {
  for (const ackBody of ['', audioSdp(`IN IP4 ${HOST}`, 99999)]) {
    const call = await peer.invite('', { ackBody: () => ackBody });
    assert.equal(statusOf(call.response), 200);
    const d = call.dialog;
    assert.ok(d !== undefined);
    const bye = await peer.answerBye(d.callId);
    assert.equal(headerOf(bye, 'Reason'), 'Q.850;cause=88;text="INCOMPATIBLE_DESTINATION"');
    const session = stack.calls.find((c) => c.info.sipCallId === d.callId)?.call;
    assert.ok(session !== undefined, 'the call reached the engine, so it has a record');
    assert.equal(session.status, 'completed');
    assert.deepEqual(session.hangupInfo, { cause: 'INCOMPATIBLE_DESTINATION', source: 'error' });
    assert.deepEqual(
      session.errors.map((e) => e.code),
      ['ERR_SDP_BAD_ANSWER'],
    );
    assert.match(session.errors.map((e) => e.message).join('\n'), /SDP answer in the ACK unusable: /);
    await until(
      () => stack.server.stats().rtpPortsInUse === 0 && stack.server.stats().liveDialogs === 0,
      3000,
      'port and dialog released',
    );
  }
});

test('issue 11 / RFC 3264 §7: a 200 to our INVITE whose SDP says m=audio 99999 is confirmed, then ended with BYE', async () => {
  const uas = await RawSipPeer.open(stack.port);
  try {
    const dialed = stack.server.dial({ to: `sip:callee@${HOST}:${uas.port}`, from: '2000', timeoutSec: 5 });
    const invite = await uas.received((r) => r.startsWith('INVITE '), 'our INVITE');
    uas.reply(invite, 200, 'OK', audioSdp(`IN IP4 ${HOST}`, 99999));
    const result = await dialed;
    assert.deepEqual(result, { ok: false, cause: 'INCOMPATIBLE_DESTINATION', sipStatus: 200 });
    await uas.received((r) => r.startsWith('ACK '), 'the ACK for the 200');
    const bye = await uas.received((r) => r.startsWith('BYE '), 'our BYE');
    uas.reply(bye, 200, 'OK');
    await until(
      () => stack.server.stats().rtpPortsInUse === 0 && stack.server.stats().liveDialogs === 0,
      3000,
      'port and dialog released',
    );
  } finally {
    uas.close();
  }
});
