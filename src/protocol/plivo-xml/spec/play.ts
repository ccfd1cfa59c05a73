import type { ElementSpec } from './types.js';

/**
 * `<Play>`: plays an audio file fetched from a URL.
 * https://www.plivo.com/docs/voice/xml/play
 */
export const playSpec = {
  name: 'Play',
  doc: 'Fetches an audio file (MP3 or WAV) from the URL in its text and plays it to the caller.',
  body: {
    field: 'url',
    required: true,
    value: { type: 'url', schemes: ['http', 'https'], doc: 'The audio file URL, as the element text.' },
  },
  attributes: {
    loop: {
      type: 'integer',
      default: 1,
      min: 0,
      doc: 'How many times to play the file; 0 repeats until the call moves on.',
    },
  },
  children: [],
} as const satisfies ElementSpec;
