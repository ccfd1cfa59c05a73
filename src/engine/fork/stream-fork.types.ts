import type { Clock, Timers } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';
import type { WsConnector } from '../../ports/ws-client.js';
import type {
  StreamDialectName,
  StreamDialectRegistry,
  StreamDialectSettings,
  StreamDialectSpec,
} from '../../protocol/stream-dialect.types.js';
import type { CallbackDelivery } from '../callbacks/callback-delivery.js';
import type { ContentType } from '../../protocol/stream-ws/formats.js';
import type { CallEventSink } from '../events/call-events.js';
import type { RnnoiseRuntime } from '../../media/noise/rnnoise.types.js';

/**
 * A stream's parameters, from the `<Stream>` element or the REST API, normalised: what a dialect sees
 * (`StreamDialectSpec`: URL, tracks, `streamTimeoutSec` (default 86400), callback, `extraHeaders` as
 * given), with the content type checked and what only the engine uses.
 */
export interface StreamSpec extends StreamDialectSpec {
  readonly contentType: ContentType;
  /** D3; only meaningful for streams started by XML. */
  readonly keepCallAlive: boolean;
  /** The wire protocol spoken to the app. Default `plivo` (`DEFAULT_STREAM_DIALECT`). */
  readonly dialect?: StreamDialectName | undefined;
  /**
   * Noise cancellation of the caller's audio on this stream (`noiseCancellation="true"`): its strength,
   * 60–100 (`noiseCancellationLevel`, src/media/noise/noise-suppressor.ts). Absent: off.
   */
  readonly noiseCancellationLevel?: number | undefined;
}

/**
 * Server-wide stream behaviour (config `stream.*`): what the fork uses, plus what dialects may read
 * (`accountId`, `authToken`, D4 `extraHeadersMode`, D6 `l16LittleEndian`, D7 `sendStop`,
 * `maxMessageBytes`, D8 `signWebSocketUrlAs`).
 */
export interface StreamSettings extends StreamDialectSettings {
  /** D10: attempts in total, first included. */
  readonly connectAttempts: number;
  readonly connectTimeoutMs: number;
  /** Delay before the second attempt; doubled after each. */
  readonly connectBackoffMs: number;
  /** D11: seconds of outbound media buffered for a slow consumer before the stream is dropped. */
  readonly bufferSeconds: number;
  /** Most audio a bidirectional stream may have queued for playback. */
  readonly maxPlayoutQueueMs: number;
}

/** A fork's status is its record's: one name and one set of values (ports/call-store.ts). */
export type { StreamStatus } from '../../ports/call-store.js';
import type { StreamStatus } from '../../ports/call-store.js';

/** How a stream ended; `reason` uses the Plivo CDR vocabulary where one applies. */
export interface StreamEnd {
  readonly status: 'completed' | 'failed';
  readonly reason: string;
  readonly error?: string;
}

/** Per-stream counters, for logs, records and the CLI. */
export interface StreamStats {
  mediaMessagesSent: number;
  playedFrames: number;
  checkpointsAcked: number;
  clears: number;
  appMessages: number;
  appErrors: number;
  /** The last error code reported for an app message (e.g. ERR_STREAM_FORMAT_MISMATCH). */
  lastAppError: string | undefined;
  connectAttempts: number;
  /** Highest D11 send-buffer level reached (0, 30, 60, 90, 100). */
  bufferUsagePercent: number;
  /** Status callbacks dropped unsent because the stream's backlog was full (callback-delivery.ts). */
  callbacksDropped: number;
  /** Status callbacks merged into a newer one of the same kind while waiting (ClearedAudio). */
  callbacksCoalesced: number;
  /** When the socket connected (epoch ms; 0: not yet). */
  connectedAtMs: number;
  /** When the first `media` message was sent (epoch ms; 0: none yet). */
  firstMediaAtMs: number;
  /** When the app's first accepted `playAudio` arrived (epoch ms; 0: none yet). */
  firstPlayAudioAtMs: number;
  /** D11 degraded warnings raised (each a DegradedStream callback). */
  degradedEvents: number;
  /** The socket's send buffer at the last media message, bytes. */
  wsBufferedBytes: number;
  /** Times a resumable stream reconnected after its socket dropped (stream-resume.ts). */
  resumes: number;
  /** Messages dropped from the resume buffer because an outage outlasted it. */
  resumeDroppedMessages: number;
}

export interface StreamForkEvents {
  status: (status: StreamStatus) => void;
  /** Something an observer (the CLI, tests) may want to show: message events in both directions. */
  event: (name: string, detail: Readonly<Record<string, unknown>>) => void;
  /** The domain event: how the stream ended. Fired once, just before `closed`. */
  ended: (end: StreamEnd) => void;
  /** The lifecycle event: the stream is over, whoever ended it; its WebSocket was closed first. Fired once. */
  closed: () => void;
}

export interface StreamForkDeps {
  readonly ws: WsConnector;
  readonly callbacks: CallbackDelivery;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly logger: Logger;
  /** The wire protocols a spec may name (`spec.dialect`). */
  readonly dialects: StreamDialectRegistry;
  /** Where the stream's `stream.status` and `stream.checkpoint` events go (the engine's bus). */
  readonly events: CallEventSink;
  /** The RNNoise build for streams with noise cancellation (loaded once by the composition root). */
  readonly noise?: RnnoiseRuntime | undefined;
}

/** What a stream needs from the call it belongs to. */
export interface StreamHost {
  readonly callUuid: string;
  /** Plays DTMF to the caller (`sendDTMF`). */
  sendDtmf(digits: string): void;
}
