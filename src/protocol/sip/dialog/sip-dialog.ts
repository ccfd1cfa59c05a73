/**
 * Dialogs (RFC 3261 §12) for UAS and UAC: the dialog id (Call-ID, local and remote tag), the route set
 * from Record-Route (reversed for the UAC), the remote target from Contact, CSeq handling, and building
 * in-dialog requests (BYE, re-INVITE, ACK for 2xx) with loose or strict routing (§12.2.1.1, §16.12).
 * Dialog values are immutable; functions return updated copies.
 */
import { buildRequest, type LocalVia } from '../build-request.js';
import { getCSeq, getCallId, getContacts, getFrom, getHeader, getRecordRoutes, getTo } from '../headers.js';
import { serializeNameAddr, tagOf, type NameAddr } from '../name-addr.js';
import type { SipHeader, SipRequest, SipResponse } from '../sip-message.types.js';

/** Dialog states (§12.1): early after a 1xx with To-tag, confirmed after a 2xx. */
export type SipDialogState = 'early' | 'confirmed' | 'terminated';

/** The state of one dialog (RFC 3261 §12.1). */
export interface SipDialog {
  readonly role: 'uac' | 'uas';
  readonly state: SipDialogState;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  /** Our address-of-record header value (From for the UAC, To for the UAS) without its tag. */
  readonly localUri: string;
  readonly remoteUri: string;
  /** The peer's Contact URI: the Request-URI of in-dialog requests. */
  readonly remoteTarget: string;
  /** Route set as name-addr strings, in the order they go into Route headers. */
  readonly routeSet: readonly string[];
  /** Last CSeq we used. */
  readonly localSeq: number;
  /** Last CSeq the peer used, when known. */
  readonly remoteSeq?: number;
  readonly secure: boolean;
}

/** The dialog id as one string: `Call-ID;local-tag;remote-tag` (§12). */
export function dialogIdOf(d: Pick<SipDialog, 'callId' | 'localTag' | 'remoteTag'>): string {
  return `${d.callId};${d.localTag};${d.remoteTag}`;
}

function withoutTag(addr: NameAddr): string {
  return serializeNameAddr({ ...addr, params: addr.params.filter((p) => p.name.toLowerCase() !== 'tag') });
}

function routeStrings(addrs: readonly NameAddr[]): string[] {
  return addrs.map((a) => serializeNameAddr(a));
}

/**
 * The UAS side (§12.1.1): from the request and our 1xx/2xx response carrying the To-tag. Undefined when a
 * mandatory piece (tags, Contact) is missing.
 */
export function createUasDialog(request: SipRequest, response: SipResponse): SipDialog | undefined {
  const from = getFrom(request);
  const to = getTo(response);
  const callId = getCallId(request);
  const contact = getContacts(request)[0];
  const cseq = getCSeq(request);
  const localTag = to === undefined ? undefined : tagOf(to);
  const remoteTag = from === undefined ? undefined : tagOf(from);
  if (
    from === undefined ||
    to === undefined ||
    callId === undefined ||
    contact === undefined ||
    cseq === undefined ||
    localTag === undefined ||
    remoteTag === undefined
  ) {
    return undefined;
  }
  return {
    role: 'uas',
    state: response.status < 200 ? 'early' : 'confirmed',
    callId,
    localTag,
    remoteTag,
    localUri: withoutTag(to),
    remoteUri: withoutTag(from),
    remoteTarget: contact.uri,
    routeSet: routeStrings(getRecordRoutes(request)),
    localSeq: 0,
    remoteSeq: cseq.seq,
    secure: /^sips:/i.test(request.uri),
  };
}

/** The UAC side (§12.1.2): from our request and a 1xx/2xx response with a To-tag; route set reversed. */
export function createUacDialog(request: SipRequest, response: SipResponse): SipDialog | undefined {
  const from = getFrom(request);
  const to = getTo(response);
  const callId = getCallId(request);
  const contact = getContacts(response)[0];
  const cseq = getCSeq(request);
  const localTag = from === undefined ? undefined : tagOf(from);
  const remoteTag = to === undefined ? undefined : tagOf(to);
  if (
    from === undefined ||
    to === undefined ||
    callId === undefined ||
    cseq === undefined ||
    localTag === undefined ||
    remoteTag === undefined
  ) {
    return undefined;
  }
  return {
    role: 'uac',
    state: response.status < 200 ? 'early' : 'confirmed',
    callId,
    localTag,
    remoteTag,
    localUri: withoutTag(from),
    remoteUri: withoutTag(to),
    remoteTarget: contact?.uri ?? request.uri,
    routeSet: routeStrings(getRecordRoutes(response)).reverse(),
    localSeq: cseq.seq,
    secure: /^sips:/i.test(request.uri),
  };
}

/** Moves an early dialog to confirmed on a 2xx, refreshing the remote target from its Contact (§12.2.1.2). */
export function confirmDialog(d: SipDialog, response: SipResponse): SipDialog {
  const contact = getContacts(response)[0];
  return { ...d, state: 'confirmed', remoteTarget: contact?.uri ?? d.remoteTarget };
}

/**
 * Checks an in-dialog request's CSeq (§12.2.2): lower than the last one is out of order (answer 500);
 * otherwise the remote sequence advances. ACK and CANCEL reuse the INVITE's number and are not checked.
 */
export function acceptRemoteCSeq(
  d: SipDialog,
  request: SipRequest,
): { ok: true; dialog: SipDialog } | { ok: false; status: 500 } {
  const cseq = getCSeq(request);
  if (cseq === undefined) {
    return { ok: false, status: 500 };
  }
  if (request.method === 'ACK' || request.method === 'CANCEL') {
    return { ok: true, dialog: d };
  }
  if (d.remoteSeq !== undefined && cseq.seq <= d.remoteSeq) {
    return { ok: false, status: 500 };
  }
  const contact = request.method === 'INVITE' ? getContacts(request)[0] : undefined;
  return { ok: true, dialog: { ...d, remoteSeq: cseq.seq, remoteTarget: contact?.uri ?? d.remoteTarget } };
}

/** True when a request belongs to this dialog (§12.2.2: Call-ID, From-tag = remote, To-tag = local). */
export function matchesDialog(d: SipDialog, request: SipRequest): boolean {
  const from = getFrom(request);
  const to = getTo(request);
  return (
    getCallId(request) === d.callId &&
    from !== undefined &&
    to !== undefined &&
    tagOf(from) === d.remoteTag &&
    tagOf(to) === d.localTag
  );
}

/** Request-URI and Route headers for an in-dialog request (§12.2.1.1 loose and strict routing). */
export function dialogRouting(d: SipDialog): { uri: string; route: string[] } {
  const first = d.routeSet[0];
  if (first === undefined) {
    return { uri: d.remoteTarget, route: [] };
  }
  const m = /<([^>]*)>/.exec(first);
  const firstUri = m?.[1] ?? first;
  const loose = /;lr(?:[;=>?]|$)/i.test(firstUri);
  if (loose) {
    return { uri: d.remoteTarget, route: [...d.routeSet] };
  }
  // Strict routing: the first route becomes the Request-URI and the remote target goes last (§12.2.1.1).
  return { uri: firstUri.replace(/[;?].*$/, ''), route: [...d.routeSet.slice(1), `<${d.remoteTarget}>`] };
}

/** Options of {@link buildInDialogRequest}. */
export interface InDialogRequestOptions {
  readonly via: LocalVia;
  readonly contact?: string;
  readonly headers?: readonly SipHeader[];
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
  /** Override the CSeq number (ACK uses the INVITE's). */
  readonly cseq?: number;
}

/**
 * Builds an in-dialog request (§12.2.1.1): BYE, re-INVITE, INFO, … CSeq increments for every method but ACK
 * and CANCEL. Returns the request and the dialog with its new local sequence.
 */
export function buildInDialogRequest(
  d: SipDialog,
  method: string,
  options: InDialogRequestOptions,
): { dialog: SipDialog; request: SipRequest } {
  const reuse = method === 'ACK' || method === 'CANCEL';
  const seq = options.cseq ?? (reuse ? d.localSeq : d.localSeq + 1);
  const routing = dialogRouting(d);
  const request = buildRequest({
    method,
    uri: routing.uri,
    from: d.localUri,
    fromTag: d.localTag,
    to: `${d.remoteUri};tag=${d.remoteTag}`,
    callId: d.callId,
    cseq: seq,
    via: options.via,
    route: routing.route,
    ...(options.contact === undefined ? {} : { contact: options.contact }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
  });
  return { dialog: reuse ? d : { ...d, localSeq: seq }, request };
}

/** The ACK for a 2xx to INVITE (§13.2.2.4): a new transaction's branch, the INVITE's CSeq number. */
export function buildAckFor2xx(d: SipDialog, invite: SipRequest, via: LocalVia, body?: string): SipRequest {
  const seq = getCSeq(invite)?.seq ?? d.localSeq;
  return buildInDialogRequest(d, 'ACK', { via, cseq: seq, ...(body === undefined ? {} : { body }) }).request;
}

/** The URI of the next hop for a request: its top Route when present, else the Request-URI (§8.1.2). */
export function nextHopUri(request: SipRequest): string {
  const route = getHeader(request, 'Route');
  const m = route === undefined ? null : /<([^>]*)>/.exec(route);
  return m?.[1] ?? request.uri;
}
