import {
  MAX_DURATION_MS,
  MAX_DURATION_SEC,
  type AttributeValues,
  type ElementSpec,
  type RuleIssue,
} from './types.js';

function waitRules(values: AttributeValues): readonly RuleIssue[] {
  // Reported only when minSilence is written (rule warnings apply to given attributes).
  if (values.get('silence') !== true) {
    return [
      {
        severity: 'warning',
        code: 'ERR_XML_ATTRIBUTE_IGNORED',
        attribute: 'minSilence',
        detail: 'minSilence only applies with silence="true"',
      },
    ];
  }
  return [];
}

/**
 * `<Wait>`: pauses execution, optionally until the far end goes quiet or a beep is heard.
 * https://www.plivo.com/docs/voice/xml/wait
 */
export const waitSpec = {
  name: 'Wait',
  doc: 'Pauses before the next element; can also end early on silence or on a voicemail beep.',
  attributes: {
    length: {
      type: 'integer',
      default: 1,
      min: 1,
      max: MAX_DURATION_SEC,
      unit: 'seconds',
      field: 'lengthSec',
      doc: 'How long to wait (the longest wait when silence or beep is set).',
    },
    silence: {
      type: 'boolean',
      default: false,
      doc: 'End the wait as soon as the far end has been silent for minSilence.',
    },
    minSilence: {
      type: 'integer',
      default: 2000,
      min: 0,
      max: MAX_DURATION_MS,
      unit: 'milliseconds',
      field: 'minSilenceMs',
      doc: 'Silence needed to end the wait when silence="true".',
    },
    beep: {
      type: 'boolean',
      default: false,
      doc: 'End the wait when a beep (answering machine) is detected.',
    },
  },
  children: [],
  rules: waitRules,
} as const satisfies ElementSpec;
