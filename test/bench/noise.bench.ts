/**
 * Noise suppression (src/media/noise/): SNR before and after on espeak-ng speech mixed with sox noise
 * (white, pink) and babble (six espeak voices at once) at 0, 5 and 10 dB SNR, for levels 60, 85 and 100,
 * at 8 kHz and 16 kHz; the delay, measured; and the CPU time per stream per 20 ms frame, split into
 * RNNoise and the resampling. Regenerates the tables of docs/benchmarks/noise.md:
 * `node --import tsx test/bench/run.ts noise`.
 *
 * SNR is measured against the clean speech, aligned by the suppressor's delay (exact, and checked by
 * correlation here): 10·log10(Σ clean² / Σ (output − clean)²) over the whole signal, so it counts the
 * noise left and the speech lost or distorted alike.
 */
import { rnnoiseRuntime } from '../../src/adapters/rnnoise/rnnoise-wasm.js';
import { alignedCorrelation } from '../../src/media/analysis.js';
import { NoiseSuppressor, type NoiseSuppressorRateHz } from '../../src/media/noise/noise-suppressor.js';
import { RNNOISE_FRAME_SAMPLES } from '../../src/media/noise/rnnoise.types.js';
import { PolyphaseDecimator, PolyphaseInterpolator } from '../../src/media/resample/polyphase.js';
import { babble, energy, mixAtSnr, runFrames, snrDb, soxNoise, speak } from '../helpers/noisy-speech.js';

const LINES: readonly (readonly [string, string])[] = [
  ['Good morning, I am calling about the invoice you sent last week.', 'en-us'],
  ['The total seems to include a delivery charge that we did not agree on.', 'en-gb+f3'],
  ['Could you check it and send me a corrected copy by Friday, please?', 'en-us+m3'],
];
const SNRS = [0, 5, 10] as const;
const LEVELS = [60, 85, 100] as const;
const NOISES = ['white', 'pink', 'babble'] as const;

function speechAt(rateHz: NoiseSuppressorRateHz): Int16Array {
  const parts = LINES.map(([text, voice]) => speak(text, rateHz, voice));
  const gap = rateHz / 4;
  const out = new Int16Array(parts.reduce((n, p) => n + p.length + gap, gap));
  let at = gap;
  for (const p of parts) {
    out.set(p, at);
    at += p.length + gap;
  }
  return out;
}

function noiseOf(kind: (typeof NOISES)[number], samples: number, rateHz: NoiseSuppressorRateHz): Int16Array {
  return kind === 'babble' ? babble(samples, rateHz) : soxNoise(kind, samples, rateHz, 7);
}

function denoise(
  input: Int16Array,
  rateHz: NoiseSuppressorRateHz,
  level: number,
): { out: Int16Array; delay: number } {
  const ns = new NoiseSuppressor(rnnoiseRuntime(), { sampleRateHz: rateHz, level });
  const out = runFrames(input, rateHz / 50, (a, b) => {
    ns.process(a, b);
  });
  ns.close();
  return { out, delay: ns.delaySamples };
}

function snrTable(rateHz: NoiseSuppressorRateHz): string {
  const speech = speechAt(rateHz);
  const rows = [
    `| noise | SNR in | after, level 60 | after, level 85 | after, level 100 | noise alone, level 100 |`,
    `| --- | --- | --- | --- | --- | --- |`,
  ];
  for (const kind of NOISES) {
    const noise = noiseOf(kind, speech.length, rateHz);
    const alone = denoise(noise, rateHz, 100);
    const skip = rateHz; // RNNoise settles on the noise in its first second.
    const aloneDb =
      10 *
      Math.log10(energy(alone.out, skip + alone.delay) / energy(noise, skip, alone.out.length - alone.delay));
    for (const snr of SNRS) {
      const mix = mixAtSnr(speech, noise, snr);
      const after = LEVELS.map((level) => {
        const { out, delay } = denoise(mix, rateHz, level);
        return snrDb(speech, out, delay);
      });
      const cells = after.map(
        (a) => `${a.toFixed(1)} dB (${a - snr >= 0 ? '+' : ''}${(a - snr).toFixed(1)})`,
      );
      rows.push(
        `| ${kind} | ${snr} dB | ${cells.join(' | ')} | ${snr === 0 ? `${aloneDb.toFixed(1)} dB` : ''} |`,
      );
    }
  }
  return rows.join('\n');
}

function measuredDelay(rateHz: NoiseSuppressorRateHz): string {
  const speech = speechAt(rateHz);
  const { out, delay } = denoise(speech, rateHz, 100);
  const match = alignedCorrelation(speech, out, rateHz / 10);
  return `${rateHz} Hz: ${delay} samples (${((delay * 1000) / rateHz).toFixed(3)} ms) by design; by correlation of clean speech in and out: lag ${match.lagSamples}, correlation ${match.correlation.toFixed(4)}; energy kept ${(10 * Math.log10(energy(out, delay) / energy(speech, 0, out.length - delay))).toFixed(2)} dB`;
}

/** Median over rounds of CPU µs (user + system) per call of `fn`. */
function cpuMicros(fns: readonly (() => void)[], calls: number, rounds: number): number[] {
  const samples = fns.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = process.cpuUsage();
      for (let c = 0; c < calls; c++) {
        fn();
      }
      const d = process.cpuUsage(t0);
      samples[i]!.push((d.user + d.system) / calls);
    }
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]!);
}

function cpuTable(): string {
  const runtime = rnnoiseRuntime();
  const cases: { name: string; fn: () => void }[] = [];
  for (const rateHz of [8000, 16000] as const) {
    const n = rateHz / 50;
    const factor = 48000 / rateHz;
    const input = soxNoise('pink', 50 * n, rateHz, 3);
    const out = new Int16Array(n);
    const ns = new NoiseSuppressor(runtime, { sampleRateHz: rateHz, level: 85 });
    let f = 0;
    cases.push({
      name: `NoiseSuppressor, ${rateHz} Hz, level 85, pink noise alone`,
      fn: () => {
        ns.process(input.subarray(f * n, f * n + n), out);
        f = (f + 1) % 50;
      },
    });
    const up = new PolyphaseInterpolator(factor);
    const down = new PolyphaseDecimator(factor);
    const wide = new Float32Array(n * factor);
    const narrow = new Float64Array(n);
    let g = 0;
    cases.push({
      name: `resampling only, ${rateHz} ↔ 48000 Hz (up + down)`,
      fn: () => {
        up.process(input.subarray(g * n, g * n + n), wide);
        down.process(wide, narrow);
        g = (g + 1) % 50;
      },
    });
  }
  // Realistic input: speech in pink noise at 5 dB SNR (RNNoise's cost depends on what it hears: long
  // stretches of noise alone cost more than speech, silence much less).
  const speech = speechAt(8000);
  const mix = mixAtSnr(speech, soxNoise('pink', speech.length, 8000, 3), 5);
  const mixFrames = Math.floor(mix.length / 160);
  const mixOut = new Int16Array(160);
  const nsSpeech = new NoiseSuppressor(runtime, { sampleRateHz: 8000, level: 85 });
  let m = 0;
  cases.push({
    name: 'NoiseSuppressor, 8000 Hz, level 85, speech in pink noise at 5 dB SNR',
    fn: () => {
      nsSpeech.process(mix.subarray(m * 160, m * 160 + 160), mixOut);
      m = (m + 1) % mixFrames;
    },
  });
  const state = runtime.createState();
  const noise48 = Float32Array.from(soxNoise('pink', 48000, 48000, 5));
  let h = 0;
  cases.push({
    name: 'RNNoise only: 2 × rnnoise_process_frame (480 samples, 48 kHz), copy in and out',
    fn: () => {
      for (let k = 0; k < 2; k++) {
        const frame = state.frame();
        frame.set(noise48.subarray(h, h + RNNOISE_FRAME_SAMPLES));
        state.process();
        h = (h + RNNOISE_FRAME_SAMPLES) % (noise48.length - RNNOISE_FRAME_SAMPLES);
      }
    },
  });
  for (const c of cases) {
    for (let i = 0; i < 200; i++) {
      c.fn();
    }
  }
  const micros = cpuMicros(
    cases.map((c) => c.fn),
    1000,
    5,
  );
  state.destroy();
  const rows = [
    '| per stream, per 20 ms frame | CPU µs (median of 5 rounds × 1000 frames) | % of one core |',
    '| --- | --- | --- |',
  ];
  for (const [i, c] of cases.entries()) {
    rows.push(`| ${c.name} | ${micros[i]!.toFixed(1)} µs | ${(micros[i]! / 200).toFixed(2)} % |`);
  }
  return rows.join('\n');
}

export function run(): Promise<string> {
  // CPU first, before the SNR runs fill the heap (V8's background GC threads count in process.cpuUsage()).
  const cpu = cpuTable();
  // (cpuTable keeps its suppressors open until the process exits; they are a benchmark's.)
  const sections = [
    '## Noise suppression (RNNoise, src/media/noise/)',
    '',
    '### Delay',
    '',
    `- ${measuredDelay(8000)}`,
    `- ${measuredDelay(16000)}`,
    '',
    '### SNR against the clean speech, 8 kHz call audio',
    '',
    snrTable(8000),
    '',
    '### SNR against the clean speech, 16 kHz (wideband leg)',
    '',
    snrTable(16000),
    '',
    '### CPU',
    '',
    cpu,
    '',
  ];
  return Promise.resolve(sections.join('\n'));
}
