/**
 * Runs the sans-I/O transaction layer (RFC 3261 §17) on a real transport and real timers: inbound messages
 * and timer expiries become layer inputs; `send`, `timer` and `cancel-timer` effects are executed here;
 * every other effect (request, response, timeout, transport-error, …) goes to the TU callback.
 */
import type { SipTransactions, SipTuEffect } from '../../ports/sip-transactions.js';
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

/** Couples a {@link SipTransactionLayer} with a {@link SipTransport} and node timers. */
export class SipTransactionDriver implements SipTransactions {
  readonly layer: SipTransactionLayer;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly now: () => number;
  private tu: (effect: SipTuEffect) => void = () => undefined;
  private closed = false;

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
    for (const effect of this.layer.handle(input, this.now())) {
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
