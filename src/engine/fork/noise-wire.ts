/**
 * The inbound track's encoder for a stream with noise cancellation: the caller's frame is denoised
 * (src/media/noise/noise-suppressor.ts) before the stream's `WireEncoder` turns it into wire bytes.
 * Only that stream's inbound `media` is affected: the frame the call hands to every fork is read, never
 * written, so other streams and what the caller hears get the audio as it was. A stream without noise
 * cancellation gets the plain `WireEncoder` (`trackEncoder`), so it pays nothing.
 *
 * Rate: a 16 kHz stream on a wideband leg denoises the 16 kHz frame it sends; every other stream
 * denoises the 8 kHz call frame (a 16 kHz stream on a narrowband leg then upsamples the result). The
 * RNNoise state is made with the encoder, at stream start, so that a runtime out of memory refuses the
 * stream (ERR_MEDIA_NOISE_STATE from `startStream`) instead of throwing in the caller's audio path; the
 * suppressor around it (its resamplers) is made on the first frame, when the rate is known (a track
 * gets `wide` on every frame or never). `close()`, when the stream ends, frees the state.
 */
import { NoiseSuppressor } from '../../media/noise/noise-suppressor.js';
import type { RnnoiseRuntime, RnnoiseState } from '../../media/noise/rnnoise.types.js';
import type { MediaFormat } from '../../protocol/stream-ws/formats.js';
import { FRAME_SAMPLES } from '../call/media-leg.types.js';
import { WireEncoder } from './wire-audio.js';

/** What the fork needs from a track's encoder. */
export interface FrameEncoder {
  encode(pcm: Int16Array, wide?: Int16Array): Uint8Array;
  /** Frees what the encoder holds outside the JS heap (the RNNoise state). Idempotent. */
  close(): void;
}

class PlainEncoder extends WireEncoder implements FrameEncoder {
  close(): void {
    // Nothing outside the JS heap.
  }
}

class NoiseCancellingEncoder implements FrameEncoder {
  readonly #wire: WireEncoder;
  readonly #format: MediaFormat;
  readonly #runtime: RnnoiseRuntime;
  readonly #level: number;
  #suppressor: NoiseSuppressor | undefined;
  /** The RNNoise state until the first frame hands it to the suppressor. */
  #state: RnnoiseState | undefined;
  /** True once closed: frames then pass through as they are. */
  #closed = false;
  readonly #narrow = new Int16Array(FRAME_SAMPLES);
  readonly #wide = new Int16Array(FRAME_SAMPLES * 2);

  constructor(format: MediaFormat, littleEndian: boolean, runtime: RnnoiseRuntime, level: number) {
    this.#wire = new WireEncoder(format, littleEndian);
    this.#format = format;
    this.#runtime = runtime;
    this.#level = level;
    this.#state = runtime.createState();
  }

  encode(pcm: Int16Array, wide?: Int16Array): Uint8Array {
    if (this.#format.sampleRateHz === 16000 && wide?.length === this.#wide.length) {
      const suppressor = this.#suppressorFor(16000);
      if (suppressor === undefined) {
        return this.#wire.encode(pcm, wide);
      }
      suppressor.process(wide, this.#wide);
      return this.#wire.encode(pcm, this.#wide);
    }
    const suppressor = this.#suppressorFor(8000);
    if (suppressor === undefined) {
      return this.#wire.encode(pcm, wide);
    }
    suppressor.process(pcm, this.#narrow);
    return this.#wire.encode(this.#narrow);
  }

  /** The suppressor for `rateHz`, made on first use; undefined once closed or if the rate changed. */
  #suppressorFor(rateHz: 8000 | 16000): NoiseSuppressor | undefined {
    if (this.#closed) {
      return undefined;
    }
    if (this.#suppressor === undefined) {
      const state = this.#state;
      this.#state = undefined;
      this.#suppressor = new NoiseSuppressor(this.#runtime, {
        sampleRateHz: rateHz,
        level: this.#level,
        ...(state === undefined ? {} : { state }),
      });
    }
    return this.#suppressor.sampleRateHz === rateHz ? this.#suppressor : undefined;
  }

  close(): void {
    this.#closed = true;
    this.#suppressor?.close();
    this.#state?.destroy();
    this.#state = undefined;
  }
}

/**
 * A track's encoder: noise-cancelling when a level is given (the inbound track of a stream with
 * noise cancellation), else the plain encoder. Throws TypeError when noise cancellation is asked for
 * and the engine was built without RNNoise, ServerError ERR_MEDIA_NOISE_STATE when RNNoise has no
 * memory for another state.
 */
export function trackEncoder(
  format: MediaFormat,
  littleEndian: boolean,
  noiseCancellationLevel: number | undefined,
  runtime: RnnoiseRuntime | undefined,
): FrameEncoder {
  if (noiseCancellationLevel === undefined) {
    return new PlainEncoder(format, littleEndian);
  }
  if (runtime === undefined) {
    throw new TypeError(
      'noise cancellation asked for, but the engine has no RNNoise runtime (EngineDeps.noise)',
    );
  }
  return new NoiseCancellingEncoder(format, littleEndian, runtime, noiseCancellationLevel);
}
