/**
 * What the caller of a wideband leg (G.722) hears, mixed at 16 kHz: a 16 kHz stream's playback goes in
 * as it is (its frame before the stream's downsampling), every 8 kHz source (prompts, 8 kHz streams) in
 * one 8 kHz submix upsampled 2× once. The 8 kHz mix the call keeps as well (the outbound track of the
 * streams) is unchanged. Everything is allocated once per call; the upsampler runs every frame, on
 * silence too, so its history stays continuous.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in DSP loops are in
   bounds by loop construction. */
import { Upsampler2x } from '../../media/resample/half-band.js';
import { FRAME_SAMPLES, WIDE_FRAME_SAMPLES } from './media-leg.types.js';

function clip16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

export class WideMix {
  readonly #wide = new Int32Array(WIDE_FRAME_SAMPLES);
  readonly #narrow = new Int32Array(FRAME_SAMPLES);
  readonly #narrow16 = new Int16Array(FRAME_SAMPLES);
  readonly #up = new Upsampler2x();
  readonly #upOut = new Int16Array(WIDE_FRAME_SAMPLES);
  readonly #out = new Int16Array(WIDE_FRAME_SAMPLES);

  /** Starts a frame: nothing mixed yet. */
  begin(): void {
    this.#wide.fill(0);
    this.#narrow.fill(0);
  }

  /** Adds an 8 kHz source's frame (160 samples). */
  addNarrow(frame: Int16Array): void {
    const narrow = this.#narrow;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      narrow[i] = narrow[i]! + frame[i]!;
    }
  }

  /** Adds a 16 kHz source's frame (320 samples). */
  addWide(frame: Int16Array): void {
    const wide = this.#wide;
    for (let i = 0; i < WIDE_FRAME_SAMPLES; i++) {
      wide[i] = wide[i]! + frame[i]!;
    }
  }

  /** The frame's 16 kHz mix (320 samples, reused by the next frame), clipped once. */
  finish(): Int16Array {
    const narrow16 = this.#narrow16;
    const narrow = this.#narrow;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      narrow16[i] = clip16(narrow[i]!);
    }
    this.#up.process(narrow16, this.#upOut);
    const out = this.#out;
    const wide = this.#wide;
    const up = this.#upOut;
    for (let i = 0; i < WIDE_FRAME_SAMPLES; i++) {
      out[i] = clip16(wide[i]! + up[i]!);
    }
    return out;
  }
}
