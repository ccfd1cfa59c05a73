/**
 * NodeRtpSocket with SDES-SRTP on real loopback UDP: two sockets with crossed keys exchange RTP and
 * RTCP; the wire carries ciphertext; a forged, a replayed and a plain datagram are dropped and counted,
 * never delivered. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, test } from 'node:test';

import { NodeRtpSocketFactory } from '../../src/adapters/rtp/node-rtp-socket.js';
import { RtpPortAllocator } from '../../src/adapters/rtp/rtp-port-allocator.js';
import type { RtpSocket } from '../../src/ports/rtp-socket.js';
import { serializeRtpPacket, type RtpPacket } from '../../src/protocol/rtp/packet.js';
import { serializeRtcpCompound, type RtcpPacket } from '../../src/protocol/rtp/rtcp.js';
import type { NegotiatedSrtp } from '../../src/protocol/sdp/sdes-crypto.js';
import type { SrtpMasterKey } from '../../src/protocol/srtp/srtp-suites.js';

const HOST = '127.0.0.1';
const BASE = 41000 + (process.pid % 300) * 20;
const allocator = new RtpPortAllocator({ minPort: BASE, maxPort: BASE + 19 });
const factory = new NodeRtpSocketFactory({ allocator, bindAddress: HOST });
const open: RtpSocket[] = [];

after(async () => {
  await Promise.all(open.map((s) => s.close()));
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

const key = (seed: number): SrtpMasterKey => ({
  suite: 'AES_CM_128_HMAC_SHA1_80',
  key: new Uint8Array(16).fill(seed),
  salt: new Uint8Array(14).fill(seed + 1),
});

function rtp(seq: number): Uint8Array {
  return serializeRtpPacket({
    marker: false,
    payloadType: 0,
    sequenceNumber: seq,
    timestamp: seq * 160,
    ssrc: 0x5eed,
    payload: new Uint8Array(160).fill(0x7e),
  });
}

test('SRTP between two sockets: ciphertext on the wire, RTP and RTCP delivered, forgeries and replays counted', async () => {
  const a = await factory.open({ latching: false });
  const b = await factory.open({ latching: false });
  open.push(a, b);
  const spy = dgram.createSocket('udp4');
  await new Promise<void>((r) => spy.bind(0, HOST, r));
  const spyPort = spy.address().port;
  const wire: Buffer[] = [];
  spy.on('message', (m) => wire.push(m));
  try {
    const ab: NegotiatedSrtp = { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', local: key(1), remote: key(2) };
    const ba: NegotiatedSrtp = { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', local: key(2), remote: key(1) };
    a.setSrtp(ab);
    b.setSrtp(ba);
    assert.ok(a.srtp && b.srtp);
    a.setRemote({ address: HOST, port: b.rtpPort });
    b.setRemote({ address: HOST, port: a.rtpPort });
    const got: RtpPacket[] = [];
    const rtcp: (readonly RtcpPacket[])[] = [];
    b.onRtp((p) => got.push(p));
    b.onRtcp((p) => rtcp.push(p));
    for (let seq = 0; seq < 20; seq++) {
      assert.ok(a.sendRtp(rtp(seq)));
    }
    assert.ok(a.sendRtcp(serializeRtcpCompound([{ type: 'rr', ssrc: 0x5eed, reports: [] }])));
    await waitFor('20 RTP packets and one RTCP', () => got.length === 20 && rtcp.length === 1);
    assert.deepEqual(
      got.map((p) => p.sequenceNumber),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.ok(got.every((p) => p.payload.length === 160 && p.payload.every((x) => x === 0x7e)));
    assert.equal(rtcp[0]?.[0]?.type, 'rr');

    // What leaves the socket: 172 + 10 octets, payload not in the clear.
    a.setRemote({ address: HOST, port: spyPort });
    assert.ok(a.sendRtp(rtp(20)));
    await waitFor('one datagram at the spy', () => wire.length === 1);
    const sealed = wire[0] ?? Buffer.alloc(0);
    assert.equal(sealed.length, 182);
    assert.ok(!sealed.subarray(12, 172).every((x) => x === 0x7e), 'payload is encrypted');

    // Replayed, forged and plain datagrams from the right source reach B's socket and are dropped.
    const sender = dgram.createSocket('udp4');
    await new Promise<void>((r) => sender.bind(0, HOST, r));
    b.setRemote({ address: HOST, port: sender.address().port });
    const sendRaw = (bytes: Uint8Array): Promise<void> =>
      new Promise((r) => {
        sender.send(bytes, b.rtpPort, HOST, () => {
          r();
        });
      });
    // B was not latching: it accepts only its SDP source, now `sender`.
    await sendRaw(sealed); // seq 20, new: delivered
    await sendRaw(sealed); // replayed
    const forged = Buffer.from(sealed);
    forged[40] = (forged[40] ?? 0) ^ 0xff;
    forged[3] = 21; // seq 21, so it is not a replay
    await sendRaw(forged);
    await sendRaw(rtp(22)); // plain RTP: its "tag" does not verify
    await waitFor('the three bad datagrams counted', () => {
      const s = b.stats;
      return s.srtpReplays === 1 && s.srtpAuthFailures === 2;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(got.length, 21, 'only the genuine seq 20 was delivered');

    // The same keys again (a re-INVITE that changes nothing) keep the replay window: still a replay.
    b.setSrtp({ ...ba, local: { ...key(2) }, remote: { ...key(1) } });
    await sendRaw(sealed);
    await waitFor('the second replay counted', () => b.stats.srtpReplays === 2);
    // New keys start fresh: the old packet no longer authenticates.
    b.setSrtp({ ...ba, remote: key(9) });
    await sendRaw(sealed);
    await waitFor('an auth failure under the new key', () => b.stats.srtpAuthFailures === 3);
    assert.equal(got.length, 21);
    sender.close();
  } finally {
    spy.close();
  }
});

test('setSrtp turns SRTP on, setting the same keys again leaves it on, undefined turns it off', async () => {
  const s = await factory.open();
  open.push(s);
  const srtp: NegotiatedSrtp = { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_32', local: key(3), remote: key(4) };
  s.setSrtp(srtp);
  s.setSrtp({ ...srtp, local: { ...key(3) }, remote: { ...key(4) } });
  assert.ok(s.srtp);
  s.setSrtp(undefined);
  assert.equal(s.srtp, false);
});
