import { MAX_DURATION_SEC, type ElementSpec } from './types.js';

/**
 * `<GetDigits>`: collects key presses, playing its nested prompts meanwhile.
 * https://www.plivo.com/docs/voice/xml/getdigits
 */
export const getDigitsSpec = {
  name: 'GetDigits',
  doc:
    'Collects DTMF digits from the caller while its nested Speak, Play and Wait prompts run, then ' +
    'sends them to action.',
  attributes: {
    action: {
      type: 'url',
      schemes: ['http', 'https'],
      doc: 'Receives the digits (parameter Digits); its XML response continues the call.',
    },
    method: {
      type: 'enum',
      values: ['GET', 'POST'],
      default: 'POST',
      caseInsensitive: true,
      doc: 'HTTP method for action.',
    },
    timeout: {
      type: 'integer',
      default: 5,
      min: 1,
      max: MAX_DURATION_SEC,
      unit: 'seconds',
      field: 'timeoutSec',
      doc: 'How long to wait for the first digit after the prompts end.',
    },
    digitTimeout: {
      type: 'integer',
      default: 2,
      min: 1,
      max: MAX_DURATION_SEC,
      unit: 'seconds',
      field: 'digitTimeoutSec',
      doc: 'How long to wait between digits.',
    },
    finishOnKey: {
      type: 'string',
      default: '#',
      pattern: /^(?:[0-9*#]|none|)$/,
      patternDoc: 'one of 0-9, * and #, "none", or empty',
      doc: 'The key that ends input early; "none" or empty turns it off.',
    },
    numDigits: {
      type: 'integer',
      default: 99,
      min: 1,
      doc: 'Input ends once this many digits have been pressed.',
    },
    retries: {
      type: 'integer',
      default: 1,
      min: 0,
      doc: 'How many more times to run the prompts when no valid input arrives.',
    },
    redirect: {
      type: 'boolean',
      default: true,
      doc: 'Continue with the XML returned by action (false: just notify action and go on).',
    },
    playBeep: {
      type: 'boolean',
      default: false,
      doc: 'Play a beep after the prompts, before listening.',
    },
    validDigits: {
      type: 'string',
      default: '1234567890*#',
      pattern: /^[0-9*#]+$/,
      patternDoc: 'digits 0-9, * and #',
      doc: 'The keys accepted as input; others count as invalid.',
    },
    invalidDigitsSound: {
      type: 'url',
      schemes: ['http', 'https'],
      doc: 'Audio played when a key outside validDigits is pressed.',
    },
    log: {
      type: 'boolean',
      default: true,
      doc: 'Record the digits in the call logs (turn off for PINs and card numbers).',
    },
  },
  children: ['Speak', 'Play', 'Wait'],
} as const satisfies ElementSpec;
