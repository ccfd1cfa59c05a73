/**
 * Runs the sans-I/O transaction layer (RFC 3261 §17) on a real transport and real timers: inbound messages
 * and timer expiries become layer inputs; `send`, `timer` and `cancel-timer` effects are executed here;
 * every other effect (request, response, timeout, transport-error, …) goes to the TU callback.
 */
import type { SipTrafficCounters, SipTransactions, SipTuEffect } from '../../ports/sip-transactions.js';
import type { SipMessage } from '../../protocol/sip/sip-message.types.js';
import type { SipTransport } from '../../ports/sip-transport.js';
import {
  SipTransactionLayer,
  type SipTransactionEffect,
  type SipTransactionInput,
  type SipTransactionLayerOptions,
} from '../../protocol/sip/transaction/sip-transaction-layer.js';

export type { SipTuEffect } from '../../ports/sip-transactions.js';

/** Options of {@link SipTransactionDriver}. */
export interface SipTransactionDriverOptions extends SipTransactionLayerOptions {
  /** Monotonic clock in ms. Default `performance.now()`. */
  readonly nowMs?: () => number;
}

/** Methods counted by name; any other is `OTHER` (a bounded label set for metrics). */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'INFO',
  'UPDATE',
  'PRACK',
  'REFER',
  'NOTIFY',
  'SUBSCRIBE',
  'MESSAGE',
]);

class Traffic implements SipTrafficCounters {
  readonly requestsIn = new Map<string, number>();
  readonly requestsOut = new Map<string, number>();
  readonly responsesIn = new Map<number, number>();
  readonly responsesOut = new Map<number, number>();
  retransmissionsOut = 0;
  retransmissionsIn = 0;

  count(message: SipMessage, inbound: boolean): void {
    if (message.kind === 'request') {
      const method = KNOWN_METHODS.has(message.method) ? message.method : 'OTHER';
      const map = inbound ? this.requestsIn : this.requestsOut;
      map.set(method, (map.get(method) ?? 0) + 1);
    } else {
      const map = inbound ? this.responsesIn : this.responsesOut;
      map.set(message.status, (map.get(message.status) ?? 0) + 1);
    }
  }
}

/** Couples a {@link SipTransactionLayer} with a {@link SipTransport} and node timers. */
export class SipTransactionDriver implements SipTransactions {
  readonly layer: SipTransactionLayer;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => number;
  private tu: (effect: SipTuEffect) => void = () => undefined;
  private closed = false;
  readonly traffic = new Traffic();

  constructor(
    private readonly transport: SipTransport,
    options: SipTransactionDriverOptions = {},
  ) {
    this.layer = new SipTransactionLayer(options);
    this.now = options.nowMs ?? (() => performance.now());
    transport.onMessage((inbound) => {
      this.input({ type: 'receive', message: inbound.message, source: inbound.source });
    });
  }

  /** Live transactions (the layer's size). */
  get size(): number {
    return this.layer.size;
  }

  /** Registers the transaction user. */
  onEffect(handler: (effect: SipTuEffect) => void): void {
    this.tu = handler;
  }

  /** Feeds an input to the layer now and executes its effects. */
  input(input: SipTransactionInput): void {
    if (this.closed) {
      return;
    }
    const effects = this.layer.handle(input, this.now());
    let sends = 0;
    let delivered = false;
    for (const effect of effects) {
      if (effect.type === 'send') {
        sends++;
        this.traffic.count(effect.message, false);
      } else if (effect.type === 'request') {
        delivered = true;
      }
    }
    if (input.type === 'receive') {
      this.traffic.count(input.message, true);
      // A request that made no new transaction but was answered is a retransmission the layer absorbed.
      if (input.message.kind === 'request' && !delivered && sends > 0) {
        this.traffic.retransmissionsIn++;
      }
    } else if (input.type === 'timer-fired') {
      // A send caused by a timer is a retransmission (timers A, E, G).
      this.traffic.retransmissionsOut += sends;
    }
    for (const effect of effects) {
      this.execute(effect);
    }
  }

  private execute(effect: SipTransactionEffect): void {
    switch (effect.type) {
      case 'send': {
        const { transactionId } = effect;
        this.transport.send(effect.message, effect.destination).catch(() => {
          if (transactionId !== undefined) {
            this.input({ type: 'transport-error', transactionId });
          }
        });
        return;
      }
      case 'timer': {
        this.arm(effect.id, effect.atMs);
        return;
      }
      case 'cancel-timer': {
        clearTimeout(this.timers.get(effect.id));
        this.timers.delete(effect.id);
        return;
      }
      case 'request':
      case 'response':
      case 'timeout':
      case 'transport-error':
      case 'terminated':
      case 'discarded': {
        this.tu(effect);
        return;
      }
    }
  }

  /**
   * Node's timers run on a whole-millisecond loop clock, so a timer may fire up to ~1 ms before `atMs`
   * on the fractional clock; the layer ignores early fires, so re-arm for the remainder instead.
   */
  private arm(id: string, atMs: number): void {
    clearTimeout(this.timers.get(id));
    this.timers.set(
      id,
      setTimeout(
        () => {
          this.timers.delete(id);
          if (this.now() < atMs) {
            this.arm(id, atMs);
          } else {
            this.input({ type: 'timer-fired', id });
          }
        },
        Math.max(0, atMs - this.now()),
      ),
    );
  }

  /** Stops every timer; later inputs are ignored. */
  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) {
      clearTimeout(t);
    }
    this.timers.clear();
  }
}
