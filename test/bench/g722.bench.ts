/**
 * G.722 (64 kbit/s) micro-benchmark: encode and decode of one 20 ms frame (320 samples at 16 kHz ↔
 * 160 octets), separately and together, on speech-like input (two tones plus noise), and the cost per
 * stream-second. The goal is encode + decode ≤ 5 µs per frame.
 * Run: node --import tsx test/bench/run.ts g722
 */
import { spawnSync } from 'node:child_process';

import { generateTone } from '../../src/media/analysis.js';
import { G722Decoder, G722Encoder } from '../../src/media/g722/g722.js';
import { Downsampler2x } from '../../src/media/resample/half-band.js';
import { bench, formatRow } from './bench-util.js';

/**
 * The same work in C for reference: spandsp's g722_encode/g722_decode (the codec of baresip's g722
 * module) over 10 s of the same kind of signal, timed inside one python3 process through ctypes
 * (one call per 10 s, so the call overhead is negligible). Best of 5 rounds, µs per 20 ms frame.
 */
const SPANDSP_TIMING = `
import ctypes, math, random, time
lib = ctypes.CDLL('libspandsp.so.2')
lib.g722_encode_init.restype = ctypes.c_void_p
lib.g722_decode_init.restype = ctypes.c_void_p
e = lib.g722_encode_init(None, 64000, 0)
d = lib.g722_decode_init(None, 64000, 0)
n = 16000 * 10
random.seed(1)
pcm = (ctypes.c_int16 * n)(*[int(9000 * math.sin(2 * math.pi * 440 * i / 16000) + 3000 * math.sin(2 * math.pi * 5300 * i / 16000) + random.randint(-500, 500)) for i in range(n)])
out = (ctypes.c_uint8 * (n // 2))()
y = (ctypes.c_int16 * n)()
be = bd = 1e9
for _ in range(5):
    t0 = time.process_time(); lib.g722_encode(ctypes.c_void_p(e), out, pcm, n)
    t1 = time.process_time(); lib.g722_decode(ctypes.c_void_p(d), y, out, n // 2)
    t2 = time.process_time()
    be = min(be, (t1 - t0) * 1e6 / 500); bd = min(bd, (t2 - t1) * 1e6 / 500)
print('%.2f %.2f' % (be, bd))
`;

function spandspRow(): string {
  const r = spawnSync('python3', ['-c', SPANDSP_TIMING], { encoding: 'utf8' });
  if (r.status !== 0) {
    return `| spandsp (C) reference | not measured: ${(r.stderr || String(r.error)).trim().split('\n').pop() ?? ''} (python3, libspandsp2) | | |`;
  }
  const [enc, dec] = r.stdout.trim().split(' ').map(Number) as [number, number];
  return `| spandsp (C) reference: encode ${enc.toFixed(2)} µs + decode ${dec.toFixed(2)} µs per frame (CPU time, best of 5) | ${(enc + dec).toFixed(3)} µs | | ${(((enc + dec) * 50) / 1000).toFixed(3)} ms |`;
}

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
    spandspRow(),
    '',
  ];
  return Promise.resolve(lines.join('\n'));
}
