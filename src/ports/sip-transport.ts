/**
 * The SIP transport port (RFC 3261 §18): UDP and TCP on one host:port (TLS on its own, §26), delivering parsed messages with
 * their source, and sending messages to a destination. Adapter: `adapters/sip-transport`.
 */
import type { ParseFailure } from '../errors/result.js';
import type { SipEndpoint, SipMessage } from '../protocol/sip/sip-message.types.js';

export type { SipEndpoint, SipMessage };

/** A parsed inbound message and where it came from. */
export interface SipInbound {
  readonly message: SipMessage;
  /** The raw bytes as received (one datagram, or one framed stream message). */
  readonly bytes: Uint8Array;
  readonly source: SipEndpoint;
}

/** Inbound bytes that could not be parsed or framed. */
export interface SipMalformed {
  readonly bytes: Uint8Array;
  readonly source: SipEndpoint;
  readonly error: ParseFailure;
  /** What the transport did about it: answered with a status, dropped, or closed the TCP connection. */
  readonly action: 'answered' | 'dropped' | 'closed-connection';
  readonly status?: number;
}

/** The outcome of {@link SipTransport.keepAlive}. */
export type FlowKeepAliveResult = 'pong' | 'no-pong' | 'no-connection';

/** Counters kept by a transport. */
export interface SipTransportStats {
  readonly received: number;
  readonly sent: number;
  readonly malformed: number;
  readonly openConnections: number;
}

/** The listening address actually bound (port 0 resolves to a real port). */
export interface SipListenAddress {
  readonly address: string;
  readonly port: number;
  /** The TLS listener's port, when SIP over TLS is configured. */
  readonly tlsPort?: number;
}

/** A SIP transport: UDP and TCP on the same port. */
export interface SipTransport {
  /** Binds UDP and TCP; resolves with the bound address. */
  listen(): Promise<SipListenAddress>;
  /**
   * Sends a message. TCP reuses the connection the peer opened to us when there is one (RFC 3261 §18.2.2),
   * else connects. Rejects on failure (the caller feeds a transport-error to the transaction layer).
   */
  send(message: SipMessage, destination: SipEndpoint): Promise<void>;
  /** Registers the handler of parsed inbound messages. */
  onMessage(handler: (inbound: SipInbound) => void): void;
  /** Registers the handler of malformed input (counted, never thrown). */
  onMalformed(handler: (malformed: SipMalformed) => void): void;
  stats(): SipTransportStats;
  /**
   * A CRLF keep-alive on the TCP/TLS connection to `destination` (RFC 5626 §4.4.1): sends a double CRLF
   * and resolves `pong` when the peer answers (any bytes on that connection) within `pongTimeoutMs`,
   * `no-pong` otherwise (the connection is then closed: the flow failed), `no-connection` when none is
   * open. Absent on fakes.
   */
  keepAlive?(destination: SipEndpoint, pongTimeoutMs: number): Promise<FlowKeepAliveResult>;
  /** Closes the sockets and every TCP connection. */
  close(): Promise<void>;
}
