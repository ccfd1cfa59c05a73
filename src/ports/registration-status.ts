/**
 * The state of the outbound SIP registrations (config `sip.registrations`) as the REST API reads it
 * (`GET /v1/Account/{id}/Registration/`). Never carries a password; the username is left out too.
 * Implemented by the SIP server (`src/app/sip/registrations.ts`); absent when no SIP server runs.
 */

/** One binding. */
export interface RegistrationView {
  /** Its position in `sip.registrations`, as text. */
  readonly id: string;
  /** `host:port` of the registrar. */
  readonly registrar: string;
  readonly transport: 'udp' | 'tcp' | 'tls';
  /** idle, registering, registered, retrying, unregistering, stopped. */
  readonly state: string;
  /** When the binding runs out (ISO 8601), while registered. */
  readonly expiresAt: string | null;
  /** The expiry the registrar granted last, s. */
  readonly grantedSec: number | null;
  /** When the next REGISTER (refresh or retry) goes out (ISO 8601). */
  readonly nextAttemptAt: string | null;
  /** Failures in a row since the last success. */
  readonly failures: number;
  /** The last failure: SIP status (408 for a timeout, 503 for a transport error) and reason. */
  readonly lastErrorStatus: number | null;
  readonly lastErrorReason: string | null;
}

export interface RegistrationStatus {
  /** Every configured binding, in config order. */
  registrations(): readonly RegistrationView[];
}
