import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RtpReceiveStats } from './receive-stats.js';
import { buildRtcpReport } from './rtcp-report.js';
import { parseRtcpCompound } from './rtcp.js';

test('RFC 3550 A.1/A.3: extended sequence across the wrap, cumulative and fraction lost', () => {
  const s = new RtpReceiveStats(0xabc);
  // 65530 … 65535, 0 … 9 with 65534 and 3 lost: 16 expected, 14 received
  const seqs = [65530, 65531, 65532, 65533, 65535, 0, 1, 2, 4, 5, 6, 7, 8, 9];
  seqs.forEach((seq, i) => {
    s.onPacket(seq, seq * 160, i * 20);
  });
  assert.equal(s.extendedHighestSequence, 0x10000 + 9);
  assert.equal(s.cumulativeLost, 2);
  const rb = s.reportBlock(1000);
  assert.equal(rb.fractionLost, Math.floor((2 * 256) / 16)); // 32 = 12.5 %
  assert.equal(rb.cumulativeLost, 2);
  assert.equal(rb.lastSr, 0);
  // next interval: 10 … 19 all received -> fraction 0, cumulative unchanged
  for (let seq = 10; seq < 20; seq++) {
    s.onPacket(seq, seq * 160, seq * 20);
  }
  const rb2 = s.reportBlock(2000);
  assert.equal(rb2.fractionLost, 0);
  assert.equal(rb2.cumulativeLost, 2);
});

test('RFC 3550 A.3: duplicates make cumulative lost negative; fraction lost is clamped at 0', () => {
  const s = new RtpReceiveStats(1);
  for (const seq of [1, 2, 2, 3, 3]) {
    s.onPacket(seq, 0, 0);
  }
  assert.equal(s.cumulativeLost, -2);
  assert.equal(s.reportBlock(0).fractionLost, 0);
});

test('RFC 3550 A.1: a single far jump is ignored; a confirmed one restarts the sequence', () => {
  const s = new RtpReceiveStats(1);
  s.onPacket(100, 0, 0);
  s.onPacket(101, 160, 20);
  assert.equal(s.onPacket(30000, 0, 40), false);
  assert.equal(s.extendedHighestSequence, 101);
  assert.equal(s.onPacket(30001, 160, 60), true);
  assert.equal(s.extendedHighestSequence, 30001);
  assert.equal(s.cumulativeLost, 0);
});

test('RFC 3550 §6.4.1, A.8: jitter is 0 for constant transit and converges for alternating delay', () => {
  const steady = new RtpReceiveStats(1);
  for (let i = 0; i < 50; i++) {
    steady.onPacket(i, i * 160, 1000 + i * 20);
  }
  assert.equal(steady.jitter, 0);
  const wobbly = new RtpReceiveStats(1);
  for (let i = 0; i < 500; i++) {
    wobbly.onPacket(i, i * 160, i * 20 + (i % 2 === 0 ? 0 : 5)); // transit changes by 5 ms every packet
  }
  assert.ok(Math.abs(wobbly.jitter - 40) < 0.01, `jitter ${wobbly.jitter}`); // |D| = 40 units
  assert.ok(Math.abs(wobbly.jitterMs - 5) < 0.01);
});

test('RFC 3550 §6.4.1: LSR and DLSR from the last sender report', () => {
  const s = new RtpReceiveStats(1);
  s.onPacket(1, 0, 0);
  s.onSenderReport(0xe83a6a80, 0x80000000, 10_000);
  const rb = s.reportBlock(11_500);
  assert.equal(rb.lastSr, 0x6a808000);
  assert.equal(rb.delaySinceLastSr, 0x18000); // 1.5 s in 1/65536 s
});

test('RFC 3550 §6.1: periodic report is SR (when sending) or RR, then SDES CNAME, optional BYE', () => {
  const stats = new RtpReceiveStats(0x99);
  stats.onPacket(7, 0, 0);
  const rr = parseRtcpCompound(buildRtcpReport({ ssrc: 5, cname: 'sf@call', nowMs: 5000, received: stats }));
  assert.ok(rr.ok);
  assert.deepEqual(
    rr.value.map((p) => p.type),
    ['rr', 'sdes'],
  );
  const sr = parseRtcpCompound(
    buildRtcpReport({
      ssrc: 5,
      cname: 'sf@call',
      nowMs: 10_000,
      sender: { epochMs: 0, rtpTimestamp: 1234, packetCount: 250, octetCount: 40_000 },
      byeReason: '',
    }),
  );
  assert.ok(sr.ok);
  const first = sr.value[0];
  assert.ok(first?.type === 'sr');
  assert.equal(first.ntpSeconds, 2_208_988_800);
  assert.deepEqual(sr.value[2], { type: 'bye', sources: [5] });
});
