import type { CatalogSection } from '../catalog.types.js';

/** Error codes of the media area (ERR_MEDIA_* unless noted). */
export const mediaCodes = {
  ERR_MEDIA_WAV_NOT_RIFF: {
    message: 'The audio is not a RIFF/WAVE file (missing "RIFF" or "WAVE" header).',
    category: 'invalid_request',
  },
  ERR_MEDIA_WAV_FMT_MISSING: {
    message: 'The WAVE file has no complete "fmt " chunk.',
    category: 'invalid_request',
  },
  ERR_MEDIA_WAV_FMT_INVALID: {
    message: 'The WAVE "fmt " chunk has impossible values (channels, sample rate or sizes).',
    category: 'invalid_request',
  },
  ERR_MEDIA_WAV_UNSUPPORTED_ENCODING: {
    message: 'The WAVE encoding is not supported (use PCM 8/16/24/32-bit, float32, mu-law or A-law).',
    category: 'invalid_request',
  },
  ERR_MEDIA_WAV_DATA_MISSING: {
    message: 'The WAVE file has no "data" chunk, or it holds no whole sample frame.',
    category: 'invalid_request',
  },
  ERR_MEDIA_NOISE_WASM_UNAVAILABLE: {
    message:
      'The RNNoise WebAssembly (npm package @echogarden/rnnoise-wasm) did not load at startup; noise cancellation needs it.',
    category: 'server',
  },
  ERR_MEDIA_NOISE_STATE: {
    message: 'No RNNoise state could be created for a stream with noise cancellation (wasm memory).',
    category: 'server',
  },
} as const satisfies CatalogSection;
