/**
 * Streaming resampling between two integer rates, for audio that arrives in pieces of any length (an
 * app's `playAudio` at 24 kHz, played on an 8 or 16 kHz stream). The same band-limited interpolation as
 * {@link resampleOffline} (rational.ts: Kaiser-windowed sinc, about 90 dB stopband, passband flat to
 * 0.425 of the lower rate), with its history kept between calls, so cutting the input into pieces
 * changes nothing in the output.
 *
 * Latency: an output sample is computed once the input reaches half a kernel past it (for 24 → 8 kHz,
 * 115 input samples, 4.8 ms); those last few milliseconds of a burst come out with the next piece, or
 * never when the stream is cleared (`reset`). The signal is taken as silent before the first sample.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in the DSP loop are in
   bounds by loop construction. */
import { buildKernel, type Kernel } from './rational.js';

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}

/** Largest reduced upsampling factor accepted (one kernel row per output phase, no quantisation). */
const MAX_UP = 1024;

/** One direction of one stream: keeps its input history between `process` calls. */
export class StreamingResampler {
  readonly fromHz: number;
  readonly toHz: number;
  readonly #kernel: Kernel;
  readonly #up: number;
  readonly #down: number;
  /** Input samples still needed by future outputs; `#tail[0]` is absolute input sample `#tailStart`. */
  #tail: Int16Array;
  #tailStart: number;
  /** Index of the next output sample. */
  #next = 0;

  constructor(fromHz: number, toHz: number) {
    if (!Number.isInteger(fromHz) || !Number.isInteger(toHz) || fromHz <= 0 || toHz <= 0) {
      throw new TypeError(`StreamingResampler: rates must be positive integers (got ${fromHz} → ${toHz})`);
    }
    const g = gcd(fromHz, toHz);
    this.#up = toHz / g;
    this.#down = fromHz / g;
    if (this.#up > MAX_UP) {
      throw new TypeError(
        `StreamingResampler: ${fromHz} → ${toHz} needs ${this.#up} phases (at most ${MAX_UP})`,
      );
    }
    this.fromHz = fromHz;
    this.toHz = toHz;
    this.#kernel = buildKernel(fromHz, toHz, this.#up);
    this.#tail = new Int16Array(0);
    this.#tailStart = 0;
    this.reset();
  }

  /** Input samples an output waits for past its own instant: the latency, in input samples. */
  get delaySamples(): number {
    return this.#kernel.halfWidth;
  }

  /** Forgets all history (after a clear): the next input starts a new signal. */
  reset(): void {
    const h = this.#kernel.halfWidth;
    // Silence before the first sample: the first output needs samples from 1 - halfWidth on.
    this.#tail = new Int16Array(h - 1);
    this.#tailStart = 1 - h;
    this.#next = 0;
  }

  /** Feeds `input` and returns every output sample that can now be computed (a new array). */
  process(input: Int16Array): Int16Array {
    const { table, width, halfWidth } = this.#kernel;
    const up = this.#up;
    const down = this.#down;
    const buf = new Int16Array(this.#tail.length + input.length);
    buf.set(this.#tail);
    buf.set(input, this.#tail.length);
    const start = this.#tailStart;
    const end = start + buf.length;
    // Output o sits at input position o·down/up and needs input up to floor(that) + halfWidth.
    let last = this.#next;
    while (Math.floor((last * down) / up) + halfWidth < end) {
      last++;
    }
    const out = new Int16Array(last - this.#next);
    for (let k = 0; k < out.length; k++) {
      const pos = (this.#next + k) * down;
      const base = Math.floor(pos / up);
      const row = (pos - base * up) * width;
      const first = base - halfWidth + 1 - start;
      let acc = 0;
      for (let i = 0; i < width; i++) {
        acc += table[row + i]! * buf[first + i]!;
      }
      const r = Math.round(acc);
      out[k] = r > 32767 ? 32767 : r < -32768 ? -32768 : r;
    }
    this.#next = last;
    const keepFrom = Math.floor((last * down) / up) - halfWidth + 1;
    this.#tail = buf.slice(keepFrom - start);
    this.#tailStart = keepFrom;
    return out;
  }
}
