/**
 * The REST API's public contract: what the composition root hands to `buildApiServer`.
 */
import type { Engine } from '../engine/engine.js';
import type { CallStore } from '../ports/call-store.js';
import type { Logger } from '../ports/logger.js';

export type HttpMethod = 'GET' | 'POST';

/** An outbound call requested through Call create (one destination; `to` is never `<`-joined here). */
export interface DialRequest {
  readonly from: string;
  readonly to: string;
  readonly answerUrl: string;
  readonly answerMethod: HttpMethod;
  readonly hangupUrl?: string;
  readonly hangupMethod?: HttpMethod;
  readonly fallbackUrl?: string;
  readonly fallbackMethod?: HttpMethod;
  /** Seconds after answer at which the call is hung up (Plivo `time_limit`). */
  readonly timeLimitSec?: number;
  /** Seconds the call may ring before it is cancelled (Plivo `ring_timeout`). */
  readonly ringTimeoutSec?: number;
}

export type DialResult =
  | { readonly ok: true; readonly requestUuid: string }
  | { readonly ok: false; readonly code: string; readonly message: string };

export interface ApiDeps {
  readonly engine: Engine;
  readonly store: CallStore;
  readonly logger: Logger;
  readonly authId: string;
  readonly authToken: string;
  /**
   * Outbound call (Call create) to one destination already checked by the route. Resolves quickly
   * with the request uuid; the call proceeds in the background, and a failure from then on belongs on
   * its call record. May still refuse (`code` should be a catalogued code; an unknown one answers 400).
   */
  dial(req: DialRequest): Promise<DialResult>;
  /** REST transfer: re-run the A leg's XML from aleg_url. Returns false for an unknown call. */
  transfer(callUuid: string, url: string, method: HttpMethod): boolean;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  readonly bodyLimitBytes?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The v4 UUID that this request's response carries as `api_id`. */
    apiId: string;
  }
}
