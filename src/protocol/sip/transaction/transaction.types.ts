/**
 * Shared shapes of the RFC 3261 §17 transaction state machines. Each machine is sans-I/O:
 * `handle(input, nowMs)` returns outputs; timers are outputs (`arm`/`disarm`) and come back as inputs.
 * https://www.rfc-editor.org/rfc/rfc3261#section-17
 */
import type { SipMessage, SipRequest, SipResponse } from '../sip-message.types.js';

/** RFC 3261 §17.1.1.1 / Table 4 timer base values, in ms. */
export interface SipTimerConfig {
  /** RTT estimate. Default 500 ms. */
  readonly t1Ms: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses. Default 4000 ms. */
  readonly t2Ms: number;
  /** Maximum duration a message remains in the network. Default 5000 ms. */
  readonly t4Ms: number;
}

/** RFC 3261 Table 4 defaults. */
export const DEFAULT_SIP_TIMERS: SipTimerConfig = { t1Ms: 500, t2Ms: 4000, t4Ms: 5000 };

/**
 * Timer names of RFC 3261 §17 (A–K), RFC 6026 (L, M) and `R2xx`, the 2xx retransmission of §13.3.1.4
 * that we run inside the INVITE server transaction's Accepted state.
 */
export type SipTimerName = 'A' | 'B' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'R2xx';

/** Inputs of a single transaction machine. */
export type TransactionInput =
  /** Server: a retransmitted request or an ACK. */
  | { readonly type: 'request'; readonly request: SipRequest }
  /** Client: a response from the network. Server: a response from the TU. */
  | { readonly type: 'response'; readonly response: SipResponse }
  | { readonly type: 'timer'; readonly timer: SipTimerName }
  | { readonly type: 'transport-error' };

/** Outputs of a single transaction machine. */
export type TransactionOutput =
  | { readonly type: 'send'; readonly message: SipMessage }
  | { readonly type: 'arm'; readonly timer: SipTimerName; readonly atMs: number }
  | { readonly type: 'disarm'; readonly timer: SipTimerName }
  /** Pass a message to the TU: responses for client transactions, requests (incl. ACK of 2xx) for server ones. */
  | { readonly type: 'deliver'; readonly message: SipMessage }
  | { readonly type: 'timeout'; readonly reason: 'no-response' | 'no-ack' }
  | { readonly type: 'transport-error' }
  | { readonly type: 'terminated' };

/** Common plumbing: the armed-timer table and output helpers. */
export abstract class TransactionMachine<State extends string> {
  /** Current state (RFC 3261 §17 figure names, plus RFC 6026 `accepted`). */
  abstract state: State;
  protected readonly armed = new Map<SipTimerName, number>();
  protected readonly out: TransactionOutput[] = [];

  constructor(
    protected readonly timers: SipTimerConfig,
    /** True on UDP: retransmission timers run and wait timers (D, I, J, K) are non-zero. */
    protected readonly unreliable: boolean,
  ) {}

  /** The deadline of an armed timer (for timer-fire validation). */
  armedAt(timer: SipTimerName): number | undefined {
    return this.armed.get(timer);
  }

  /** Timers still armed, for cleanup on termination. */
  armedTimers(): SipTimerName[] {
    return [...this.armed.keys()];
  }

  /** Feeds one input and returns the outputs it caused. */
  handle(input: TransactionInput, nowMs: number): TransactionOutput[] {
    if (input.type === 'timer') {
      this.armed.delete(input.timer);
    }
    this.step(input, nowMs);
    return this.out.splice(0, this.out.length);
  }

  protected abstract step(input: TransactionInput, nowMs: number): void;

  protected arm(timer: SipTimerName, atMs: number): void {
    this.armed.set(timer, atMs);
    this.out.push({ type: 'arm', timer, atMs });
  }

  protected disarm(...timers: SipTimerName[]): void {
    for (const timer of timers) {
      if (this.armed.delete(timer)) {
        this.out.push({ type: 'disarm', timer });
      }
    }
  }

  protected send(message: SipMessage): void {
    this.out.push({ type: 'send', message });
  }

  protected deliver(message: SipMessage): void {
    this.out.push({ type: 'deliver', message });
  }

  protected terminate(): void {
    this.disarm(...this.armed.keys());
    this.out.push({ type: 'terminated' });
  }

  /** A wait timer: armed for `ms` on unreliable transports, immediate termination on reliable ones. */
  protected waitOrTerminate(timer: SipTimerName, ms: number, nowMs: number): void {
    if (this.unreliable) {
      this.arm(timer, nowMs + ms);
    } else {
      this.terminate();
    }
  }
}
