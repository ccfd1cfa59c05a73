import assert from 'node:assert/strict';
import { test } from 'node:test';

import { rnnoiseRuntime } from '../../adapters/rnnoise/rnnoise-wasm.js';
import { ServerError } from '../../errors/server-error.js';
import { resampleOffline } from '../../media/resample/rational.js';
import { mediaFormatOf } from '../../protocol/stream-ws/formats.js';
import { energy, soxNoise } from '../../../test/helpers/noisy-speech.js';
import { trackEncoder } from './noise-wire.js';
import { WireEncoder } from './wire-audio.js';

const runtime = rnnoiseRuntime();

function pcmOf(bytes: Uint8Array): Int16Array {
  return new Int16Array(bytes.slice().buffer);
}

test('without a level: the plain encoder, byte for byte what WireEncoder sends, and no RNNoise state', () => {
  const format = mediaFormatOf('audio/x-l16;rate=8000');
  const before = runtime.liveStates;
  const plain = trackEncoder(format, true, undefined, undefined);
  const reference = new WireEncoder(format, true);
  const frame = soxNoise('pink', 160, 8000);
  assert.deepEqual(plain.encode(frame), reference.encode(frame));
  assert.ok(plain instanceof WireEncoder);
  plain.close();
  assert.equal(runtime.liveStates, before);
});

test('a level without a runtime is a TypeError naming the missing dependency', () => {
  assert.throws(
    () => trackEncoder(mediaFormatOf('audio/x-mulaw;rate=8000'), true, 85, undefined),
    /EngineDeps.noise/,
  );
});

test('16 kHz stream on a wideband leg: the 16 kHz frame is denoised (pink noise down > 10 dB); the caller frame is not written; close frees and then passes through', () => {
  const format = mediaFormatOf('audio/x-l16;rate=16000');
  const before = runtime.liveStates;
  const enc = trackEncoder(format, true, 100, runtime);
  assert.equal(runtime.liveStates, before + 1, 'the state is made with the encoder, at stream start');
  const wide = soxNoise('pink', 16000 * 4, 16000);
  const narrow = resampleOffline(wide, 16000, 8000);
  const sent: Int16Array[] = [];
  for (let f = 0; f < 200; f++) {
    const w = wide.slice(f * 320, f * 320 + 320);
    const n = narrow.slice(f * 160, f * 160 + 160);
    const wCopy = w.slice();
    sent.push(pcmOf(enc.encode(n, w)));
    assert.deepEqual(w, wCopy, 'the call frame handed to every fork is left as it was');
  }
  assert.equal(runtime.liveStates, before + 1);
  const out = Int16Array.from(sent.flatMap((s) => Array.from(s)));
  const drop = 10 * Math.log10(energy(out, 16000) / energy(wide, 16000, out.length));
  assert.ok(drop < -10, `drop ${drop.toFixed(1)} dB`);
  enc.close();
  enc.close();
  assert.equal(runtime.liveStates, before);
  const w = wide.slice(0, 320);
  assert.deepEqual(pcmOf(enc.encode(narrow.slice(0, 160), w)), w, 'after close: the frame as it is');
});

test('closed before any frame: the state made at stream start is freed', () => {
  const before = runtime.liveStates;
  const enc = trackEncoder(mediaFormatOf('audio/x-l16;rate=8000'), true, 85, runtime);
  assert.equal(runtime.liveStates, before + 1);
  enc.close();
  assert.equal(runtime.liveStates, before);
});

test('no memory for another RNNoise state: the encoder (so the stream start) throws, nothing in the audio path', () => {
  const full = {
    liveStates: 0,
    createState: () => {
      throw new ServerError('ERR_MEDIA_NOISE_STATE', 'RNNoise: out of wasm memory for another state');
    },
  };
  assert.throws(
    () => trackEncoder(mediaFormatOf('audio/x-l16;rate=8000'), true, 85, full),
    /out of wasm memory/,
  );
});

test('8 kHz μ-law stream: denoised at 8 kHz', () => {
  const format = mediaFormatOf('audio/x-mulaw;rate=8000');
  const enc = trackEncoder(format, true, 100, runtime);
  const plain = trackEncoder(format, true, undefined, undefined);
  const noise = soxNoise('pink', 8000 * 4, 8000);
  let denoisedLoud = 0;
  let plainLoud = 0;
  for (let f = 50; f < 200; f++) {
    const frame = noise.subarray(f * 160, f * 160 + 160);
    // μ-law bytes near 0xff / 0x7f are quiet; count the loud ones.
    denoisedLoud += enc.encode(frame).filter((b) => (b & 0x7f) < 0x60).length;
    plainLoud += plain.encode(frame).filter((b) => (b & 0x7f) < 0x60).length;
  }
  enc.close();
  assert.ok(denoisedLoud < plainLoud / 4, `${denoisedLoud} loud samples denoised, ${plainLoud} plain`);
});
