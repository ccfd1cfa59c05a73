/**
 * Mandatory and singular header checks (RFC 3261 §8.1.1, §7.3.1, §20), run by the parser so that every
 * message the rest of the stack sees has a usable Via, From, To, Call-ID and CSeq.
 */
import { fail, ok, type ParseResult } from '../../errors/result.js';
import { getHeaderValues, getListValues, parseCSeq } from './headers.js';
import { parseNameAddr } from './name-addr.js';
import type { SipMessage } from './sip-message.types.js';
import { parseVia } from './via.js';

const mandatory = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;
const singular = ['From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards', 'Content-Type'] as const;

function checkAddresses(msg: SipMessage): ParseResult<true> {
  for (const name of ['From', 'To'] as const) {
    const value = getHeaderValues(msg, name)[0] ?? '';
    const parsed = parseNameAddr(value);
    if (!parsed.ok) {
      return fail({ code: 'ERR_SIP_BAD_ADDRESS', detail: `${name}: ${parsed.error.detail}` });
    }
  }
  for (const name of ['Contact', 'Route', 'Record-Route'] as const) {
    for (const value of getListValues(msg, name)) {
      if (name === 'Contact' && value === '*') {
        continue;
      }
      const parsed = parseNameAddr(value);
      if (!parsed.ok) {
        return fail({ code: 'ERR_SIP_BAD_ADDRESS', detail: `${name}: ${parsed.error.detail}` });
      }
    }
  }
  return ok(true);
}

/** Checks the headers every request and response must carry (RFC 3261 §8.1.1, §8.2.6.2). */
export function validateSipHeaders(msg: SipMessage): ParseResult<true> {
  for (const name of mandatory) {
    if (getHeaderValues(msg, name).length === 0) {
      return fail({ code: 'ERR_SIP_MISSING_HEADER', detail: `missing ${name}` });
    }
  }
  for (const name of singular) {
    if (getHeaderValues(msg, name).length > 1) {
      return fail({ code: 'ERR_SIP_DUPLICATE_HEADER', detail: `more than one ${name}` });
    }
  }
  const vias = getListValues(msg, 'Via');
  if (vias.length === 0) {
    return fail({ code: 'ERR_SIP_BAD_VIA', detail: 'empty Via' });
  }
  for (const v of vias) {
    const parsed = parseVia(v);
    if (!parsed.ok) {
      return parsed;
    }
  }
  const cseq = parseCSeq(getHeaderValues(msg, 'CSeq')[0] ?? '');
  if (cseq === undefined) {
    return fail({ code: 'ERR_SIP_BAD_CSEQ', detail: 'CSeq is not "number method"' });
  }
  if (msg.kind === 'request' && cseq.method !== msg.method) {
    return fail({
      code: 'ERR_SIP_BAD_CSEQ',
      detail: `CSeq method ${cseq.method} differs from ${msg.method}`,
    });
  }
  const callId = getHeaderValues(msg, 'Call-ID')[0] ?? '';
  if (!/^[!-~]+$/.test(callId)) {
    return fail({ code: 'ERR_SIP_BAD_HEADER', detail: 'Call-ID is empty or contains whitespace' });
  }
  const maxForwards = getHeaderValues(msg, 'Max-Forwards')[0];
  if (maxForwards !== undefined && (!/^\d{1,3}$/.test(maxForwards) || Number(maxForwards) > 255)) {
    return fail({ code: 'ERR_SIP_BAD_MAX_FORWARDS', detail: `Max-Forwards "${maxForwards.slice(0, 20)}"` });
  }
  return checkAddresses(msg);
}
