import type { ElementSpec } from './types.js';

/**
 * `<Response>`: the root of every Plivo XML document.
 * https://www.plivo.com/docs/voice/xml/response
 */
export const responseSpec = {
  name: 'Response',
  doc: 'The root element. Its children run one after another; when they run out the call ends.',
  attributes: {},
  children: [
    'Speak',
    'Play',
    'Wait',
    'GetDigits',
    'Stream',
    'DTMF',
    'Record',
    'Redirect',
    'Hangup',
    'PreAnswer',
    'Dial',
  ],
} as const satisfies ElementSpec;
