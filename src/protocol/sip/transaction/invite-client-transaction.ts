/**
 * INVITE client transaction (RFC 3261 §17.1.1, Figure 5; Accepted state from RFC 6026 §7.2).
 * Timer A retransmits the INVITE on unreliable transports (T1, doubling), Timer B (64·T1) times out,
 * Timer D (32 s on UDP) absorbs retransmitted final responses, Timer M (64·T1) absorbs 2xx retransmissions
 * which are still passed to the TU so it can re-ACK.
 */
import type { SipRequest, SipResponse } from '../sip-message.types.js';
import { buildNon2xxAck } from './build-ack.js';
import {
  TransactionMachine,
  type SipTimerConfig,
  type TransactionInput,
  type TransactionOutput,
} from './transaction.types.js';

/** States of Figure 5 plus RFC 6026 `accepted`. */
export type InviteClientState = 'calling' | 'proceeding' | 'accepted' | 'completed' | 'terminated';

/** Timer D on unreliable transports: at least 32 s (RFC 3261 §17.1.1.2). */
const TIMER_D_MS = 32000;

/** The client side of an INVITE transaction. Call `start` once, then `handle`. */
export class InviteClientTransaction extends TransactionMachine<InviteClientState> {
  state: InviteClientState = 'calling';
  private intervalMs: number;
  private ack: SipRequest | undefined;

  constructor(
    readonly request: SipRequest,
    timers: SipTimerConfig,
    unreliable: boolean,
  ) {
    super(timers, unreliable);
    this.intervalMs = timers.t1Ms;
  }

  /** Sends the INVITE and starts Timers A (UDP only) and B (RFC 3261 §17.1.1.2). */
  start(nowMs: number): TransactionOutput[] {
    this.send(this.request);
    if (this.unreliable) {
      this.arm('A', nowMs + this.intervalMs);
    }
    this.arm('B', nowMs + 64 * this.timers.t1Ms);
    return this.out.splice(0, this.out.length);
  }

  protected step(input: TransactionInput, nowMs: number): void {
    switch (input.type) {
      case 'response': {
        this.onResponse(input.response, nowMs);
        return;
      }
      case 'timer': {
        this.onTimer(input.timer, nowMs);
        return;
      }
      case 'transport-error': {
        if (this.state === 'calling' || this.state === 'proceeding') {
          this.out.push({ type: 'transport-error' });
        }
        this.state = 'terminated';
        this.terminate();
        return;
      }
      case 'request': {
        return;
      }
    }
  }

  private onTimer(timer: string, nowMs: number): void {
    if (timer === 'A' && this.state === 'calling') {
      this.send(this.request);
      this.intervalMs *= 2;
      this.arm('A', nowMs + this.intervalMs);
    } else if (timer === 'B' && this.state === 'calling') {
      this.out.push({ type: 'timeout', reason: 'no-response' });
      this.state = 'terminated';
      this.terminate();
    } else if (
      (timer === 'D' && this.state === 'completed') ||
      (timer === 'M' && this.state === 'accepted')
    ) {
      this.state = 'terminated';
      this.terminate();
    }
  }

  private onResponse(response: SipResponse, nowMs: number): void {
    const s = response.status;
    if (this.state === 'calling' || this.state === 'proceeding') {
      if (s < 200) {
        this.state = 'proceeding';
        this.disarm('A', 'B');
        this.deliver(response);
      } else if (s < 300) {
        this.state = 'accepted';
        this.disarm('A', 'B');
        this.deliver(response);
        this.arm('M', nowMs + 64 * this.timers.t1Ms);
      } else {
        this.state = 'completed';
        this.disarm('A', 'B');
        this.ack = buildNon2xxAck(this.request, response);
        this.send(this.ack);
        this.deliver(response);
        this.waitOrTerminate('D', TIMER_D_MS, nowMs);
      }
    } else if (this.state === 'accepted' && s >= 200 && s < 300) {
      this.deliver(response);
    } else if (this.state === 'completed' && s >= 300 && this.ack !== undefined) {
      // A retransmitted final response is answered with the same ACK and not passed up (§17.1.1.2).
      this.send(this.ack);
    }
  }
}
