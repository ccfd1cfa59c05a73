import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { errorCatalog } from '../../errors/catalog.js';
import {
  ntpFromEpochMs,
  ntpMiddle32,
  parseRtcpCompound,
  type RtcpPacket,
  type RtcpReportBlock,
  serializeRtcpCompound,
} from './rtcp.js';

/**
 * Synthetic compound packet built by hand from RFC 3550 §6.4.1 (SR), §6.5 (SDES) and §6.6 (BYE):
 * SR with one report block + SDES CNAME + BYE with a reason, as a leg sends when it hangs up.
 */
const SR_SDES_BYE = Uint8Array.from([
  // --- SR (28 + 24 octets = 13 words -> length 12)
  0x81, // V=2, P=0, RC=1
  0xc8, // PT=200 (SR)
  0x00,
  0x0c, // length 12 (13 words - 1)
  0x11,
  0x22,
  0x33,
  0x44, // SSRC of sender
  0xe8,
  0x3a,
  0x6a,
  0x80, // NTP seconds 0xE83A6A80
  0x80,
  0x00,
  0x00,
  0x00, // NTP fraction 0.5 s
  0x00,
  0x00,
  0x1f,
  0x40, // RTP timestamp 8000
  0x00,
  0x00,
  0x00,
  0x32, // sender's packet count 50
  0x00,
  0x00,
  0x1f,
  0x40, // sender's octet count 8000
  0x55,
  0x66,
  0x77,
  0x88, // report block: SSRC_1
  0x40, // fraction lost 64/256 = 25 %
  0xff,
  0xff,
  0xfe, // cumulative lost -2 (signed 24-bit: duplicates)
  0x00,
  0x01,
  0x00,
  0x05, // extended highest sequence: 1 cycle, seq 5
  0x00,
  0x00,
  0x00,
  0x50, // interarrival jitter 80 (10 ms at 8 kHz)
  0x6a,
  0x80,
  0x80,
  0x00, // LSR: middle 32 bits of the NTP time above
  0x00,
  0x01,
  0x80,
  0x00, // DLSR 1.5 s (0x18000 / 65536)
  // --- SDES (4 + 12 octets -> length 3)
  0x81, // V=2, P=0, SC=1
  0xca, // PT=202 (SDES)
  0x00,
  0x03, // length 3
  0x11,
  0x22,
  0x33,
  0x44, // chunk 1 SSRC
  0x01,
  0x05, // item CNAME, 5 octets
  0x61,
  0x40,
  0x68,
  0x6f,
  0x73, // "a@hos"
  0x00, // null item ends the chunk (already on a word boundary after it)
  // --- BYE (4 + 4 + 8 octets -> length 3)
  0x81, // V=2, P=0, SC=1
  0xcb, // PT=203 (BYE)
  0x00,
  0x03, // length 3
  0x11,
  0x22,
  0x33,
  0x44, // SSRC leaving
  0x06, // reason length 6
  0x68,
  0x61,
  0x6e,
  0x67,
  0x75,
  0x70, // "hangup"
  0x00, // padding to the word boundary
]);

const block: RtcpReportBlock = {
  ssrc: 0x55667788,
  fractionLost: 64,
  cumulativeLost: -2,
  highestSequence: 0x10005,
  jitter: 80,
  lastSr: 0x6a808000,
  delaySinceLastSr: 0x18000,
};

const expected: RtcpPacket[] = [
  {
    type: 'sr',
    ssrc: 0x11223344,
    ntpSeconds: 0xe83a6a80,
    ntpFraction: 0x80000000,
    rtpTimestamp: 8000,
    packetCount: 50,
    octetCount: 8000,
    reports: [block],
  },
  { type: 'sdes', chunks: [{ source: 0x11223344, items: [{ itemType: 1, text: 'a@hos' }] }] },
  { type: 'bye', sources: [0x11223344], reason: 'hangup' },
];

test('RFC 3550 §6.4.1, §6.5, §6.6: parses SR + SDES + BYE compound', () => {
  const r = parseRtcpCompound(SR_SDES_BYE);
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(r.value, expected);
  assert.equal(ntpMiddle32(0xe83a6a80, 0x80000000), 0x6a808000);
});

test('RFC 3550 §6.1: serializes the same compound byte for byte', () => {
  assert.deepEqual(serializeRtcpCompound(expected), SR_SDES_BYE);
});

/** Synthetic RR (RFC 3550 §6.4.2) with no report blocks, the smallest valid compound start. */
const EMPTY_RR = Uint8Array.from([
  0x80, // V=2, P=0, RC=0
  0xc9, // PT=201 (RR)
  0x00,
  0x01, // length 1
  0xde,
  0xad,
  0xbe,
  0xef, // SSRC of packet sender
]);

test('RFC 3550 §6.4.2: RR without report blocks; APP kept opaque', () => {
  const app = Uint8Array.from([0x82, 204, 0x00, 0x02, 0, 0, 0, 1, 0x6e, 0x61, 0x6d, 0x65]); // APP subtype 2 "name"
  const both = new Uint8Array([...EMPTY_RR, ...app]);
  const r = parseRtcpCompound(both);
  assert.ok(r.ok);
  assert.deepEqual(r.value[0], { type: 'rr', ssrc: 0xdeadbeef, reports: [] });
  const other = r.value[1];
  assert.equal(other?.type, 'other');
  assert.deepEqual(serializeRtcpCompound(r.value), both);
});

test('RFC 3550 A.2: padding is allowed on the last packet only', () => {
  const padded = Uint8Array.from([0xa0, 0xc9, 0x00, 0x02, 1, 2, 3, 4, 0, 0, 0, 4]); // RR + 4 octets of padding
  const r = parseRtcpCompound(padded);
  assert.ok(r.ok);
  assert.deepEqual(r.value, [{ type: 'rr', ssrc: 0x01020304, reports: [] }]);
  const notLast = parseRtcpCompound(new Uint8Array([...padded, ...EMPTY_RR]));
  assert.equal(notLast.ok ? '' : notLast.error.code, 'ERR_RTCP_BAD_PADDING');
});

const bad: readonly [string, number[], string][] = [
  ['3 octets', [0x80, 0xc9, 0], 'ERR_RTCP_TOO_SHORT'],
  ['version 1', [0x40, 0xc9, 0, 1, 0, 0, 0, 0], 'ERR_RTCP_BAD_VERSION'],
  ['length past the datagram', [0x80, 0xc9, 0, 5, 0, 0, 0, 0], 'ERR_RTCP_TOO_SHORT'],
  ['RC=1 without a block', [0x81, 0xc9, 0, 1, 0, 0, 0, 0], 'ERR_RTCP_BAD_LENGTH'],
  ['SR without sender info', [0x80, 0xc8, 0, 1, 0, 0, 0, 0], 'ERR_RTCP_TOO_SHORT'],
  ['SDES item past the packet', [0x81, 0xca, 0, 2, 0, 0, 0, 1, 1, 9, 0x61, 0x62], 'ERR_RTCP_BAD_LENGTH'],
  ['BYE count past the packet', [0x82, 0xcb, 0, 1, 0, 0, 0, 1], 'ERR_RTCP_BAD_LENGTH'],
  ['padding count 0', [0xa0, 0xc9, 0, 1, 0, 0, 0, 0], 'ERR_RTCP_BAD_PADDING'],
];

for (const [name, bytes, code] of bad) {
  test(`RFC 3550 A.2: rejects ${name} with ${code}`, () => {
    const r = parseRtcpCompound(Uint8Array.from(bytes));
    assert.equal(r.ok ? '' : r.error.code, code);
  });
}

test('RFC 3550 §4: NTP timestamp from Unix time', () => {
  const t = ntpFromEpochMs(1_700_000_000_500);
  assert.equal(t.seconds, 1_700_000_000 + 2_208_988_800);
  assert.equal(t.fraction, 0x80000000);
});

test('property: parseRtcpCompound never throws; ok or a catalogued ERR_RTCP_ code (10,000 inputs)', () => {
  const v2 = fc.uint8Array({ maxLength: 120 }).map((b) => {
    for (let i = 0; i + 3 < b.length; i += 4 * (((b[i + 3] ?? 0) & 3) + 1)) {
      b[i] = ((b[i] ?? 0) & 0x3f) | 0x80; // version 2 where headers would be, to reach deeper checks
      b[i + 1] = 200 + ((b[i + 1] ?? 0) % 6);
      b[i + 2] = 0;
      b[i + 3] = (b[i + 3] ?? 0) & 3;
    }
    return b;
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), v2), (bytes) => {
      const r = parseRtcpCompound(bytes);
      if (!r.ok) {
        assert.ok(r.error.code.startsWith('ERR_RTCP_') && errorCatalog.has(r.error.code), r.error.code);
      }
    }),
    { numRuns: 10_000 },
  );
});

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const blockArb: fc.Arbitrary<RtcpReportBlock> = fc.record({
  ssrc: u32,
  fractionLost: fc.integer({ min: 0, max: 255 }),
  cumulativeLost: fc.integer({ min: -0x800000, max: 0x7fffff }),
  highestSequence: u32,
  jitter: u32,
  lastSr: u32,
  delaySinceLastSr: u32,
});
const text = fc.string({
  maxLength: 40,
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz@.-0123456789 '.split('')),
});
const packetArb: fc.Arbitrary<RtcpPacket> = fc.oneof(
  fc.record({
    type: fc.constant('sr' as const),
    ssrc: u32,
    ntpSeconds: u32,
    ntpFraction: u32,
    rtpTimestamp: u32,
    packetCount: u32,
    octetCount: u32,
    reports: fc.array(blockArb, { maxLength: 3 }),
  }),
  fc.record({ type: fc.constant('rr' as const), ssrc: u32, reports: fc.array(blockArb, { maxLength: 3 }) }),
  fc.record({
    type: fc.constant('sdes' as const),
    chunks: fc.array(
      fc.record({
        source: u32,
        items: fc.array(fc.record({ itemType: fc.integer({ min: 1, max: 7 }), text }), { maxLength: 3 }),
      }),
      { maxLength: 3 },
    ),
  }),
  fc.oneof(
    fc.record({ type: fc.constant('bye' as const), sources: fc.array(u32, { maxLength: 4 }) }),
    fc.record({ type: fc.constant('bye' as const), sources: fc.array(u32, { maxLength: 4 }), reason: text }),
  ),
);

test('property: parse(serialize(compound)) == compound (5,000 compounds)', () => {
  fc.assert(
    fc.property(fc.array(packetArb, { minLength: 1, maxLength: 4 }), (packets) => {
      const bytes = serializeRtcpCompound(packets);
      assert.equal(bytes.length % 4, 0);
      const r = parseRtcpCompound(bytes);
      assert.ok(r.ok, JSON.stringify(r));
      assert.deepEqual(r.value, JSON.parse(JSON.stringify(packets)) as unknown); // fc.record objects have a null prototype
      assert.deepEqual(serializeRtcpCompound(r.value), bytes);
    }),
    { numRuns: 5_000 },
  );
});
