/**
 * Building a request outside a dialog (RFC 3261 §8.1.1): Request-URI, To, From (with tag), Call-ID,
 * CSeq, Max-Forwards, Via (with an RFC 3261 branch) and Contact.
 */
import { withBody } from './message-edit.js';
import type { SipHeader, SipRequest } from './sip-message.types.js';
import { BRANCH_MAGIC_COOKIE } from './via.js';

/** Our Via sent-by for a request (RFC 3261 §18.1.1). */
export interface LocalVia {
  readonly transport: 'UDP' | 'TCP' | 'TLS';
  readonly host: string;
  readonly port: number;
  /** A branch starting with z9hG4bK (see {@link makeBranch}). */
  readonly branch: string;
  /** Ask for rport (RFC 3581 §3). Default true. */
  readonly rport?: boolean;
}

/** Options of {@link buildRequest}. */
export interface BuildRequestOptions {
  readonly method: string;
  readonly uri: string;
  /** From value without tag, e.g. `<sip:streamfork@10.0.0.1>`. */
  readonly from: string;
  readonly fromTag: string;
  /** To value (no tag outside a dialog). */
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
  readonly via: LocalVia;
  readonly contact?: string;
  /** Default 70 (RFC 3261 §8.1.1.6). */
  readonly maxForwards?: number;
  readonly route?: readonly string[];
  readonly headers?: readonly SipHeader[];
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
}

/** An RFC 3261 branch from a random token (RFC 3261 §8.1.1.7); the caller supplies the randomness. */
export function makeBranch(randomToken: string): string {
  return `${BRANCH_MAGIC_COOKIE}${randomToken}`;
}

/** The Via value for a request (RFC 3261 §8.1.1.7). */
export function viaValue(via: LocalVia): string {
  const rport = via.rport === false ? '' : ';rport';
  return `SIP/2.0/${via.transport} ${via.host}:${via.port};branch=${via.branch}${rport}`;
}

/** Builds a request (RFC 3261 §8.1.1). */
export function buildRequest(options: BuildRequestOptions): SipRequest {
  const headers: SipHeader[] = [
    { name: 'Via', value: viaValue(options.via) },
    { name: 'Max-Forwards', value: String(options.maxForwards ?? 70) },
    ...(options.route ?? []).map((value) => ({ name: 'Route', value })),
    { name: 'From', value: `${options.from};tag=${options.fromTag}` },
    { name: 'To', value: options.to },
    { name: 'Call-ID', value: options.callId },
    { name: 'CSeq', value: `${options.cseq} ${options.method}` },
  ];
  if (options.contact !== undefined) {
    headers.push({ name: 'Contact', value: options.contact });
  }
  headers.push(...(options.headers ?? []));
  const request: SipRequest = {
    kind: 'request',
    method: options.method,
    uri: options.uri,
    headers,
    body: new Uint8Array(0),
  };
  return options.body === undefined
    ? request
    : withBody(request, options.body, options.contentType ?? 'application/sdp');
}
