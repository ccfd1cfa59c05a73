/**
 * Transaction matching keys (RFC 3261 §17.1.3 client, §17.2.3 server), Via stamping on receipt
 * (§18.2.1, RFC 3581 §4) and where server responses go (§18.2.2, RFC 3581 §4).
 */
import { getCSeq, getCallId, getFrom, getHeaderValues, getTo, getTopVia } from '../headers.js';
import { splitHeaderList } from '../header-params.js';
import { tagOf } from '../name-addr.js';
import type { SipEndpoint, SipMessage, SipRequest } from '../sip-message.types.js';
import {
  BRANCH_MAGIC_COOKIE,
  serializeVia,
  stampVia,
  viaBranch,
  viaReceived,
  viaRport,
  viaSentBy,
} from '../via.js';

/** Client transaction id: top Via branch + CSeq method (§17.1.3). ACK never has its own client transaction. */
export function clientTransactionId(msg: SipMessage): string | undefined {
  const via = getTopVia(msg);
  const branch = via === undefined ? undefined : viaBranch(via);
  const cseq = getCSeq(msg);
  if (branch === undefined || cseq === undefined) {
    return undefined;
  }
  return `c|${branch}|${cseq.method}`;
}

/**
 * Server transaction id (§17.2.3): branch + sent-by + method, ACK folded into INVITE. Requests without the
 * RFC 3261 magic cookie fall back to Call-ID, CSeq number, From-tag and sent-by (the §17.2.3 RFC 2543 rules,
 * simplified).
 */
export function serverTransactionId(request: SipMessage): string | undefined {
  const via = getTopVia(request);
  const cseq = getCSeq(request);
  if (via === undefined || cseq === undefined) {
    return undefined;
  }
  // Requests match by their method, responses (from the TU) by the CSeq method; ACK folds into INVITE.
  const own = request.kind === 'request' ? request.method : cseq.method;
  const method = own === 'ACK' ? 'INVITE' : own;
  const branch = viaBranch(via);
  if (branch?.startsWith(BRANCH_MAGIC_COOKIE) === true) {
    return `s|${branch}|${viaSentBy(via)}|${method}`;
  }
  const from = getFrom(request);
  return `s|2543|${getCallId(request) ?? ''}|${cseq.seq}|${from === undefined ? '' : (tagOf(from) ?? '')}|${viaSentBy(via)}|${method}`;
}

/**
 * Key that ties an ACK for a 2xx (new branch) to the INVITE it acknowledges: the dialog (Call-ID, From-tag,
 * To-tag, RFC 3261 §12) and the CSeq number. Taken from the 2xx on our side and from the ACK on the
 * peer's: two INVITEs that share Call-ID, CSeq and From-tag but were answered with different To-tags are
 * two dialogs, and each ACK stops only its own.
 */
export function dialogAckKey(msg: SipMessage): string | undefined {
  const cseq = getCSeq(msg);
  const from = getFrom(msg);
  const to = getTo(msg);
  const callId = getCallId(msg);
  if (cseq === undefined || from === undefined || callId === undefined) {
    return undefined;
  }
  const toTag = to === undefined ? '' : (tagOf(to) ?? '');
  return `${callId}|${cseq.seq}|${tagOf(from) ?? ''}|${toTag}`;
}

/**
 * Adds `received` and fills `rport` on the top Via of an inbound request (RFC 3261 §18.2.1, RFC 3581 §4),
 * so that responses built from it carry them.
 */
export function stampTopVia(request: SipRequest, source: SipEndpoint): SipRequest {
  const idx = request.headers.findIndex((h) => h.name === 'Via');
  const top = getTopVia(request);
  const first = request.headers[idx];
  if (idx < 0 || top === undefined || first === undefined) {
    return request;
  }
  const stamped = serializeVia(stampVia(top, source.address, source.port));
  const rest = splitHeaderList(first.value).slice(1);
  const value = [stamped, ...rest].join(', ');
  return { ...request, headers: request.headers.map((h, i) => (i === idx ? { name: 'Via', value } : h)) };
}

/**
 * Where a server transaction sends its responses (RFC 3261 §18.2.2, RFC 3581 §4): back over the same
 * connection on TCP and TLS; on UDP to `received` (or the sent-by host) at the `rport` port, else the sent-by port.
 */
export function responseDestination(request: SipRequest, source: SipEndpoint): SipEndpoint {
  const via = getTopVia(request);
  if (source.protocol !== 'udp' || via === undefined) {
    return source;
  }
  const rport = viaRport(via);
  const address = viaReceived(via) ?? via.host.replace(/^\[|\]$/g, '');
  if (typeof rport === 'number') {
    return { protocol: source.protocol, address, port: rport };
  }
  return { protocol: source.protocol, address, port: via.port ?? 5060 };
}

/** The number of Via values of a message (used to reject responses with more than one Via, §18.1.2). */
export function viaCount(msg: SipMessage): number {
  return getHeaderValues(msg, 'Via').flatMap(splitHeaderList).length;
}
