/**
 * What the REST API may ask of live calls. The API reads records from the `CallStore` and changes
 * nothing itself: every change goes through this port, which answers with a typed result (what the
 * API needs to answer, or why it refused) instead of throwing or handing out engine objects. The
 * composition root wires the implementation (`src/app/call-commands.ts`); API tests use a fake.
 *
 * Each command resolves once the records it changed are in the store (as far as they change at
 * once), so a read that follows the answer sees the change.
 */
import type { ContentType } from '../protocol/stream-ws/formats.js';

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

/** A stream started through the API (already validated). It never holds the call's XML. */
export interface StreamStartRequest {
  /** ws:// or wss:// URL of the app. */
  readonly serviceUrl: string;
  readonly bidirectional: boolean;
  readonly audioTrack: 'inbound' | 'outbound' | 'both';
  readonly streamTimeoutSec: number;
  readonly statusCallbackUrl?: string | undefined;
  readonly statusCallbackMethod: HttpMethod;
  readonly contentType: ContentType;
  /** `k=v,k2=v2` as given. */
  readonly extraHeaders?: string | undefined;
  /** Resumable stream (streamfork extension `resume_timeout`): reconnect for this long after a drop. */
  readonly resumeTimeoutSec?: number | undefined;
  /** Noise cancellation of the caller's audio at this strength, 60–100 (`noise_cancellation`); absent: off. */
  readonly noiseCancellationLevel?: number | undefined;
  /** Playback extras (streamfork extension `playback_extras`). */
  readonly playbackExtras?: boolean | undefined;
}

/**
 * Why a command was refused:
 * - `not-found`: no such call (or stream) at all;
 * - `not-live`: it exists but has ended (a stream: no longer streaming);
 * - `refused`: the call is live but will not do it now (e.g. too many streams);
 * - `failed`: the command was tried and failed; `code` is a catalogued error code when one applies.
 */
export type CommandRefusal =
  | { readonly ok: false; readonly reason: 'not-found' | 'not-live' | 'refused'; readonly message: string }
  | {
      readonly ok: false;
      readonly reason: 'failed';
      readonly code: string;
      readonly message: string;
      /** How long to wait before asking again (a node at a limit): the API's Retry-After. */
      readonly retryAfterSec?: number;
    };

export type CommandResult<T extends object = object> = ({ readonly ok: true } & T) | CommandRefusal;

export interface CallCommands {
  /** Creates an outbound call; resolves with its request uuid once its record exists (`queued`). */
  createCall(req: DialRequest): Promise<CommandResult<{ readonly requestUuid: string }>>;
  /** Forks a live call's audio to an app. */
  startStream(
    callUuid: string,
    req: StreamStartRequest,
  ): Promise<CommandResult<{ readonly streamId: string }>>;
  /** Stops one live stream; `not-live` when it has ended, `not-found` when the call has no such stream. */
  stopStream(callUuid: string, streamId: string, reason: string): Promise<CommandResult>;
  /** Stops every live stream of a call; ok (stopped: 0) when none was live or the call has ended. */
  stopAllStreams(callUuid: string, reason: string): Promise<CommandResult<{ readonly stopped: number }>>;
  /** Hangs up a live call (source `api`). */
  hangup(callUuid: string, cause: string): Promise<CommandResult>;
  /** Drops the live call's current XML and runs the document at `url`. */
  transfer(callUuid: string, url: string, method: HttpMethod): Promise<CommandResult>;
  /** Plays DTMF digits to the caller. */
  sendDtmf(callUuid: string, digits: string): Promise<CommandResult>;
}
