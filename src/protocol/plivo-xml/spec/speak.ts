import type { ElementSpec } from './types.js';

/**
 * `<Speak>`: text to speech. The text may contain SSML markup, which is passed through.
 * https://www.plivo.com/docs/voice/xml/speak
 */
export const speakSpec = {
  name: 'Speak',
  doc: 'Reads its text to the caller with a text-to-speech voice; SSML tags inside are passed through.',
  body: {
    field: 'text',
    required: true,
    value: { type: 'string', doc: 'The text to read (SSML allowed).' },
  },
  attributes: {
    voice: {
      type: 'string',
      default: 'WOMAN',
      pattern: /^(?:WOMAN|MAN|Polly\.[A-Za-z][A-Za-z-]*)$/,
      patternDoc: 'WOMAN, MAN or Polly.<VoiceName>',
      doc: 'The voice: WOMAN, MAN, or an Amazon Polly voice written Polly.<Name>.',
    },
    language: {
      type: 'string',
      default: 'en-US',
      pattern: /^[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*$/,
      patternDoc: 'a language tag such as en-US',
      doc: 'Language and accent of the voice, as a language tag.',
    },
    loop: {
      type: 'integer',
      default: 1,
      min: 0,
      doc: 'How many times to read the text; 0 repeats until the call moves on.',
    },
  },
  children: [],
  ssmlChildren: true,
} as const satisfies ElementSpec;

/** SSML elements that may appear inside `<Speak>`; they are passed through unvalidated. */
export const SSML_ELEMENTS: ReadonlySet<string> = new Set([
  'break',
  'emphasis',
  'lang',
  'p',
  'phoneme',
  'prosody',
  's',
  'say-as',
  'sub',
  'w',
]);
