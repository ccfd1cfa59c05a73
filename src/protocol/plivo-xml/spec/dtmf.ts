import type { ElementSpec } from './types.js';

/**
 * `<DTMF>`: sends key tones to the other party.
 * https://www.plivo.com/docs/voice/xml/dtmf
 */
export const dtmfSpec = {
  name: 'DTMF',
  doc: 'Sends the digits in its text as DTMF tones; w waits 0.5 s and W waits 1 s between tones.',
  body: {
    field: 'digits',
    required: true,
    value: {
      type: 'string',
      pattern: /^[0-9A-Da-d*#wW]+$/,
      patternDoc: 'digits 0-9, A-D, * and #, with w/W pauses',
      doc: 'The digits to send, as the element text.',
    },
  },
  attributes: {
    async: {
      type: 'boolean',
      default: true,
      doc: 'Go on to the next element while the tones are still being sent.',
    },
  },
  children: [],
} as const satisfies ElementSpec;
