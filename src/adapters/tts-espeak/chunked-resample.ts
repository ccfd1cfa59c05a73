/**
 * Resampling of long synthesized speech to 8 kHz in slices, yielding to the event loop between them,
 * so a long `<Speak>` never stalls the shared media clock (one whole-buffer pass over 37 s of espeak
 * output takes about 200 ms of main-thread time; a 1 s slice about 10 ms, half a 20 ms frame).
 *
 * Exactness: slices start at multiples of M input samples (the rate ratio reduced to L/M), so slice
 * output k is global output k + start·L/M; each slice carries a margin of at least 20 ms of input
 * (the kernel reaches about 5 ms), so every output sample sees the same input as in a single pass.
 * The result is bit-identical to `resampleTo8k`.
 */
import { resampleOffline } from '../../media/resample/rational.js';
import type { WavAudio } from '../../media/wav.js';

const TARGET_HZ = 8000;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** `resampleTo8k` in slices of about `sliceMs` of input, awaiting `pause` between slices. */
export async function resampleTo8kInSlices(
  audio: WavAudio,
  sliceMs = 1000,
  pause: () => Promise<void> = nextTurn,
): Promise<Int16Array> {
  const from = audio.sampleRateHz;
  const samples = audio.samples;
  const g = gcd(from, TARGET_HZ);
  const up = TARGET_HZ / g;
  const down = from / g;
  const slice = Math.max(1, Math.round((from * sliceMs) / 1000 / down)) * down;
  if (from === TARGET_HZ || samples.length <= slice) {
    return resampleOffline(samples, from, TARGET_HZ);
  }
  const margin = Math.ceil((from * 0.02) / down) * down;
  const n = samples.length;
  const out = new Int16Array(Math.ceil((n * up) / down));
  for (let start = 0; start < n; start += slice) {
    const lo = Math.max(0, start - margin);
    const hi = Math.min(n, start + slice + margin);
    const part = resampleOffline(samples.subarray(lo, hi), from, TARGET_HZ);
    const outStart = (start * up) / down;
    const outEnd = Math.min(out.length, ((start + slice) * up) / down);
    const skip = ((start - lo) * up) / down;
    out.set(part.subarray(skip, skip + (outEnd - outStart)), outStart);
    await pause();
  }
  return out;
}
