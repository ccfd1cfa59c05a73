/**
 * The REST API's public contract: what the composition root hands to `buildApiServer`. The API reads
 * the store and changes calls only through `commands`; it knows no engine object.
 */
import type { CallCommands } from '../ports/call-commands.js';
import type { CallStore } from '../ports/call-store.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { NodeOps } from '../ports/node-ops.js';
import type { ConsoleDeps } from './console/console.types.js';
import type { RegistrationStatus } from '../ports/registration-status.js';
import type { RecordingApiDeps } from '../ports/recording-commands.js';

export type { DialRequest, HttpMethod } from '../ports/call-commands.js';

export interface ApiDeps {
  readonly store: CallStore;
  /** Every change the API makes to a call (start/stop streams, hang up, transfer, DTMF, create). */
  readonly commands: CallCommands;
  /**
   * A cluster node's own commands (never forwarded): given, the internal route that other nodes forward
   * commands to is served (`routes/internal.ts`). Absent on a single node.
   */
  readonly localCommands?: CallCommands;
  /** "Now" for elapsed fields of live records. */
  readonly clock: Pick<Clock, 'epochMs'>;
  /** Mints each answer's `api_id` (a v4 UUID). */
  uuid(): string;
  readonly logger: Logger;
  readonly authId: string;
  readonly authToken: string;
  /** Health, readiness and metrics (`/healthz`, `/readyz`, `/metrics`); absent: not served. */
  readonly ops?: NodeOps;
  /** Outbound SIP registrations (`GET …/Registration/`); absent: the list is empty. */
  readonly registrations?: RegistrationStatus;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  readonly bodyLimitBytes?: number;
  /** Given, the live web console is served under /console (docs/console.md). */
  readonly console?: ConsoleDeps;
  /** Call recording (`POST …/Call/{uuid}/Record/`, the Recording resource); absent: those routes answer 404. */
  readonly recordings?: RecordingApiDeps;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The v4 UUID that this request's response carries as `api_id`. */
    apiId: string;
  }
}
