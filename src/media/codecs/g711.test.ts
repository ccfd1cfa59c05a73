import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  alawDecode,
  alawEncode,
  ALAW_DECODE_TABLE,
  mulawDecode,
  mulawEncode,
  MULAW_DECODE_TABLE,
} from './g711.js';

// ITU-T G.711 decoder output values, written from the standard's formulas (not from the
// implementation's shifts): μ-law codes are sent with all bits inverted; A-law with the even bits
// inverted (XOR 0x55). Values are in the standard's 14-bit (μ) and 13-bit (A) units, scaled to int16.
function mulawFormula(code: number): number {
  const v = code ^ 0xff;
  const negative = (v & 0x80) !== 0;
  const segment = Math.floor(v / 16) % 8;
  const step = v % 16;
  const magnitude14 = (2 * step + 33) * 2 ** segment - 33;
  return (negative ? -1 : 1) * magnitude14 * 4 + 0; // + 0 turns -0 into 0, as an Int16Array stores it.
}

function alawFormula(code: number): number {
  const v = code ^ 0x55;
  const positive = (v & 0x80) !== 0;
  const segment = Math.floor(v / 16) % 8;
  const step = v % 16;
  const magnitude13 = segment === 0 ? 2 * step + 1 : (2 * step + 33) * 2 ** (segment - 1);
  return (positive ? 1 : -1) * magnitude13 * 8;
}

const allCodes = Uint8Array.from({ length: 256 }, (_, i) => i);
const allPcm = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

test('ITU-T G.711 μ-law: all 256 decoder outputs match the formula', () => {
  const out = new Int16Array(256);
  mulawDecode(allCodes, out);
  for (let code = 0; code < 256; code++) {
    assert.equal(out[code], mulawFormula(code), `code 0x${code.toString(16)}`);
    assert.equal(MULAW_DECODE_TABLE[code], mulawFormula(code));
  }
});

test('ITU-T G.711 A-law: all 256 decoder outputs match the formula', () => {
  const out = new Int16Array(256);
  alawDecode(allCodes, out);
  for (let code = 0; code < 256; code++) {
    assert.equal(out[code], alawFormula(code), `code 0x${code.toString(16)}`);
    assert.equal(ALAW_DECODE_TABLE[code], alawFormula(code));
  }
});

test('ITU-T G.711: anchor values (extremes and the codes for zero)', () => {
  // μ-law: 0x80 = +8031, 0x00 = -8031 (14-bit units); 0xFF = +0, 0x7F = -0.
  assert.deepEqual(
    [mulawFormula(0x80), mulawFormula(0x00), mulawFormula(0xff), mulawFormula(0x7f)],
    [32124, -32124, 0, 0],
  );
  // A-law: 0xAA = +4032, 0x2A = -4032 (13-bit units); 0xD5 = +1, 0x55 = -1.
  assert.deepEqual(
    [alawFormula(0xaa), alawFormula(0x2a), alawFormula(0xd5), alawFormula(0x55)],
    [32256, -32256, 8, -8],
  );
  const mu = new Uint8Array(4);
  mulawEncode(Int16Array.of(0, 32767, -32768, -1), mu);
  assert.deepEqual([...mu], [0xff, 0x80, 0x00, 0x7f]);
  const a = new Uint8Array(4);
  alawEncode(Int16Array.of(0, 32767, -32768, -1), a);
  assert.deepEqual([...a], [0xd5, 0xaa, 0x2a, 0x55]);
});

test('G.711 round trip: encode(decode(b)) === b for every code except μ-law 0x7F (-0)', () => {
  const pcm = new Int16Array(256);
  const back = new Uint8Array(256);
  mulawDecode(allCodes, pcm);
  mulawEncode(pcm, back);
  for (let code = 0; code < 256; code++) {
    assert.equal(back[code], code === 0x7f ? 0xff : code, `μ-law 0x${code.toString(16)}`);
  }
  alawDecode(allCodes, pcm);
  alawEncode(pcm, back);
  assert.deepEqual([...back], [...allCodes]);
});

/** Quantisation step (int16 units) of the interval a decoded value belongs to. */
function stepOf(decoded: number, law: 'mu' | 'a'): number {
  const m = Math.abs(decoded);
  if (law === 'mu') {
    // Segment e spans biased magnitudes [2^(e+7), 2^(e+8)) with step 2^(e+3).
    const e = Math.max(0, Math.floor(Math.log2(m + 132)) - 7);
    return 8 * 2 ** e;
  }
  const e = m < 512 ? 0 : Math.floor(Math.log2(m)) - 8;
  return 16 * 2 ** Math.max(0, e);
}

for (const law of ['mu', 'a'] as const) {
  test(`G.711 ${law}-law: decode(encode(x)) is within half a step for every int16 (one step where clipped)`, () => {
    const codes = new Uint8Array(65536);
    const back = new Int16Array(65536);
    (law === 'mu' ? mulawEncode : alawEncode)(allPcm, codes);
    (law === 'mu' ? mulawDecode : alawDecode)(codes, back);
    const top = law === 'mu' ? 32124 : 32256;
    let previous = -Infinity;
    for (let i = 0; i < 65536; i++) {
      const x = allPcm[i]!;
      const y = back[i]!;
      const step = stepOf(y, law);
      const limit = Math.abs(x) > top ? step : step / 2;
      assert.ok(Math.abs(y - x) <= limit, `${law}: x=${x} decoded ${y} (step ${step})`);
      // The quantiser is monotonic.
      assert.ok(y >= previous, `${law}: not monotonic at x=${x}`);
      previous = y;
    }
  });
}

test('G.711 codecs write only the first n outputs and accept subarrays', () => {
  const pcm = Int16Array.of(100, -100, 1000);
  const out = new Uint8Array(5).fill(0x11);
  mulawEncode(pcm.subarray(1), out.subarray(2, 4));
  const expected = new Uint8Array(2);
  mulawEncode(Int16Array.of(-100, 1000), expected);
  assert.deepEqual([...out], [0x11, 0x11, expected[0], expected[1], 0x11]);
  const dec = new Int16Array(2);
  mulawDecode(out.subarray(2, 4), dec);
  assert.ok(Math.abs(dec[0]! + 100) <= 4 && Math.abs(dec[1]! - 1000) <= 16);
});
