/**
 * Issue 11, item 1 ("one INVITE wedges the server"), on real loopback UDP: a raw SIP peer sends the
 * hostile offers the probe found (`m=audio 99999`, `c=IN IP4 999.1.1.1`) and they are refused with 488
 * and a Warning naming the problem, for an initial INVITE and for a re-INVITE (the call keeps its media).
 * An offer that passes the check but whose every RTP send fails (`c=IN IP4 255.255.255.255`: EACCES
 * without SO_BROADCAST) ends that call alone: BYE to the caller, cause NETWORK_OUT_OF_ORDER, its port
 * pair released, while the other call keeps streaming. The stack then stops within its bound.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';

import { startSipStack, type SipStack } from '../../src/app/sip/testing.js';
import { until } from '../helpers/stream-call.js';

const HOST = '127.0.0.1';
let stack: SipStack;
let peer: dgram.Socket;
let media: dgram.Socket;
let peerPort = 0;
let mediaPort = 0;
let rtpIn = 0;
const inbox: string[] = [];
let seq = 0;

before(async () => {
  stack = await startSipStack();
  peer = dgram.createSocket('udp4');
  peer.on('message', (m) => inbox.push(m.toString('latin1')));
  await new Promise<void>((resolve) => peer.bind(0, HOST, resolve));
  peerPort = peer.address().port;
  media = dgram.createSocket('udp4');
  media.on('message', () => rtpIn++);
  await new Promise<void>((resolve) => media.bind(0, HOST, resolve));
  mediaPort = media.address().port;
});

after(async () => {
  const t0 = performance.now();
  await stack.close();
  assert.ok(performance.now() - t0 < 8000, 'the stack stops within its bound');
  assert.equal(stack.server.stats().rtpPortsInUse, 0);
  peer.close();
  media.close();
});

interface Dialog {
  callId: string;
  fromTag: string;
  toTag: string;
  cseq: number;
}

function request(
  method: string,
  d: { callId: string; fromTag: string; toTag?: string; cseq: number },
  body = '',
  requestUri = `sip:stream@${HOST}`,
): string {
  const lines = [
    `${method} ${requestUri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:${peerPort};branch=z9hG4bK-h${++seq};rport`,
    'Max-Forwards: 70',
    `From: <sip:tester@${HOST}>;tag=${d.fromTag}`,
    `To: <sip:stream@${HOST}>${d.toTag === undefined ? '' : `;tag=${d.toTag}`}`,
    `Call-ID: ${d.callId}`,
    `CSeq: ${d.cseq} ${method}`,
    `Contact: <sip:tester@${HOST}:${peerPort}>`,
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function offer(c: string, port: number | string): string {
  return [
    'v=0',
    `o=- 1 ${++seq} IN IP4 ${HOST}`,
    's=-',
    `c=${c}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

const status = (r: string): number => Number(/^SIP\/2\.0 (\d{3})/.exec(r)?.[1]);
const header = (r: string, name: string): string | undefined =>
  new RegExp(`\\r\\n${name}: ([^\\r]*)`, 'i').exec(r)?.[1];

async function send(text: string, want: (r: string) => boolean, what: string): Promise<string> {
  peer.send(Buffer.from(text, 'latin1'), stack.port, HOST);
  return received(want, what);
}

async function received(want: (r: string) => boolean, what: string): Promise<string> {
  await until(() => inbox.some(want), 3000, what);
  const r = inbox.find(want) ?? '';
  inbox.splice(inbox.indexOf(r), 1);
  return r;
}

const finalFor = (callId: string, method: string) => (r: string) =>
  /^SIP\/2\.0 [2-6]\d\d/.test(r) && r.includes(`Call-ID: ${callId}`) && r.includes(` ${method}\r\n`);

/** INVITE → final response; on 200 also ACK. */
async function invite(
  body: string,
  requestUri?: string,
): Promise<{ response: string; dialog: Dialog | undefined }> {
  const callId = `hostile-${++seq}@${HOST}`;
  const base = { callId, fromTag: `f${seq}`, cseq: 1 };
  const response = await send(
    request('INVITE', base, body, requestUri),
    finalFor(callId, 'INVITE'),
    'the INVITE answer',
  );
  if (status(response) !== 200) {
    return { response, dialog: undefined };
  }
  const toTag = /\r\nTo: [^\r]*;tag=([^;\r]+)/i.exec(response)?.[1] ?? '';
  const dialog = { ...base, toTag };
  peer.send(Buffer.from(request('ACK', dialog), 'latin1'), stack.port, HOST);
  return { response, dialog };
}

test('issue 11: m=audio 99999 and c=IN IP4 999.1.1.1 are refused 488 with a Warning naming the problem; nothing is left', async () => {
  const callsBefore = stack.calls.length;
  const port = await invite(offer(`IN IP4 ${HOST}`, 99999));
  assert.equal(status(port.response), 488, port.response);
  assert.equal(header(port.response, 'Warning'), '399 streamfork "Invalid media port 99999"');
  const address = await invite(offer('IN IP4 999.1.1.1', mediaPort));
  assert.equal(status(address.response), 488, address.response);
  assert.equal(header(address.response, 'Warning'), '399 streamfork "Invalid media address 999.1.1.1"');
  const v6 = await invite(offer('IN IP6 ::1', mediaPort));
  assert.equal(status(v6.response), 488, v6.response);
  assert.match(header(v6.response, 'Warning') ?? '', /^301 streamfork "Incompatible network address formats/);
  await until(
    () => stack.server.stats().rtpPortsInUse === 0 && stack.server.stats().liveDialogs === 0,
    3000,
    'no port or dialog left',
  );
  assert.equal(stack.calls.length, callsBefore, 'no engine call was started');
});

test('issue 11: every RTP send failing (255.255.255.255) ends that call alone: BYE, NETWORK_OUT_OF_ORDER, port released', async () => {
  const good = await invite(offer(`IN IP4 ${HOST}`, mediaPort));
  assert.equal(status(good.response), 200);
  await until(() => stack.calls.length > 0 && rtpIn > 10, 3000, 'the good call streaming RTP');
  const goodCall = stack.calls.at(-1)?.call;
  assert.ok(goodCall !== undefined);

  const bad = await invite(offer('IN IP4 255.255.255.255', 40000));
  assert.equal(status(bad.response), 200, bad.response);
  const badCallId = bad.dialog?.callId ?? '';
  const bye = await received((r) => r.startsWith('BYE ') && r.includes(`Call-ID: ${badCallId}`), 'our BYE');
  // Answer the BYE so the dialog completes.
  const via = header(bye, 'Via') ?? '';
  const reply = [
    'SIP/2.0 200 OK',
    `Via: ${via}`,
    `From: ${header(bye, 'From') ?? ''}`,
    `To: ${header(bye, 'To') ?? ''}`,
    `Call-ID: ${badCallId}`,
    `CSeq: ${header(bye, 'CSeq') ?? ''}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  peer.send(Buffer.from(reply, 'latin1'), stack.port, HOST);
  const badCall = stack.calls.find((c) => c.info.sipCallId === badCallId)?.call;
  assert.ok(badCall !== undefined, 'the bad call reached the engine');
  await until(() => badCall.status !== 'in-progress', 3000, 'the bad call ended');
  assert.deepEqual(badCall.hangupInfo, { cause: 'NETWORK_OUT_OF_ORDER', source: 'error' });
  await until(() => stack.server.stats().rtpPortsInUse === 1, 3000, 'its port pair released');
  await until(() => stack.server.stats().liveDialogs === 1, 3000, 'its dialog over once our BYE is answered');

  // The other call never noticed.
  const before = rtpIn;
  await until(() => rtpIn > before + 10, 3000, 'the good call still streaming');
  assert.equal(goodCall.status, 'in-progress');

  // A caller's BYE ends it normally.
  const d = good.dialog;
  assert.ok(d !== undefined);
  const ok = await send(request('BYE', { ...d, cseq: 2 }), finalFor(d.callId, 'BYE'), 'the BYE answer');
  assert.equal(status(ok), 200);
  assert.equal(goodCall.status, 'completed');
  await until(() => stack.server.stats().rtpPortsInUse === 0, 3000, 'every port released');
});

test('issue 11 / RFC 3261 §14.2: a re-INVITE with m=audio 99999 gets 488 and the call keeps its media', async () => {
  const call = await invite(offer(`IN IP4 ${HOST}`, mediaPort));
  assert.equal(status(call.response), 200);
  const d = call.dialog;
  assert.ok(d !== undefined);
  await until(() => stack.calls.some((c) => c.info.sipCallId === d.callId), 3000, 'the call started');
  const session = stack.calls.find((c) => c.info.sipCallId === d.callId)?.call;
  const re = await send(
    request('INVITE', { ...d, cseq: 2 }, offer(`IN IP4 ${HOST}`, 99999)),
    finalFor(d.callId, 'INVITE'),
    're-INVITE answer',
  );
  assert.equal(status(re), 488, re);
  assert.equal(header(re, 'Warning'), '399 streamfork "Invalid media port 99999"');
  const before = rtpIn;
  await until(() => rtpIn > before + 10, 3000, 'RTP still flowing to the old address');
  assert.equal(session?.status, 'in-progress');
  const ok = await send(request('BYE', { ...d, cseq: 3 }), finalFor(d.callId, 'BYE'), 'the BYE answer');
  assert.equal(status(ok), 200);
  await until(() => stack.server.stats().rtpPortsInUse === 0, 3000, 'port released');
});
