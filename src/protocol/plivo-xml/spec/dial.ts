import { MAX_DURATION_SEC, type ElementSpec } from './types.js';

/** `sipHeaders`: comma-separated `name=value` pairs (Plivo prefixes each name with `X-PH-`). */
export const SIP_HEADERS_PATTERN = /^(?:[A-Za-z0-9-]+=[^,=]*)(?:,[A-Za-z0-9-]+=[^,=]*)*$/;
const SIP_HEADERS_DOC = 'comma-separated name=value pairs (letters, digits and - in names)';

/** Largest `sipHeaders` value, in UTF-8 bytes. */
export const SIP_HEADERS_MAX_BYTES = 1024;

/** Digits a leg may send after it answers: 0-9, *, #, and w/W for half/one second pauses. */
const SEND_DIGITS = { pattern: /^[0-9*#wW]+$/, patternDoc: 'digits 0-9, *, # and w/W (pauses)' } as const;

/**
 * `<Dial>`: calls its `<Number>` and `<User>` children at once and bridges the caller with the first
 * one to answer. https://www.plivo.com/docs/voice/xml/dial
 */
export const dialSpec = {
  name: 'Dial',
  doc:
    'Calls every nested Number and User at once; the first to answer is bridged with the caller and ' +
    'the others are cancelled. When the bridge ends, action is told the outcome.',
  attributes: {
    action: {
      type: 'url',
      schemes: ['http', 'https'],
      doc:
        'Receives DialStatus, DialALegUUID, DialBLegUUID and DialHangupCause when the dial ends; its XML ' +
        'continues the call (absent: the next element runs).',
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
      min: 1,
      max: MAX_DURATION_SEC,
      unit: 'seconds',
      field: 'timeoutSec',
      doc: 'How long the dialled parties may ring before they are cancelled (no-answer); absent: 60.',
    },
    timeLimit: {
      type: 'integer',
      default: 14_400,
      min: 1,
      max: MAX_DURATION_SEC,
      unit: 'seconds',
      field: 'timeLimitSec',
      doc: 'The longest the bridge may last; the called party is hung up after it.',
    },
    callerId: {
      type: 'string',
      pattern: /^(?:\+?[0-9]{1,20}|[A-Za-z0-9._~+-]{1,64})$/,
      patternDoc: 'a number (optional +, up to 20 digits) or a SIP user name',
      doc: 'The caller id the dialled parties see; absent: the caller\u2019s own (From).',
    },
    callerName: {
      type: 'string',
      maxBytes: 64,
      doc: 'The display name the dialled parties see (at most 64 bytes).',
    },
    hangupOnStar: {
      type: 'boolean',
      default: false,
      doc: 'The caller ends the bridge by pressing *; the call then continues with action or the next element.',
    },
    redirect: {
      type: 'boolean',
      default: true,
      doc: 'Continue with the XML returned by action (false: just notify action and go on).',
    },
    callbackUrl: {
      type: 'url',
      schemes: ['http', 'https'],
      doc: 'Told of the called party\u2019s progress: DialAction answer, then hangup, with the two legs\u2019 UUIDs.',
    },
    callbackMethod: {
      type: 'enum',
      values: ['GET', 'POST'],
      default: 'POST',
      caseInsensitive: true,
      doc: 'HTTP method for callbackUrl.',
    },
    confirmSound: {
      type: 'url',
      schemes: ['http', 'https'],
      doc: 'A URL answering XML whose Play, Speak and Wait are played once to a party that answers, before the bridge.',
    },
    confirmKey: {
      type: 'string',
      pattern: /^[0-9*#]$/,
      patternDoc: 'one of 0-9, * and #',
      doc: 'The key a party that answers must press to be bridged; until then the others keep ringing.',
    },
    confirmTimeout: {
      type: 'integer',
      min: 1,
      max: MAX_DURATION_SEC,
      unit: 'seconds',
      field: 'confirmTimeoutSec',
      doc: 'How long a party has to press confirmKey before it is hung up; absent: 30.',
    },
    dialMusic: {
      type: 'string',
      pattern: /^(?:real|https?:\/\/\S+)$/,
      patternDoc: '"real" or an http(s) URL',
      doc:
        'What the caller hears while the parties ring: "real" for a ringback tone, or a URL answering XML ' +
        'whose Play, Speak and Wait elements are played in a loop; absent: silence.',
    },
    digitsMatch: {
      type: 'string',
      pattern: /^[0-9*#]+(?:,[0-9*#]+)*$/,
      patternDoc: 'comma-separated digit strings',
      doc: 'Digit strings the caller may press while bridged; each hit is reported to callbackUrl (DialAction=digits, DialDigitsMatch).',
    },
    digitsMatchBLeg: {
      type: 'string',
      pattern: /^[0-9*#]+(?:,[0-9*#]+)*$/,
      patternDoc: 'comma-separated digit strings',
      doc: 'The same for the called party\u2019s keys (DialDigitsMatchBLeg).',
    },
    sipHeaders: {
      type: 'string',
      pattern: SIP_HEADERS_PATTERN,
      patternDoc: SIP_HEADERS_DOC,
      maxBytes: SIP_HEADERS_MAX_BYTES,
      doc: 'Headers added to every INVITE, each as X-PH-name: value.',
    },
  },
  children: ['Number', 'User'],
  minChildren: 1,
} as const satisfies ElementSpec;

/** `<Number>`: a telephone number dialled through the trunk (`sip.trunk`). */
export const numberSpec = {
  name: 'Number',
  doc: 'A telephone number to dial through the SIP trunk (config sip.trunk), inside Dial.',
  body: {
    field: 'number',
    required: true,
    value: {
      type: 'string',
      pattern: /^\+?[0-9]{1,20}$/,
      patternDoc: 'a telephone number: an optional + and 1 to 20 digits',
      doc: 'The number, as the element text.',
    },
  },
  attributes: {
    sendDigits: {
      type: 'string',
      ...SEND_DIGITS,
      doc: 'Digits sent (RFC 4733) to the party once it answers, w for a 0.5 s pause, W for 1 s.',
    },
    sendOnPreanswer: {
      type: 'boolean',
      default: false,
      doc: 'Send sendDigits on early media instead of on answer (not run by this server yet).',
    },
    sendDigitsMode: {
      type: 'enum',
      values: ['rfc2833', 'inband'],
      default: 'rfc2833',
      doc: 'How sendDigits are sent; only rfc2833 (RFC 4733 events) is run.',
    },
    callerId: {
      type: 'string',
      pattern: /^(?:\+?[0-9]{1,20}|[A-Za-z0-9._~+-]{1,64})$/,
      patternDoc: 'a number (optional +, up to 20 digits) or a SIP user name',
      doc: 'The caller id for this party; overrides the Dial\u2019s.',
    },
    callerName: {
      type: 'string',
      maxBytes: 64,
      doc: 'The display name for this party; overrides the Dial\u2019s.',
    },
  },
  children: [],
} as const satisfies ElementSpec;

/** `<User>`: a SIP endpoint dialled at its URI. */
export const userSpec = {
  name: 'User',
  doc: 'A SIP endpoint to dial at its sip: (or sips:) URI, inside Dial.',
  body: {
    field: 'uri',
    required: true,
    value: {
      type: 'string',
      pattern: /^sips?:(?:[^@\s<>"]+@)?[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:;[^\s<>"]*)?$/i,
      patternDoc: 'a sip: or sips: URI (sip:user@host[:port][;params])',
      doc: 'The SIP URI, as the element text.',
    },
  },
  attributes: {
    sendDigits: {
      type: 'string',
      ...SEND_DIGITS,
      doc: 'Digits sent (RFC 4733) to the party once it answers, w for a 0.5 s pause, W for 1 s.',
    },
    sendOnPreanswer: {
      type: 'boolean',
      default: false,
      doc: 'Send sendDigits on early media instead of on answer (not run by this server yet).',
    },
    sipHeaders: {
      type: 'string',
      pattern: SIP_HEADERS_PATTERN,
      patternDoc: SIP_HEADERS_DOC,
      maxBytes: SIP_HEADERS_MAX_BYTES,
      doc: 'Headers added to this party\u2019s INVITE (after the Dial\u2019s), each as X-PH-name: value.',
    },
    callerId: {
      type: 'string',
      pattern: /^(?:\+?[0-9]{1,20}|[A-Za-z0-9._~+-]{1,64})$/,
      patternDoc: 'a number (optional +, up to 20 digits) or a SIP user name',
      doc: 'The caller id for this party; overrides the Dial\u2019s.',
    },
    callerName: {
      type: 'string',
      maxBytes: 64,
      doc: 'The display name for this party; overrides the Dial\u2019s.',
    },
  },
  children: [],
} as const satisfies ElementSpec;
