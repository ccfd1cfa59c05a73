/**
 * G.722 (64 kbit/s) micro-benchmark: encode and decode of one 20 ms frame (320 samples at 16 kHz ↔
 * 160 octets), separately and together, on speech-like input (two tones plus noise), and the cost per
 * stream-second. The goal is encode + decode ≤ 5 µs per frame.
 * Run: node --import tsx test/bench/run.ts g722
 */
import { generateTone } from '../../src/media/analysis.js';
import { G722Decoder, G722Encoder } from '../../src/media/g722/g722.js';
import { Downsampler2x } from '../../src/media/resample/half-band.js';
import { bench, formatRow } from './bench-util.js';

export function run(): Promise<string> {
  const tone = generateTone(440, 16000, 1000, 9000);
  const high = generateTone(5300, 16000, 1000, 3000);
  let s = 1;
  const signal = Int16Array.from(tone, (v, i) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return v + high[i]! + Math.round(((s / 2 ** 32) * 2 - 1) * 500);
  });
  const frames = signal.length / 320;
  const enc = new G722Encoder();
  const dec = new G722Decoder();
  const codes = new Uint8Array(signal.length / 2);
  enc.encode(signal, codes);
  const bytes = new Uint8Array(160);
  const pcm = new Int16Array(320);
  const narrow = new Int16Array(160);
  const down = new Downsampler2x();
  let f = 0;
  const rows = [
    bench(
      'G.722 encode, 320 samples → 160 B',
      () => {
        enc.encode(signal.subarray(f * 320, f * 320 + 320), bytes);
        f = (f + 1) % frames;
      },
      { minMs: 2000, batch: 200 },
    ),
    bench(
      'G.722 decode, 160 B → 320 samples',
      () => {
        dec.decode(codes.subarray(f * 160, f * 160 + 160), pcm);
        f = (f + 1) % frames;
      },
      { minMs: 2000, batch: 200 },
    ),
    bench(
      'G.722 encode + decode, one 20 ms frame',
      () => {
        enc.encode(signal.subarray(f * 320, f * 320 + 320), bytes);
        dec.decode(bytes, pcm);
        f = (f + 1) % frames;
      },
      { minMs: 2000, batch: 200 },
    ),
    bench(
      'G.722 decode + 16→8 kHz downsample (a G.722 call feeding a narrowband fork)',
      () => {
        dec.decode(codes.subarray(f * 160, f * 160 + 160), pcm);
        down.process(pcm, narrow);
        f = (f + 1) % frames;
      },
      { minMs: 2000, batch: 200 },
    ),
  ];
  const lines = [
    '## G.722',
    '',
    '| operation | per op | ops/s | per stream-second |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => formatRow(r, `${((r.nsPerOp * 50) / 1e6).toFixed(3)} ms`)),
    '',
  ];
  return Promise.resolve(lines.join('\n'));
}
