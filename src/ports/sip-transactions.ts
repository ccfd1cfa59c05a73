/**
 * The SIP transaction layer as the transaction user (the SIP user agent in `app/sip`) sees it: inputs go
 * in (requests and responses to send, stateless ACKs), effects come out (requests received, responses,
 * timeouts, transport errors, terminations). Sending and the timers of RFC 3261 §17 are the adapter's
 * business. Adapter: `adapters/sip-transport/sip-transaction-driver.ts`.
 */
import type {
  SipTransactionEffect,
  SipTransactionInput,
} from '../protocol/sip/transaction/sip-transaction-layer.js';

export type { SipTransactionInput };

/** Effects handed to the transaction user (the layer's own send/timer effects stay inside the adapter). */
export type SipTuEffect = Exclude<SipTransactionEffect, { type: 'send' | 'timer' | 'cancel-timer' }>;

/** A running transaction layer. */
/**
 * SIP messages through the transaction layer since start, for metrics. Methods outside the RFC 3261
 * set and its common extensions count as `OTHER`, so the label set stays bounded.
 */
export interface SipTrafficCounters {
  /** Requests received / sent, by method. */
  readonly requestsIn: ReadonlyMap<string, number>;
  readonly requestsOut: ReadonlyMap<string, number>;
  /** Responses received / sent, by status code. */
  readonly responsesIn: ReadonlyMap<number, number>;
  readonly responsesOut: ReadonlyMap<number, number>;
  /** Messages we sent again because a timer fired (RFC 3261 §17 timers A, E, G). */
  readonly retransmissionsOut: number;
  /** Retransmitted requests from the far end that the layer absorbed (answered with its last response). */
  readonly retransmissionsIn: number;
}

export interface SipTransactions {
  /** Feeds one input to the layer now. Ignored once closed. */
  input(input: SipTransactionInput): void;
  /** Registers the transaction user (replaces any previous one). */
  onEffect(handler: (effect: SipTuEffect) => void): void;
  /** Live transactions (they linger up to 64*T1 after completing, RFC 3261 §17). */
  readonly size: number;
  /** Message counters (absent on a fake). */
  readonly traffic?: SipTrafficCounters;
  /** Stops every timer; later inputs are ignored. Idempotent. */
  close(): void;
}
