import assert from 'node:assert/strict';
import { test } from 'node:test';

import { generateTone } from '../../media/analysis.js';
import { mulawDecode, mulawEncode } from '../../media/codecs/g711.js';
import { Downsampler2x, Upsampler2x } from '../../media/resample/half-band.js';
import { mediaFormatOf, type ContentType } from '../../protocol/stream-ws/formats.js';
import { FRAME_SAMPLES } from '../call/media-leg.types.js';
import { WireDecoder, WireEncoder } from './wire-audio.js';

/** L16 bytes written the slow, obvious way: one sample at a time through a DataView. */
function l16Bytes(pcm: Int16Array, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(pcm.length * 2);
  const view = new DataView(out.buffer);
  pcm.forEach((s, i) => {
    view.setInt16(2 * i, s, littleEndian);
  });
  return out;
}

function l16Samples(bytes: Uint8Array, littleEndian: boolean): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int16Array.from({ length: bytes.length / 2 }, (_, i) => view.getInt16(2 * i, littleEndian));
}

const caller = generateTone(700, 8000, 200, 12000);
const frames = Array.from({ length: 10 }, (_, f) =>
  caller.subarray(f * FRAME_SAMPLES, (f + 1) * FRAME_SAMPLES),
);
const cases: [ContentType, boolean][] = [
  ['audio/x-mulaw;rate=8000', true],
  ['audio/x-l16;rate=8000', true],
  ['audio/x-l16;rate=8000', false],
  ['audio/x-l16;rate=16000', true],
  ['audio/x-l16;rate=16000', false],
];

for (const [contentType, littleEndian] of cases) {
  const order = littleEndian ? 'little-endian' : 'big-endian';

  test(`WireEncoder ${contentType} ${order}: every frame matches a plain reference, across frames`, () => {
    const encoder = new WireEncoder(mediaFormatOf(contentType), littleEndian);
    const up = new Upsampler2x();
    for (const pcm of frames) {
      let want: Uint8Array;
      if (contentType.startsWith('audio/x-mulaw')) {
        want = new Uint8Array(FRAME_SAMPLES);
        mulawEncode(pcm, want);
      } else if (contentType.endsWith('16000')) {
        const wide = new Int16Array(2 * FRAME_SAMPLES);
        up.process(pcm, wide);
        want = l16Bytes(wide, littleEndian);
      } else {
        want = l16Bytes(pcm, littleEndian);
      }
      assert.deepEqual(encoder.encode(pcm), want);
    }
  });

  test(`WireDecoder ${contentType} ${order}: every frame matches a plain reference, across frames`, () => {
    const format = mediaFormatOf(contentType);
    const decoder = new WireDecoder(format, littleEndian);
    const down = new Downsampler2x();
    const wideTone = generateTone(900, 16000, 200, 12000);
    for (let f = 0; f < 10; f++) {
      let wire: Uint8Array;
      let want: Int16Array;
      if (contentType.startsWith('audio/x-mulaw')) {
        wire = new Uint8Array(FRAME_SAMPLES);
        mulawEncode(frames[f]!, wire);
        want = new Int16Array(FRAME_SAMPLES);
        mulawDecode(wire, want);
      } else if (contentType.endsWith('16000')) {
        const wide = wideTone.subarray(f * 320, (f + 1) * 320);
        wire = l16Bytes(wide, littleEndian);
        want = new Int16Array(FRAME_SAMPLES);
        down.process(l16Samples(wire, littleEndian), want);
      } else {
        wire = l16Bytes(frames[f]!, littleEndian);
        want = l16Samples(wire, littleEndian);
      }
      // The playout queue hands over frames at any byte offset: decode from an odd one.
      const unaligned = new Uint8Array(wire.length + 1).subarray(1);
      unaligned.set(wire);
      const out = new Int16Array(FRAME_SAMPLES);
      decoder.decode(unaligned, out);
      assert.deepEqual(out, want);
    }
  });
}

test('WireEncoder 16 kHz: a wideband leg frame is sent as it is (no upsampling); 8 kHz formats ignore it', () => {
  const wide = generateTone(6000, 16000, 20, 9000);
  const narrow = caller.subarray(0, FRAME_SAMPLES);
  for (const littleEndian of [true, false]) {
    const enc = new WireEncoder(mediaFormatOf('audio/x-l16;rate=16000'), littleEndian);
    assert.deepEqual(l16Samples(enc.encode(narrow, wide), littleEndian), wide);
  }
  const mulaw = new WireEncoder(mediaFormatOf('audio/x-mulaw;rate=8000'), true);
  const expected = new Uint8Array(FRAME_SAMPLES);
  mulawEncode(narrow, expected);
  assert.deepEqual(mulaw.encode(narrow, wide), expected);
  const l16 = new WireEncoder(mediaFormatOf('audio/x-l16;rate=8000'), true);
  assert.deepEqual(l16Samples(l16.encode(narrow, wide), true), narrow);
});
