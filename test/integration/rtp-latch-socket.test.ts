/**
 * The symmetric-RTP latching rule (docs/nat.md) on real loopback UDP: only negotiated payload types
 * latch, with SRTP only packets that authenticate latch, and a new source takes over (a NAT that
 * rebound the far end to another port) only once the latched one went quiet. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, test } from 'node:test';

import { NodeRtpSocketFactory } from '../../src/adapters/rtp/node-rtp-socket.js';
import { RtpPortAllocator } from '../../src/adapters/rtp/rtp-port-allocator.js';
import type { RtpSocket } from '../../src/ports/rtp-socket.js';
import { serializeRtpPacket } from '../../src/protocol/rtp/packet.js';
import type { NegotiatedSrtp } from '../../src/protocol/sdp/sdes-crypto.js';
import { SrtpContext } from '../../src/protocol/srtp/srtp-context.js';
import type { SrtpMasterKey } from '../../src/protocol/srtp/srtp-suites.js';

const HOST = '127.0.0.1';
const BASE = 47000 + (process.pid % 300) * 20;
const allocator = new RtpPortAllocator({ minPort: BASE, maxPort: BASE + 19 });
// Long enough that a loaded machine's timer jitter cannot pass for a quiet latched source.
const QUIET_MS = 400;
const factory = new NodeRtpSocketFactory({
  allocator,
  bindAddress: HOST,
  latch: { relatchQuietMs: QUIET_MS },
});
const open: (RtpSocket | dgram.Socket)[] = [];

after(async () => {
  for (const s of open) {
    if ('rtpPort' in s) {
      await s.close();
    } else {
      s.close();
    }
  }
  assert.equal(allocator.inUse, 0, 'every port pair released');
});

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rtp(seq: number, opts: { ssrc?: number; pt?: number } = {}): Uint8Array {
  return serializeRtpPacket({
    marker: false,
    payloadType: opts.pt ?? 0,
    sequenceNumber: seq,
    timestamp: seq * 160,
    ssrc: opts.ssrc ?? 0x1a7c,
    payload: new Uint8Array(160).fill(0xff),
  });
}

async function peerSocket(): Promise<{ s: dgram.Socket; got: Buffer[] }> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, HOST, r));
  const got: Buffer[] = [];
  s.on('message', (m) => got.push(m));
  open.push(s);
  return { s, got };
}

async function ours(): Promise<RtpSocket> {
  const s = await factory.open();
  open.push(s);
  s.setRemote({ address: HOST, port: 9 }); // what the SDP said: nobody there (a private address)
  return s;
}

test('only payload types the SDP negotiated latch', async () => {
  const us = await ours();
  us.setLatchPayloadTypes?.([8, 101]);
  const peer = await peerSocket();
  for (let i = 0; i < 5; i++) {
    peer.s.send(rtp(i, { pt: 0 }), us.rtpPort, HOST); // PCMU: not negotiated
  }
  await waitFor('PCMU delivered while learning', () => us.stats.rtpReceived === 5);
  assert.equal(us.latched, false);
  for (let i = 5; i < 8; i++) {
    peer.s.send(rtp(i, { pt: 8 }), us.rtpPort, HOST);
  }
  await waitFor('latched on PCMA', () => us.latched);
  assert.deepEqual(us.remote, { address: HOST, port: peer.s.address().port });
  assert.ok(us.sendRtp(rtp(0)));
  await waitFor('our RTP reaches the real source', () => peer.got.length === 1);
});

const key = (seed: number): SrtpMasterKey => ({
  suite: 'AES_CM_128_HMAC_SHA1_80',
  key: new Uint8Array(16).fill(seed),
  salt: new Uint8Array(14).fill(seed + 1),
});

function protect(ctx: SrtpContext, packet: Uint8Array): Uint8Array {
  const buf = new Uint8Array(packet.length + 16);
  buf.set(packet);
  const sealed = ctx.protectRtp(buf, packet.length);
  assert.ok(sealed.ok);
  return buf.subarray(0, sealed.length);
}

test('with SRTP only packets that authenticate latch: a forger in sequence never does', async () => {
  const us = await ours();
  const srtp: NegotiatedSrtp = { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', local: key(3), remote: key(1) };
  us.setSrtp(srtp);
  const forger = await peerSocket();
  const peer = await peerSocket();
  const wrongKey = new SrtpContext(key(7));
  for (let i = 0; i < 6; i++) {
    forger.s.send(protect(wrongKey, rtp(i)), us.rtpPort, HOST);
  }
  await waitFor('forgeries counted', () => us.stats.srtpAuthFailures === 6);
  assert.equal(us.latched, false);
  assert.equal(us.stats.rtpReceived, 0, 'never delivered');
  const rightKey = new SrtpContext(key(1));
  for (let i = 0; i < 3; i++) {
    peer.s.send(protect(rightKey, rtp(100 + i)), us.rtpPort, HOST);
  }
  await waitFor('latched on the authenticated source', () => us.latched);
  assert.deepEqual(us.remote, { address: HOST, port: peer.s.address().port });
});

test('re-latch: a new source takes over only after the latched one was quiet', async () => {
  const us = await ours();
  const first = await peerSocket();
  const rebound = await peerSocket(); // the same far end after its NAT gave it a new port
  let seq = 0;
  for (; seq < 3; seq++) {
    first.s.send(rtp(seq), us.rtpPort, HOST);
  }
  await waitFor('latched on the first port', () => us.latched);
  // Both talk: the newcomer cannot take over while the latched source is active.
  for (let i = 0; i < 10; i++, seq++) {
    first.s.send(rtp(seq), us.rtpPort, HOST);
    rebound.s.send(rtp(seq), us.rtpPort, HOST);
    await sleep(10);
  }
  await waitFor('newcomer dropped', () => us.stats.otherSource === 10);
  assert.deepEqual(us.remote, { address: HOST, port: first.s.address().port });
  // The old mapping goes silent; after the quiet period three packets in a row re-latch.
  await sleep(QUIET_MS + 100);
  for (let i = 0; i < 3; i++, seq++) {
    rebound.s.send(rtp(seq), us.rtpPort, HOST);
  }
  await waitFor('re-latched', () => us.remote?.port === rebound.s.address().port);
  assert.equal(us.relatches, 1);
  assert.ok(us.sendRtp(rtp(0)));
  await waitFor('our RTP follows the new port', () => rebound.got.length === 1);
  assert.equal(first.got.length, 0);
});

test('a stranger that raced the far end during learning loses the latch once the SDP source talks', async () => {
  const us = await factory.open();
  open.push(us);
  const farEnd = await peerSocket(); // not behind a NAT: it sends from the address its SDP named
  const stranger = await peerSocket();
  us.setRemote({ address: HOST, port: farEnd.s.address().port });
  for (let i = 0; i < 3; i++) {
    stranger.s.send(rtp(i, { ssrc: 0xbad }), us.rtpPort, HOST);
  }
  await waitFor('the stranger latched first', () => us.remote?.port === stranger.s.address().port);
  for (let i = 0; i < 3; i++) {
    farEnd.s.send(rtp(1000 + i, { ssrc: 0x600d }), us.rtpPort, HOST);
    stranger.s.send(rtp(3 + i, { ssrc: 0xbad }), us.rtpPort, HOST);
  }
  await waitFor('back to the SDP source', () => us.remote?.port === farEnd.s.address().port);
  assert.ok(us.sendRtp(rtp(0)));
  await waitFor('our RTP at the far end', () => farEnd.got.length === 1);
  assert.equal(stranger.got.length, 0, 'the stranger never heard us after the SDP source took over');
});
