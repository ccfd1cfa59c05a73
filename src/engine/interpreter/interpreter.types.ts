import type { ResponseChildNode } from '../../protocol/plivo-xml/types.js';
import type { Clock, Timers } from '../../ports/clock.js';
import type { HttpClient } from '../../ports/http-client.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';
import type { CallSession } from '../call/call-session.js';

/**
 * An inbound call still in early media (its document starts with `<PreAnswer>`): the SIP side sent 183
 * with the SDP answer and waits for `answer()` to send the 200. Absent on every other call.
 */
export interface EarlyAnswer {
  /** True once `answer()` was called (the 200 went out) or the call ended. */
  readonly answered: boolean;
  /** Sends the 200 OK (same SDP) once; later calls do nothing. Resolves when it has been sent. */
  answer(): Promise<void>;
}

/** What an element handler may use. */
export interface ElementContext {
  readonly call: CallSession;
  readonly http: HttpClient;
  readonly random: Random;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly authToken: string;
  /** Aborted when the call ends; handlers stop waiting at once. */
  readonly signal: AbortSignal;
  /** Timeout for action/redirect fetches. */
  readonly fetchTimeoutMs: number;
  /** Set while an inbound call plays early media (`<PreAnswer>`); the interpreter answers it. */
  readonly early?: EarlyAnswer;
  /** The call's Plivo parameters, sent with every request the call makes (§9). */
  callParams(): readonly (readonly [string, string])[];
  /** The same call's parameters under Twilio's names, for requests of a TwiML flow (absent: Plivo's only). */
  twilioCallParams?(): readonly (readonly [string, string])[];
}

/** What happens after an element ran. */
export type ElementOutcome =
  | { readonly next: 'continue' }
  | {
      readonly next: 'fetch';
      readonly url: string;
      readonly method: 'GET' | 'POST';
      readonly params?: readonly (readonly [string, string])[];
    }
  | { readonly next: 'hangup' };

export type ElementHandler<N extends ResponseChildNode = ResponseChildNode> = (
  node: N,
  ctx: ElementContext,
) => Promise<ElementOutcome>;

/** One handler per element name (jambonz's verb switch, as a registry). */
export type ElementRegistry = {
  readonly [K in ResponseChildNode['element']]: ElementHandler<Extract<ResponseChildNode, { element: K }>>;
};
