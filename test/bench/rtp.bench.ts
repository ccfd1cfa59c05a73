/**
 * RTP hot-path micro-benchmarks: parse, parse + reorder-buffer push/release, writeRtpPacket, RtpSender,
 * RTCP compound parse, the symmetric-RTP latch (docs/nat.md). Run: `node --import tsx test/bench/run.ts rtp`. Figures: docs/benchmarks/rtp.md.
 */
import { parseRtpPacket, serializeRtpPacket, writeRtpPacket } from '../../src/protocol/rtp/packet.js';
import { parseRtcpCompound, serializeRtcpCompound } from '../../src/protocol/rtp/rtcp.js';
import { ReorderBuffer } from '../../src/protocol/rtp/reorder-buffer.js';
import { RtpLatch } from '../../src/protocol/rtp/rtp-latch.js';
import { RtpSender } from '../../src/protocol/rtp/rtp-sender.js';
import { bench, formatRow } from './bench-util.js';

export function run(): Promise<string> {
  const payload = new Uint8Array(160).fill(0xff);
  // 1,024 distinct 20 ms PCMU packets (172 octets), consecutive sequence numbers across the wrap
  const packets = Array.from({ length: 1024 }, (_, i) =>
    serializeRtpPacket({
      marker: false,
      payloadType: 0,
      sequenceNumber: (65000 + i) & 0xffff,
      timestamp: i * 160,
      ssrc: 42,
      payload,
    }),
  );
  let sink = 0;
  let i = 0;
  const parse = bench('parseRtpPacket (172 B PCMU)', () => {
    const r = parseRtpPacket(packets[i++ & 1023] ?? payload);
    sink += r.ok ? r.value.sequenceNumber : 0;
  });

  const rb = new ReorderBuffer();
  let seq = 0;
  let now = 0;
  const seqPackets = Array.from({ length: 65536 }, (_, s) =>
    serializeRtpPacket({
      marker: false,
      payloadType: 0,
      sequenceNumber: s,
      timestamp: s * 160,
      ssrc: 42,
      payload,
    }),
  );
  const parsePushPop = bench('parse + ReorderBuffer push + next (per packet)', () => {
    const r = parseRtpPacket(seqPackets[seq & 0xffff] ?? payload);
    seq++;
    if (r.ok) {
      rb.push(r.value, now);
    }
    for (let out = rb.next(now); out !== undefined; out = rb.next(now)) {
      sink += out.payload.length;
    }
    now += 20;
  });

  const out = new Uint8Array(1500);
  const header = { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 42 };
  const write = bench('writeRtpPacket (160 B payload)', () => {
    header.sequenceNumber = (header.sequenceNumber + 1) & 0xffff;
    header.timestamp = (header.timestamp + 160) >>> 0;
    sink += writeRtpPacket(out, header, payload);
  });

  const sender = new RtpSender({ payloadType: 0, random: { int: (m) => Math.floor(m / 3) } });
  const senderWrite = bench('RtpSender.writeAudio + advance', () => {
    sink += sender.writeAudio(out, payload);
    sender.advance();
  });

  const rtcp = serializeRtcpCompound([
    {
      type: 'sr',
      ssrc: 1,
      ntpSeconds: 2,
      ntpFraction: 3,
      rtpTimestamp: 4,
      packetCount: 5,
      octetCount: 6,
      reports: [
        {
          ssrc: 7,
          fractionLost: 0,
          cumulativeLost: 0,
          highestSequence: 9,
          jitter: 10,
          lastSr: 11,
          delaySinceLastSr: 12,
        },
      ],
    },
    { type: 'sdes', chunks: [{ source: 1, items: [{ itemType: 1, text: 'streamfork@0f1e2d3c' }] }] },
  ]);
  const rtcpParse = bench('parseRtcpCompound (SR + SDES, 76 B)', () => {
    const r = parseRtcpCompound(rtcp);
    sink += r.ok ? r.value.length : 0;
  });

  // The latch: a packet from the latched source (every call's steady state), and a stranger screened
  // out on its address while the latched source talks (a flood from elsewhere).
  const latch = new RtpLatch();
  latch.setPayloadTypes([0, 101, 13]);
  let lseq = 0;
  let lnow = 0;
  for (; lseq < 3; lseq++) {
    latch.packet('203.0.113.7', 40000, 42, 0, lseq, lnow);
  }
  const latched = bench('RtpLatch.packet (from the latched source)', () => {
    lnow += 20;
    sink += latch.packet('203.0.113.7', 40000, 42, 0, lseq++ & 0xffff, lnow).deliver ? 1 : 0;
  });
  const screened = bench('RtpLatch.screensOut (a stranger while latched)', () => {
    sink += latch.screensOut('198.51.100.9', 50000, lnow) ? 1 : 0;
  });

  const rows = [parse, parsePushPop, write, senderWrite, rtcpParse, latched, screened].map((r) =>
    formatRow(r),
  );
  const c = rb.counters;
  if (c.lost + c.late !== 0) {
    throw new Error(`bench stream was not clean: ${JSON.stringify(c)}`);
  }
  return Promise.resolve(
    [
      '## RTP (src/protocol/rtp)',
      '',
      '| operation | time per op | ops/s | notes |',
      '| --- | --- | --- | --- |',
      ...rows,
      '',
      `(checksum ${sink % 997})`,
      '',
    ].join('\n'),
  );
}
