/**
 * Which dialect an answer document is written in, by its elements: TwiML (Twilio) or Plivo XML. An
 * element only one of them has decides; a document with only the elements both share (`<Play>`,
 * `<Hangup>`, `<Redirect>`) is read in `fallback`, the dialect of the flow so far (Plivo XML at first). A document with elements of both is refused,
 * naming the dialect most of its elements belong to. Malformed documents are left to the parsers.
 */
import { SaxesParser } from 'saxes';

export type AnswerDialect = 'plivo' | 'twilio';

/** Elements only TwiML has. */
const TWIML_ONLY = new Set([
  'Connect',
  'Start',
  'Stop',
  'Say',
  'Pause',
  'Parameter',
  'Gather',
  'Enqueue',
  'Leave',
  'Pay',
  'Prompt',
  'Queue',
  'Refer',
  'Reject',
  'Sms',
  'Siprec',
  'Transcription',
  'Client',
  'Sip',
  'Room',
  'VirtualAgent',
  'ConversationRelay',
]);

/** Elements only Plivo XML has (a `<Stream>` directly in `<Response>` is Plivo's, too). */
const PLIVO_ONLY = new Set([
  'Speak',
  'Wait',
  'GetDigits',
  'GetInput',
  'DTMF',
  'PreAnswer',
  'MultiPartyCall',
  'User',
]);

export type DetectResult =
  | { readonly ok: true; readonly dialect: AnswerDialect }
  | { readonly ok: false; readonly looksLike: AnswerDialect; readonly detail: string };

const NAMES: Readonly<Record<AnswerDialect, string>> = { twilio: 'TwiML (Twilio)', plivo: 'Plivo XML' };

/** Classifies an answer document. Never throws. */
export function detectAnswerDialect(source: string, fallback: AnswerDialect = 'plivo'): DetectResult {
  const seen: Record<AnswerDialect, string[]> = { twilio: [], plivo: [] };
  let first: AnswerDialect | undefined;
  const parser = new SaxesParser({ xmlns: false });
  let depth = 0;
  const note = (d: AnswerDialect, name: string): void => {
    first ??= d;
    if (!seen[d].includes(name)) {
      seen[d].push(name);
    }
  };
  parser.on('opentag', (tag) => {
    depth++;
    if (TWIML_ONLY.has(tag.name)) {
      note('twilio', tag.name);
    } else if (PLIVO_ONLY.has(tag.name) || (tag.name === 'Stream' && depth === 2)) {
      note('plivo', tag.name);
    }
  });
  parser.on('closetag', () => {
    depth--;
  });
  parser.on('error', () => {
    throw new Error('malformed');
  });
  try {
    parser.write(source).close();
  } catch {
    // malformed: each parser reports it in its own terms; the elements seen so far still count
  }
  const t = seen.twilio.length;
  const p = seen.plivo.length;
  if (t > 0 && p > 0) {
    const looksLike: AnswerDialect = t > p ? 'twilio' : p > t ? 'plivo' : (first ?? 'plivo');
    const other: AnswerDialect = looksLike === 'twilio' ? 'plivo' : 'twilio';
    const list = (names: readonly string[]): string => names.map((n) => `<${n}>`).join(', ');
    return {
      ok: false,
      looksLike,
      detail:
        `the document looks like ${NAMES[looksLike]} (${list(seen[looksLike])}) but has ` +
        `${NAMES[other]} elements (${list(seen[other])}); a document is written in one dialect`,
    };
  }
  return { ok: true, dialect: t > 0 ? 'twilio' : p > 0 ? 'plivo' : fallback };
}
