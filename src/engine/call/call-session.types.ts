/**
 * The public shape of `CallSession` (call-session.ts): its options, its events, its status and the
 * audio sources it mixes for the caller.
 */
import type { Logger } from '../../ports/logger.js';
import type { XmlIssue } from '../../protocol/plivo-xml/types.js';
import type { CallEventSink } from '../events/call-events.js';
import type { StreamFork } from '../fork/stream-fork.js';
import type { CallSession } from './call-session.js';
import type { StreamForkDeps, StreamSettings } from '../fork/stream-fork.types.js';
import type { LegHangup, MediaLeg } from './media-leg.types.js';

/** Something that produces audio for the caller, one 20 ms frame at a time (a prompt player). */
export interface OutboundSource {
  /** Writes 160 samples into `out` and returns true, or returns false when it has nothing now. */
  render(out: Int16Array): boolean;
}

/**
 * Whether the live call is still up. Not a record status: the record's `CallStatus` (ports/call-store.ts)
 * has Plivo's nine values; a session only knows it is up or has ended.
 */
export type CallSessionState = 'in-progress' | 'completed';

export interface CallSessionEvents {
  'stream-started': (fork: StreamFork) => void;
  dtmf: (digit: string) => void;
  /** A `<Dial>` bridged this call with `party` (the answered B leg). */
  bridged: (party: CallSession) => void;
  /** That bridge ended (either side left, or the caller pressed `*`). */
  unbridged: (party: CallSession) => void;
  /** The domain event: the call ended, with its cause and source. Fired once, just before `closed`. */
  ended: (hangup: LegHangup) => void;
  /** The lifecycle event: the call is over, whoever ended it (read `hangupInfo`); its leg and connected forks closed first. Fired once. */
  closed: () => void;
}

export interface CallSessionOptions {
  readonly callUuid: string;
  readonly leg: MediaLeg;
  readonly streamSettings: StreamSettings;
  readonly forkDeps: StreamForkDeps;
  readonly logger: Logger;
  /** Most concurrent streams on one call. */
  readonly maxStreams: number;
  readonly newStreamId: () => string;
  /** Where the call's events go (`call.ended`, `call.error`, `stream.started`): the engine's bus. */
  readonly events: CallEventSink;
}

/** Where a `call.error` came from, when it concerns a document. */
export interface CallErrorContext {
  readonly url?: string;
  readonly issues?: readonly XmlIssue[];
}
