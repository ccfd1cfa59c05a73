/**
 * NodeRtpSocket on real loopback UDP sockets: exchange, symmetric-RTP latching, a random-datagram
 * flood, and port allocation without leaks. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { after, test } from 'node:test';

import { NodeRtpSocketFactory } from '../../src/adapters/rtp/node-rtp-socket.js';
import { RtpPortAllocator } from '../../src/adapters/rtp/rtp-port-allocator.js';
import { ServerError } from '../../src/errors/server-error.js';
import type { RtpSocket } from '../../src/ports/rtp-socket.js';
import { serializeRtpPacket, type RtpPacket } from '../../src/protocol/rtp/packet.js';
import { serializeRtcpCompound } from '../../src/protocol/rtp/rtcp.js';

const HOST = '127.0.0.1';
// A per-process slice of the port space, so concurrent test runs rarely meet (bind failures are retried anyway).
const BASE = 30000 + (process.pid % 500) * 40;
const allocator = new RtpPortAllocator({ minPort: BASE, maxPort: BASE + 39 });
const factory = new NodeRtpSocketFactory({ allocator, bindAddress: HOST, recvBufferBytes: 1024 * 1024 });
const open: RtpSocket[] = [];

after(async () => {
  await Promise.all(open.map((s) => s.close()));
  assert.equal(allocator.inUse, 0, 'every port pair released');
});

async function openSocket(latching = true): Promise<RtpSocket> {
  const s = await factory.open({ latching });
  open.push(s);
  return s;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function rtp(seq: number, ssrc: number): Uint8Array {
  return serializeRtpPacket({
    marker: seq === 0,
    payloadType: 0,
    sequenceNumber: seq,
    timestamp: seq * 160,
    ssrc,
    payload: new Uint8Array(160).fill(0xff),
  });
}

async function rawSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, HOST, r));
  return s;
}

test('binds an even/odd pair with an explicitly sized receive buffer', async (t) => {
  const s = await openSocket();
  assert.equal(s.rtpPort % 2, 0);
  assert.equal(s.rtcpPort, s.rtpPort + 1);
  assert.equal(s.localAddress, HOST);
  assert.ok(s.recvBufferBytes > 0);
  t.diagnostic(`requested 1048576 bytes, kernel granted ${s.recvBufferBytes}`);
});

test('two RtpSockets exchange 200 packets each way; RTCP goes to RTP+1', async () => {
  const a = await openSocket();
  const b = await openSocket();
  a.setRemote({ address: HOST, port: b.rtpPort });
  b.setRemote({ address: HOST, port: a.rtpPort });
  const gotA: RtpPacket[] = [];
  const gotB: RtpPacket[] = [];
  a.onRtp((p) => gotA.push(p));
  b.onRtp((p) => gotB.push(p));
  let rtcpAtB = 0;
  b.onRtcp(() => {
    rtcpAtB++;
  });
  for (let i = 0; i < 200; i++) {
    assert.ok(a.sendRtp(rtp(i, 0xaaaa)));
    assert.ok(b.sendRtp(rtp(i, 0xbbbb)));
    if (i % 50 === 49) {
      await new Promise((r) => setImmediate(r));
    }
  }
  a.sendRtcp(serializeRtcpCompound([{ type: 'rr', ssrc: 0xaaaa, reports: [] }]));
  await waitFor('200 packets each way', () => gotA.length === 200 && gotB.length === 200 && rtcpAtB === 1);
  assert.deepEqual(
    gotB.map((p) => p.sequenceNumber),
    Array.from({ length: 200 }, (_, i) => i),
  );
  assert.ok(gotA.every((p) => p.ssrc === 0xbbbb && p.payload.length === 160));
  assert.equal(a.latched, true);
  assert.equal(a.stats.rtpSent, 200);
  assert.equal(b.stats.rtcpReceived, 1);
});

test('symmetric RTP: three packets in a row latch their source, a third one is ignored, replies go to the latched address', async () => {
  const us = await openSocket();
  const peer = await rawSocket(); // behind a NAT: not the address the SDP said
  const intruder = await rawSocket();
  try {
    us.setRemote({ address: HOST, port: 9 }); // SDP address nobody listens on
    const got: number[] = [];
    us.onRtp((p) => got.push(p.ssrc));
    const peerGot: Buffer[] = [];
    peer.on('message', (m) => peerGot.push(m));
    peer.send(rtp(0, 1), us.rtpPort, HOST);
    peer.send(rtp(1, 1), us.rtpPort, HOST);
    await waitFor('two packets delivered', () => got.length === 2);
    assert.equal(us.latched, false, 'two packets do not latch');
    assert.deepEqual(us.remote, { address: HOST, port: 9 });
    peer.send(rtp(2, 1), us.rtpPort, HOST);
    await waitFor('latch', () => us.latched);
    assert.deepEqual(us.remote, { address: HOST, port: peer.address().port });
    for (let i = 0; i < 20; i++) {
      intruder.send(rtp(i, 2), us.rtpPort, HOST);
    }
    peer.send(rtp(3, 1), us.rtpPort, HOST);
    await waitFor('intruder counted', () => us.stats.otherSource === 20 && got.length === 4);
    assert.deepEqual(got, [1, 1, 1, 1]);
    us.sendRtp(rtp(0, 3));
    await waitFor('reply at the latched source', () => peerGot.length === 1);
    us.unlatch();
    assert.deepEqual(us.remote, { address: HOST, port: 9 }, 'back to the SDP address until the next packet');
  } finally {
    peer.close();
    intruder.close();
  }
});

/** Counted datagrams: every one is delivered, dropped as malformed, or dropped as from another source. */
function accounted(s: RtpSocket): number {
  const st = s.stats;
  return st.rtpReceived + st.rtcpReceived + st.malformed + st.otherSource;
}

/**
 * Sends `n` random datagrams (0–300 octets) in batches, waiting for the receiver to account for each
 * batch: libuv reads at most 32 datagrams per loop iteration, so an unpaced flood from the same process
 * would test kernel drops (RcvbufErrors) rather than our parsing.
 */
async function flood(us: RtpSocket, n: number, eachBatch?: () => void): Promise<dgram.Socket> {
  const s = await rawSocket();
  const start = accounted(us);
  for (let i = 0; i < n; i++) {
    s.send(randomBytes(i % 301), us.rtpPort, HOST);
    if (i % 25 === 24 || i === n - 1) {
      eachBatch?.();
      await waitFor(
        `datagram ${i + 1} accounted for: ${JSON.stringify(us.stats)}`,
        () => accounted(us) - start >= i + 1,
        5000,
      );
    }
  }
  return s;
}

test('10,000 random datagrams on an unlatched port: counted, never thrown', async () => {
  const us = await openSocket();
  const fuzzer = await flood(us, 10_000);
  try {
    assert.equal(accounted(us), 10_000);
    assert.ok(us.stats.malformed > 5000, `malformed ${us.stats.malformed}`);
    assert.equal(us.stats.listenerErrors, 0);
  } finally {
    fuzzer.close();
  }
});

test('10,000 random datagrams from a third source while latched: all ignored, the call goes on', async () => {
  const us = await openSocket();
  const peer = await rawSocket();
  try {
    let fromPeer = 0;
    us.onRtp(() => {
      fromPeer++;
    });
    let seq = 0;
    const fromThePeer = (): void => {
      peer.send(rtp(seq++, 1), us.rtpPort, HOST);
    };
    for (let i = 0; i < 3; i++) {
      fromThePeer();
    }
    await waitFor('latch', () => us.latched);
    // The latched source keeps talking (as a call does), so the strangers cannot re-latch and are
    // dropped on their address alone.
    const fuzzer = await flood(us, 10_000, fromThePeer);
    fromThePeer();
    await waitFor('the peer heard after the flood', () => fromPeer === seq);
    assert.equal(us.stats.otherSource, 10_000);
    assert.equal(us.stats.malformed, 0, 'dropped by source before parsing');
    fuzzer.close();
  } finally {
    peer.close();
  }
});

test('allocator: ports are handed out and released, no leak after 500 open/close cycles', async () => {
  const before = allocator.inUse;
  for (let i = 0; i < 500; i++) {
    const s = await factory.open();
    await s.close();
    await s.close(); // idempotent
  }
  assert.equal(allocator.inUse, before);
});

test('allocator exhaustion is a clear error; closing frees a pair again', async () => {
  const small = new RtpPortAllocator({ minPort: BASE + 36, maxPort: BASE + 39 }); // 2 pairs
  const f = new NodeRtpSocketFactory({ allocator: small, bindAddress: HOST });
  const s1 = await f.open();
  const s2 = await f.open();
  await assert.rejects(
    f.open(),
    (e: unknown) => e instanceof ServerError && e.code === 'ERR_RTP_PORTS_EXHAUSTED',
  );
  await s1.close();
  const s3 = await f.open();
  assert.equal(s3.rtpPort, s1.rtpPort);
  await Promise.all([s2.close(), s3.close()]);
  assert.equal(small.inUse, 0);
});

test('issue 11: sends to a port Node refuses (99999) never throw; the RTP failure reaches onSendError', async () => {
  const s = await openSocket();
  const failures: { kind: string; code: string }[] = [];
  s.onSendError((f) => failures.push({ kind: f.kind, code: f.code }));
  s.setRemote({ address: HOST, port: 99999 });
  assert.equal(s.sendRtp(rtp(0, 1)), false);
  assert.equal(s.sendRtcp(serializeRtcpCompound([{ type: 'rr', ssrc: 1, reports: [] }])), false);
  await waitFor('the failure reported', () => failures.length === 1);
  // RTCP had no port to go to (99999 + 1): skipped and counted, not reported.
  assert.deepEqual(failures, [{ kind: 'rtp', code: 'ERR_SOCKET_BAD_PORT' }]);
  assert.equal(s.stats.sendFailed, 2);
});

test('issue 11: a send the kernel refuses later (EACCES to 255.255.255.255) is reported to onSendError', async () => {
  const s = await openSocket();
  const codes: string[] = [];
  s.onSendError((f) => codes.push(f.code));
  s.setRemote({ address: '255.255.255.255', port: 4000 });
  assert.equal(s.sendRtp(rtp(0, 1)), true);
  await waitFor('the asynchronous failure', () => codes.length === 1);
  assert.match(codes[0] ?? '', /^E[A-Z]+$/);
});

test('RFC 3550 §11: RTP on port 65535 has no RTCP port after it: RTCP is not sent (and nothing throws)', async () => {
  const s = await openSocket();
  const codes: string[] = [];
  s.onSendError((f) => codes.push(f.code));
  s.setRemote({ address: HOST, port: 65535 });
  assert.equal(s.sendRtcp(serializeRtcpCompound([{ type: 'rr', ssrc: 1, reports: [] }])), false);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(codes, []);
});
