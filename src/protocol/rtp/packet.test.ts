import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { errorCatalog } from '../../errors/catalog.js';
import {
  looksLikeRtcp,
  parseRtpPacket,
  type RtpPacketInit,
  serializeRtpPacket,
  writeRtpPacket,
} from './packet.js';
import { RtpSender } from './rtp-sender.js';

/**
 * Provenance: the first packet of /usr/share/sip-tester/g711a.pcap (Debian `sip-tester` 3.6.1, the
 * PCMA capture sipp plays with `play_pcap_audio`), RTP header plus the first 4 of 240 payload octets.
 */
const PCMA_FROM_SIPP = Uint8Array.from([
  0x80, // V=2, P=0, X=0, CC=0
  0x88, // M=1 (talkspurt start), PT=8 (PCMA, RFC 3551 §6)
  0xe6,
  0xfd, // sequence number 59133
  0x00,
  0x00,
  0x00,
  0xf0, // timestamp 240 (ptime 30 in that capture)
  0xde,
  0xe0,
  0xee,
  0x8f, // SSRC 0xdee0ee8f
  0xd5,
  0xd5,
  0xd5,
  0xd5, // payload: A-law silence (0xD5)
]);

/** Synthetic, built by hand from RFC 3550 §5.1 and §5.3.1: every optional part present. */
const FULL_FEATURED = Uint8Array.from([
  0xb2, // V=2, P=1, X=1, CC=2
  0x00, // M=0, PT=0 (PCMU)
  0xff,
  0xff, // sequence number 65535 (about to wrap)
  0xff,
  0xff,
  0xff,
  0x60, // timestamp 0xFFFFFF60
  0x12,
  0x34,
  0x56,
  0x78, // SSRC
  0x00,
  0x00,
  0x00,
  0x01, // CSRC 1
  0xca,
  0xfe,
  0xba,
  0xbe, // CSRC 2
  0xbe,
  0xde, // extension profile 0xBEDE (RFC 8285 one-byte headers)
  0x00,
  0x01, // extension length: 1 word
  0x10,
  0xaa,
  0x00,
  0x00, // extension data (id 1, len 1, value 0xAA, padding)
  0xff,
  0x7f, // payload: two μ-law octets
  0x00,
  0x00,
  0x00,
  0x04, // padding: 3 filler octets + count 4
]);

test('RFC 3550 §5.1: parses a PCMA packet captured from sipp', () => {
  const r = parseRtpPacket(PCMA_FROM_SIPP);
  assert.ok(r.ok);
  assert.equal(r.value.marker, true);
  assert.equal(r.value.payloadType, 8);
  assert.equal(r.value.sequenceNumber, 59133);
  assert.equal(r.value.timestamp, 240);
  assert.equal(r.value.ssrc, 0xdee0ee8f);
  assert.deepEqual(r.value.csrcs, []);
  assert.equal(r.value.extension, undefined);
  assert.deepEqual([...r.value.payload], [0xd5, 0xd5, 0xd5, 0xd5]);
  assert.equal(r.value.payload.buffer, PCMA_FROM_SIPP.buffer, 'payload is a view, not a copy');
  assert.deepEqual(serializeRtpPacket(r.value), PCMA_FROM_SIPP);
});

test('RFC 3550 §5.1, §5.3.1: CSRC list, header extension skipped, padding removed', () => {
  const r = parseRtpPacket(FULL_FEATURED);
  assert.ok(r.ok);
  assert.equal(r.value.marker, false);
  assert.equal(r.value.payloadType, 0);
  assert.equal(r.value.sequenceNumber, 65535);
  assert.equal(r.value.timestamp, 0xffffff60);
  assert.equal(r.value.ssrc, 0x12345678);
  assert.deepEqual(r.value.csrcs, [1, 0xcafebabe]);
  const ext = r.value.extension;
  assert.ok(ext);
  assert.equal(ext.profile, 0xbede);
  assert.deepEqual([...ext.data], [0x10, 0xaa, 0, 0]);
  assert.equal(r.value.paddingLength, 4);
  assert.deepEqual([...r.value.payload], [0xff, 0x7f]);
  assert.deepEqual(serializeRtpPacket(r.value), FULL_FEATURED);
});

const bad: readonly [string, number[], string][] = [
  ['empty', [], 'ERR_RTP_TOO_SHORT'],
  ['11 octets', [0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], 'ERR_RTP_TOO_SHORT'],
  ['version 1', [0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], 'ERR_RTP_BAD_VERSION'],
  ['version 0 (STUN-like)', [0x00, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0], 'ERR_RTP_BAD_VERSION'],
  ['CC=1 but no CSRC', [0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], 'ERR_RTP_TOO_SHORT'],
  ['X=1 but no extension header', [0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe], 'ERR_RTP_TOO_SHORT'],
  [
    'extension length past the end',
    [0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 2, 0, 0, 0, 0],
    'ERR_RTP_TOO_SHORT',
  ],
  ['padding count 0', [0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x00], 'ERR_RTP_BAD_PADDING'],
  [
    'padding count past the header',
    [0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x03],
    'ERR_RTP_BAD_PADDING',
  ],
];

for (const [name, bytes, code] of bad) {
  test(`RFC 3550 §5.1: rejects ${name} with ${code}`, () => {
    const r = parseRtpPacket(Uint8Array.from(bytes));
    assert.equal(r.ok ? '' : r.error.code, code);
  });
}

test('RFC 3550 §5.1: a packet that is all padding has an empty payload', () => {
  const r = parseRtpPacket(Uint8Array.from([0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x04]));
  assert.ok(r.ok);
  assert.equal(r.value.payload.length, 0);
});

test('RFC 5761 §4: RTCP on the RTP port is recognised by its packet type', () => {
  assert.equal(looksLikeRtcp(Uint8Array.from([0x80, 200, 0, 6])), true);
  assert.equal(looksLikeRtcp(PCMA_FROM_SIPP), false);
  assert.equal(looksLikeRtcp(Uint8Array.from([0x80])), false);
});

test('writeRtpPacket writes the same bytes as serializeRtpPacket without allocating', () => {
  const header = {
    marker: true,
    payloadType: 0,
    sequenceNumber: 0x1234,
    timestamp: 0xdeadbeef,
    ssrc: 7,
    csrcs: [9],
  };
  const payload = Uint8Array.from({ length: 160 }, (_, i) => i);
  const out = new Uint8Array(1500);
  const n = writeRtpPacket(out, header, payload, 10);
  assert.equal(n, 12 + 4 + 160);
  assert.deepEqual(out.subarray(10, 10 + n), serializeRtpPacket({ ...header, payload }));
  assert.throws(() => writeRtpPacket(new Uint8Array(20), header, payload), RangeError);
  assert.throws(() => serializeRtpPacket({ ...header, payloadType: 128, payload }), RangeError);
});

const seeded = (values: number[]) => ({ int: (max: number) => (values.shift() ?? 0) % max });

test('RFC 3550 §5.1: RtpSender draws SSRC, sequence and timestamp at random, 160 per 20 ms tick', () => {
  const s = new RtpSender({ payloadType: 0, random: seeded([0xabcdef01, 0xfffe, 0xfffffff0]) });
  assert.equal(s.ssrc, 0xabcdef01);
  const out = new Uint8Array(200);
  const payload = new Uint8Array(160);
  const seen: { seq: number; ts: number; m: boolean }[] = [];
  for (let i = 0; i < 4; i++) {
    if (i !== 2) {
      const n = s.writeAudio(out, payload);
      const p = parseRtpPacket(out.subarray(0, n));
      assert.ok(p.ok);
      seen.push({ seq: p.value.sequenceNumber, ts: p.value.timestamp, m: p.value.marker });
    }
    s.advance();
  }
  assert.deepEqual(seen, [
    { seq: 0xfffe, ts: 0xfffffff0, m: true }, // first packet starts a talkspurt
    { seq: 0xffff, ts: 0x90, m: false }, // timestamp wrapped: 0xfffffff0 + 160
    { seq: 0x0000, ts: 0x1d0, m: true }, // after a tick without audio: a new talkspurt
  ]);
  assert.equal(s.packetsSent, 3);
  assert.equal(s.octetsSent, 480);
  const h = s.header(101, true, 4);
  assert.deepEqual(h, {
    marker: true,
    payloadType: 101,
    sequenceNumber: 1,
    timestamp: 0x1d0 + 160,
    ssrc: 0xabcdef01,
  });
});

const catalogued = (code: string) => code.startsWith('ERR_RTP_') && errorCatalog.has(code);

test('property: parseRtpPacket never throws; ok or a catalogued ERR_RTP_ code (10,000 inputs)', () => {
  const header = fc.uint8Array({ minLength: 0, maxLength: 80 }).map((b) => {
    if (b.length > 0) {
      b[0] = ((b[0] ?? 0) & 0x3f) | 0x80; // mostly version 2, to reach the deeper checks
    }
    return b;
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), header), (bytes) => {
      const r = parseRtpPacket(bytes);
      if (r.ok) {
        assert.ok(r.value.payload.length + 12 <= bytes.length);
      } else {
        assert.ok(catalogued(r.error.code), r.error.code);
      }
    }),
    { numRuns: 10_000 },
  );
});

const packetArb: fc.Arbitrary<RtpPacketInit> = fc.record({
  marker: fc.boolean(),
  payloadType: fc.integer({ min: 0, max: 127 }),
  sequenceNumber: fc.integer({ min: 0, max: 0xffff }),
  timestamp: fc.integer({ min: 0, max: 0xffffffff }),
  ssrc: fc.integer({ min: 0, max: 0xffffffff }),
  csrcs: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
  payload: fc.uint8Array({ maxLength: 200 }),
  extension: fc.option(
    fc.record({
      profile: fc.integer({ min: 0, max: 0xffff }),
      data: fc.uint8Array({ maxLength: 12 }).map((d) => d.slice(0, d.length & ~3)),
    }),
    { nil: undefined },
  ),
  paddingLength: fc.integer({ min: 0, max: 255 }),
});

test('property: parse(serialize(p)) == p and serialize(parse(x)) == x (5,000 packets)', () => {
  fc.assert(
    fc.property(packetArb, (p) => {
      const bytes = serializeRtpPacket(p);
      const r = parseRtpPacket(bytes);
      assert.ok(r.ok);
      const v = r.value;
      assert.deepEqual(
        [v.marker, v.payloadType, v.sequenceNumber, v.timestamp, v.ssrc, [...v.csrcs], v.paddingLength],
        [
          p.marker,
          p.payloadType,
          p.sequenceNumber,
          p.timestamp,
          p.ssrc,
          [...(p.csrcs ?? [])],
          p.paddingLength,
        ],
      );
      assert.deepEqual(v.payload, p.payload);
      assert.deepEqual(v.extension?.profile, p.extension?.profile);
      assert.deepEqual(serializeRtpPacket(v), bytes);
    }),
    { numRuns: 5_000 },
  );
});
