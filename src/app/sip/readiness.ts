/**
 * Whether this node takes new work: the answer to an out-of-dialog OPTIONS (the health probe of a proxy
 * in front, such as Kamailio's dispatcher), the gate of every new INVITE, REST dial and REST stream
 * start, and part of `/readyz`.
 *
 * Ready unless the node is draining (SIGTERM: it will not take calls again, so a proxy should move on)
 * or past one of its limits (config `limits`): `maxCalls` calls set up or live, `maxStreams` live
 * streams, or the event loop lagging more than `maxEventLoopLagMs`. Each is a 503 with Retry-After
 * (RFC 3261 §21.5.4; RFC 9110 §10.2.3 for HTTP): a proxy tries another node, a caller its next route, a
 * REST client retries later. The calls already up keep their audio: refusing the next one is what
 * protects them. Pure: the server feeds it the counts and the lag.
 */

/** Retry-After of a draining node: it is going away, so a caller should not come back soon. */
export const DRAINING_RETRY_AFTER_SEC = 30;
/** Retry-After of a full node: a call slot frees as soon as any call ends. */
export const FULL_RETRY_AFTER_SEC = 5;
/** Retry-After of a node whose event loop lags: load passes quickly or not at all; look again soon. */
export const OVERLOADED_RETRY_AFTER_SEC = 5;

/** Why a node refuses new work. */
export type NotReadyWhy = 'draining' | 'full' | 'streams' | 'overloaded';

/** What {@link Readiness.check} answers. */
export type ReadinessState =
  | { readonly ready: true }
  | {
      readonly ready: false;
      readonly why: NotReadyWhy;
      /** The SIP reason phrase of the 503 (also the REST error message). */
      readonly reason: string;
      readonly retryAfterSec: number;
    };

/** The node's limits; 0 turns one off. */
export interface ReadinessLimits {
  /** Calls being set up or live (`limits.maxCalls`). */
  readonly maxCalls: number;
  /** Live streams over all calls (`limits.maxStreams`). */
  readonly maxStreams: number;
  /** Event-loop lag, ms, over the last measured window (`limits.maxEventLoopLagMs`). */
  readonly maxEventLoopLagMs: number;
}

/** The load a check is made against. */
export interface NodeLoad {
  /** Calls being set up or live; a new call would be one more. */
  readonly calls: number;
  /** Live streams; a new stream would be one more. */
  readonly streams: number;
  /** The event loop's lag over the last window, ms. */
  readonly eventLoopLagMs: number;
}

/** What each refusal reached, in a few words: the 503's reason phrase and what /readyz shows. */
export const NOT_READY_CONDITION: Readonly<Record<NotReadyWhy, string>> = {
  draining: 'draining',
  full: 'at limits.maxCalls',
  streams: 'at limits.maxStreams',
  overloaded: 'event loop lag over limits.maxEventLoopLagMs',
};

function notReady(why: NotReadyWhy, retryAfterSec: number): ReadinessState {
  return { ready: false, why, reason: `Service Unavailable (${NOT_READY_CONDITION[why]})`, retryAfterSec };
}

const READY: ReadinessState = { ready: true };
const DRAINING = notReady('draining', DRAINING_RETRY_AFTER_SEC);
const FULL = notReady('full', FULL_RETRY_AFTER_SEC);
const STREAMS = notReady('streams', FULL_RETRY_AFTER_SEC);
const OVERLOADED = notReady('overloaded', OVERLOADED_RETRY_AFTER_SEC);

const NO_LIMITS: ReadinessLimits = { maxCalls: 0, maxStreams: 0, maxEventLoopLagMs: 0 };

function checkLimit(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number >= 0, got ${value}`);
  }
}

/** The readiness of one node: its limits and a one-way switch to draining. */
export class Readiness {
  readonly limits: ReadinessLimits;
  #draining = false;
  /** Refusals since start, by why (for metrics). */
  readonly refused: Record<NotReadyWhy, number> = { draining: 0, full: 0, streams: 0, overloaded: 0 };

  /** Limits left out are off. */
  constructor(limits: Partial<ReadinessLimits> = NO_LIMITS) {
    const l = { ...NO_LIMITS, ...limits };
    checkLimit('maxCalls', l.maxCalls);
    checkLimit('maxStreams', l.maxStreams);
    checkLimit('maxEventLoopLagMs', l.maxEventLoopLagMs);
    this.limits = l;
  }

  /** From now on every check says draining; there is no way back (a drained node exits). */
  drain(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Whether a new call may start now. */
  check(l: NodeLoad): ReadinessState {
    if (this.#draining) {
      return DRAINING;
    }
    const { maxCalls } = this.limits;
    if (maxCalls > 0 && l.calls >= maxCalls) {
      return FULL;
    }
    return this.checkStream(l);
  }

  /** Whether a new stream may start now on a live call (the call limit does not apply). */
  checkStream(load: Pick<NodeLoad, 'streams' | 'eventLoopLagMs'>): ReadinessState {
    if (this.#draining) {
      return DRAINING;
    }
    const { maxStreams, maxEventLoopLagMs } = this.limits;
    if (maxStreams > 0 && load.streams >= maxStreams) {
      return STREAMS;
    }
    if (maxEventLoopLagMs > 0 && load.eventLoopLagMs > maxEventLoopLagMs) {
      return OVERLOADED;
    }
    return READY;
  }

  /** Counts a refusal that was acted on (a 503 sent), for metrics. */
  countRefusal(state: ReadinessState): void {
    if (!state.ready) {
      this.refused[state.why]++;
    }
  }
}
