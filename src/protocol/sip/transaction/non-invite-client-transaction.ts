/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6). Timer E retransmits (T1 doubling up to T2;
 * T2 once a provisional arrived), Timer F (64·T1) times out, Timer K (T4 on UDP) absorbs retransmissions.
 */
import type { SipRequest, SipResponse } from '../sip-message.types.js';
import {
  TransactionMachine,
  type SipTimerConfig,
  type TransactionInput,
  type TransactionOutput,
} from './transaction.types.js';

/** States of Figure 6. */
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** The client side of a non-INVITE transaction. Call `start` once, then `handle`. */
export class NonInviteClientTransaction extends TransactionMachine<NonInviteClientState> {
  state: NonInviteClientState = 'trying';
  private intervalMs: number;

  constructor(
    readonly request: SipRequest,
    timers: SipTimerConfig,
    unreliable: boolean,
  ) {
    super(timers, unreliable);
    this.intervalMs = timers.t1Ms;
  }

  /** Sends the request and starts Timers E (UDP only) and F (RFC 3261 §17.1.2.2). */
  start(nowMs: number): TransactionOutput[] {
    this.send(this.request);
    if (this.unreliable) {
      this.arm('E', nowMs + this.intervalMs);
    }
    this.arm('F', nowMs + 64 * this.timers.t1Ms);
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
        if (this.state !== 'completed') {
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
    const active = this.state === 'trying' || this.state === 'proceeding';
    if (timer === 'E' && active) {
      this.send(this.request);
      this.intervalMs =
        this.state === 'trying' ? Math.min(2 * this.intervalMs, this.timers.t2Ms) : this.timers.t2Ms;
      this.arm('E', nowMs + this.intervalMs);
    } else if (timer === 'F' && active) {
      this.out.push({ type: 'timeout', reason: 'no-response' });
      this.state = 'terminated';
      this.terminate();
    } else if (timer === 'K' && this.state === 'completed') {
      this.state = 'terminated';
      this.terminate();
    }
  }

  private onResponse(response: SipResponse, nowMs: number): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      return;
    }
    if (response.status < 200) {
      this.state = 'proceeding';
      this.deliver(response);
      return;
    }
    this.state = 'completed';
    this.disarm('E', 'F');
    this.deliver(response);
    this.waitOrTerminate('K', this.timers.t4Ms, nowMs);
  }
}
