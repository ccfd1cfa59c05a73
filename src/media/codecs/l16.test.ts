import assert from 'node:assert/strict';
import { test } from 'node:test';

import { l16Decode, l16Encode } from './l16.js';

test('L16 little-endian (Plivo <Stream>, spec D6): byte layout', () => {
  const out = new Uint8Array(6);
  l16Encode(Int16Array.of(0x1234, -2, -32768), out, true);
  assert.deepEqual([...out], [0x34, 0x12, 0xfe, 0xff, 0x00, 0x80]);
});

test('RFC 3551 §4.5.11 L16 big-endian (network order): byte layout', () => {
  const out = new Uint8Array(6);
  l16Encode(Int16Array.of(0x1234, -2, -32768), out, false);
  assert.deepEqual([...out], [0x12, 0x34, 0xff, 0xfe, 0x80, 0x00]);
});

test('L16 decode matches DataView in both byte orders for every int16', () => {
  const pcm = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
  for (const littleEndian of [true, false]) {
    const bytes = new Uint8Array(2 * pcm.length);
    l16Encode(pcm, bytes, littleEndian);
    const view = new DataView(bytes.buffer);
    const back = new Int16Array(pcm.length);
    l16Decode(bytes, back, littleEndian);
    for (let i = 0; i < pcm.length; i++) {
      assert.equal(view.getInt16(2 * i, littleEndian), pcm[i]);
      assert.equal(back[i], pcm[i]);
    }
  }
});

test('L16 decode ignores a trailing odd byte and works on unaligned subarrays', () => {
  const backing = new Uint8Array([0xaa, 0x01, 0x00, 0xff, 0x7f, 0x99]);
  const out = new Int16Array(2);
  l16Decode(backing.subarray(1), out, true);
  assert.deepEqual([...out], [1, 0x7fff]);
});
