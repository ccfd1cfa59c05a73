/**
 * The port `<Dial>` places its calls through. The engine knows no SIP: the composition root hands the
 * element registry a `CallDialer` built on the SIP layer (`src/app/call-control/party-dialer.ts`), and
 * the fake-clock tests hand it a scripted one.
 */
import type { CallSession } from '../../call/call-session.js';

/** One party of a `<Dial>` to call (a `<Number>` or a `<User>`). */
export interface PartyDialRequest {
  /** A number (sent to the trunk) or a sip:/sips: URI. */
  readonly to: string;
  /** The caller id the party sees: a number or a user name. */
  readonly from: string;
  /** The display name the party sees, if any. */
  readonly callerName?: string;
  /** Ring timeout in seconds: the party is cancelled after it (no-answer). */
  readonly timeoutSec: number;
  /** Longest the answered party's call may last, in seconds. */
  readonly timeLimitSec: number;
  /** Extra INVITE headers (`X-PH-*` from `sipHeaders`). */
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  /** The caller's call (the A leg): the party's record carries it as `parent_call_uuid`. */
  readonly parentCallUuid: string;
  /** Aborted to give up on the party before it answers (CANCEL): another answered, or the caller left. */
  readonly signal: AbortSignal;
}

/**
 * What a party's dial came to: its call, answered and ticked by the engine (the B leg), or why not.
 * `callUuid` is the party's own UUID either way (its record exists from the first INVITE).
 */
export type PartyDialResult =
  | { readonly ok: true; readonly call: CallSession }
  | {
      readonly ok: false;
      readonly callUuid: string;
      /** The hangup cause, e.g. `USER_BUSY`, `NO_ANSWER`, `ORIGINATOR_CANCEL`. */
      readonly cause: string;
      readonly sipStatus?: number;
    };

/** Places the calls of `<Dial>`. */
export interface CallDialer {
  /** Calls one party; resolves once it answered or failed. Never rejects. */
  dial(req: PartyDialRequest): Promise<PartyDialResult>;
}
