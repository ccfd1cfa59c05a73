/**
 * A caller behind a NAT, emulated with loopback addresses (docs/nat.md#what-is-tested): its SIP and RTP
 * really come from 127.0.0.2 (the NAT's public side, ephemeral ports), while its Via, Contact and SDP
 * `c=` name 127.0.0.3 (its private side), where decoy sockets count anything that wrongly goes there.
 * streamfork must answer at the packet's source (rport, RFC 3581), latch its RTP to where the caller's
 * RTP comes from (the caller then hears us at its real source, and the private address gets nothing
 * once latched), and send its BYE to the NAT's public side with the private Contact as Request-URI,
 * at the port its last request came from after the NAT rebound it.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';

import { serializeRtpPacket } from '../../src/protocol/rtp/packet.js';
import { headerOf, statusOf } from '../helpers/raw-sip-peer.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import { until } from '../helpers/stream-call.js';

const PUBLIC = '127.0.0.2';
const PRIVATE = '127.0.0.3';

interface Udp {
  readonly socket: dgram.Socket;
  readonly port: number;
  readonly got: { text: string; from: string }[];
}

async function udp(host: string): Promise<Udp> {
  const socket = dgram.createSocket('udp4');
  const got: Udp['got'] = [];
  socket.on('message', (m, r) => got.push({ text: m.toString('latin1'), from: `${r.address}:${r.port}` }));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, resolve);
  });
  return { socket, port: socket.address().port, got };
}

let stack: SipStack;
const sockets: Udp[] = [];

before(async () => {
  stack = await startSipStack();
});

after(async () => {
  await stack.close();
  for (const s of sockets) {
    s.socket.close();
  }
});

function sdp(address: string, port: number): string {
  return [
    'v=0',
    `o=- 7 1 IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${port} RTP/AVP 0 101`,
    'a=rtpmap:101 telephone-event/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

test('a caller behind a NAT: responses at the source port, RTP latched to its real source, BYE to the NAT', async () => {
  let phoneSip: Udp, phoneRtp: Udp, privateSip: Udp, privateRtp: Udp;
  try {
    [phoneSip, phoneRtp, privateSip, privateRtp] = await Promise.all([
      udp(PUBLIC),
      udp(PUBLIC),
      udp(PRIVATE),
      udp(PRIVATE),
    ]);
  } catch (err) {
    throw new Error(
      `cannot bind ${PUBLIC}/${PRIVATE} (loopback 127.0.0.0/8 expected on lo): ${String(err)}`,
      {
        cause: err,
      },
    );
  }
  sockets.push(phoneSip, phoneRtp, privateSip, privateRtp);
  const callId = `nat-${process.pid}@${PRIVATE}`;
  const body = sdp(PRIVATE, privateRtp.port);
  const invite = [
    `INVITE sip:stream@127.0.0.1:${stack.port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${PRIVATE}:${privateSip.port};branch=z9hG4bK-nat1;rport`,
    'Max-Forwards: 70',
    `From: <sip:phone@${PRIVATE}>;tag=natf1`,
    `To: <sip:stream@127.0.0.1>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:phone@${PRIVATE}:${privateSip.port}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  phoneSip.socket.send(Buffer.from(invite, 'latin1'), stack.port, '127.0.0.1');
  await until(() => phoneSip.got.some((m) => statusOf(m.text) === 200), 5000, 'the 200 at the NAT side');
  const ok = phoneSip.got.find((m) => statusOf(m.text) === 200)?.text ?? '';
  assert.match(headerOf(ok, 'Via') ?? '', new RegExp(`;rport=${phoneSip.port}`), 'rport filled in');
  assert.match(headerOf(ok, 'Via') ?? '', new RegExp(`;received=${PUBLIC.replace(/\./g, '\\.')}`));
  const toTag = /\r\nTo: [^\r]*;tag=([^;\r]+)/i.exec(ok)?.[1] ?? '';
  const ourRtpPort = Number(/\r\nm=audio (\d+) /.exec(ok)?.[1]);
  assert.ok(ourRtpPort > 0, ok);
  const ack = [
    `ACK sip:stream@127.0.0.1:${stack.port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${PRIVATE}:${privateSip.port};branch=z9hG4bK-nat2;rport`,
    'Max-Forwards: 70',
    `From: <sip:phone@${PRIVATE}>;tag=natf1`,
    `To: <sip:stream@127.0.0.1>;tag=${toTag}`,
    `Call-ID: ${callId}`,
    'CSeq: 1 ACK',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  phoneSip.socket.send(Buffer.from(ack, 'latin1'), stack.port, '127.0.0.1');
  await until(() => stack.calls.some((c) => c.info.sipCallId === callId), 3000, 'the call started');
  const call = stack.calls.find((c) => c.info.sipCallId === callId)?.call;
  assert.ok(call !== undefined);

  // The caller talks from the NAT's public side, 20 ms apart.
  let seq = 0;
  const talk = setInterval(() => {
    const packet = serializeRtpPacket({
      marker: seq === 0,
      payloadType: 0,
      sequenceNumber: seq,
      timestamp: seq * 160,
      ssrc: 0x4e4154,
      payload: new Uint8Array(160).fill(0xff),
    });
    seq++;
    phoneRtp.socket.send(packet, ourRtpPort, '127.0.0.1');
  }, 20);
  try {
    await until(() => phoneRtp.got.length >= 10, 5000, 'our RTP at the caller’s real source');
    const toPrivate = privateRtp.got.length;
    const toPublic = phoneRtp.got.length;
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(privateRtp.got.length, toPrivate, 'nothing more to the SDP (private) address once latched');
    assert.ok(phoneRtp.got.length >= toPublic + 10, `RTP keeps coming: ${phoneRtp.got.length}`);
    assert.ok(
      phoneRtp.got.every((m) => m.from.endsWith(`:${ourRtpPort}`)),
      'symmetric: sent from the port we receive on',
    );
  } finally {
    clearInterval(talk);
  }

  // The NAT rebinds the phone's signalling to a new public port, and its re-INVITE moves the media to
  // a new address: the latch is forgotten and our RTP goes there; later requests follow the new port.
  const moved = await udp('127.0.0.4');
  const rebound = await udp(PUBLIC);
  sockets.push(moved, rebound);
  const reBody = sdp('127.0.0.4', moved.port);
  rebound.socket.send(
    Buffer.from(
      [
        `INVITE sip:stream@127.0.0.1:${stack.port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${PRIVATE}:${privateSip.port};branch=z9hG4bK-nat3;rport`,
        'Max-Forwards: 70',
        `From: <sip:phone@${PRIVATE}>;tag=natf1`,
        `To: <sip:stream@127.0.0.1>;tag=${toTag}`,
        `Call-ID: ${callId}`,
        'CSeq: 2 INVITE',
        `Contact: <sip:phone@${PRIVATE}:${privateSip.port}>`,
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(reBody)}`,
        '',
        reBody,
      ].join('\r\n'),
      'latin1',
    ),
    stack.port,
    '127.0.0.1',
  );
  await until(
    () => rebound.got.some((m) => statusOf(m.text) === 200 && m.text.includes('CSeq: 2 INVITE')),
    3000,
    'the re-INVITE answered',
  );
  rebound.socket.send(
    Buffer.from(ack.replace('z9hG4bK-nat2', 'z9hG4bK-nat4').replace('CSeq: 1 ACK', 'CSeq: 2 ACK'), 'latin1'),
    stack.port,
    '127.0.0.1',
  );
  await until(() => moved.got.length >= 5, 3000, 'our RTP at the address the re-INVITE named');

  // We hang up: the BYE goes to where the caller's requests came from; the Request-URI is its Contact.
  call.hangup('NORMAL_CLEARING', 'server');
  await until(() => rebound.got.some((m) => m.text.startsWith('BYE ')), 5000, 'our BYE at the NAT side');
  const bye = rebound.got.find((m) => m.text.startsWith('BYE '))?.text ?? '';
  assert.ok(bye.startsWith(`BYE sip:phone@${PRIVATE}:${privateSip.port} SIP/2.0`), bye.split('\r\n')[0]);
  assert.match(headerOf(bye, 'Via') ?? '', /;rport/, 'our Via asks for rport');
  assert.equal(
    privateSip.got.filter((m) => m.text.startsWith('BYE ')).length,
    0,
    'no BYE to the private Contact',
  );
  assert.equal(
    phoneSip.got.filter((m) => m.text.startsWith('BYE ')).length,
    0,
    'nor to the NAT port the phone no longer uses',
  );
  const reply = [
    'SIP/2.0 200 OK',
    `Via: ${headerOf(bye, 'Via') ?? ''}`,
    `From: ${headerOf(bye, 'From') ?? ''}`,
    `To: ${headerOf(bye, 'To') ?? ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${headerOf(bye, 'CSeq') ?? ''}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  rebound.socket.send(Buffer.from(reply, 'latin1'), stack.port, '127.0.0.1');
  await until(() => stack.server.stats().liveDialogs === 0, 3000, 'the dialog over');
  await until(() => stack.server.stats().rtpPortsInUse === 0, 3000, 'the port pair released');
});

test('a callee behind a NAT: its 2xx names a private Contact and no Record-Route; ACK and BYE go to the address we dialled', async () => {
  const callee = await udp('127.0.0.1');
  const calleeRtp = await udp('127.0.0.1');
  sockets.push(callee, calleeRtp);
  const dialed = stack.server.dial({ to: `sip:callee@127.0.0.1:${callee.port}`, from: 'streamfork' });
  await until(() => callee.got.some((m) => m.text.startsWith('INVITE ')), 5000, 'our INVITE');
  const inv = callee.got.find((m) => m.text.startsWith('INVITE '))?.text ?? '';
  const body = sdp('127.0.0.1', calleeRtp.port);
  const ok = [
    'SIP/2.0 200 OK',
    ...inv.split('\r\n').filter((l) => /^Via:/i.test(l)),
    `From: ${headerOf(inv, 'From') ?? ''}`,
    `To: ${headerOf(inv, 'To') ?? ''};tag=callee-nat`,
    `Call-ID: ${headerOf(inv, 'Call-ID') ?? ''}`,
    `CSeq: ${headerOf(inv, 'CSeq') ?? ''}`,
    // A phone behind a NAT: its private address (RFC 1918), unreachable from here.
    'Contact: <sip:callee@10.255.255.1:5060>',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
  const from = callee.got.find((m) => m.text.startsWith('INVITE '))?.from ?? '';
  const [address, port] = [
    from.slice(0, from.lastIndexOf(':')),
    Number(from.slice(from.lastIndexOf(':') + 1)),
  ];
  callee.socket.send(Buffer.from(ok, 'latin1'), port, address);
  const result = await dialed;
  assert.ok(result.ok, JSON.stringify(result));
  await until(
    () => callee.got.some((m) => m.text.startsWith('ACK ')),
    3000,
    'the ACK at the dialled address',
  );
  const ack = callee.got.find((m) => m.text.startsWith('ACK '))?.text ?? '';
  assert.ok(ack.startsWith('ACK sip:callee@10.255.255.1:5060 SIP/2.0'), 'Request-URI: the remote target');
  result.call.hangup('NORMAL_CLEARING', 'server');
  await until(
    () => callee.got.some((m) => m.text.startsWith('BYE ')),
    3000,
    'the BYE at the dialled address',
  );
  const bye = callee.got.find((m) => m.text.startsWith('BYE '))?.text ?? '';
  callee.socket.send(
    Buffer.from(
      [
        'SIP/2.0 200 OK',
        `Via: ${headerOf(bye, 'Via') ?? ''}`,
        `From: ${headerOf(bye, 'From') ?? ''}`,
        `To: ${headerOf(bye, 'To') ?? ''}`,
        `Call-ID: ${headerOf(bye, 'Call-ID') ?? ''}`,
        `CSeq: ${headerOf(bye, 'CSeq') ?? ''}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      'latin1',
    ),
    port,
    address,
  );
  await until(() => stack.server.stats().liveDialogs === 0, 3000, 'the dialog over');
});
