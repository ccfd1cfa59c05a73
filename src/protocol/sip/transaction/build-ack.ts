/**
 * The ACK a client INVITE transaction sends for a non-2xx final response (RFC 3261 §17.1.1.3): same
 * Request-URI, top Via (branch included), Call-ID, From and CSeq number as the INVITE, To from the response,
 * Route headers from the INVITE.
 */
import { getHeader, getHeaderValues, getCSeq } from '../headers.js';
import type { SipHeader, SipRequest, SipResponse } from '../sip-message.types.js';
import { splitHeaderList } from '../header-params.js';

/** Builds the hop-by-hop ACK for a 3xx–6xx response to `invite` (RFC 3261 §17.1.1.3). */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const topVia = splitHeaderList(getHeaderValues(invite, 'Via')[0] ?? '')[0] ?? '';
  const headers: SipHeader[] = [
    { name: 'Via', value: topVia },
    { name: 'Max-Forwards', value: getHeader(invite, 'Max-Forwards') ?? '70' },
    { name: 'From', value: getHeader(invite, 'From') ?? '' },
    { name: 'To', value: getHeader(response, 'To') ?? getHeader(invite, 'To') ?? '' },
    { name: 'Call-ID', value: getHeader(invite, 'Call-ID') ?? '' },
    { name: 'CSeq', value: `${getCSeq(invite)?.seq ?? 0} ACK` },
  ];
  for (const route of getHeaderValues(invite, 'Route')) {
    headers.push({ name: 'Route', value: route });
  }
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: new Uint8Array(0) };
}
