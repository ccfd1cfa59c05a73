/**
 * Whether this node takes new calls: the answer to an out-of-dialog OPTIONS (the health probe of a
 * proxy in front, such as Kamailio's dispatcher) and the gate of every new INVITE and REST dial.
 *
 * Ready (200) unless the node is draining (SIGTERM: it will not take calls again, so a proxy should move
 * on) or full (`tuning.maxCalls` calls set up or live). Both are 503 with Retry-After (RFC 3261
 * §21.5.4): a proxy tries another node, a caller its next route. Pure: the server feeds it the count.
 */

/** Retry-After of a draining node: it is going away, so a caller should not come back soon. */
export const DRAINING_RETRY_AFTER_SEC = 30;
/** Retry-After of a full node: a call slot frees as soon as any call ends. */
export const FULL_RETRY_AFTER_SEC = 5;

/** What {@link Readiness.check} answers. */
export type ReadinessState =
  | { readonly ready: true }
  | {
      readonly ready: false;
      readonly why: 'draining' | 'full';
      /** The SIP reason phrase of the 503. */
      readonly reason: string;
      readonly retryAfterSec: number;
    };

const READY: ReadinessState = { ready: true };
const DRAINING: ReadinessState = {
  ready: false,
  why: 'draining',
  reason: 'Service Unavailable (draining)',
  retryAfterSec: DRAINING_RETRY_AFTER_SEC,
};
const FULL: ReadinessState = {
  ready: false,
  why: 'full',
  reason: 'Service Unavailable (at tuning.maxCalls)',
  retryAfterSec: FULL_RETRY_AFTER_SEC,
};

/** The readiness of one node: a call limit (0: none) and a one-way switch to draining. */
export class Readiness {
  readonly #maxCalls: number;
  #draining = false;

  constructor(maxCalls: number) {
    if (!Number.isInteger(maxCalls) || maxCalls < 0) {
      throw new RangeError(`maxCalls must be a whole number >= 0, got ${maxCalls}`);
    }
    this.#maxCalls = maxCalls;
  }

  /** From now on every check says draining; there is no way back (a drained node exits). */
  drain(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** The state with `calls` calls being set up or live; a new call would be one more. */
  check(calls: number): ReadinessState {
    if (this.#draining) {
      return DRAINING;
    }
    return this.#maxCalls > 0 && calls >= this.#maxCalls ? FULL : READY;
  }
}
