import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { AesCm } from './aes-cm.js';
import { KEYSTREAM_BATCH, KEYSTREAM_SLOT_BLOCKS, RtpKeystream } from './rtp-keystream.js';

const KEY = Uint8Array.from({ length: 16 }, (_, i) => (i * 29 + 3) & 0xff);
const SALT = Uint8Array.from({ length: 14 }, (_, i) => (i * 17 + 5) & 0xff);

/** The keystream of one packet computed the plain way: the RFC 3711 §4.1.1 IV, then AES-CM. */
function reference(ssrc: number, index: number, length: number): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(SALT);
  const hi = Math.floor(index / 2 ** 32);
  const lo = index >>> 0;
  const xorIn = [
    ssrc >>> 24,
    ssrc >>> 16,
    ssrc >>> 8,
    ssrc,
    hi >>> 8,
    hi,
    lo >>> 24,
    lo >>> 16,
    lo >>> 8,
    lo,
  ];
  xorIn.forEach((v, i) => {
    iv[4 + i] = (iv[4 + i] ?? 0) ^ (v & 0xff);
  });
  return new AesCm(KEY).keystream(iv, length);
}

/** The keystream as `ks` XORs it into zeros at `offset` (12: 4-aligned, as after an RTP header; 7: not). */
function batched(ks: RtpKeystream, ssrc: number, index: number, length: number, offset = 12): Uint8Array {
  const buf = new Uint8Array(length + 20);
  ks.xor(ssrc, index, buf, offset, length);
  return buf.subarray(offset, offset + length);
}

test('RtpKeystream: a stream in order, across a batch boundary and a ROC step, equals AES-CM packet by packet', () => {
  const ks = new RtpKeystream(KEY, SALT);
  const start = 65536 * 3 + 65530; // ROC 3 → 4 in the middle
  for (let i = 0; i < 3 * KEYSTREAM_BATCH + 5; i++) {
    assert.deepEqual(
      batched(ks, 0x0a0b0c0d, start + i, 160),
      reference(0x0a0b0c0d, start + i, 160),
      `packet ${i}`,
    );
  }
  // An index past 2^32 (ROC above 65535) and the last index of the 48-bit space.
  for (const index of [2 ** 32 + 5, 2 ** 32 + 6, 2 ** 48 - 2, 2 ** 48 - 1]) {
    assert.deepEqual(batched(ks, 77, index, 172, 7), reference(77, index, 172), `index ${index}`);
  }
});

test('RtpKeystream: reordering, SSRC changes, repeats and payload sizes always give the keystream of the packet index itself (property)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          ssrc: fc.constantFrom(1, 2, 0xffffffff),
          step: fc.integer({ min: -3, max: 3 }),
          offset: fc.constantFrom(0, 7, 12),
          length: fc.oneof(
            fc.constant(160),
            fc.integer({ min: 1, max: KEYSTREAM_SLOT_BLOCKS * 16 + 40 }),
            fc.integer({ min: 1, max: 1504 }),
          ),
        }),
        { minLength: 1, maxLength: 120 },
      ),
      (packets) => {
        const ks = new RtpKeystream(KEY, SALT);
        let index = 1000;
        for (const p of packets) {
          index = Math.max(0, index + (p.step === 0 ? 1 : p.step));
          assert.deepEqual(
            batched(ks, p.ssrc, index, p.length, p.offset),
            reference(p.ssrc, index, p.length),
          );
        }
      },
    ),
    { numRuns: 200 },
  );
});

test('RtpKeystream: XORs in place (twice gives the data back) and refuses more than a datagram', () => {
  const ks = new RtpKeystream(KEY, SALT);
  const data = Uint8Array.from({ length: 200 }, (_, i) => i);
  const copy = data.slice();
  ks.xor(5, 10, data, 12, 160);
  assert.notDeepEqual(data, copy);
  assert.deepEqual(data.subarray(0, 12), copy.subarray(0, 12));
  ks.xor(5, 10, data, 12, 160);
  assert.deepEqual(data, copy);
  ks.xor(5, 11, data, 0, 0);
  assert.deepEqual(data, copy);
  assert.throws(() => {
    ks.xor(5, 12, new Uint8Array(1600), 0, 1505);
  }, RangeError);
});
