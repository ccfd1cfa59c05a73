/**
 * SIP message model (RFC 3261 §7). Headers keep their order and one entry per header line; names are
 * stored in their canonical long form (compact forms expanded, §7.3.3), values exactly as received after
 * unfolding (§7.3.1).
 */

/** One header line: canonical name plus its (unfolded, trimmed) value. */
export interface SipHeader {
  readonly name: string;
  readonly value: string;
}

/** A SIP request (RFC 3261 §7.1). `method` is any token, known or not. */
export interface SipRequest {
  readonly kind: 'request';
  readonly method: string;
  /** The Request-URI as text (sip:, sips:, tel: or any absolute URI). */
  readonly uri: string;
  readonly headers: readonly SipHeader[];
  readonly body: Uint8Array;
}

/** A SIP response (RFC 3261 §7.2). */
export interface SipResponse {
  readonly kind: 'response';
  /** Status code 100..699. */
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly SipHeader[];
  readonly body: Uint8Array;
}

/** A parsed SIP message. */
export type SipMessage = SipRequest | SipResponse;

/** Transport protocols the server speaks (RFC 3261 §18). */
export type SipTransportProtocol = 'udp' | 'tcp' | 'tls';

/** Where a message came from or goes to. */
export interface SipEndpoint {
  readonly protocol: SipTransportProtocol;
  readonly address: string;
  readonly port: number;
  /**
   * TLS only: the host name the certificate must name and SNI carries, when `address` is the resolved
   * IP of a name (RFC 5922 §7.2: the identity is the URI's host, not the address it resolved to).
   */
  readonly serverName?: string;
}

/** The SIP version this stack speaks (RFC 3261 §7.1). */
export const SIP_VERSION = 'SIP/2.0';
