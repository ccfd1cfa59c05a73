import type { ContentType } from '../../protocol/stream-ws/formats.js';

/** A stream's parameters, from the `<Stream>` element or the REST API, normalised. */
export interface StreamSpec {
  /** ws:// or wss:// URL of the app. */
  readonly serviceUrl: string;
  readonly bidirectional: boolean;
  readonly audioTrack: 'inbound' | 'outbound' | 'both';
  /** Seconds from stream start after which streaming stops (default 86400). */
  readonly streamTimeoutSec: number;
  readonly statusCallbackUrl?: string | undefined;
  readonly statusCallbackMethod: 'GET' | 'POST';
  readonly contentType: ContentType;
  /** `k=v,k2=v2` as given in XML/REST. */
  readonly extraHeaders?: string | undefined;
  /** D3; only meaningful for streams started by XML. */
  readonly keepCallAlive: boolean;
}

/** Server-wide stream behaviour (config `stream.*`). */
export interface StreamSettings {
  readonly accountId: string;
  readonly authToken: string;
  /** D4. */
  readonly extraHeadersMode: 'semicolon' | 'verbatim';
  /** D6: true = little-endian L16 (default). */
  readonly l16LittleEndian: boolean;
  /** D7: send `{"event":"stop"}` before closing. */
  readonly sendStop: boolean;
  /** D10: attempts in total, first included. */
  readonly connectAttempts: number;
  readonly connectTimeoutMs: number;
  /** Delay before the second attempt; doubled after each. */
  readonly connectBackoffMs: number;
  /** D11: seconds of outbound media buffered for a slow consumer before the stream is dropped. */
  readonly bufferSeconds: number;
  /** Largest app message accepted and parsed; larger ones are refused with an error, the stream goes on. */
  readonly maxMessageBytes: number;
  /** Most audio a bidirectional stream may have queued for playback. */
  readonly maxPlayoutQueueMs: number;
  /** D8: sign the upgrade over the service URL (ws→http, wss→https) or always over plain http. */
  readonly signWebSocketUrlAs: 'scheme-mapped' | 'plain-http';
}

export type StreamStatus = 'initiated' | 'in-progress' | 'completed' | 'failed';

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
}

export interface StreamForkEvents {
  status: (status: StreamStatus) => void;
  /** Something an observer (the CLI, tests) may want to show: message events in both directions. */
  event: (name: string, detail: Readonly<Record<string, unknown>>) => void;
  ended: (end: StreamEnd) => void;
}
