/**
 * What Call create accepts as `to` and `from` (spec §9; Plivo "Make an outbound call"): a phone number
 * given as the country code and the number, with or without a leading `+` (E.164: at most 15 digits),
 * or a `sip:`/`sips:` URI (RFC 3261 §19.1). `to` may name several destinations joined by `<` (bulk
 * calls). Pure: the checks return results and never echo the value, which can carry a SIP password.
 */
import { parseSipUri } from '../../protocol/sip/sip-uri.js';

/** E.164 allows at most 15 digits after the country-code prefix `+`. */
const NUMBER_RE = /^\+?[0-9]{1,15}$/;

/** The kind of a valid destination, or undefined when `text` is neither a number nor a SIP URI. */
export function destinationKind(text: string): 'number' | 'sip-uri' | undefined {
  if (NUMBER_RE.test(text)) {
    return 'number';
  }
  if (/^sips?:/i.test(text) && parseSipUri(text).ok) {
    return 'sip-uri';
  }
  return undefined;
}

export type DestinationList =
  | { readonly ok: true; readonly destinations: readonly string[] }
  /** `position` is 1-based; 0 when the list as a whole is wrong (too many). */
  | { readonly ok: false; readonly position: number; readonly reason: 'empty' | 'invalid' | 'too-many' };

/**
 * Splits `to` on `<` and checks each destination (surrounding spaces are ignored). Fails at the first
 * empty or invalid one, naming its 1-based position, or when there are more than `max`.
 */
export function parseDestinationList(to: string, max: number): DestinationList {
  const destinations = to.split('<').map((d) => d.trim());
  if (destinations.length > max) {
    return { ok: false, position: 0, reason: 'too-many' };
  }
  for (const [i, d] of destinations.entries()) {
    if (d === '') {
      return { ok: false, position: i + 1, reason: 'empty' };
    }
    if (destinationKind(d) === undefined) {
      return { ok: false, position: i + 1, reason: 'invalid' };
    }
  }
  return { ok: true, destinations };
}
