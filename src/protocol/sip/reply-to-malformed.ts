/**
 * What to do with bytes that failed to parse: answer with the status the error code carries (400, 413,
 * 505, 513, …) when a response can be routed back, else drop (RFC 3261 §16.3/§18.2.1: responses go where
 * the top Via says; a response or garbage without a usable Via cannot be answered; §21).
 */
import { sipStatusForCode, sipCodes, type SipErrorCode } from '../../errors/codes/sip.js';
import type { ParseFailure } from '../../errors/result.js';
import { canonicalHeaderName } from './header-names.js';
import { reasonPhrase } from './reason-phrases.js';
import type { SipHeader, SipResponse } from './sip-message.types.js';
import { parseVia } from './via.js';

/** The decision for a malformed message. */
export type MalformedReply =
  | { readonly action: 'respond'; readonly status: number; readonly response: SipResponse }
  | { readonly action: 'drop'; readonly reason: string };

const latin1 = new TextDecoder('latin1');
const copied = new Set(['Via', 'From', 'To', 'Call-ID', 'CSeq']);

function isSipCode(code: string): code is SipErrorCode {
  return Object.hasOwn(sipCodes, code);
}

function salvageHeaders(text: string): SipHeader[] {
  const out: SipHeader[] = [];
  for (const line of text.split(/\r?\n/).slice(1)) {
    if (line === '') {
      break;
    }
    const m = /^([A-Za-z-]+)[ \t]*:[ \t]*(.*)$/.exec(line);
    if (m === null) {
      continue;
    }
    const name = canonicalHeaderName(m[1] ?? '');
    if (copied.has(name) && /^[\t -~]*$/.test(m[2] ?? '')) {
      out.push({ name, value: (m[2] ?? '').trim() });
    }
  }
  return out;
}

/**
 * Decides how to answer bytes that `parseSipMessage` rejected with `failure`. Only requests with a
 * parseable top Via are answered; the response copies whatever Via/From/To/Call-ID/CSeq lines it can read.
 */
export function replyToMalformed(bytes: Uint8Array, failure: ParseFailure): MalformedReply {
  const status = isSipCode(failure.code) ? sipStatusForCode(failure.code) : 400;
  if (status === undefined) {
    return { action: 'drop', reason: `${failure.code} has no SIP response` };
  }
  const text = latin1.decode(bytes.subarray(0, 16384)).replace(/^[\r\n]+/, '');
  if (/^SIP\//i.test(text)) {
    return { action: 'drop', reason: 'malformed responses are discarded (RFC 3261 §18.1.2)' };
  }
  if (!/^[!-~]+ /.test(text)) {
    return { action: 'drop', reason: 'not a request start line' };
  }
  const headers = salvageHeaders(text);
  const topVia = headers.find((h) => h.name === 'Via');
  const firstVia = topVia?.value.split(',')[0];
  if (firstVia === undefined || !parseVia(firstVia).ok) {
    return { action: 'drop', reason: 'no usable Via to route a response' };
  }
  return {
    action: 'respond',
    status,
    response: { kind: 'response', status, reason: reasonPhrase(status), headers, body: new Uint8Array(0) },
  };
}
