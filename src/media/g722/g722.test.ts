import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { generateTone, tonePower } from '../analysis.js';
import { parseWav } from '../wav.js';
import {
  G722_CODEC_DELAY_SAMPLES,
  G722_FRAME_BYTES,
  G722_FRAME_SAMPLES,
  G722Decoder,
  G722Encoder,
} from './g722.js';

const SPANDSP = fileURLToPath(new URL('../../../test/helpers/spandsp-g722.py', import.meta.url));

/** Deterministic int16 noise (LCG) with peak `amplitude`. */
function noise(length: number, seed: number, amplitude: number): Int16Array {
  let s = seed >>> 0;
  return Int16Array.from({ length }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.round(((s / 2 ** 32) * 2 - 1) * amplitude);
  });
}

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function mix(a: Int16Array, b: Int16Array): Int16Array {
  return Int16Array.from(a, (v, i) => Math.max(-32768, Math.min(32767, v + b[i]!)));
}

/** A linear sweep 100 Hz → 7.9 kHz. */
function sweep(length: number, amplitude: number): Int16Array {
  const out = new Int16Array(length);
  let phase = 0;
  for (let i = 0; i < length; i++) {
    const f = 100 + (7800 * i) / length;
    phase += (2 * Math.PI * f) / 16000;
    out[i] = Math.round(amplitude * Math.sin(phase));
  }
  return out;
}

/** Encodes in chunks of `chunk` samples (even). */
function encodeAll(x: Int16Array, chunk = G722_FRAME_SAMPLES, enc = new G722Encoder()): Uint8Array {
  const out = new Uint8Array(x.length / 2);
  for (let i = 0; i < x.length; i += chunk) {
    const n = Math.min(chunk, x.length - i);
    enc.encode(x.subarray(i, i + n), out.subarray(i / 2, (i + n) / 2));
  }
  return out;
}

function decodeAll(codes: Uint8Array, chunk = G722_FRAME_BYTES, dec = new G722Decoder()): Int16Array {
  const out = new Int16Array(codes.length * 2);
  for (let i = 0; i < codes.length; i += chunk) {
    const n = Math.min(chunk, codes.length - i);
    dec.decode(codes.subarray(i, i + n), out.subarray(2 * i, 2 * (i + n)));
  }
  return out;
}

/** SNR in dB of `y` (delayed by `delay`) against `x`, over x[from, to). */
function snrDb(x: Int16Array, y: Int16Array, delay: number, from: number, to: number): number {
  let sig = 0;
  let err = 0;
  for (let i = from; i < to; i++) {
    const e = y[i + delay]! - x[i]!;
    sig += x[i]! * x[i]!;
    err += e * e;
  }
  return 10 * Math.log10(sig / err);
}

/** The lag in 0..maxLag that maximises the cross-correlation of y against x. */
function bestLag(x: Int16Array, y: Int16Array, maxLag: number): number {
  let best = -Infinity;
  let lag = 0;
  for (let d = 0; d <= maxLag; d++) {
    let c = 0;
    for (let i = 1000; i < x.length - maxLag; i++) {
      c += x[i]! * y[i + d]!;
    }
    if (c > best) {
      best = c;
      lag = d;
    }
  }
  return lag;
}

function spandsp(mode: 'encode' | 'decode', input: Uint8Array): Buffer {
  const run = spawnSync('python3', [SPANDSP, mode], { input, maxBuffer: 1 << 26 });
  if (run.error !== undefined) {
    assert.fail(
      `python3 is needed for the spandsp cross-check (Debian package python3): ${run.error.message}`,
    );
  }
  assert.equal(
    run.status,
    0,
    `spandsp-g722.py ${mode}: ${run.stderr.toString()} (Debian package libspandsp2)`,
  );
  return run.stdout;
}

/** 4 s of varied signal: silence, speech-like tones, loud noise, a full-scale sweep, clipping squares. */
function torture(): Int16Array {
  const square = Int16Array.from({ length: 4000 }, (_, i) => ((i >> 5) & 1 ? 32767 : -32768));
  return concat(
    new Int16Array(3000),
    mix(generateTone(300, 16000, 500, 9000), generateTone(2500, 16000, 500, 5000)),
    mix(generateTone(6000, 16000, 500, 12000), noise(8000, 7, 2000)),
    noise(12000, 11, 30000),
    sweep(16000, 32767),
    square,
    noise(8000, 13, 40),
    new Int16Array(1000),
  );
}

test('G.722 encoder and decoder are bit-exact with spandsp (an independent implementation)', () => {
  const x = torture();
  const ours = encodeAll(x);
  const theirs = spandsp('encode', new Uint8Array(x.buffer));
  assert.equal(theirs.length, ours.length);
  let firstDiff = -1;
  for (let i = 0; i < ours.length && firstDiff < 0; i++) {
    if (ours[i] !== theirs[i]) {
      firstDiff = i;
    }
  }
  assert.equal(firstDiff, -1, `encoder output differs from spandsp first at octet ${firstDiff}`);
  // Decode spandsp's own octets and also random octets (every code, any sequence).
  for (const codes of [new Uint8Array(theirs), Uint8Array.from(noise(20000, 5, 32767), (v) => v & 0xff)]) {
    const y = decodeAll(codes);
    const ref = spandsp('decode', codes);
    const refPcm = new Int16Array(ref.buffer, ref.byteOffset, ref.length / 2);
    assert.equal(refPcm.length, y.length);
    // spandsp lets the receive QMF's output wrap around in int16 where it exceeds full scale; the
    // standard's output is limited, as ours is. Elsewhere the two must agree exactly.
    for (let i = 0; i < y.length; i++) {
      if (y[i] !== refPcm[i]) {
        const unwrapped = refPcm[i]! < 0 ? refPcm[i]! + 65536 : refPcm[i]! - 65536;
        assert.ok(
          (y[i] === 32767 && unwrapped > 32767) || (y[i] === -32768 && unwrapped < -32768),
          `decoder output differs from spandsp at sample ${i}: ${y[i]} vs ${refPcm[i]}`,
        );
      }
    }
  }
});

test('G.722: the output does not depend on how the stream is chunked', () => {
  const x = torture().subarray(0, 24000);
  const whole = encodeAll(x, 320);
  assert.deepEqual(encodeAll(x, 2), whole);
  assert.deepEqual(encodeAll(x, 4002), whole);
  const y = decodeAll(whole, 160);
  assert.deepEqual(decodeAll(whole, 1), y);
  assert.deepEqual(decodeAll(whole, 77), y);
});

test('G.722 round trip: delay 22 samples, tones ≥ 30 dB SNR in the low band, ≥ 20 dB in the high band', (t) => {
  const chirp = sweep(16000, 12000);
  assert.equal(bestLag(chirp, decodeAll(encodeAll(chirp)), 60), G722_CODEC_DELAY_SAMPLES);
  for (const [f, minSnr] of [
    [440, 30],
    [1000, 30],
    [3000, 30],
    [5500, 20],
    [7000, 20],
  ] as const) {
    const x = generateTone(f, 16000, 1000, 10000);
    const y = decodeAll(encodeAll(x));
    const snr = snrDb(x, y, G722_CODEC_DELAY_SAMPLES, 2000, 15000);
    t.diagnostic(`${f} Hz: SNR ${snr.toFixed(1)} dB`);
    assert.ok(snr >= minSnr, `${f} Hz: SNR ${snr.toFixed(1)} dB`);
    // The tone is where it was: its power survives within 1 dB.
    const gain =
      10 * Math.log10(tonePower(y.subarray(2000), 16000, f) / tonePower(x.subarray(2000), 16000, f));
    assert.ok(Math.abs(gain) < 1, `${f} Hz: gain ${gain.toFixed(2)} dB`);
  }
});

test('G.722 round trip of espeak-ng speech at 16 kHz: SNR ≥ 20 dB', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sf-g722-'));
  try {
    const raw = join(dir, 'raw.wav');
    const wav = join(dir, 'speech16k.wav');
    try {
      execFileSync('espeak-ng', [
        '-w',
        raw,
        'Wideband audio, from seven to seven thousand hertz, sounds crisp.',
      ]);
      execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', wav]);
    } catch (err) {
      assert.fail(`espeak-ng and sox are needed (Debian packages espeak-ng, sox): ${String(err)}`);
    }
    const parsed = parseWav(readFileSync(wav));
    assert.ok(parsed.ok);
    const x = parsed.value.samples.subarray(0, parsed.value.samples.length & ~1);
    const y = decodeAll(encodeAll(x));
    assert.equal(bestLag(x, y, 60), G722_CODEC_DELAY_SAMPLES);
    const snr = snrDb(x, y, G722_CODEC_DELAY_SAMPLES, 0, x.length - G722_CODEC_DELAY_SAMPLES);
    t.diagnostic(`speech SNR ${snr.toFixed(1)} dB`);
    assert.ok(snr >= 20, `speech SNR ${snr.toFixed(1)} dB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('G.722: reset returns to the initial state; silence stays near silent; lengths are checked', () => {
  const x = torture().subarray(0, 8000);
  const enc = new G722Encoder();
  const first = encodeAll(x, 320, enc);
  enc.reset();
  assert.deepEqual(encodeAll(x, 320, enc), first);
  const dec = new G722Decoder();
  const y = decodeAll(first, 160, dec);
  dec.reset();
  assert.deepEqual(decodeAll(first, 160, dec), y);
  const quiet = decodeAll(encodeAll(new Int16Array(3200)));
  assert.ok(
    quiet.every((v) => Math.abs(v) <= 4),
    'silence decodes within ±4 LSB',
  );
  assert.throws(() => {
    enc.encode(new Int16Array(320), new Uint8Array(159));
  }, TypeError);
  assert.throws(() => {
    dec.decode(new Uint8Array(160), new Int16Array(321));
  }, TypeError);
});
