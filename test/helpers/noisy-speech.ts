/**
 * Test and benchmark audio for the noise suppressor: speech from espeak-ng (Debian package
 * `espeak-ng`), noise from sox (Debian package `sox`: white and pink, repeatable with `-R`), babble made
 * of several espeak voices talking at once, and mixing at a given SNR. Everything is int16 mono at
 * 8 kHz or 16 kHz, resampled from espeak's 22.05 kHz with the project's offline resampler.
 */
import { execFileSync } from 'node:child_process';
import { resampleOffline } from '../../src/media/resample/rational.js';
import { parseWav } from '../../src/media/wav.js';

function run(tool: string, pkg: string, args: readonly string[]): Buffer {
  try {
    return execFileSync(tool, args, { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${tool} not found: install the Debian package \`${pkg}\``, { cause: err });
    }
    throw err;
  }
}

/** espeak-ng speaking `text` with `voice`, at `rateHz`. */
export function speak(text: string, rateHz: 8000 | 16000, voice = 'en-us'): Int16Array {
  const wav = parseWav(
    new Uint8Array(run('espeak-ng', 'espeak-ng', ['-v', voice, '-s', '150', '--stdout', text])),
  );
  if (!wav.ok) {
    throw new Error(`espeak-ng gave no WAV: ${wav.error.code}`);
  }
  return resampleOffline(wav.value.samples, wav.value.sampleRateHz, rateHz);
}

/** sox noise (`whitenoise` or `pinknoise`), `samples` long, repeatable for a given `seed`. */
export function soxNoise(kind: 'white' | 'pink', samples: number, rateHz: number, seed = 1): Int16Array {
  const seconds = (samples / rateHz).toFixed(4);
  const raw = run('sox', 'sox', [
    '-R',
    '-n',
    '-r',
    String(rateHz),
    '-b',
    '16',
    '-c',
    '1',
    '-e',
    'signed-integer',
    '-t',
    'raw',
    '-',
    'synth',
    seconds,
    `${kind}noise`,
    'vol',
    String(0.5 + 0.01 * seed),
  ]);
  const out = new Int16Array(samples);
  const n = Math.min(samples, raw.length >> 1);
  for (let i = 0; i < n; i++) {
    out[i] = raw.readInt16LE(2 * i);
  }
  return out;
}

const BABBLE_LINES = [
  'The weather report says rain is likely over the weekend in most places.',
  'Please remember to bring the documents to the meeting on Thursday morning.',
  'Our train was delayed by almost an hour because of a signal failure.',
  'She ordered two coffees and a slice of lemon cake for the table by the window.',
  'Numbers one two three four five six seven eight nine ten eleven twelve.',
  'Can you tell me how to get to the museum from the central station?',
];
const BABBLE_VOICES = ['en-us', 'en-gb', 'en-us+f3', 'en-gb-scotland', 'en-us+f4', 'en-029'];

/** Several espeak voices talking over each other, looped to `samples` long. */
export function babble(samples: number, rateHz: 8000 | 16000, talkers = 6): Int16Array {
  const acc = new Float64Array(samples);
  for (let t = 0; t < talkers; t++) {
    const voice = speak(
      BABBLE_LINES[t % BABBLE_LINES.length]!,
      rateHz,
      BABBLE_VOICES[t % BABBLE_VOICES.length],
    );
    const offset = Math.floor((t * voice.length) / talkers);
    for (let i = 0; i < samples; i++) {
      acc[i] = acc[i]! + voice[(i + offset) % voice.length]!;
    }
  }
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    out[i] = Math.round(acc[i]! / Math.sqrt(talkers));
  }
  return out;
}

/** Sum of squares. */
export function energy(x: ArrayLike<number>, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) {
    e += x[i]! * x[i]!;
  }
  return e;
}

/** `speech + g·noise` with g chosen so that the speech-to-noise energy ratio is `snrDb`. */
export function mixAtSnr(speech: Int16Array, noise: Int16Array, snrDb: number): Int16Array {
  const n = speech.length;
  const gain = Math.sqrt(energy(speech) / (energy(noise, 0, n) * 10 ** (snrDb / 10)));
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.round(speech[i]! + gain * noise[i]!);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/**
 * SNR in dB of `test` against `reference`, with `test` late by `lagSamples`: reference energy over
 * the energy of the difference, over the samples both cover.
 */
export function snrDb(reference: ArrayLike<number>, test: ArrayLike<number>, lagSamples: number): number {
  let signal = 0;
  let error = 0;
  const n = Math.min(reference.length, test.length - lagSamples);
  for (let i = 0; i < n; i++) {
    const r = reference[i]!;
    const d = test[i + lagSamples]! - r;
    signal += r * r;
    error += d * d;
  }
  return 10 * Math.log10(signal / error);
}

/** Runs `process(frame, out)` over `input` in 20 ms frames (the tail shorter than a frame is dropped). */
export function runFrames(
  input: Int16Array,
  frameSamples: number,
  process: (frame: Int16Array, out: Int16Array) => void,
): Int16Array {
  const frames = Math.floor(input.length / frameSamples);
  const out = new Int16Array(frames * frameSamples);
  for (let f = 0; f < frames; f++) {
    const at = f * frameSamples;
    process(input.subarray(at, at + frameSamples), out.subarray(at, at + frameSamples));
  }
  return out;
}
