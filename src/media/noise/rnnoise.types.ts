/**
 * What the noise suppressor needs from an RNNoise build (J.-M. Valin, "A Hybrid DSP/Deep Learning
 * Approach to Real-Time Full-Band Speech Enhancement", 2018): one denoiser state per stream, fed
 * 480-sample frames (10 ms at 48 kHz) of float samples at int16 scale (±32768), processed in place.
 * The composition root loads the WebAssembly build once (src/adapters/rnnoise/) and hands it in.
 */

/** RNNoise's frame: 10 ms at 48 kHz. */
export const RNNOISE_FRAME_SAMPLES = 480;
/** The only rate RNNoise runs at. */
export const RNNOISE_SAMPLE_RATE_HZ = 48000;
/**
 * RNNoise's own delay, in 48 kHz samples: each call returns the frame given one call earlier
 * (analysis windows overlap by half; synthesis is overlap-add), measured in noise-suppressor.test.ts.
 */
export const RNNOISE_DELAY_SAMPLES = 480;

/** One stream's denoiser state, living in the runtime's memory until `destroy()`. */
export interface RnnoiseState {
  /**
   * The frame buffer (480 floats) in the runtime's memory: write the input, call `process()`, read the
   * output. Ask again after any other state was created (the memory may have grown and moved).
   */
  frame(): Float32Array;
  /** Denoises the frame in place; returns the voice probability of the frame (0..1). */
  process(): number;
  /** Frees the state and its frame buffer. Idempotent. */
  destroy(): void;
}

/** A loaded RNNoise build: makes states. */
export interface RnnoiseRuntime {
  /** A fresh state (default model). Throws when the runtime's memory cannot hold another. */
  createState(): RnnoiseState;
  /** States created and not yet destroyed (for tests and metrics). */
  readonly liveStates: number;
}
