/**
 * The transaction layer (RFC 3261 §17): creates client and server transactions, matches inbound messages
 * to them (§17.1.3, §17.2.3), absorbs retransmissions, ties an ACK for a 2xx to its INVITE, and turns
 * machine outputs into effects for the driver (send, timer, cancel-timer) and the TU (request, response,
 * timeout, transport-error). Sans-I/O: `handle(input, nowMs)` returns effects; time is an input.
 * https://www.rfc-editor.org/rfc/rfc3261#section-17
 */
import type { SipEndpoint, SipMessage, SipRequest, SipResponse } from '../sip-message.types.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import {
  clientTransactionId,
  dialogAckKey,
  responseDestination,
  serverTransactionId,
  stampTopVia,
  viaCount,
} from './transaction-key.js';
import {
  DEFAULT_SIP_TIMERS,
  type SipTimerConfig,
  type SipTimerName,
  type TransactionInput,
  type TransactionMachine,
  type TransactionOutput,
} from './transaction.types.js';

/** Inputs of the transaction layer. */
export type SipTransactionInput =
  /** A parsed message from the transport. */
  | { readonly type: 'receive'; readonly message: SipMessage; readonly source: SipEndpoint }
  /** The TU starts a client transaction (any method but ACK; an ACK is sent statelessly). */
  | { readonly type: 'send-request'; readonly request: SipRequest; readonly destination: SipEndpoint }
  /** The TU answers a server transaction (matched by the response's top Via and CSeq). */
  | { readonly type: 'send-response'; readonly response: SipResponse }
  /** Send outside any transaction (ACK for a 2xx, §13.2.2.4). */
  | { readonly type: 'send-stateless'; readonly message: SipMessage; readonly destination: SipEndpoint }
  /** A timer effect came due. */
  | { readonly type: 'timer-fired'; readonly id: string }
  /** The transport could not send a message of this transaction (§17.1.4, §17.2.4). */
  | { readonly type: 'transport-error'; readonly transactionId: string };

/** Effects of the transaction layer. */
export type SipTransactionEffect =
  | {
      readonly type: 'send';
      readonly message: SipMessage;
      readonly destination: SipEndpoint;
      readonly transactionId?: string;
    }
  /** Arm (or re-arm) timer `id` to fire at `atMs`; feed `{type:'timer-fired', id}` back then. */
  | { readonly type: 'timer'; readonly id: string; readonly atMs: number }
  | { readonly type: 'cancel-timer'; readonly id: string }
  /** A new request for the TU; `transactionId` is absent for an ACK to a 2xx that matched nothing. */
  | {
      readonly type: 'request';
      readonly request: SipRequest;
      readonly source: SipEndpoint;
      readonly transactionId?: string;
      /** For CANCEL: the INVITE server transaction it targets, when one exists (§9.2). */
      readonly cancels?: string;
    }
  /** A response for the TU; `transactionId` is absent for a stray response (e.g. a late 2xx retransmission). */
  | {
      readonly type: 'response';
      readonly response: SipResponse;
      readonly transactionId?: string;
      readonly request?: SipRequest;
    }
  | {
      readonly type: 'timeout';
      readonly transactionId: string;
      readonly request: SipRequest;
      readonly reason: 'no-response' | 'no-ack';
    }
  | { readonly type: 'transport-error'; readonly transactionId: string; readonly request: SipRequest }
  | { readonly type: 'terminated'; readonly transactionId: string }
  /** A message the layer dropped, and why (for logs and counters). */
  | { readonly type: 'discarded'; readonly message: SipMessage; readonly reason: string };

/** Options of {@link SipTransactionLayer}. */
export interface SipTransactionLayerOptions {
  /** Timer bases; defaults T1 500 ms, T2 4 s, T4 5 s. */
  readonly timers?: Partial<SipTimerConfig>;
  /** Send 100 Trying as soon as an INVITE arrives (§17.2.1). Default true. */
  readonly sendTrying?: boolean;
}

interface Entry {
  readonly id: string;
  readonly machine: TransactionMachine<string>;
  readonly role: 'client' | 'server';
  readonly request: SipRequest;
  /** Where sends go: the request target (client) or the response destination (server). */
  readonly destination: SipEndpoint;
  /** Server: where the request came from. */
  readonly source: SipEndpoint;
  /** INVITE server: the dialog key of the 2xx the TU answered with (see dialogAckKey). */
  ackKey?: string;
}

/** The RFC 3261 §17 transaction layer as a sans-I/O state machine. */
export class SipTransactionLayer {
  private readonly timers: SipTimerConfig;
  private readonly sendTrying: boolean;
  private readonly entries = new Map<string, Entry>();
  private readonly accepted = new Map<string, string>();

  constructor(options: SipTransactionLayerOptions = {}) {
    this.timers = { ...DEFAULT_SIP_TIMERS, ...options.timers };
    this.sendTrying = options.sendTrying ?? true;
  }

  /** Number of live transactions. */
  get size(): number {
    return this.entries.size;
  }

  /** The state of a transaction, for tests and diagnostics. */
  stateOf(transactionId: string): string | undefined {
    return this.entries.get(transactionId)?.machine.state;
  }

  /** Feeds one input at time `nowMs` and returns the effects, in order. */
  handle(input: SipTransactionInput, nowMs: number): SipTransactionEffect[] {
    const effects: SipTransactionEffect[] = [];
    switch (input.type) {
      case 'receive': {
        if (input.message.kind === 'request') {
          this.receiveRequest(stampTopVia(input.message, input.source), input.source, nowMs, effects);
        } else {
          this.receiveResponse(input.message, nowMs, effects);
        }
        break;
      }
      case 'send-request': {
        this.startClient(input.request, input.destination, nowMs, effects);
        break;
      }
      case 'send-response': {
        const id = serverTransactionId(input.response);
        const entry = id === undefined ? undefined : this.entries.get(id);
        if (entry?.role === 'server') {
          if (
            entry.request.method === 'INVITE' &&
            input.response.status >= 200 &&
            input.response.status < 300
          ) {
            this.keyAckTo(entry, input.response);
          }
          this.feed(entry, { type: 'response', response: input.response }, nowMs, effects);
        } else {
          effects.push({
            type: 'discarded',
            message: input.response,
            reason: 'no server transaction for this response',
          });
        }
        break;
      }
      case 'send-stateless': {
        effects.push({ type: 'send', message: input.message, destination: input.destination });
        break;
      }
      case 'timer-fired': {
        this.fireTimer(input.id, nowMs, effects);
        break;
      }
      case 'transport-error': {
        const entry = this.entries.get(input.transactionId);
        if (entry !== undefined) {
          this.feed(entry, { type: 'transport-error' }, nowMs, effects);
        }
        break;
      }
    }
    return effects;
  }

  private receiveRequest(
    request: SipRequest,
    source: SipEndpoint,
    nowMs: number,
    effects: SipTransactionEffect[],
  ): void {
    const id = serverTransactionId(request);
    if (id === undefined) {
      effects.push({ type: 'discarded', message: request, reason: 'request without Via or CSeq' });
      return;
    }
    const existing = this.entries.get(id);
    if (request.method === 'ACK') {
      const key = dialogAckKey(request);
      const byDialog = this.entries.get(key === undefined ? '' : (this.accepted.get(key) ?? ''));
      // An ACK for a 2xx is matched by its dialog, whatever its branch: one that shares the INVITE's
      // branch but names another To-tag belongs to no dialog of this transaction.
      const target = existing !== undefined && existing.machine.state !== 'accepted' ? existing : byDialog;
      if (target !== undefined && target.machine.state !== 'proceeding') {
        this.feed(target, { type: 'request', request }, nowMs, effects);
      } else {
        // An ACK never creates a transaction (§17.2.3); an unmatched one goes straight to the TU.
        effects.push({ type: 'request', request, source });
      }
      return;
    }
    if (existing !== undefined) {
      this.feed(existing, { type: 'request', request }, nowMs, effects);
      return;
    }
    this.startServer(id, request, source, nowMs, effects);
  }

  private startServer(
    id: string,
    request: SipRequest,
    source: SipEndpoint,
    nowMs: number,
    effects: SipTransactionEffect[],
  ): void {
    const unreliable = source.protocol === 'udp';
    const destination = responseDestination(request, source);
    const machine =
      request.method === 'INVITE'
        ? new InviteServerTransaction(request, this.timers, unreliable)
        : new NonInviteServerTransaction(request, this.timers, unreliable);
    const entry: Entry = {
      id,
      machine,
      role: 'server',
      request,
      destination,
      source,
    };
    this.entries.set(id, entry);
    const outputs =
      machine instanceof InviteServerTransaction ? machine.start(this.sendTrying) : machine.start();
    let cancels: string | undefined;
    if (request.method === 'CANCEL') {
      const inviteId = id.replace(/\|CANCEL$/, '|INVITE');
      cancels = this.entries.has(inviteId) ? inviteId : undefined;
    }
    this.translate(entry, outputs, nowMs, effects, cancels);
  }

  /** Points ACKs of the dialog the TU's 2xx creates at this INVITE server transaction. */
  private keyAckTo(entry: Entry, response: SipResponse): void {
    const key = dialogAckKey(response);
    if (entry.ackKey !== undefined && entry.ackKey !== key && this.accepted.get(entry.ackKey) === entry.id) {
      this.accepted.delete(entry.ackKey);
    }
    if (key !== undefined) {
      entry.ackKey = key;
    }
  }

  private receiveResponse(response: SipResponse, nowMs: number, effects: SipTransactionEffect[]): void {
    if (viaCount(response) !== 1) {
      // A UAC discards responses with more than one Via (§8.1.3.3).
      effects.push({ type: 'discarded', message: response, reason: 'response with more than one Via' });
      return;
    }
    const id = clientTransactionId(response);
    const entry = id === undefined ? undefined : this.entries.get(id);
    if (entry?.role === 'client') {
      this.feed(entry, { type: 'response', response }, nowMs, effects);
      return;
    }
    effects.push({ type: 'response', response });
  }

  private startClient(
    request: SipRequest,
    destination: SipEndpoint,
    nowMs: number,
    effects: SipTransactionEffect[],
  ): void {
    if (request.method === 'ACK') {
      effects.push({ type: 'send', message: request, destination });
      return;
    }
    const id = clientTransactionId(request);
    if (id === undefined || this.entries.has(id)) {
      effects.push({
        type: 'discarded',
        message: request,
        reason: id === undefined ? 'request without branch or CSeq' : 'duplicate branch',
      });
      return;
    }
    const unreliable = destination.protocol === 'udp';
    const machine =
      request.method === 'INVITE'
        ? new InviteClientTransaction(request, this.timers, unreliable)
        : new NonInviteClientTransaction(request, this.timers, unreliable);
    const entry: Entry = { id, machine, role: 'client', request, destination, source: destination };
    this.entries.set(id, entry);
    this.translate(entry, machine.start(nowMs), nowMs, effects);
  }

  private fireTimer(timerId: string, nowMs: number, effects: SipTransactionEffect[]): void {
    const hash = timerId.lastIndexOf('#');
    const entry = this.entries.get(timerId.slice(0, hash));
    const timer = timerId.slice(hash + 1) as SipTimerName;
    const at = entry?.machine.armedAt(timer);
    // Stale or early fires (a re-armed or cancelled timer) are ignored.
    if (entry === undefined || at === undefined || at > nowMs) {
      return;
    }
    this.feed(entry, { type: 'timer', timer }, nowMs, effects);
  }

  private feed(entry: Entry, input: TransactionInput, nowMs: number, effects: SipTransactionEffect[]): void {
    this.translate(entry, entry.machine.handle(input, nowMs), nowMs, effects);
  }

  private translate(
    entry: Entry,
    outputs: readonly TransactionOutput[],
    _nowMs: number,
    effects: SipTransactionEffect[],
    cancels?: string,
  ): void {
    const id = entry.id;
    for (const o of outputs) {
      switch (o.type) {
        case 'send': {
          effects.push({
            type: 'send',
            message: o.message,
            destination: entry.destination,
            transactionId: id,
          });
          break;
        }
        case 'arm': {
          effects.push({ type: 'timer', id: `${id}#${o.timer}`, atMs: o.atMs });
          break;
        }
        case 'disarm': {
          effects.push({ type: 'cancel-timer', id: `${id}#${o.timer}` });
          break;
        }
        case 'deliver': {
          effects.push(this.deliveryOf(entry, o.message, cancels));
          break;
        }
        case 'timeout': {
          effects.push({ type: 'timeout', transactionId: id, request: entry.request, reason: o.reason });
          break;
        }
        case 'transport-error': {
          effects.push({ type: 'transport-error', transactionId: id, request: entry.request });
          break;
        }
        case 'terminated': {
          this.entries.delete(id);
          if (entry.ackKey !== undefined && this.accepted.get(entry.ackKey) === id) {
            this.accepted.delete(entry.ackKey);
          }
          effects.push({ type: 'terminated', transactionId: id });
          break;
        }
      }
    }
    if (entry.ackKey !== undefined && entry.machine.state === 'accepted' && this.entries.has(id)) {
      this.accepted.set(entry.ackKey, id);
    }
  }

  private deliveryOf(entry: Entry, message: SipMessage, cancels: string | undefined): SipTransactionEffect {
    if (message.kind === 'response') {
      return { type: 'response', response: message, transactionId: entry.id, request: entry.request };
    }
    return {
      type: 'request',
      request: message,
      source: entry.source,
      transactionId: entry.id,
      ...(cancels === undefined ? {} : { cancels }),
    };
  }
}
