import type { CatalogSection } from '../catalog.types.js';

/** Error codes of `<Speak>` (text to speech) and `<Play>` (audio files). */
export const promptCodes = {
  ERR_TTS_UNAVAILABLE: {
    message: 'The text-to-speech engine is not installed (install espeak-ng, or set tts.command).',
    category: 'server',
  },
  ERR_TTS_FAILED: {
    message: 'The text-to-speech engine failed (unknown voice, crash, timeout or output over the size cap).',
    category: 'server',
  },
  ERR_PLAY_FETCH_FAILED: { message: 'The audio file URL could not be fetched.', category: 'connectivity' },
  ERR_PLAY_TOO_LARGE: {
    message: 'The audio file is larger than the configured cap.',
    category: 'invalid_request',
  },
  ERR_PLAY_UNSUPPORTED_FORMAT: {
    message: 'The audio file is in a format this server cannot decode (MP3 needs ffmpeg on the PATH).',
    category: 'invalid_request',
  },
  ERR_PLAY_DECODE_FAILED: { message: 'The audio file could not be decoded.', category: 'invalid_request' },
} as const satisfies CatalogSection;
