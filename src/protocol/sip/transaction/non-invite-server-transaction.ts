/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8). Retransmitted requests are absorbed in
 * Trying and answered with the last response in Proceeding/Completed; Timer J (64·T1 on UDP) keeps the
 * Completed state alive to absorb them.
 */
import type { SipRequest, SipResponse } from '../sip-message.types.js';
import {
  TransactionMachine,
  type SipTimerConfig,
  type TransactionInput,
  type TransactionOutput,
} from './transaction.types.js';

/** States of Figure 8. */
export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** The server side of a non-INVITE transaction. */
export class NonInviteServerTransaction extends TransactionMachine<NonInviteServerState> {
  state: NonInviteServerState = 'trying';
  private last: SipResponse | undefined;

  constructor(
    readonly request: SipRequest,
    timers: SipTimerConfig,
    unreliable: boolean,
  ) {
    super(timers, unreliable);
  }

  /** Passes the request to the TU (RFC 3261 §17.2.2). */
  start(): TransactionOutput[] {
    this.deliver(this.request);
    return this.out.splice(0, this.out.length);
  }

  protected step(input: TransactionInput, nowMs: number): void {
    switch (input.type) {
      case 'request': {
        if (this.state !== 'trying' && this.last !== undefined) {
          this.send(this.last);
        }
        return;
      }
      case 'response': {
        this.onTuResponse(input.response, nowMs);
        return;
      }
      case 'timer': {
        if (input.timer === 'J' && this.state === 'completed') {
          this.state = 'terminated';
          this.terminate();
        }
        return;
      }
      case 'transport-error': {
        this.out.push({ type: 'transport-error' });
        this.state = 'terminated';
        this.terminate();
        return;
      }
    }
  }

  private onTuResponse(response: SipResponse, nowMs: number): void {
    if (this.state === 'completed' || this.state === 'terminated') {
      return;
    }
    this.last = response;
    this.send(response);
    if (response.status < 200) {
      this.state = 'proceeding';
      return;
    }
    this.state = 'completed';
    this.waitOrTerminate('J', 64 * this.timers.t1Ms, nowMs);
  }
}
