/**
 * Issue 11 item 2 on real loopback sockets, with the dialog timers on a fake clock (so a 4 h time limit
 * or an hour on hold takes milliseconds): a held call whose caller vanished is hung up after
 * `holdTimeoutMs`; every answered call ends at its maximum duration (inbound default, outbound
 * `timeLimitSec`); RFC 4028 session timers as UAS (422, reflected Session-Expires with Require, our
 * refresh re-INVITEs at half the interval, BYE when one fails or when the far end stops refreshing) and
 * as UAC (offered on the INVITE). The peer is a raw UDP socket speaking SIP by hand.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';

import type { LegHangup } from '../../src/engine/call/media-leg.types.js';
import { startSipStack, type SipStack, type SipStackOptions } from '../../src/app/sip/testing.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { until } from '../helpers/stream-call.js';

const HOST = '127.0.0.1';
const MIN = 60_000;
const HOUR = 60 * MIN;
let peer: dgram.Socket;
let peerPort = 0;
const inbox: string[] = [];
let seq = 0;
let closing = false;

before(async () => {
  peer = dgram.createSocket('udp4');
  peer.on('message', (m, rinfo) => {
    const text = m.toString('latin1');
    inbox.push(text);
    // While a stack shuts down, answer its BYEs so that it need not wait them out.
    if (closing && text.startsWith('BYE ')) {
      peer.send(Buffer.from(reply(text, '200 OK'), 'latin1'), rinfo.port, rinfo.address);
    }
  });
  await new Promise<void>((resolve) => peer.bind(0, HOST, resolve));
  peerPort = peer.address().port;
});

after(() => {
  peer.close();
});

const sdp = (direction: string, address = HOST): string =>
  [
    'v=0',
    `o=- 1 1 IN IP4 ${HOST}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    'm=audio 40000 RTP/AVP 0',
    `a=${direction}`,
    '',
  ].join('\r\n');

interface Dialog {
  readonly callId: string;
  readonly fromTag: string;
  toTag: string;
}

function invite(d: Dialog, headers: string[], body: string): string {
  const lines = [
    `INVITE sip:stream@${HOST} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:${peerPort};branch=z9hG4bK-dt${++seq};rport`,
    'Max-Forwards: 70',
    `From: <sip:tester@${HOST}>;tag=${d.fromTag}`,
    `To: <sip:stream@${HOST}>`,
    `Call-ID: ${d.callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:tester@${HOST}:${peerPort}>`,
    ...headers,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function ack(d: Dialog): string {
  return [
    `ACK sip:streamfork@${HOST} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:${peerPort};branch=z9hG4bK-dta${++seq};rport`,
    'Max-Forwards: 70',
    `From: <sip:tester@${HOST}>;tag=${d.fromTag}`,
    `To: <sip:stream@${HOST}>;tag=${d.toTag}`,
    `Call-ID: ${d.callId}`,
    'CSeq: 1 ACK',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** A response to a request the peer received: Via, From, To, Call-ID and CSeq copied. */
function reply(request: string, status: string, extra: string[] = [], body = ''): string {
  const copy = request.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
  const lines = [
    `SIP/2.0 ${status}`,
    ...copy,
    `Contact: <sip:tester@${HOST}:${peerPort}>`,
    ...extra,
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function send(stack: SipStack, text: string): void {
  peer.send(Buffer.from(text, 'latin1'), stack.port, HOST);
}

const header = (msg: string, name: string): string | undefined =>
  new RegExp(`\\r\\n${name}: *([^\\r]*)`, 'i').exec(msg)?.[1];

async function waitFor(pred: (m: string) => boolean, what: string, timeoutMs = 3000): Promise<string> {
  await until(() => inbox.some(pred), timeoutMs, what);
  const found = inbox.find(pred) ?? '';
  inbox.splice(inbox.indexOf(found), 1);
  return found;
}

const isBye = (d: Dialog) => (m: string) => m.startsWith('BYE ') && m.includes(d.callId);

/** Places an inbound call from the peer and confirms it; resolves with the dialog and the 200. */
async function call(stack: SipStack, headers: string[], direction = 'sendrecv', address = HOST) {
  const d: Dialog = { callId: `dt-${++seq}-${Date.now()}@${HOST}`, fromTag: `f${seq}`, toTag: '' };
  inbox.length = 0;
  send(stack, invite(d, headers, sdp(direction, address)));
  const ok = await waitFor((m) => /^SIP\/2\.0 [2-6]\d\d/.test(m) && m.includes(d.callId), 'a final response');
  d.toTag = /\r\nTo: [^\r]*;tag=([^;\r]+)/i.exec(ok)?.[1] ?? '';
  if (ok.startsWith('SIP/2.0 200')) {
    send(stack, ack(d));
    await until(() => stack.calls.length > 0, 2000, 'the engine call');
  }
  return { d, ok };
}

async function withStack(
  opts: SipStackOptions,
  body: (stack: SipStack, clock: FakeClock) => Promise<void>,
): Promise<void> {
  const clock = new FakeClock(1_000_000);
  const stack = await startSipStack({ ...opts, dialogTime: { clock, timers: clock } });
  try {
    await body(stack, clock);
  } finally {
    closing = true;
    await stack.close();
    closing = false;
  }
}

function endedCause(stack: SipStack): Promise<LegHangup> {
  const c = stack.calls[0]?.call;
  assert.ok(c !== undefined);
  return new Promise((resolve) => {
    c.on('ended', resolve);
  });
}

test('issue 11 item 2: a call held with a=inactive is hung up after the hold timeout (BYE, MEDIA_TIMEOUT); port released', async () => {
  await withStack({ holdTimeoutMs: HOUR }, async (stack, clock) => {
    const { d } = await call(stack, [], 'inactive');
    const ended = endedCause(stack);
    clock.advance(HOUR - 1000);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!inbox.some(isBye(d)), 'no BYE before the hold timeout');
    clock.advance(1000);
    const bye = await waitFor(isBye(d), 'BYE after the hold timeout');
    send(stack, reply(bye, '200 OK'));
    assert.deepEqual(await ended, { cause: 'MEDIA_TIMEOUT', source: 'server' });
    await until(
      () => stack.server.stats().rtpPortsInUse === 0 && stack.server.stats().liveDialogs === 0,
      2000,
      'released',
    );
  });
});

test('issue 11 item 2: a call held with c=0.0.0.0 is hung up after the hold timeout too', async () => {
  await withStack({ holdTimeoutMs: 30 * MIN }, async (stack, clock) => {
    const { d } = await call(stack, [], 'sendrecv', '0.0.0.0');
    clock.advance(30 * MIN);
    const bye = await waitFor(isBye(d), 'BYE after the hold timeout');
    send(stack, reply(bye, '200 OK'));
  });
});

test('maximum call duration: an inbound call ends at tuning.maxCallDurationSec (4 h) with Scheduled Hangup', async () => {
  await withStack({ maxCallDurationMs: 4 * HOUR }, async (stack, clock) => {
    const { d } = await call(stack, []);
    const ended = endedCause(stack);
    clock.advance(4 * HOUR - 1000);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!inbox.some(isBye(d)), 'no BYE before 4 h');
    clock.advance(1000);
    const bye = await waitFor(isBye(d), 'BYE at 4 h');
    assert.match(bye, /\r\nReason: Q\.850;cause=16;text="Scheduled Hangup"/);
    send(stack, reply(bye, '200 OK'));
    assert.deepEqual(await ended, { cause: 'Scheduled Hangup', source: 'server' });
  });
});

test('RFC 4028 §9: Session-Expires below our Min-SE gets 422 with Min-SE; Require: timer is not refused 420', async () => {
  await withStack({ sessionExpiresSec: 1800, minSessionExpiresSec: 120 }, async (stack) => {
    const low = await call(stack, ['Supported: timer', 'Session-Expires: 100']);
    assert.match(low.ok, /^SIP\/2\.0 422/);
    assert.equal(header(low.ok, 'Min-SE'), '120');
    send(stack, ack(low.d));
    const req = await call(stack, [
      'Require: timer',
      'Supported: timer',
      'Session-Expires: 600;refresher=uac',
    ]);
    assert.match(req.ok, /^SIP\/2\.0 200/);
    assert.equal(header(req.ok, 'Session-Expires'), '600;refresher=uac');
    assert.equal(header(req.ok, 'Require'), 'timer');
  });
});

test('RFC 4028 §10: as refresher we re-INVITE with our SDP at half the interval; a 481 to a refresh ends the call with BYE', async () => {
  await withStack({}, async (stack, clock) => {
    const { d, ok } = await call(stack, ['Supported: timer', 'Session-Expires: 90;refresher=uas']);
    assert.equal(header(ok, 'Session-Expires'), '90;refresher=uas');
    assert.equal(header(ok, 'Require'), 'timer');
    const ended = endedCause(stack);
    clock.advance(44_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!inbox.some((m) => m.startsWith('INVITE ')), 'no refresh before half the interval');
    clock.advance(1000);
    const refresh = await waitFor(
      (m) => m.startsWith('INVITE ') && m.includes(d.callId),
      'the first refresh',
    );
    assert.equal(header(refresh, 'Session-Expires'), '90;refresher=uac');
    assert.match(refresh, /\r\nm=audio \d+ RTP\/AVP/);
    send(
      stack,
      reply(refresh, '200 OK', ['Session-Expires: 90;refresher=uac', 'Require: timer'], sdp('sendrecv')),
    );
    await waitFor((m) => m.startsWith('ACK ') && m.includes(d.callId), 'the ACK for the refresh 2xx');
    clock.advance(45_000);
    const second = await waitFor(
      (m) => m.startsWith('INVITE ') && m.includes(d.callId),
      'the second refresh',
    );
    send(stack, reply(second, '481 Call/Transaction Does Not Exist'));
    const bye = await waitFor(isBye(d), 'BYE after the failed refresh');
    send(stack, reply(bye, '200 OK'));
    assert.deepEqual(await ended, { cause: 'RECOVERY_ON_TIMER_EXPIRE', source: 'server' });
  });
});

test('RFC 4028 §9: a caller without timer support gets our interval with refresher=uas; we keep refreshing though its 2xx cannot echo Session-Expires, and a 408 ends the call', async () => {
  await withStack({ sessionExpiresSec: 90 }, async (stack, clock) => {
    const { d, ok } = await call(stack, []);
    assert.equal(header(ok, 'Session-Expires'), '90;refresher=uas');
    assert.equal(header(ok, 'Require'), undefined);
    clock.advance(45_000);
    const first = await waitFor((m) => m.startsWith('INVITE ') && m.includes(d.callId), 'the first refresh');
    send(stack, reply(first, '200 OK', [], sdp('sendrecv')));
    await waitFor((m) => m.startsWith('ACK ') && m.includes(d.callId), 'the ACK');
    clock.advance(45_000);
    const second = await waitFor(
      (m) => m.startsWith('INVITE ') && m.includes(d.callId),
      'the second refresh',
    );
    send(stack, reply(second, '408 Request Timeout'));
    const bye = await waitFor(isBye(d), 'BYE after the 408');
    assert.match(bye, /RECOVERY_ON_TIMER_EXPIRE/);
    send(stack, reply(bye, '200 OK'));
  });
});

test('RFC 4028 §10: when the caller refreshes, its re-INVITE postpones expiry; without one we BYE at expiry minus 30 s', async () => {
  await withStack({}, async (stack, clock) => {
    const { d, ok } = await call(stack, ['Supported: timer', 'Session-Expires: 90']);
    assert.equal(header(ok, 'Session-Expires'), '90;refresher=uac');
    clock.advance(40_000);
    const re = invite(d, ['Supported: timer', 'Session-Expires: 90;refresher=uac'], sdp('sendrecv'))
      .replace('CSeq: 1 INVITE', 'CSeq: 2 INVITE')
      .replace(`To: <sip:stream@${HOST}>`, `To: <sip:stream@${HOST}>;tag=${d.toTag}`);
    send(stack, re);
    const reOk = await waitFor(
      (m) => m.startsWith('SIP/2.0 200') && m.includes('CSeq: 2 INVITE'),
      '200 to the refresh',
    );
    assert.equal(header(reOk, 'Session-Expires'), '90;refresher=uac');
    send(stack, ack(d).replace('CSeq: 1 ACK', 'CSeq: 2 ACK'));
    // Expiry is now 40 s + 90 s; the BYE goes min(32 s, 30 s) before: at 40 + 60 = 100 s.
    clock.advance(59_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!inbox.some(isBye(d)), 'no BYE before expiry minus the margin');
    clock.advance(1000);
    const bye = await waitFor(isBye(d), 'BYE at expiry minus the margin');
    send(stack, reply(bye, '200 OK'));
  });
});

test('RFC 4028 §7.1 and Plivo time_limit: an outbound INVITE offers session timers; the call ends at its time limit', async () => {
  await withStack({ sessionExpiresSec: 1800, maxCallDurationMs: 4 * HOUR }, async (stack, clock) => {
    inbox.length = 0;
    const dialed = stack.server.dial({
      to: `sip:callee@${HOST}:${peerPort}`,
      from: 'streamfork',
      timeLimitSec: 120,
    });
    const inv = await waitFor((m) => m.startsWith('INVITE '), 'the outbound INVITE');
    assert.equal(header(inv, 'Session-Expires'), '1800');
    assert.equal(header(inv, 'Min-SE'), '90');
    assert.match(header(inv, 'Supported') ?? '', /\btimer\b/);
    const to = `${header(inv, 'To') ?? ''};tag=callee1`;
    send(
      stack,
      reply(
        inv,
        '200 OK',
        ['Session-Expires: 1800;refresher=uac', 'Require: timer'],
        sdp('sendrecv'),
      ).replace(/\r\nTo: [^\r]*/, `\r\nTo: ${to}`),
    );
    const result = await dialed;
    assert.ok(result.ok);
    await waitFor((m) => m.startsWith('ACK '), 'the ACK');
    clock.advance(119_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!inbox.some((m) => m.startsWith('BYE ')), 'no BYE before time_limit');
    clock.advance(1000);
    const bye = await waitFor((m) => m.startsWith('BYE '), 'BYE at time_limit');
    assert.match(bye, /Scheduled Hangup/);
    send(stack, reply(bye, '200 OK'));
  });
});

test('RFC 4028 §7.4: a 422 to our INVITE is retried once with the Min-SE it names', async () => {
  await withStack({ sessionExpiresSec: 1800 }, async (stack) => {
    inbox.length = 0;
    const dialed = stack.server.dial({ to: `sip:callee@${HOST}:${peerPort}`, from: 'streamfork' });
    const first = await waitFor((m) => m.startsWith('INVITE '), 'the first INVITE');
    assert.equal(header(first, 'Session-Expires'), '1800');
    send(stack, reply(first, '422 Session Interval Too Small', ['Min-SE: 3600']));
    const second = await waitFor((m) => m.startsWith('INVITE '), 'the retried INVITE');
    assert.equal(header(second, 'Session-Expires'), '3600');
    assert.equal(header(second, 'Min-SE'), '90');
    assert.notEqual(header(second, 'CSeq'), header(first, 'CSeq'));
    send(stack, reply(second, '486 Busy Here'));
    const result = await dialed;
    assert.deepEqual(result, { ok: false, cause: 'USER_BUSY', sipStatus: 486 });
  });
});
