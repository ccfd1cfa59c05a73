import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { mediaCodes } from '../errors/codes/media.js';
import { generateTone, tonePower } from './analysis.js';
import { parseWav, resampleTo8k, serializeWav, type WavAudio } from './wav.js';

interface Chunk {
  readonly id: string;
  readonly body: Uint8Array;
  /** Size to write in the header instead of body.length. */
  readonly declaredSize?: number;
}

function u16(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff];
}

function u32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

function ascii(s: string): number[] {
  return Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));
}

/** Assembles a RIFF/WAVE file from chunks (pad byte after odd bodies). */
function riff(chunks: readonly Chunk[], riffSize?: number): Uint8Array {
  const body: number[] = ascii('WAVE');
  for (const c of chunks) {
    body.push(...ascii(c.id), ...u32(c.declaredSize ?? c.body.length), ...c.body);
    if (c.body.length % 2 === 1) {
      body.push(0);
    }
  }
  return Uint8Array.from([...ascii('RIFF'), ...u32(riffSize ?? body.length), ...body]);
}

function fmt(tag: number, channels: number, rate: number, bits: number): Chunk {
  const block = (channels * bits) / 8;
  return {
    id: 'fmt ',
    body: Uint8Array.from([
      ...u16(tag),
      ...u16(channels),
      ...u32(rate),
      ...u32(rate * block),
      ...u16(block),
      ...u16(bits),
    ]),
  };
}

function extensibleFmt(subTag: number, channels: number, rate: number, bits: number): Chunk {
  const base = fmt(0xfffe, channels, rate, bits).body;
  const guidTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
  return {
    id: 'fmt ',
    body: Uint8Array.from([...base, ...u16(22), ...u16(bits), ...u32(3), ...u16(subTag), ...guidTail]),
  };
}

function data(bytes: number[]): Chunk {
  return { id: 'data', body: Uint8Array.from(bytes) };
}

function expectOk(bytes: Uint8Array): WavAudio {
  const r = parseWav(bytes);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.detail}`);
  return r.value;
}

function expectCode(bytes: Uint8Array, code: keyof typeof mediaCodes): void {
  const r = parseWav(bytes);
  if (r.ok) {
    assert.fail(`expected ${code}, parsed ${r.value.samples.length} samples`);
  }
  assert.equal(r.error.code, code);
}

test('serializeWav → parseWav round-trips PCM16 mono exactly, canonical 44-byte header', () => {
  const samples = Int16Array.of(0, 1, -1, 32767, -32768, 1234);
  const bytes = serializeWav(samples, 16000);
  assert.equal(bytes.length, 44 + 12);
  assert.deepEqual([...bytes.subarray(0, 16)], [...ascii('RIFF'), ...u32(48), ...ascii('WAVEfmt ')]);
  const audio = expectOk(bytes);
  assert.equal(audio.sampleRateHz, 16000);
  assert.equal(audio.channels, 1);
  assert.deepEqual([...audio.samples], [...samples]);
});

test('8-bit unsigned PCM, μ-law (tag 7) and A-law (tag 6) decode to int16', () => {
  assert.deepEqual(
    [...expectOk(riff([fmt(1, 1, 8000, 8), data([0x80, 0xff, 0x00])])).samples],
    [0, 32512, -32768],
  );
  assert.deepEqual(
    [...expectOk(riff([fmt(7, 1, 8000, 8), data([0xff, 0x80, 0x00])])).samples],
    [0, 32124, -32124],
  );
  assert.deepEqual([...expectOk(riff([fmt(6, 1, 8000, 8), data([0xd5, 0xaa])])).samples], [8, 32256]);
});

test('24-bit, 32-bit and float32 PCM scale to int16', () => {
  const pcm24 = expectOk(riff([fmt(1, 1, 8000, 24), data([0x00, 0x00, 0x40, 0xff, 0xff, 0xff])]));
  assert.deepEqual([...pcm24.samples], [16384, 0]);
  const pcm32 = expectOk(riff([fmt(1, 1, 8000, 32), data([0, 0, 0, 0x80, 0, 0, 0x01, 0])]));
  assert.deepEqual([...pcm32.samples], [-32768, 1]);
  const f = new Uint8Array(12);
  const view = new DataView(f.buffer);
  view.setFloat32(0, 0.5, true);
  view.setFloat32(4, -1.5, true);
  view.setFloat32(8, Number.NaN, true);
  assert.deepEqual([...expectOk(riff([fmt(3, 1, 8000, 32), data([...f])])).samples], [16384, -32768, 0]);
});

test('stereo is mixed down to mono by averaging', () => {
  const audio = expectOk(
    riff([fmt(1, 2, 44100, 16), data([...u16(1000), ...u16(3000), ...u16(-2000 & 0xffff), ...u16(0)])]),
  );
  assert.equal(audio.channels, 2);
  assert.equal(audio.sampleRateHz, 44100);
  assert.deepEqual([...audio.samples], [2000, -1000]);
});

test('WAVE_FORMAT_EXTENSIBLE wrapping PCM16 and μ-law; unknown sub-format GUID is unsupported', () => {
  assert.deepEqual(
    [...expectOk(riff([extensibleFmt(1, 1, 48000, 16), data([...u16(7), ...u16(-7 & 0xffff)])])).samples],
    [7, -7],
  );
  assert.deepEqual([...expectOk(riff([extensibleFmt(7, 1, 8000, 8), data([0xff])])).samples], [0]);
  const bad = extensibleFmt(1, 1, 8000, 16);
  const body = bad.body.slice();
  body[39] = 0x00;
  expectCode(riff([{ id: 'fmt ', body }, data([0, 0])]), 'ERR_MEDIA_WAV_UNSUPPORTED_ENCODING');
});

test('tolerant: LIST and odd-sized chunks skipped, data before fmt, oversize data and RIFF sizes clamped', () => {
  const list: Chunk = {
    id: 'LIST',
    body: Uint8Array.from([...ascii('INFOISFT'), ...u32(3), 0x61, 0x62, 0x63]),
  };
  const odd: Chunk = { id: 'junk', body: Uint8Array.of(1, 2, 3) };
  const pcm = data([...u16(5), ...u16(6)]);
  assert.deepEqual([...expectOk(riff([list, odd, fmt(1, 1, 8000, 16), pcm])).samples], [5, 6]);
  assert.deepEqual([...expectOk(riff([pcm, odd, fmt(1, 1, 8000, 16)])).samples], [5, 6]);
  // Streaming writers: data size 0xFFFFFFFF and RIFF size 0.
  const streaming = riff([fmt(1, 1, 8000, 16), { id: 'data', body: pcm.body, declaredSize: 0xffffffff }], 0);
  assert.deepEqual([...expectOk(streaming).samples], [5, 6]);
  // A trailing partial sample frame is dropped; a missing final pad byte is fine.
  assert.deepEqual(
    [...expectOk(riff([fmt(1, 1, 8000, 16), data([1, 0, 2, 0, 3])]).subarray(0, 49)).samples],
    [1, 2],
  );
});

test('error codes: not RIFF, fmt missing/invalid, unsupported encoding, data missing', () => {
  expectCode(new Uint8Array(0), 'ERR_MEDIA_WAV_NOT_RIFF');
  expectCode(Uint8Array.from(ascii('RIFF\0\0\0\0WAVX')), 'ERR_MEDIA_WAV_NOT_RIFF');
  expectCode(riff([data([0, 0])]), 'ERR_MEDIA_WAV_FMT_MISSING');
  expectCode(riff([{ id: 'fmt ', body: new Uint8Array(10) }, data([0, 0])]), 'ERR_MEDIA_WAV_FMT_INVALID');
  expectCode(riff([fmt(1, 0, 8000, 16), data([0, 0])]), 'ERR_MEDIA_WAV_FMT_INVALID');
  expectCode(riff([fmt(1, 1, 0, 16), data([0, 0])]), 'ERR_MEDIA_WAV_FMT_INVALID');
  expectCode(riff([fmt(2, 1, 8000, 4), data([0, 0])]), 'ERR_MEDIA_WAV_UNSUPPORTED_ENCODING');
  expectCode(riff([fmt(1, 1, 8000, 12), data([0, 0])]), 'ERR_MEDIA_WAV_UNSUPPORTED_ENCODING');
  expectCode(riff([fmt(1, 1, 8000, 16)]), 'ERR_MEDIA_WAV_DATA_MISSING');
  expectCode(riff([fmt(1, 2, 8000, 16), data([0, 0])]), 'ERR_MEDIA_WAV_DATA_MISSING');
});

test('property: parseWav never throws and fails only with catalogued ERR_MEDIA_WAV_* codes', () => {
  const codes = new Set(Object.keys(mediaCodes));
  const check = (bytes: Uint8Array): void => {
    const r = parseWav(bytes);
    if (!r.ok) {
      assert.ok(codes.has(r.error.code), r.error.code);
    } else {
      assert.ok(r.value.samples instanceof Int16Array);
    }
  };
  // Random bytes, some starting with a plausible header.
  fc.assert(
    fc.property(fc.boolean(), fc.uint8Array({ maxLength: 200 }), (withHeader, tail) => {
      check(
        withHeader
          ? Uint8Array.from([...ascii('RIFF'), ...u32(tail.length + 4), ...ascii('WAVE'), ...tail])
          : tail,
      );
    }),
    { numRuns: 1000, seed: 0x5eed },
  );
  // Mutations of valid files of every supported kind: overwritten bytes and truncation.
  const seeds = [
    serializeWav(generateTone(440, 8000, 5, 1000), 8000),
    riff([fmt(7, 1, 8000, 8), data([1, 2, 3])]),
    riff([
      { id: 'LIST', body: Uint8Array.of(1, 2, 3) },
      extensibleFmt(1, 2, 16000, 16),
      data([1, 2, 3, 4, 5, 6, 7, 8]),
    ]),
    riff([fmt(3, 1, 8000, 32), data([0, 0, 0x80, 0x3f])]),
  ];
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(),
      (which, edits, cut) => {
        const bytes = seeds[which]!.slice();
        for (const [at, value] of edits) {
          bytes[at % bytes.length] = value;
        }
        check(bytes.subarray(0, bytes.length - (cut % 8)));
      },
    ),
    { numRuns: 2000, seed: 0x5eed + 1 },
  );
});

test('resampleTo8k: common rates to 8 kHz keep a 1 kHz tone and remove content above 4 kHz', () => {
  for (const rate of [8000, 11025, 16000, 22050, 32000, 44100, 48000]) {
    const tone = generateTone(1000, rate, 1000, 10000);
    const high = generateTone(5000, rate, 1000, 10000);
    const out = resampleTo8k({ sampleRateHz: rate, channels: 1, samples: tone });
    assert.equal(out.length, 8000, `${rate}`);
    const gainDb = 10 * Math.log10(tonePower(out.subarray(400, 7600), 8000, 1000) / 5e7);
    assert.ok(Math.abs(gainDb) < 0.1, `${rate}: 1 kHz gain ${gainDb.toFixed(3)} dB`);
    // Zero delay: sample-accurate alignment with a 1 kHz tone generated at 8 kHz.
    const reference = generateTone(1000, 8000, 1000, 10000);
    let maxErr = 0;
    for (let i = 400; i < 7600; i++) {
      maxErr = Math.max(maxErr, Math.abs(out[i]! - reference[i]!));
    }
    assert.ok(maxErr <= 3, `${rate}: max error ${maxErr}`);
    if (rate > 10000) {
      // 5 kHz aliases to 3 kHz at 8 kHz unless filtered out.
      const aliased = resampleTo8k({ sampleRateHz: rate, channels: 1, samples: high });
      const leak = tonePower(aliased.subarray(400, 7600), 8000, 3000);
      assert.ok(leak === 0 || 10 * Math.log10(5e7 / leak) > 80, `${rate}: alias leak ${leak}`);
    }
  }
});

test('resampleTo8k: passband flat to 3.4 kHz from 48 kHz and 44.1 kHz', () => {
  for (const rate of [44100, 48000]) {
    for (const f of [300, 2000, 3400]) {
      const out = resampleTo8k({
        sampleRateHz: rate,
        channels: 1,
        samples: generateTone(f, rate, 500, 10000),
      });
      const gainDb = 10 * Math.log10(tonePower(out.subarray(400, 3600), 8000, f) / 5e7);
      assert.ok(Math.abs(gainDb) < 0.5, `${rate} Hz, ${f} Hz tone: ${gainDb.toFixed(3)} dB`);
    }
  }
});
