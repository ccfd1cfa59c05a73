/**
 * The registry of element specs, keyed by element name (a map replaces a switch, STYLE.md 5.11).
 */
import { dialSpec, numberSpec, userSpec } from './dial.js';
import { dtmfSpec } from './dtmf.js';
import { getDigitsSpec } from './get-digits.js';
import { hangupSpec } from './hangup.js';
import { playSpec } from './play.js';
import { recordSpec } from './record.js';
import { preAnswerSpec } from './pre-answer.js';
import { redirectSpec } from './redirect.js';
import { responseSpec } from './response.js';
import { speakSpec } from './speak.js';
import { streamSpec } from './stream.js';
import { waitSpec } from './wait.js';
import type { ElementSpec } from './types.js';

export {
  dialSpec,
  dtmfSpec,
  getDigitsSpec,
  hangupSpec,
  numberSpec,
  playSpec,
  recordSpec,
  preAnswerSpec,
  redirectSpec,
  responseSpec,
  speakSpec,
  streamSpec,
  userSpec,
  waitSpec,
};
export { SSML_ELEMENTS } from './speak.js';
export { EXTRA_HEADERS_MAX_BYTES, STREAM_CONTENT_TYPES } from './stream.js';

/** Every element this server implements, in docs order. */
export const ELEMENT_SPECS: readonly ElementSpec[] = [
  responseSpec,
  streamSpec,
  speakSpec,
  playSpec,
  waitSpec,
  getDigitsSpec,
  dtmfSpec,
  recordSpec,
  redirectSpec,
  hangupSpec,
  preAnswerSpec,
  dialSpec,
  numberSpec,
  userSpec,
];

/** Element specs by name. */
export const ELEMENT_SPEC_BY_NAME: ReadonlyMap<string, ElementSpec> = new Map(
  ELEMENT_SPECS.map((spec) => [spec.name, spec]),
);

/** Plivo elements that exist but this server does not run (ERR_XML_UNSUPPORTED_ELEMENT). */
export const UNSUPPORTED_ELEMENTS: ReadonlySet<string> = new Set([
  'Conference',
  'GetInput',
  'Message',
  'MultiPartyCall',
]);

/** The largest document accepted, in UTF-8 bytes (compatibility §2.5: 100 KB). */
export const MAX_DOCUMENT_BYTES = 100 * 1024;
