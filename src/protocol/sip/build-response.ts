/**
 * Building a response to a request (RFC 3261 §8.2.6.2): Via (all, in order), From, To (adding the To-tag),
 * Call-ID and CSeq are copied; Record-Route is copied into dialog-creating responses (§12.1.1).
 */
import { getHeader, getHeaderValues } from './headers.js';
import { withBody } from './message-edit.js';
import { parseNameAddr, tagOf } from './name-addr.js';
import { reasonPhrase } from './reason-phrases.js';
import type { SipHeader, SipRequest, SipResponse } from './sip-message.types.js';

/** Options for {@link buildResponse}. */
export interface BuildResponseOptions {
  /** Reason phrase; default from RFC 3261 §21. */
  readonly reason?: string;
  /** To-tag added when the request's To has none (RFC 3261 §8.2.6.2); ignored for 100 Trying. */
  readonly toTag?: string;
  /** Contact header value (the dialog's local target, §12.1.1). */
  readonly contact?: string;
  /** Extra headers appended after the copied ones. */
  readonly headers?: readonly SipHeader[];
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
}

function toWithTag(to: string, tag: string | undefined): string {
  if (tag === undefined) {
    return to;
  }
  const parsed = parseNameAddr(to);
  if (!parsed.ok || tagOf(parsed.value) !== undefined) {
    return to;
  }
  return `${to};tag=${tag}`;
}

/** Builds a response to `request` (RFC 3261 §8.2.6). The request's Via is copied as stamped on receipt. */
export function buildResponse(
  request: SipRequest,
  status: number,
  options: BuildResponseOptions = {},
): SipResponse {
  const headers: SipHeader[] = [];
  for (const h of request.headers) {
    if (h.name === 'Via') {
      headers.push(h);
    }
  }
  const copyRecordRoute =
    status > 100 && status < 300 && (request.method === 'INVITE' || request.method === 'SUBSCRIBE');
  if (copyRecordRoute) {
    for (const value of getHeaderValues(request, 'Record-Route')) {
      headers.push({ name: 'Record-Route', value });
    }
  }
  headers.push({ name: 'From', value: getHeader(request, 'From') ?? '' });
  headers.push({
    name: 'To',
    value: toWithTag(getHeader(request, 'To') ?? '', status === 100 ? undefined : options.toTag),
  });
  headers.push({ name: 'Call-ID', value: getHeader(request, 'Call-ID') ?? '' });
  headers.push({ name: 'CSeq', value: getHeader(request, 'CSeq') ?? '' });
  if (options.contact !== undefined) {
    headers.push({ name: 'Contact', value: options.contact });
  }
  headers.push(...(options.headers ?? []));
  const response: SipResponse = {
    kind: 'response',
    status,
    reason: options.reason ?? reasonPhrase(status),
    headers,
    body: new Uint8Array(0),
  };
  return options.body === undefined
    ? response
    : withBody(response, options.body, options.contentType ?? 'application/sdp');
}
