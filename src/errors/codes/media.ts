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
} as const satisfies CatalogSection;
