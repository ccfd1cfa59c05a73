import { MAX_DURATION_SEC, type AttributeValues, type ElementSpec, type RuleIssue } from './types.js';

/** Rules of `<Record>`: what this server cannot do is said, not silently dropped. */
function recordRules(values: AttributeValues): readonly RuleIssue[] {
  const issues: RuleIssue[] = [];
  for (const attribute of ['transcriptionType', 'transcriptionUrl', 'transcriptionMethod']) {
    if (values.get(attribute) !== undefined) {
      issues.push({
        severity: 'warning',
        code: 'ERR_XML_ATTRIBUTE_IGNORED',
        attribute,
        detail: 'streamfork does not transcribe recordings',
      });
    }
  }
  return issues;
}

/**
 * `<Record>`: records the call to a WAV file, then sends its URL to action.
 * https://www.plivo.com/docs/voice/xml/record
 */
export const recordSpec = {
  name: 'Record',
  doc:
    'Records the call (what the caller says and what the caller hears) to a WAV file. By default the ' +
    'element waits until maxLength, timeout seconds of silence, a finishOnKey key or the hangup, then ' +
    'sends the recording to action; with recordSession the whole call is recorded in the background ' +
    'and the next element runs at once.',
  attributes: {
    action: {
      type: 'url',
      schemes: ['http', 'https'],
      doc: 'Receives RecordUrl, RecordingID, RecordingDuration, RecordingDurationMs, RecordingStartMs, RecordingEndMs and Digits when the recording ends; with redirect its XML continues the call.',
    },
    method: {
      type: 'enum',
      values: ['GET', 'POST'],
      default: 'POST',
      caseInsensitive: true,
      doc: 'HTTP method for action.',
    },
    fileFormat: {
      type: 'enum',
      values: ['wav'],
      default: 'wav',
      caseInsensitive: true,
      doc: 'wav (PCM16, 8 kHz), the only value: Plivo’s mp3 is refused (ERR_XML_BAD_ENUM), since no maintained MP3 encoder ships with streamfork; Plivo’s default is mp3, streamfork’s wav.',
    },
    redirect: {
      type: 'boolean',
      default: true,
      doc: 'Continue with the XML returned by action (false: just notify action and go on).',
    },
    timeout: {
      type: 'integer',
      default: 15,
      min: 1,
      max: MAX_DURATION_SEC,
      unit: 'seconds',
      field: 'timeoutSec',
      doc: 'Seconds of silence from the caller that end the recording.',
    },
    maxLength: {
      type: 'integer',
      default: 60,
      min: 1,
      max: MAX_DURATION_SEC,
      unit: 'seconds',
      field: 'maxLengthSec',
      doc: 'The longest recording. A recordSession recording runs until the hangup whatever maxLength says.',
    },
    playBeep: {
      type: 'boolean',
      default: true,
      doc: 'Play a beep before recording (not with recordSession).',
    },
    finishOnKey: {
      type: 'string',
      default: '1234567890*#',
      pattern: /^(?:[0-9*#]*|none)$/,
      patternDoc: 'keys 0-9, * and #, "none", or empty',
      doc: 'Any of these keys ends the recording (sent as Digits); "none" or empty turns it off.',
    },
    recordSession: {
      type: 'boolean',
      default: false,
      doc: 'Record the rest of the call in the background (until the hangup) and run the next element at once; action is notified when it ends.',
    },
    startOnDialAnswer: {
      type: 'boolean',
      default: false,
      doc: "Record the call's next <Dial> bridge instead, from the party's answer until the bridge ends, in the background (the next element runs at once); action is notified when it ends.",
    },
    recordChannelType: {
      type: 'enum',
      values: ['mono', 'stereo'],
      default: 'mono',
      caseInsensitive: true,
      doc: 'mono: both sides mixed; stereo: the caller on the left channel, what the caller hears on the right.',
    },
    callbackUrl: {
      type: 'url',
      schemes: ['http', 'https'],
      doc: 'Told (with the action’s parameters) when the recording file is complete.',
    },
    callbackMethod: {
      type: 'enum',
      values: ['GET', 'POST'],
      default: 'POST',
      caseInsensitive: true,
      doc: 'HTTP method for callbackUrl.',
    },
    transcriptionType: {
      type: 'enum',
      values: ['auto', 'hybrid'],
      doc: 'Accepted for compatibility; recordings are not transcribed.',
    },
    transcriptionUrl: {
      type: 'url',
      schemes: ['http', 'https'],
      doc: 'Accepted for compatibility; recordings are not transcribed.',
    },
    transcriptionMethod: {
      type: 'enum',
      values: ['GET', 'POST'],
      caseInsensitive: true,
      doc: 'Accepted for compatibility; recordings are not transcribed.',
    },
  },
  children: [],
  rules: recordRules,
} as const satisfies ElementSpec;
