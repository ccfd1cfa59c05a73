/**
 * INVITE server transaction (RFC 3261 §17.2.1, Figure 7; Accepted state from RFC 6026 §7.1).
 * Sends 100 Trying at once, retransmits a non-2xx final response with Timer G (T1 doubling to T2) until the
 * ACK or Timer H (64·T1), then absorbs ACKs for Timer I (T4 on UDP).
 *
 * Design note: RFC 3261 §13.3.1.4 gives 2xx retransmission to the UAS core. We run it here, in the
 * RFC 6026 Accepted state (timer `R2xx`, T1 doubling to T2, UDP only), stopped by the ACK the layer matches
 * to this transaction; Timer L (64·T1) ends the state and reports `no-ack` if no ACK came. This keeps the
 * TU free of timers.
 */
import { buildResponse } from '../build-response.js';
import type { SipRequest, SipResponse } from '../sip-message.types.js';
import {
  TransactionMachine,
  type SipTimerConfig,
  type TransactionInput,
  type TransactionOutput,
} from './transaction.types.js';

/** States of Figure 7 plus RFC 6026 `accepted`. */
export type InviteServerState = 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

/** The server side of an INVITE transaction. */
export class InviteServerTransaction extends TransactionMachine<InviteServerState> {
  state: InviteServerState = 'proceeding';
  private last: SipResponse | undefined;
  private intervalMs: number;
  private acked = false;

  constructor(
    readonly request: SipRequest,
    timers: SipTimerConfig,
    unreliable: boolean,
  ) {
    super(timers, unreliable);
    this.intervalMs = timers.t1Ms;
  }

  /** Sends 100 Trying (§17.2.1: we do not wait the optional 200 ms) and passes the INVITE to the TU. */
  start(sendTrying: boolean): TransactionOutput[] {
    if (sendTrying) {
      this.last = buildResponse(this.request, 100);
      this.send(this.last);
    }
    this.deliver(this.request);
    return this.out.splice(0, this.out.length);
  }

  protected step(input: TransactionInput, nowMs: number): void {
    switch (input.type) {
      case 'request': {
        this.onRequest(input.request, nowMs);
        return;
      }
      case 'response': {
        this.onTuResponse(input.response, nowMs);
        return;
      }
      case 'timer': {
        this.onTimer(input.timer, nowMs);
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

  private onRequest(request: SipRequest, nowMs: number): void {
    if (request.method === 'ACK') {
      if (this.state === 'completed') {
        this.state = 'confirmed';
        this.disarm('G', 'H');
        this.waitOrTerminate('I', this.timers.t4Ms, nowMs);
      } else if (this.state === 'accepted') {
        this.disarm('R2xx');
        if (!this.acked) {
          this.acked = true;
          this.deliver(request);
        }
      }
      return;
    }
    // A retransmitted INVITE: resend the last response in Proceeding and Completed; absorb otherwise.
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last !== undefined) {
      this.send(this.last);
    }
  }

  private onTuResponse(response: SipResponse, nowMs: number): void {
    const s = response.status;
    if (this.state === 'accepted' && s >= 200 && s < 300) {
      this.send(response);
      return;
    }
    if (this.state !== 'proceeding') {
      return;
    }
    this.last = response;
    this.send(response);
    if (s < 200) {
      return;
    }
    if (s < 300) {
      this.state = 'accepted';
      if (this.unreliable) {
        this.arm('R2xx', nowMs + this.intervalMs);
      }
      this.arm('L', nowMs + 64 * this.timers.t1Ms);
      return;
    }
    this.state = 'completed';
    if (this.unreliable) {
      this.arm('G', nowMs + this.intervalMs);
    }
    this.arm('H', nowMs + 64 * this.timers.t1Ms);
  }

  private onTimer(timer: string, nowMs: number): void {
    if ((timer === 'G' && this.state === 'completed') || (timer === 'R2xx' && this.state === 'accepted')) {
      if (this.last !== undefined) {
        this.send(this.last);
      }
      this.intervalMs = Math.min(2 * this.intervalMs, this.timers.t2Ms);
      this.arm(timer, nowMs + this.intervalMs);
    } else if (timer === 'H' && this.state === 'completed') {
      this.out.push({ type: 'timeout', reason: 'no-ack' });
      this.state = 'terminated';
      this.terminate();
    } else if (timer === 'L' && this.state === 'accepted') {
      if (!this.acked) {
        this.out.push({ type: 'timeout', reason: 'no-ack' });
      }
      this.state = 'terminated';
      this.terminate();
    } else if (timer === 'I' && this.state === 'confirmed') {
      this.state = 'terminated';
      this.terminate();
    }
  }
}
