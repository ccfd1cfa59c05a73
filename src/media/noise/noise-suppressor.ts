/**
 * Per-stream noise suppression of 20 ms call frames (8 kHz or 16 kHz int16) with RNNoise, which runs
 * at 48 kHz on 10 ms frames. Sans-I/O: the RNNoise runtime is handed in; this class owns one RNNoise
 * state (freed by `close()`) and every buffer it uses, allocated once in the constructor.
 *
 * Per frame: the int16 frame is interpolated to 48 kHz (a windowed-sinc polyphase FIR, polyphase.ts),
 * the 960 samples go through RNNoise as two 480-sample frames, and the result is decimated back with
 * the same filter. The path is linear phase, so its delay is exact:
 *   (N − 1) / 2 (up) + 480 (RNNoise) + (N − 1) / 2 (down) samples at 48 kHz
 *   = 108 samples at 8 kHz (13.5 ms), 202 samples at 16 kHz (12.625 ms).
 * There is no extra buffering: a 20 ms frame is exactly two RNNoise frames.
 *
 * Strength (`level`, 0–100; Plivo's `noiseCancellationLevel` is 60–100, default 85): the output is
 * the denoised signal mixed with the original, delayed by the same amount so the two line up:
 *   out = denoised + (1 − level/100) · (original − denoised).
 * So `level` is the share of the denoised signal in the output, and it bounds how far the noise can be
 * pushed down: at most −20·log10(1 − level/100) dB (60 → 8 dB, 85 → 16.5 dB, 95 → 26 dB); at 100 the
 * output is RNNoise's alone. Speech, which RNNoise passes nearly unchanged, is unchanged by the mix.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in DSP loops are in
   bounds by loop construction. */
import { PolyphaseDecimator, PolyphaseInterpolator, polyphaseTapCount } from '../resample/polyphase.js';
import {
  RNNOISE_DELAY_SAMPLES,
  RNNOISE_FRAME_SAMPLES,
  RNNOISE_SAMPLE_RATE_HZ,
  type RnnoiseRuntime,
  type RnnoiseState,
} from './rnnoise.types.js';

/** The rates a call frame may have. */
export type NoiseSuppressorRateHz = 8000 | 16000;

export interface NoiseSuppressorOptions {
  readonly sampleRateHz: NoiseSuppressorRateHz;
  /** Share of the denoised signal in the output, 0–100 (see the module comment). Default 100. */
  readonly level?: number;
  /**
   * A state made earlier from the same runtime (so that a failure shows when the caller chose, e.g. at
   * stream start); the suppressor owns it from then on and destroys it on `close()`. Default: a new one.
   */
  readonly state?: RnnoiseState;
}

const SUPPORTED_RATES_HZ: readonly number[] = [8000, 16000];

/** Samples in a 20 ms frame at `sampleRateHz`. */
function frameSamplesAt(sampleRateHz: number): number {
  return sampleRateHz / 50;
}

/** The delay the suppressor adds, in samples at `sampleRateHz` (exact; see the module comment). */
export function noiseSuppressorDelaySamples(sampleRateHz: NoiseSuppressorRateHz): number {
  const factor = RNNOISE_SAMPLE_RATE_HZ / sampleRateHz;
  return (polyphaseTapCount(factor) - 1 + RNNOISE_DELAY_SAMPLES) / factor;
}

export class NoiseSuppressor {
  readonly sampleRateHz: NoiseSuppressorRateHz;
  /** Samples per 20 ms frame: 160 at 8 kHz, 320 at 16 kHz. */
  readonly frameSamples: number;
  /** Delay from input to output, in samples at `sampleRateHz`. */
  readonly delaySamples: number;
  /** 1 − level / 100: the share of the original signal in the output. */
  readonly #dryShare: number;
  readonly #up: PolyphaseInterpolator;
  readonly #down: PolyphaseDecimator;
  readonly #wide: Float32Array;
  readonly #narrow: Float64Array;
  /** The original signal, delayed by `delaySamples` (ring buffer), when it is mixed in. */
  readonly #dry: Int16Array | undefined;
  #dryAt = 0;
  #state: RnnoiseState | undefined;

  /** Creates the RNNoise state at once (unless given one); throws TypeError for a bad rate or level. */
  constructor(runtime: RnnoiseRuntime, options: NoiseSuppressorOptions) {
    const { sampleRateHz } = options;
    if (!SUPPORTED_RATES_HZ.includes(sampleRateHz)) {
      throw new TypeError(`NoiseSuppressor: sampleRateHz must be 8000 or 16000, got ${String(sampleRateHz)}`);
    }
    const level = options.level ?? 100;
    if (!(level >= 0 && level <= 100)) {
      throw new TypeError(`NoiseSuppressor: level must be 0 to 100, got ${level}`);
    }
    const factor = RNNOISE_SAMPLE_RATE_HZ / sampleRateHz;
    this.sampleRateHz = sampleRateHz;
    this.frameSamples = frameSamplesAt(sampleRateHz);
    this.#up = new PolyphaseInterpolator(factor);
    this.#down = new PolyphaseDecimator(factor);
    this.delaySamples = (this.#up.delaySamples + RNNOISE_DELAY_SAMPLES + this.#down.delaySamples) / factor;
    this.#dryShare = 1 - level / 100;
    this.#wide = new Float32Array(this.frameSamples * factor);
    this.#narrow = new Float64Array(this.frameSamples);
    this.#dry = this.#dryShare > 0 ? new Int16Array(this.delaySamples) : undefined;
    this.#state = options.state ?? runtime.createState();
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#state === undefined;
  }

  /**
   * Denoises one 20 ms frame (`frameSamples` samples) into `out` (at least as long; the first
   * `frameSamples` are written). `out` may be `input`. Throws TypeError for a wrong length or after
   * `close()`.
   */
  process(input: Int16Array, out: Int16Array): void {
    const state = this.#state;
    if (state === undefined) {
      throw new TypeError('NoiseSuppressor: process() after close()');
    }
    const n = this.frameSamples;
    if (input.length !== n || out.length < n) {
      throw new TypeError(
        `NoiseSuppressor: a ${this.sampleRateHz} Hz frame has ${n} samples (got ${input.length} in, ${out.length} out)`,
      );
    }
    const wide = this.#wide;
    this.#up.process(input, wide);
    for (let offset = 0; offset < wide.length; offset += RNNOISE_FRAME_SAMPLES) {
      // Copied by hand: a subarray view per call would allocate.
      const frame = state.frame();
      for (let i = 0; i < RNNOISE_FRAME_SAMPLES; i++) {
        frame[i] = wide[offset + i]!;
      }
      state.process();
      for (let i = 0; i < RNNOISE_FRAME_SAMPLES; i++) {
        wide[offset + i] = frame[i]!;
      }
    }
    const narrow = this.#narrow;
    this.#down.process(wide, narrow);
    if (this.#dry === undefined) {
      for (let i = 0; i < n; i++) {
        out[i] = toInt16(narrow[i]!);
      }
    } else {
      this.#mixDry(input, out);
    }
  }

  /** out = wet + dryShare · (delayed input − wet), pushing `input` into the delay line. */
  #mixDry(input: Int16Array, out: Int16Array): void {
    const dry = this.#dry!;
    const narrow = this.#narrow;
    const share = this.#dryShare;
    const len = dry.length;
    let at = this.#dryAt;
    for (let i = 0; i < this.frameSamples; i++) {
      const wet = narrow[i]!;
      const old = dry[at]!;
      dry[at] = input[i]!;
      at = at + 1 === len ? 0 : at + 1;
      out[i] = toInt16(wet + share * (old - wet));
    }
    this.#dryAt = at;
  }

  /** Frees the RNNoise state. Idempotent. */
  close(): void {
    this.#state?.destroy();
    this.#state = undefined;
  }
}

function toInt16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}
