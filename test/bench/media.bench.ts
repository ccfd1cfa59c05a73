/**
 * Media core micro-benchmarks: per-20 ms-frame cost of the G.711 and L16 codecs and of the 8↔16 kHz
 * half-band resamplers (also as ms of CPU per stream-second), base64 and a plain copy as references,
 * the resamplers' measured image/alias rejection, and the lateness of the shared media clock driver
 * (plain setTimeout, as shipped, against a setImmediate spin for the last millisecond).
 * The resampler section also times the pre-unrolling implementation ("before": one tap loop per output,
 * copied below unchanged in substance) in the same run, interleaved with the shipped one.
 * Run: node --import tsx test/bench/run.ts media
 */
import { performance } from 'node:perf_hooks';

import { MediaClockDriver } from '../../src/adapters/system-clock/media-clock-driver.js';
import { generateTone, tonePower } from '../../src/media/analysis.js';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../src/media/codecs/g711.js';
import { l16Decode, l16Encode } from '../../src/media/codecs/l16.js';
import {
  Downsampler2x,
  HALF_BAND_PAIRS,
  halfBandTaps,
  Upsampler2x,
} from '../../src/media/resample/half-band.js';
import { bench, formatRow, type BenchResult } from './bench-util.js';

const FRAMES_PER_SECOND = 50;

function perStreamSecond(r: BenchResult): string {
  return `${((r.nsPerOp * FRAMES_PER_SECOND) / 1e6).toFixed(4)} ms per stream-second`;
}

function codecRows(): string[] {
  const pcm160 = generateTone(440, 8000, 20, 12000);
  const pcm320 = generateTone(440, 16000, 20, 12000);
  const g711 = new Uint8Array(160);
  const out160 = new Int16Array(160);
  const out320 = new Int16Array(320);
  const bytes320 = new Uint8Array(320);
  const bytes640 = new Uint8Array(640);
  mulawEncode(pcm160, g711);
  l16Encode(pcm160, bytes320, true);
  l16Encode(pcm320, bytes640, true);
  const copy160 = new Uint8Array(160);
  const copy640 = new Uint8Array(640);
  const buf160 = Buffer.from(g711.buffer, g711.byteOffset, 160);
  const buf640 = Buffer.from(bytes640.buffer, bytes640.byteOffset, 640);
  const b64_160 = buf160.toString('base64');
  const b64_640 = buf640.toString('base64');
  let sink = 0;
  const results: [BenchResult, string][] = [
    [
      bench('μ-law encode, 160 samples', () => {
        mulawEncode(pcm160, g711);
      }),
      '',
    ],
    [
      bench('μ-law decode, 160 B', () => {
        mulawDecode(g711, out160);
      }),
      '',
    ],
    [
      bench('A-law encode, 160 samples', () => {
        alawEncode(pcm160, g711);
      }),
      '',
    ],
    [
      bench('A-law decode, 160 B', () => {
        alawDecode(g711, out160);
      }),
      '',
    ],
    [
      bench('L16 LE encode, 160 samples (8 kHz)', () => {
        l16Encode(pcm160, bytes320, true);
      }),
      '',
    ],
    [
      bench('L16 LE decode, 320 B (8 kHz)', () => {
        l16Decode(bytes320, out160, true);
      }),
      '',
    ],
    [
      bench('L16 LE encode, 320 samples (16 kHz)', () => {
        l16Encode(pcm320, bytes640, true);
      }),
      '',
    ],
    [
      bench('L16 LE decode, 640 B (16 kHz)', () => {
        l16Decode(bytes640, out320, true);
      }),
      '',
    ],
    [
      bench('L16 BE encode, 320 samples (16 kHz)', () => {
        l16Encode(pcm320, bytes640, false);
      }),
      '',
    ],
    [
      bench('base64 encode, 160 B (Buffer)', () => {
        sink += buf160.toString('base64').length;
      }),
      'reference',
    ],
    [
      bench('base64 encode, 640 B (Buffer)', () => {
        sink += buf640.toString('base64').length;
      }),
      'reference',
    ],
    [
      bench('base64 decode, 216 chars → 160 B', () => {
        sink += Buffer.from(b64_160, 'base64').length;
      }),
      'reference',
    ],
    [
      bench('base64 decode, 856 chars → 640 B', () => {
        sink += Buffer.from(b64_640, 'base64').length;
      }),
      'reference',
    ],
    [
      bench('null baseline: copy 160 B', () => {
        copy160.set(g711);
      }),
      'reference',
    ],
    [
      bench('null baseline: copy 640 B', () => {
        copy640.set(bytes640);
      }),
      'reference',
    ],
  ];
  if (sink < 0) {
    console.log(sink);
  }
  return results.map(([r, note]) => formatRow(r, [perStreamSecond(r), note].filter(Boolean).join('; ')));
}

/**
 * Process CPU time per call (µs), from `process.cpuUsage()` over `iterations` calls after a warm-up:
 * less sensitive than wall time to other processes competing for the cores.
 */
function cpuMicrosPerOp(fn: () => void, iterations: number): number {
  for (let i = 0; i < iterations / 10; i++) {
    fn();
  }
  const before = process.cpuUsage();
  for (let i = 0; i < iterations; i++) {
    fn();
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / iterations;
}

function cpuNote(micros: number): string {
  return `CPU time: ${micros.toFixed(2)} µs/frame = ${((micros * FRAMES_PER_SECOND) / 1000).toFixed(3)} ms CPU per stream-second`;
}

/** Side taps as the resamplers use them (×2 for interpolation). */
function baselineTaps(scale: number): Float64Array {
  const h = halfBandTaps();
  const half = 2 * HALF_BAND_PAIRS - 1;
  return Float64Array.from({ length: HALF_BAND_PAIRS }, (_, j) => h[half + 2 * j + 1]! * scale);
}

function baselineToInt16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** "Before": the interpolator as shipped before the unrolled kernels (20 ms frames only, no checks). */
class BaselineUpsampler {
  readonly #taps = baselineTaps(2);
  readonly #hist = 2 * HALF_BAND_PAIRS - 1;
  readonly #buf = new Float64Array(this.#hist + 640);

  process(input: Int16Array, out: Int16Array): void {
    const buf = this.#buf;
    const hist = this.#hist;
    const taps = this.#taps;
    const count = input.length;
    for (let i = 0; i < count; i++) {
      buf[hist + i] = input[i]!;
    }
    for (let i = 0; i < count; i++) {
      const centre = hist + i - HALF_BAND_PAIRS;
      let acc = 0;
      for (let j = 0; j < HALF_BAND_PAIRS; j++) {
        acc += taps[j]! * (buf[centre - j]! + buf[centre + 1 + j]!);
      }
      out[2 * i] = buf[centre]!;
      out[2 * i + 1] = baselineToInt16(acc);
    }
    buf.copyWithin(0, count, count + hist);
  }
}

/** "Before": the decimator as shipped before the unrolled kernels (20 ms frames only, no checks). */
class BaselineDownsampler {
  readonly #taps = baselineTaps(1);
  readonly #hist = 4 * HALF_BAND_PAIRS - 2;
  readonly #buf = new Float64Array(this.#hist + 640);

  process(input: Int16Array, out: Int16Array): void {
    const buf = this.#buf;
    const hist = this.#hist;
    const taps = this.#taps;
    const count = input.length;
    for (let i = 0; i < count; i++) {
      buf[hist + i] = input[i]!;
    }
    for (let i = 0; i < count; i += 2) {
      const centre = hist + i + 2 - 2 * HALF_BAND_PAIRS;
      let acc = 0.5 * buf[centre]!;
      for (let j = 0; j < HALF_BAND_PAIRS; j++) {
        const d = 2 * j + 1;
        acc += taps[j]! * (buf[centre - d]! + buf[centre + d]!);
      }
      out[i >> 1] = baselineToInt16(acc);
    }
    buf.copyWithin(0, count, count + hist);
  }
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function resamplerRows(): string[] {
  const up = new Upsampler2x();
  const down = new Downsampler2x();
  const upBefore = new BaselineUpsampler();
  const downBefore = new BaselineDownsampler();
  const in8 = generateTone(440, 8000, 20, 12000);
  const in16 = generateTone(440, 16000, 20, 12000);
  const out16 = new Int16Array(320);
  const out8 = new Int16Array(160);
  const cases: [string, () => void][] = [
    [
      'up 8→16 kHz, 160 → 320 samples (before: tap loop)',
      () => {
        upBefore.process(in8, out16);
      },
    ],
    [
      'up 8→16 kHz, 160 → 320 samples (after: unrolled)',
      () => {
        up.process(in8, out16);
      },
    ],
    [
      'down 16→8 kHz, 320 → 160 samples (before: tap loop)',
      () => {
        downBefore.process(in16, out8);
      },
    ],
    [
      'down 16→8 kHz, 320 → 160 samples (after: unrolled)',
      () => {
        down.process(in16, out8);
      },
    ],
  ];
  // CPU time: five interleaved rounds of 100,000 calls per case, median of the rounds, so that
  // before and after see the same machine load.
  const cpu = cases.map((): number[] => []);
  for (let round = 0; round < 5; round++) {
    cases.forEach(([, fn], i) => cpu[i]!.push(cpuMicrosPerOp(fn, 100_000)));
  }
  const cpuMedian = cpu.map(median);
  const rows = cases.map(([name, fn], i) => {
    const r = bench(name, fn);
    const spread = `rounds ${Math.min(...cpu[i]!).toFixed(2)}–${Math.max(...cpu[i]!).toFixed(2)} µs`;
    return formatRow(r, `wall time: ${perStreamSecond(r)}; ${cpuNote(cpuMedian[i]!)} (median; ${spread})`);
  });
  const speedUp = (before: number, after: number): string => (before / after).toFixed(2);
  rows.push(
    `| speed-up, CPU time (median before ÷ median after) | | | up ${speedUp(cpuMedian[0]!, cpuMedian[1]!)}×, down ${speedUp(cpuMedian[2]!, cpuMedian[3]!)}× |`,
  );
  return rows;
}

function framed(x: Int16Array, frame: number, ratio: 2 | 0.5): Int16Array {
  const out = new Int16Array(x.length * ratio);
  const up = new Upsampler2x();
  const down = new Downsampler2x();
  for (let i = 0; i < x.length; i += frame) {
    const chunk = x.subarray(i, i + frame);
    const o = out.subarray(i * ratio, (i + frame) * ratio);
    if (ratio === 2) {
      up.process(chunk, o);
    } else {
      down.process(chunk, o);
    }
  }
  return out;
}

function db(signal: number, leak: number): string {
  return leak === 0
    ? '∞ (below one LSB: output exactly 0)'
    : `${(10 * Math.log10(signal / leak)).toFixed(1)} dB`;
}

function designResponseDb(freqHz: number): number {
  const h = halfBandTaps();
  const mid = (h.length - 1) / 2;
  let sum = 0;
  for (let k = -mid; k <= mid; k++) {
    sum += h[k + mid]! * Math.cos((2 * Math.PI * freqHz * k) / 16000);
  }
  return 20 * Math.log10(Math.abs(sum));
}

function rejectionSection(): string {
  // Analysis windows are exactly 1 s, so integer-Hz tones have whole cycles and Goertzel bins do not
  // leak into one another (a rectangular window's leakage would otherwise cap the figure near 76 dB).
  const up = framed(generateTone(3000, 8000, 2000, 16000), 160, 2).subarray(400, 16400);
  const up3001 = framed(generateTone(3001, 8000, 2000, 16000), 160, 2).subarray(400, 16400);
  // 997 Hz + 6007 Hz (alias at 1993 Hz): not harmonically related, so int16 rounding noise is spread
  // over the spectrum instead of landing on (or avoiding) the alias bin.
  const high = generateTone(6007, 16000, 2000, 12000);
  const mixed = Int16Array.from(generateTone(997, 16000, 2000, 12000), (v, i) => v + high[i]!);
  const down = framed(mixed, 320, 0.5).subarray(200, 8200);
  const alone = framed(generateTone(6000, 16000, 2000, 16000), 320, 0.5).subarray(200, 8200);
  let worstStop = -Infinity;
  for (let f = 4600; f <= 8000; f += 1) {
    worstStop = Math.max(worstStop, designResponseDb(f));
  }
  let worstPass = 0;
  for (let f = 0; f <= 3400; f += 1) {
    worstPass = Math.max(worstPass, Math.abs(designResponseDb(f)));
  }
  return [
    '| measurement (20 ms frames, int16 in and out) | result |',
    '|---|---|',
    `| image rejection: 3 kHz tone up 8→16, 3 kHz vs 5 kHz image | ${db(tonePower(up, 16000, 3000), tonePower(up, 16000, 5000))} |`,
    `| image rejection: 3001 Hz tone up 8→16, vs 4999 Hz image (rounding noise not periodic) | ${db(tonePower(up3001, 16000, 3001), tonePower(up3001, 16000, 4999))} |`,
    `| alias rejection: 997 Hz + 6007 Hz down 16→8, 997 Hz vs 1993 Hz alias | ${db(tonePower(down, 8000, 997), tonePower(down, 8000, 1993))} |`,
    `| alias rejection: 6 kHz tone alone down 16→8, at 2 kHz | ${db((16000 * 16000) / 2, tonePower(alone, 8000, 2000))} |`,
    `| filter design (float): worst stopband gain 4.6–8 kHz | ${worstStop.toFixed(1)} dB |`,
    `| filter design (float): gain at 5 kHz / 6 kHz | ${designResponseDb(5000).toFixed(1)} dB / ${designResponseDb(6000).toFixed(1)} dB |`,
    `| filter design (float): worst passband deviation 0–3.4 kHz | ${worstPass.toExponential(1)} dB |`,
  ].join('\n');
}

/** Lateness (ms) of the spin variant: setTimeout to 1 ms before the boundary, then setImmediate until it. */
async function spinVariant(durationMs: number): Promise<{ lateness: number[]; cpuMs: number }> {
  const lateness: number[] = [];
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    let i = 0;
    const spin = (): void => {
      const due = start + i * 20;
      if (performance.now() < due) {
        setImmediate(spin);
        return;
      }
      lateness.push(performance.now() - due);
      i++;
      if (i * 20 > durationMs) {
        resolve();
        return;
      }
      setTimeout(spin, Math.max(0, Math.floor(start + i * 20 - performance.now() - 1)));
    };
    spin();
  });
  const cpu = process.cpuUsage(cpu0);
  return { lateness, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

async function driverSection(): Promise<string> {
  const durationMs = 5000;
  const driver = new MediaClockDriver();
  const cpu0 = process.cpuUsage();
  const remove = driver.add(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  remove();
  const cpu = process.cpuUsage(cpu0);
  const s = driver.stats();
  const spin = await spinVariant(durationMs);
  const sorted = spin.lateness.slice().sort((a, b) => a - b);
  return [
    `| variant (${durationMs / 1000} s, idle listener) | ticks | late p50 | late p99 | late max | skipped | process CPU |`,
    '|---|---|---|---|---|---|---|',
    `| MediaClockDriver (setTimeout, shipped) | ${s.ticks} | ${s.lateP50Ms.toFixed(2)} ms | ${s.lateP99Ms.toFixed(2)} ms | ${s.lateMaxMs.toFixed(2)} ms | ${s.skippedFrames} | ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms |`,
    `| setTimeout + setImmediate spin for the last 1 ms (not shipped) | ${spin.lateness.length} | ${pct(sorted, 0.5).toFixed(2)} ms | ${pct(sorted, 0.99).toFixed(2)} ms | ${sorted.at(-1)?.toFixed(2) ?? '-'} ms | 0 | ${spin.cpuMs.toFixed(0)} ms |`,
  ].join('\n');
}

export async function run(): Promise<string> {
  const header = '| operation (one 20 ms frame) | time/op | ops/s | notes |\n|---|---|---|---|';
  return [
    '## Media core (src/media)',
    '',
    '### Codecs, per 20 ms frame',
    '',
    header,
    ...codecRows(),
    '',
    '### Half-band resamplers, per 20 ms frame',
    '',
    header,
    ...resamplerRows(),
    '',
    '### Resampler rejection',
    '',
    rejectionSection(),
    '',
    '### Media clock driver lateness (real timers)',
    '',
    await driverSection(),
    '',
  ].join('\n');
}
