/**
 * SipServer request handling on loopback, with a raw UDP peer and a second SipServer as the caller:
 * OPTIONS (RFC 3261 §11), 405/501 with Allow (§8.2.1), the allow-list (403), CANCEL before the answer
 * (487, §9.2), BYE outside a dialog (481), inbound digest authentication (401 challenge, 403 for bad
 * credentials, §22.4), and SDP we cannot use (488 with a Warning, RFC 3264 §6). Every path releases its
 * RTP port.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';

import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import { delay, until } from '../helpers/stream-call.js';

const HOST = '127.0.0.1';
let open: SipStack;
let peer: dgram.Socket;
let peerPort = 0;
const inbox: string[] = [];
let seq = 0;

before(async () => {
  open = await startSipStack();
  peer = dgram.createSocket('udp4');
  peer.on('message', (m) => inbox.push(m.toString('latin1')));
  await new Promise<void>((resolve) => peer.bind(0, HOST, resolve));
  peerPort = peer.address().port;
});

after(async () => {
  peer.close();
  await open.close();
});

function request(
  method: string,
  opts: { callId?: string; branch?: string; body?: string; cseqMethod?: string; toTag?: string } = {},
): string {
  const body = opts.body ?? '';
  const lines = [
    `${method} sip:stream@${HOST} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:${peerPort};branch=${opts.branch ?? `z9hG4bK-t${++seq}`};rport`,
    'Max-Forwards: 70',
    `From: <sip:tester@${HOST}>;tag=t${seq}`,
    `To: <sip:stream@${HOST}>${opts.toTag === undefined ? '' : `;tag=${opts.toTag}`}`,
    `Call-ID: ${opts.callId ?? `call-${seq}@${HOST}`}`,
    `CSeq: 1 ${opts.cseqMethod ?? method}`,
    `Contact: <sip:tester@${HOST}:${peerPort}>`,
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

const sdp = (payloads: string): string =>
  [
    'v=0',
    `o=- 1 1 IN IP4 ${HOST}`,
    's=-',
    `c=IN IP4 ${HOST}`,
    't=0 0',
    `m=audio 40000 RTP/AVP ${payloads}`,
    '',
  ].join('\r\n');

async function exchange(
  stack: SipStack,
  text: string,
  want: (r: string) => boolean,
  timeoutMs = 2000,
): Promise<string> {
  inbox.length = 0;
  peer.send(Buffer.from(text, 'latin1'), stack.port, HOST);
  await until(() => inbox.some(want), timeoutMs, `a reply to ${text.split('\r\n')[0] ?? ''}`);
  return inbox.find(want) ?? '';
}

const final = (r: string): boolean => /^SIP\/2\.0 [2-6]\d\d/.test(r);
const status = (r: string): number => Number(/^SIP\/2\.0 (\d{3})/.exec(r)?.[1]);

test('RFC 3261 §11: OPTIONS outside a dialog gets 200 with Allow and Accept', async () => {
  const r = await exchange(open, request('OPTIONS'), final);
  assert.equal(status(r), 200);
  assert.match(r, /\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n/);
  assert.match(r, /\r\nAccept: application\/sdp\r\n/);
});

test('RFC 3261 §8.2.1: REGISTER gets 405 and an unknown method 501, both with Allow; BYE outside a dialog 481', async () => {
  const reg = await exchange(open, request('REGISTER'), final);
  assert.equal(status(reg), 405);
  assert.match(reg, /\r\nAllow: /);
  const odd = await exchange(open, request('FROBNICATE'), final);
  assert.equal(status(odd), 501);
  assert.match(odd, /\r\nAllow: /);
  const bye = await exchange(open, request('BYE', { toTag: 'nope' }), final);
  assert.equal(status(bye), 481);
});

test('RFC 3264 §6: an offer without PCMU/PCMA gets 488 with a Warning, and its RTP port is released', async () => {
  const r = await exchange(open, request('INVITE', { body: sdp('18') }), final);
  assert.equal(status(r), 488);
  assert.match(r, /\r\nWarning: 305 streamfork "Incompatible media format"\r\n/);
  await until(() => open.server.stats().rtpPortsInUse === 0, 2000, 'port released');
});

test('RFC 3261 §9.2: CANCEL while ringing gets 200 and the INVITE 487; no dialog or port is left', async () => {
  const ringing = await startSipStack({ ringMs: 1000 });
  try {
    const callId = `cancel-${Date.now()}@${HOST}`;
    const branch = 'z9hG4bK-cancel-1';
    await exchange(ringing, request('INVITE', { callId, branch, body: sdp('0') }), (r) =>
      r.startsWith('SIP/2.0 180'),
    );
    const ok = await exchange(
      ringing,
      request('CANCEL', { callId, branch }),
      (r) => r.startsWith('SIP/2.0 200') && r.includes('CSeq: 1 CANCEL'),
    );
    assert.ok(ok);
    await until(() => inbox.some((r) => r.startsWith('SIP/2.0 487')), 2000, '487 for the INVITE');
    await delay(1200);
    assert.ok(
      !inbox.some((r) => r.startsWith('SIP/2.0 200') && r.includes('CSeq: 1 INVITE')),
      'the INVITE was never answered 200',
    );
    assert.deepEqual(
      [ringing.server.stats().rtpPortsInUse, ringing.server.stats().liveDialogs, ringing.calls.length],
      [0, 0, 0],
    );
  } finally {
    await ringing.close();
  }
});

test('allow-list: a source outside sip.allowFrom gets 403 for every request', async () => {
  const closed = await startSipStack({ allowFrom: ['10.0.0.0/8'] });
  try {
    const r = await exchange(closed, request('OPTIONS'), final);
    assert.equal(status(r), 403);
    const inv = await exchange(closed, request('INVITE', { body: sdp('0') }), final);
    assert.equal(status(inv), 403);
    assert.equal(closed.server.stats().rtpPortsInUse, 0);
    assert.equal(closed.server.stats().rejected, 2);
  } finally {
    await closed.close();
  }
});

test('RFC 3261 §22.4: inbound digest auth: 401 challenge, the right credentials are let in, wrong ones get 403', async () => {
  const guarded = await startSipStack({
    inboundAuth: { realm: 'streamfork.test', users: [{ username: 'pbx', password: 'pbx-secret' }] },
  });
  const trunk = (password: string): Parameters<typeof startSipStack>[0] => ({
    trunk: {
      uri: `sip:${HOST}:${guarded.port}`,
      username: 'pbx',
      password,
      fromUser: null,
      fromDomain: null,
    },
  });
  const good = await startSipStack(trunk('pbx-secret'));
  const bad = await startSipStack(trunk('wrong'));
  try {
    const challenge = await exchange(guarded, request('INVITE', { body: sdp('0') }), final);
    assert.equal(status(challenge), 401);
    assert.match(
      challenge,
      /\r\nWWW-Authenticate: Digest realm="streamfork\.test", nonce="[^"]+", algorithm=MD5, qop="auth"\r\n/,
    );
    const ok = await good.server.dial({ to: '1000', from: '2000', timeoutSec: 5 });
    assert.ok(ok.ok, JSON.stringify(ok));
    await until(() => guarded.calls.length === 1, 2000, 'the authenticated call reaching the engine');
    ok.call.hangup('NORMAL_CLEARING', 'server');
    const refused = await bad.server.dial({ to: '1000', from: '2000', timeoutSec: 5 });
    assert.deepEqual(refused, { ok: false, cause: 'CALL_REJECTED', sipStatus: 403 });
    await delay(100);
    await until(
      () => guarded.server.stats().liveDialogs === 0 && guarded.server.stats().rtpPortsInUse === 0,
      3000,
      'guarded released',
    );
    await until(
      () => bad.server.stats().rtpPortsInUse === 0 && good.server.stats().rtpPortsInUse === 0,
      3000,
      'callers released',
    );
    assert.equal(guarded.calls.length, 1);
  } finally {
    await bad.close();
    await good.close();
    await guarded.close();
  }
});
