/**
 * SDES-SRTP between two streamfork SIP stacks on loopback (issue 13 item 3): the REST dialer's offer
 * follows `rtp.srtp` on the calling side, the answer follows it on the called side.
 * - required → optional: RTP/SAVP offered and answered; both sockets run SRTP; media flows both ways
 *   with no authentication failure.
 * - required → off: the callee refuses the RTP/SAVP offer with 488; the dial fails.
 * - optional → off: best-effort offer (RTP/AVP + a=crypto) answered plain; plain RTP both ways.
 * - A delayed offer (INVITE without SDP) to a required stack: our RTP/SAVP offer in the 200, the
 *   answer in the ACK; the RTP that reaches the answered address decrypts with our offered key.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';

import { parseRtpPacket } from '../../src/protocol/rtp/packet.js';
import { SrtpContext } from '../../src/protocol/srtp/srtp-context.js';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder.js';
import { bodyOf, RawSipPeer, statusOf } from '../helpers/raw-sip-peer.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import { responseXml, until } from '../helpers/stream-call.js';

const HOST = '127.0.0.1';

let app: HttpRecorder;
const stacks: SipStack[] = [];

before(async () => {
  app = await startHttpRecorder();
  app.serve('/answer', responseXml('<Wait length="30"/>'));
});

after(async () => {
  await Promise.all(stacks.map((s) => s.close()));
  await app.close();
});

async function stack(srtp: 'off' | 'optional' | 'required', answer: boolean): Promise<SipStack> {
  const s = await startSipStack({ srtp, ...(answer ? { answerUrl: app.url('/answer') } : {}) });
  stacks.push(s);
  return s;
}

test('required caller → optional callee: SRTP both ways, media flows, nothing fails authentication', async () => {
  const callee = await stack('optional', true);
  const caller = await stack('required', false);
  const dialed = await caller.server.dial({
    to: `sip:srtp@${HOST}:${callee.port}`,
    from: '2000',
    timeoutSec: 5,
  });
  assert.ok(dialed.ok, JSON.stringify(dialed));
  await until(() => callee.calls.length === 1, 3000, 'the inbound call');
  const inbound = callee.calls[0]?.call;
  assert.ok(inbound);
  const inDialog = callee.server.dialogForTesting(inbound.callUuid);
  const outDialog = caller.server.dialogForTesting(dialed.call.callUuid);
  assert.ok(inDialog && outDialog);
  assert.equal(inDialog.socket.srtp, true, 'the callee runs SRTP');
  assert.equal(outDialog.socket.srtp, true, 'the caller runs SRTP');
  await until(
    () => inDialog.socket.stats.rtpReceived >= 25 && outDialog.socket.stats.rtpReceived >= 25,
    5000,
    'half a second of RTP each way',
  );
  for (const s of [inDialog.socket.stats, outDialog.socket.stats]) {
    assert.equal(s.srtpAuthFailures, 0);
    assert.equal(s.srtpReplays, 0);
    assert.equal(s.malformed, 0);
  }
  dialed.call.hangup('NORMAL_CLEARING', 'api');
  await until(() => inbound.status === 'completed', 3000, 'the callee sees the BYE');
});

test('required caller → off callee: the RTP/SAVP offer is refused with 488 and the dial fails', async () => {
  const callee = await stack('off', true);
  const caller = await stack('required', false);
  const dialed = await caller.server.dial({
    to: `sip:srtp@${HOST}:${callee.port}`,
    from: '2000',
    timeoutSec: 5,
  });
  assert.ok(!dialed.ok);
  assert.equal(dialed.sipStatus, 488, JSON.stringify(dialed));
  assert.equal(callee.calls.length, 0);
});

test('optional caller → off callee: the best-effort offer is answered plain, plain RTP both ways', async () => {
  const callee = await stack('off', true);
  const caller = await stack('optional', false);
  const dialed = await caller.server.dial({
    to: `sip:srtp@${HOST}:${callee.port}`,
    from: '2000',
    timeoutSec: 5,
  });
  assert.ok(dialed.ok, JSON.stringify(dialed));
  await until(() => callee.calls.length === 1, 3000, 'the inbound call');
  const inbound = callee.calls[0]?.call;
  assert.ok(inbound);
  const inDialog = callee.server.dialogForTesting(inbound.callUuid);
  const outDialog = caller.server.dialogForTesting(dialed.call.callUuid);
  assert.ok(inDialog && outDialog);
  assert.equal(inDialog.socket.srtp, false);
  assert.equal(outDialog.socket.srtp, false);
  await until(
    () => inDialog.socket.stats.rtpReceived >= 25 && outDialog.socket.stats.rtpReceived >= 25,
    5000,
    'half a second of RTP each way',
  );
  dialed.call.hangup('NORMAL_CLEARING', 'api');
  await until(() => inbound.status === 'completed', 3000, 'the callee sees the BYE');
});

test('delayed offer with rtp.srtp required: RTP/SAVP offer in the 200, answer in the ACK, SRTP to the answered address', async () => {
  const server = await stack('required', false);
  const peer = await RawSipPeer.open(server.port);
  const media = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  media.on('message', (m) => got.push(m));
  await new Promise<void>((r) => media.bind(0, HOST, r));
  try {
    const peerKey = Buffer.alloc(30, 0x42).toString('base64');
    const call = await peer.invite('', {
      ackBody: () =>
        [
          'v=0',
          `o=- 1 1 IN IP4 ${HOST}`,
          's=-',
          `c=IN IP4 ${HOST}`,
          't=0 0',
          `m=audio ${media.address().port} RTP/SAVP 0`,
          `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${peerKey}`,
          'a=sendrecv',
          '',
        ].join('\r\n'),
    });
    assert.equal(statusOf(call.response), 200);
    const offer = bodyOf(call.response);
    assert.match(offer, /\r\nm=audio \d+ RTP\/SAVP /);
    const ours = /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/=]+)/.exec(offer)?.[1];
    assert.ok(ours !== undefined, offer);
    assert.match(offer, /a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:/);
    await until(() => got.length >= 10, 3000, 'RTP at the address in the ACK');
    const raw = Buffer.from(ours, 'base64');
    const rx = new SrtpContext({
      suite: 'AES_CM_128_HMAC_SHA1_80',
      key: raw.subarray(0, 16),
      salt: raw.subarray(16, 30),
    });
    const rtp = got.filter((m) => (m[1] ?? 0) < 192 || (m[1] ?? 0) > 223);
    assert.ok(rtp.length >= 10);
    for (const m of rtp) {
      const u = rx.unprotectRtp(m, m.length);
      assert.ok(u.ok, 'each packet authenticates with the key of our offer');
      assert.ok(parseRtpPacket(m.subarray(0, u.length)).ok);
    }
    const d = call.dialog;
    assert.ok(d);
    assert.equal(statusOf(await peer.bye(d, 2)), 200);
  } finally {
    media.close();
    peer.close();
  }
});
