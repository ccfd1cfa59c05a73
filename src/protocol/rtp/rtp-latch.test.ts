import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RtpLatch } from './rtp-latch.js';

const NAT = { address: '203.0.113.7', port: 40000 };
const OTHER = { address: '198.51.100.9', port: 50000 };
const PCMU = 0;

/** Feeds `n` packets in sequence from `src`; returns the verdicts. */
function feed(
  latch: RtpLatch,
  src: { address: string; port: number },
  n: number,
  opts: { ssrc?: number; seq?: number; pt?: number; atMs?: number; stepMs?: number } = {},
): { deliver: boolean; latched?: { address: string; port: number } }[] {
  const out = [];
  for (let i = 0; i < n; i++) {
    out.push(
      latch.packet(
        src.address,
        src.port,
        opts.ssrc ?? 0xaaaa,
        opts.pt ?? PCMU,
        ((opts.seq ?? 100) + i) & 0xffff,
        (opts.atMs ?? 0) + i * (opts.stepMs ?? 20),
      ),
    );
  }
  return out;
}

test('three consecutive packets with a negotiated payload type latch their source', () => {
  const latch = new RtpLatch();
  latch.setPayloadTypes([PCMU, 101]);
  const v = feed(latch, NAT, 3);
  assert.deepEqual(
    v.map((x) => x.deliver),
    [true, true, true],
  );
  assert.equal(v[0]?.latched, undefined);
  assert.equal(v[1]?.latched, undefined);
  assert.deepEqual(v[2]?.latched, NAT);
  assert.deepEqual(latch.source, NAT);
});

test('payload types the SDP did not negotiate never latch (but are delivered while learning)', () => {
  const latch = new RtpLatch();
  latch.setPayloadTypes([PCMU]);
  const v = feed(latch, NAT, 10, { pt: 96 });
  assert.ok(v.every((x) => x.deliver && x.latched === undefined));
  assert.equal(latch.source, undefined);
});

test('a sequence gap, another SSRC or another source restarts the count', () => {
  const latch = new RtpLatch();
  feed(latch, NAT, 2, { seq: 10 });
  assert.equal(feed(latch, NAT, 1, { seq: 13 })[0]?.latched, undefined, 'gap');
  assert.equal(feed(latch, NAT, 1, { seq: 14, ssrc: 0xbbbb })[0]?.latched, undefined, 'new SSRC');
  assert.equal(feed(latch, OTHER, 1, { seq: 15, ssrc: 0xbbbb })[0]?.latched, undefined, 'other source');
  const v = feed(latch, OTHER, 2, { seq: 16, ssrc: 0xbbbb });
  assert.deepEqual(v[1]?.latched, OTHER);
});

test('sequence numbers wrap at 65535 without breaking the count', () => {
  const latch = new RtpLatch();
  const v = feed(latch, NAT, 3, { seq: 65534 });
  assert.deepEqual(v[2]?.latched, NAT);
});

test('latched: other sources are dropped while the latched one keeps sending', () => {
  const latch = new RtpLatch();
  feed(latch, NAT, 3, { atMs: 0 });
  for (let i = 0; i < 100; i++) {
    const t = 60 + i * 20;
    assert.equal(latch.packet(NAT.address, NAT.port, 0xaaaa, PCMU, 103 + i, t).deliver, true);
    const spoof = latch.packet(OTHER.address, OTHER.port, 0xcccc, PCMU, 5000 + i, t + 1);
    assert.equal(spoof.deliver, false);
    assert.equal(spoof.latched, undefined);
  }
  assert.deepEqual(latch.source, NAT);
  assert.equal(latch.relatches, 0);
});

test('latched: a new SSRC from the latched source is accepted and followed', () => {
  const latch = new RtpLatch();
  feed(latch, NAT, 3);
  const v = feed(latch, NAT, 5, { ssrc: 0x9999, seq: 7000, atMs: 100 });
  assert.ok(v.every((x) => x.deliver && x.latched === undefined));
  assert.deepEqual(latch.source, NAT);
});

test('re-latch: another source takes over only after the latched one went quiet for 500 ms', () => {
  const latch = new RtpLatch();
  feed(latch, NAT, 3, { atMs: 0 }); // last packet at 40 ms
  // The NAT rebinds the far end to a new port: same SSRC, new source. 200 ms later: too early.
  const early = feed(latch, OTHER, 5, { atMs: 240, seq: 103 });
  assert.ok(early.every((x) => !x.deliver));
  // Still counting, in sequence: at 540 ms the latched source has been silent for 500 ms.
  const later = feed(latch, OTHER, 1, { atMs: 540, seq: 108 });
  assert.deepEqual(later[0], { deliver: true, latched: OTHER });
  assert.equal(latch.relatches, 1);
  // The old source is now the stranger.
  assert.equal(feed(latch, NAT, 1, { atMs: 560, seq: 109 })[0]?.deliver, false);
});

test('re-latch needs the latched SSRC (a NAT rebinding), unless the packets authenticated (SRTP)', () => {
  const latch = new RtpLatch();
  feed(latch, NAT, 3, { atMs: 0 });
  // Long after the latched source went quiet (hold, silence suppression), a stranger with its own
  // SSRC sends in sequence: never taken, however many packets.
  const stranger = feed(latch, OTHER, 50, { atMs: 2000, ssrc: 0xdead, seq: 9000 });
  assert.ok(stranger.every((x) => !x.deliver && x.latched === undefined));
  assert.deepEqual(latch.source, NAT);
  // The same packets, authenticated by SRTP: the sender holds the key, it may take over.
  const keyed = [0, 1, 2].map((i) =>
    latch.packet(OTHER.address, OTHER.port, 0xdead, PCMU, 9100 + i, 4000 + i * 20, true),
  );
  assert.deepEqual(keyed[2], { deliver: true, latched: OTHER });
});

test('the SDP source takes the latch back at once from a stranger that raced it during learning', () => {
  const latch = new RtpLatch();
  const SDP = { address: '192.0.2.50', port: 30000 };
  latch.setExpected(SDP);
  feed(latch, OTHER, 3, { ssrc: 0xbad, seq: 1 }); // the stranger guessed our port first
  assert.deepEqual(latch.source, OTHER);
  // The far end (not behind a NAT: at its SDP address) starts talking, the stranger keeps sending.
  const verdicts = [];
  for (let i = 0; i < 3; i++) {
    verdicts.push(latch.packet(SDP.address, SDP.port, 0x600d, PCMU, 500 + i, 100 + i * 20));
    assert.equal(latch.packet(OTHER.address, OTHER.port, 0xbad, PCMU, 4 + i, 101 + i * 20).deliver, i < 2);
  }
  assert.deepEqual(
    verdicts.map((v) => v.deliver),
    [false, false, true],
  );
  assert.deepEqual(verdicts[2]?.latched, SDP);
  assert.equal(latch.screensOut(OTHER.address, OTHER.port, 170), true, 'the stranger is out');
  assert.equal(latch.screensOut(SDP.address, SDP.port, 170), false);
});

test('reset() starts learning again (a re-INVITE moved the media)', () => {
  const latch = new RtpLatch();
  feed(latch, NAT, 3);
  latch.reset();
  assert.equal(latch.source, undefined);
  const v = feed(latch, OTHER, 3, { atMs: 100 });
  assert.ok(v.every((x) => x.deliver));
  assert.deepEqual(v[2]?.latched, OTHER);
});

test('latchPackets 1 latches on the first negotiated packet', () => {
  const latch = new RtpLatch({ latchPackets: 1 });
  assert.deepEqual(feed(latch, NAT, 1)[0]?.latched, NAT);
});
