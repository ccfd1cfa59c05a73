/**
 * SRTP hot-path micro-benchmarks (RFC 3711, AES_CM_128_HMAC_SHA1_80 and _32): protect, unprotect and
 * the pair per 20 ms PCMU packet (172 octets), SRTCP protect + unprotect, and plain RTP parse for scale.
 * Run: `node --import tsx test/bench/run.ts srtp`. Figures: docs/benchmarks/srtp.md.
 */
import { parseRtpPacket, serializeRtpPacket } from '../../src/protocol/rtp/packet.js';
import { SrtpContext } from '../../src/protocol/srtp/srtp-context.js';
import type { SrtpMasterKey, SrtpSuiteName } from '../../src/protocol/srtp/srtp-suites.js';
import { bench, formatRow } from './bench-util.js';

function master(suite: SrtpSuiteName): SrtpMasterKey {
  return { suite, key: new Uint8Array(16).fill(3), salt: new Uint8Array(14).fill(5) };
}

export function run(): Promise<string> {
  const payload = new Uint8Array(160).fill(0xff);
  const plain = Array.from({ length: 65536 }, (_, s) =>
    serializeRtpPacket({
      marker: false,
      payloadType: 0,
      sequenceNumber: s,
      timestamp: s * 160,
      ssrc: 42,
      payload,
    }),
  );
  const buf = new Uint8Array(1514);
  let sink = 0;
  const rows: string[] = [];
  for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
    const tx = new SrtpContext(master(suite));
    let seq = 0;
    const protect = bench(`protectRtp ${suite.slice(-2)} (172 B PCMU)`, () => {
      buf.set(plain[seq++ & 0xffff] ?? payload);
      const r = tx.protectRtp(buf, 172);
      sink += r.ok ? r.length : 0;
    });
    // Pre-protect a full sequence cycle for the receiver, then unprotect copies in order.
    const sender = new SrtpContext(master(suite));
    const sealed = plain.map((p) => {
      const b = new Uint8Array(1514);
      b.set(p);
      const r = sender.protectRtp(b, p.length);
      return b.slice(0, r.ok ? r.length : 0);
    });
    // The sealed packets carry ROC 0: a fresh receiver per cycle of 65,536 (else every packet after
    // the first cycle fails authentication and the figure would be the cheaper failure path).
    let rx = new SrtpContext(master(suite));
    let rseq = 0;
    let failed = 0;
    const unprotect = bench(`unprotectRtp ${suite.slice(-2)} (172 B PCMU + tag)`, () => {
      if ((rseq & 0xffff) === 0) {
        rx = new SrtpContext(master(suite));
      }
      const s = sealed[rseq++ & 0xffff] ?? payload;
      buf.set(s);
      const r = rx.unprotectRtp(buf, s.length);
      if (r.ok) {
        sink += r.length;
      } else {
        failed++;
      }
    });
    if (failed > 0) {
      throw new Error(`srtp bench: ${failed} unprotects failed`);
    }
    const pairTx = new SrtpContext(master(suite));
    const pairRx = new SrtpContext(master(suite));
    let pseq = 0;
    const pair = bench(`protect + unprotect ${suite.slice(-2)} (one packet each way)`, () => {
      buf.set(plain[pseq++ & 0xffff] ?? payload);
      const p = pairTx.protectRtp(buf, 172);
      const u = pairRx.unprotectRtp(buf, p.ok ? p.length : 0);
      if (!u.ok) {
        throw new Error(`srtp bench: round trip failed (${u.reason})`);
      }
      sink += u.length;
    });
    rows.push(formatRow(protect), formatRow(unprotect), formatRow(pair));
  }
  const rtcpTx = new SrtpContext(master('AES_CM_128_HMAC_SHA1_80'));
  const rtcpRx = new SrtpContext(master('AES_CM_128_HMAC_SHA1_80'));
  const rr = Uint8Array.from([0x80, 201, 0, 1, 0, 0, 0, 42]);
  const rtcp = bench('protectRtcp + unprotectRtcp (8 B RR)', () => {
    buf.set(rr);
    const p = rtcpTx.protectRtcp(buf, 8);
    const u = rtcpRx.unprotectRtcp(buf, p.ok ? p.length : 0);
    sink += u.ok ? u.length : 0;
  });
  let i = 0;
  const parse = bench('parseRtpPacket (plain, for scale)', () => {
    const r = parseRtpPacket(plain[i++ & 0xffff] ?? payload);
    sink += r.ok ? r.value.sequenceNumber : 0;
  });
  rows.push(formatRow(rtcp), formatRow(parse));
  return Promise.resolve(
    [
      '## SRTP',
      '',
      '| operation | per op | ops/s | notes |',
      '| --- | --- | --- | --- |',
      ...rows,
      '',
      `(sink ${sink > 0 ? 'ok' : 'empty'})`,
      '',
    ].join('\n'),
  );
}
