import type { ResponseChildNode } from '../../protocol/plivo-xml/types.js';
import type { Clock, Timers } from '../../ports/clock.js';
import type { HttpClient } from '../../ports/http-client.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';
import type { CallSession } from '../call/call-session.js';

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
