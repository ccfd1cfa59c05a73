/**
 * The hangup cause catalogue: every cause a call record can carry, with the numeric code that goes into
 * `hangup_cause_code` (and `HangupCauseCode` on hangup_url).
 *
 * Codes come from Plivo's hangup-cause table
 * (https://www.plivo.com/docs/voice/troubleshooting/hangup-causes): 1000s canceled, 2000s destination,
 * 3000s rejections and carrier errors, 4000s normal ends, 5000s system errors, 6000s timeouts, 7000s URL
 * errors, 8000s XML errors. Causes come in two spellings: Plivo's own names (`Normal Hangup`,
 * `Invalid Answer XML`) and the FreeSWITCH/Q.850 names our SIP layer reports (`NORMAL_CLEARING`,
 * `USER_BUSY`); each maps to the Plivo code for the same situation.
 *
 * Where Plivo has no code for one of our causes, `own: true` marks a streamfork code, chosen from an
 * unused slot in the category Plivo would file it under, so a client that groups codes by thousands
 * still reads it right.
 */
import { SERVER_RESTART_CAUSE, SERVER_RESTART_CAUSE_CODE } from '../../ports/call-store.js';
import type { HangupSource } from '../call/media-leg.types.js';
import { NODE_LOST_CAUSE, NODE_LOST_CAUSE_CODE } from '../../ports/cluster-registry.js';

export interface HangupCauseEntry {
  /** The numeric code for `hangup_cause_code`. */
  readonly code: number;
  /** True when the code is streamfork's own (Plivo documents none for this cause). */
  readonly own: boolean;
  /** What the cause means here, in a few words. */
  readonly meaning: string;
}

const plivo = (code: number, meaning: string): HangupCauseEntry => ({ code, own: false, meaning });
const own = (code: number, meaning: string): HangupCauseEntry => ({ code, own: true, meaning });

/** Cause name → its code. Keys are the exact strings call records carry. */
export const hangupCauseCatalog: ReadonlyMap<string, HangupCauseEntry> = new Map([
  // Normal ends (4000s).
  ['Normal Hangup', plivo(4000, 'the call ended normally (REST hangup, a party hung up)')],
  ['NORMAL_CLEARING', plivo(4000, 'a party hung up (BYE), or `<Hangup/>`')],
  ['End Of XML Instructions', plivo(4010, 'the XML ran out')],
  // Canceled before answer (1000s).
  ['ORIGINATOR_CANCEL', plivo(1000, 'the call was canceled before it was answered')],
  ['LOSE_RACE', own(1010, 'a `<Dial>` party that answered after another party had won')],
  // Destination problems (2000s).
  ['INVALID_NUMBER_FORMAT', plivo(2000, 'the destination cannot be dialled (no trunk for a number)')],
  // Rejections by the far end or the carrier (3000s).
  ['NO_ANSWER', plivo(3000, 'the destination did not answer (408/480, ring timeout after ringing)')],
  ['USER_BUSY', plivo(3010, 'the destination is busy (486/600, or `<Hangup reason="busy"/>`)')],
  [
    'CALL_REJECTED',
    plivo(3020, 'the destination rejected the call (403/603, or `<Hangup reason="rejected"/>`)'),
  ],
  ['UNALLOCATED_NUMBER', plivo(3050, 'the destination does not exist (404/484)')],
  ['RECOVERY_ON_TIMER_EXPIRE', plivo(3070, 'a SIP transaction timed out (504, no response, no ACK)')],
  ['NORMAL_TEMPORARY_FAILURE', plivo(3080, 'a temporary failure (5xx from the far end, no RTP port)')],
  ['SERVICE_UNAVAILABLE', plivo(3090, 'the far end is overloaded (502/503)')],
  ['INCOMPATIBLE_DESTINATION', own(3150, 'no usable media in the offer or answer (488/606)')],
  // System errors (5000s).
  ['NETWORK_OUT_OF_ORDER', plivo(5000, 'the SIP request could not be sent')],
  ['PROTOCOL_ERROR', plivo(5000, 'the far end broke the SIP protocol (a 2xx that makes no dialog)')],
  ['Internal Error', plivo(5010, 'streamfork failed while running the call')],
  [
    SERVER_RESTART_CAUSE,
    own(SERVER_RESTART_CAUSE_CODE, 'the server stopped (crash, kill -9) while the call was live'),
  ],
  ['Server Shutdown', own(5050, 'the server was shut down while the call was live')],
  [
    NODE_LOST_CAUSE,
    own(NODE_LOST_CAUSE_CODE, 'the cluster node running the call died; a surviving node ended its record'),
  ],
  // Timeouts (6000s).
  ['Scheduled Hangup', plivo(6000, 'the call reached its time limit')],
  ['Ring Timeout Reached', plivo(6010, 'the call was not answered within its ring timeout')],
  ['MEDIA_TIMEOUT', plivo(6020, 'no RTP arrived for the media timeout')],
  ['Media Timeout', plivo(6020, 'no RTP arrived for the media timeout')],
  // URL errors (7000s).
  ['Answer URL Unreachable', plivo(7011, 'the answer URL could not be fetched (transport error, timeout)')],
  ['Answer URL Error', plivo(7011, 'the answer URL answered with an HTTP error')],
  ['Answer URL Missing', own(7021, 'no answer URL is configured for inbound calls')],
  // XML errors (8000s).
  ['Invalid Answer XML', plivo(8011, 'the document failed validation (D9) and was not run')],
  ['Too Many Redirects', own(8015, 'the call fetched more documents than allowed')],
]);

export interface HangupSourceEntry {
  /** Plivo's name, as `hangup_source` and `HangupSource` carry it. */
  readonly name: string;
  /** Who asks for a hangup with this source. */
  readonly meaning: string;
}

/**
 * Who ended the call → Plivo's hangup source name
 * (https://www.plivo.com/docs/voice/troubleshooting/hangup-causes). The source is set where the hangup
 * is asked for; the name is a pure mapping of it.
 */
export const hangupSourceCatalog: Readonly<Record<HangupSource, HangupSourceEntry>> = {
  caller: { name: 'Caller', meaning: 'the caller hung up (BYE, CANCEL) or the media stopped on its side' },
  callee: { name: 'Call recipient', meaning: 'the destination of an outbound call hung up or refused it' },
  'xml-hangup': { name: 'Answer XML', meaning: 'a `<Hangup>` element' },
  'xml-end': { name: 'Plivo', meaning: 'the XML ran out (`End Of XML Instructions`)' },
  server: { name: 'Plivo', meaning: 'the server: shutdown, timeouts, time limits, no answer URL' },
  api: { name: 'API Request', meaning: 'a REST hangup (`DELETE Call`)' },
  error: { name: 'Error', meaning: 'an error: fetch failures, invalid XML, internal failures' },
};

/** Plivo's name of a hangup source. */
export function hangupSourceName(source: HangupSource): string {
  return hangupSourceCatalog[source].name;
}

/** The code for `cause`, or null for a cause the catalogue does not know. */
export function hangupCauseCodeOf(cause: string): number | null {
  return hangupCauseCatalog.get(cause)?.code ?? null;
}

/** Renders docs/hangup-causes.md from the catalogue (pure; `npm run gen:docs` writes it, a test checks it). */
export function renderHangupCausesDoc(): string {
  const lines = [
    '# Hangup causes',
    '',
    'Generated from `src/engine/records/hangup-causes.ts` by `npm run gen:docs`; a test fails when this file is stale.',
    '',
    'Every cause a call record can carry (`hangup_cause_name` in GET Call, `HangupCause` on hangup_url) and the',
    "code that goes with it (`hangup_cause_code`, `HangupCauseCode`). Codes are Plivo's",
    '(https://www.plivo.com/docs/voice/troubleshooting/hangup-causes) except those marked *own*: Plivo documents',
    'no code for these, so streamfork uses an unused code in the range Plivo would file them under.',
    '',
    '| cause | code | source of the code | meaning |',
    '| --- | --- | --- | --- |',
  ];
  const rows = [...hangupCauseCatalog].sort(([a, x], [b, y]) => x.code - y.code || (a < b ? -1 : 1));
  for (const [cause, e] of rows) {
    lines.push(
      `| \`${cause}\` | ${e.code} | ${e.own ? '*own*' : 'Plivo'} | ${e.meaning.replaceAll('|', '\\|')} |`,
    );
  }
  lines.push(
    '',
    '## Hangup sources',
    '',
    'Who ended the call (`hangup_source`, `HangupSource`). The source is set where the hangup is asked for, never',
    'guessed from the cause.',
    '',
    '| source | name | meaning |',
    '| --- | --- | --- |',
  );
  for (const [source, e] of Object.entries(hangupSourceCatalog)) {
    lines.push(`| \`${source}\` | \`${e.name}\` | ${e.meaning.replaceAll('|', '\\|')} |`);
  }
  return `${lines.join('\n')}\n`;
}
