/**
 * What a stream says on the wire, apart from how it says it: the contract between the protocol-neutral
 * `StreamFork` (connect/retry, queueing, backpressure, playback) and one streaming protocol (a dialect:
 * Plivo's audio streams today, Twilio Media Streams next).
 *
 * A dialect is pure: it builds the text frames the fork sends and turns the app's frames into typed
 * commands, and keeps only the state its wire format needs (sequence numbers, chunk counters, a parser's
 * scanner memory). It never touches a socket, a timer or the clock; the fork hands it times and nonces.
 * One dialect instance serves one stream. The engine never imports a dialect: the composition root
 * hands it a {@link StreamDialectRegistry} (lint rule in eslint.config.mjs).
 */
import type { CallbackSigning } from './signature/callback-signing.js';
import type { MediaFormat } from './stream-ws/formats.js';

/** A forked track: what the caller says (`inbound`) or hears (`outbound`). */
export type StreamTrack = 'inbound' | 'outbound';

/** The dialects a stream spec may name. */
export type StreamDialectName = 'plivo' | 'twilio';

/** The dialect of a stream whose spec names none. */
export const DEFAULT_STREAM_DIALECT: StreamDialectName = 'plivo';

/**
 * One message from the app, as the fork acts on it. `error` is a message the dialect refused (bad
 * JSON, audio not in the negotiated format, …): the fork counts and reports it, and the stream goes on.
 */
export type StreamCommand =
  /** Audio to queue for the caller, in the stream's negotiated format. */
  | { readonly type: 'play'; readonly audio: Uint8Array }
  /** A marker at the current end of the queued audio, acknowledged when that audio has played. */
  | { readonly type: 'checkpoint'; readonly name: string }
  /** Drop the queued audio (barge-in). */
  | { readonly type: 'clear' }
  /** Play these DTMF digits to the caller. */
  | { readonly type: 'sendDtmf'; readonly digits: string }
  /** The app ends the stream. */
  | { readonly type: 'stop' }
  /** A message the protocol allows but the fork does not act on (unknown events): logged. */
  | { readonly type: 'ignored'; readonly reason: string }
  | { readonly type: 'error'; readonly code: string; readonly detail: string };

/** Server-wide settings a dialect may read (a subset of the engine's `StreamSettings`). */
export interface StreamDialectSettings {
  /** The account the stream belongs to (`start.accountId` in Plivo's protocol). */
  readonly accountId: string;
  /** The key that signs the WebSocket upgrade. */
  readonly authToken: string;
  /** D4: how `extraHeaders` are written on the wire. */
  readonly extraHeadersMode: 'semicolon' | 'verbatim';
  /** D6: true = little-endian L16. */
  readonly l16LittleEndian: boolean;
  /** D7: announce the end of the stream with a `stop` message before closing. */
  readonly sendStop: boolean;
  /** Largest app message accepted and parsed; larger ones are refused with an error, the stream goes on. */
  readonly maxMessageBytes: number;
  /** D8: sign the upgrade over the service URL (ws→http, wss→https) or always over plain http. */
  readonly signWebSocketUrlAs: 'scheme-mapped' | 'plain-http';
}

/** A stream's parameters as the answer document or REST request gave them (the engine's `StreamSpec`). */
export interface StreamDialectSpec {
  /** The app's ws:// or wss:// URL. */
  readonly serviceUrl: string;
  /** Whether the app may play audio back. */
  readonly bidirectional: boolean;
  readonly audioTrack: 'inbound' | 'outbound' | 'both';
  readonly streamTimeoutSec: number;
  readonly statusCallbackUrl?: string | undefined;
  readonly statusCallbackMethod: 'GET' | 'POST';
  readonly contentType: string;
  /** `k=v,k2=v2` as given in XML/REST, not yet in wire form. */
  readonly extraHeaders?: string | undefined;
  readonly keepCallAlive?: boolean | undefined;
  /** Resumable stream: reconnect for up to this long after the app's socket drops (0 or absent: off). */
  readonly resumeTimeoutSec?: number | undefined;
  /**
   * Playback extras (streamfork extension, playback-extras.ts): 24 kHz L16 `playAudio` accepted and
   * resampled, cleared checkpoints named on `clearedAudio`, progress (ms played, ms queued) on
   * `playedStream`/`clearedAudio`. Absent or false: Plivo's messages exactly.
   */
  readonly playbackExtras?: boolean | undefined;
  /** The stream's name (TwiML `<Stream name>`), for dialects that report it. */
  readonly name?: string | undefined;
  /** Name/value pairs for the app (TwiML `<Parameter>`: Twilio's `start.customParameters`), in order. */
  readonly customParameters?: readonly (readonly [string, string])[] | undefined;
}

/** Everything a dialect learns about its stream, fixed for the stream's lifetime. */
export interface StreamDialectContext {
  readonly callId: string;
  readonly streamId: string;
  /** The tracks forked to the app, in the order announced. */
  readonly tracks: readonly StreamTrack[];
  readonly format: MediaFormat;
  readonly spec: StreamDialectSpec;
  readonly settings: StreamDialectSettings;
}

/**
 * What happened to a stream, for its status callback. The fork decides when each happens and how it
 * is delivered (budgets per `type`); the dialect decides what the callback says, if anything.
 */
export type StreamStatusEvent =
  | { readonly type: 'started' }
  | { readonly type: 'checkpointPlayed'; readonly name: string }
  | { readonly type: 'cleared' }
  /** The send buffer reached `bufferUsagePercent` (30, 60, 90) of its capacity: the app reads slowly. */
  | { readonly type: 'degraded'; readonly bufferUsagePercent: number }
  /** Ended on purpose (stop, timeout, hangup, the app closing normally). */
  | { readonly type: 'stopped'; readonly reason: string; readonly error?: string | undefined }
  /** Ended by a failure (no connection, a dropped socket, a slow consumer). */
  | { readonly type: 'dropped'; readonly reason: string; readonly error?: string | undefined };

/** Where a bidirectional stream's playback stands, for the messages that may report it. */
export interface PlaybackProgress {
  /** The app's audio played to the caller since the stream started, ms. */
  readonly playedMs: number;
  /** The app's audio queued and not yet played, ms. */
  readonly queuedMs: number;
  /** On a clear: the audio it dropped, ms. */
  readonly clearedMs?: number | undefined;
}

/** The `type` of a {@link StreamStatusEvent}. */
export type StreamStatusEventType = StreamStatusEvent['type'];

/**
 * One stream's wire protocol. Every method that builds a message returns the text frames to send, in
 * order (`undefined` or an empty list when the protocol has none for that event); build a message only
 * when it will be sent, since a dialect may number its messages.
 */
export interface StreamDialect {
  /** How this protocol's apps expect the stream's status callbacks signed; absent: Plivo's V3. */
  readonly callbackSigning?: CallbackSigning;
  /** Headers of the WebSocket upgrade request (signatures); `nonce` is fresh random text per attempt. */
  upgradeHeaders(nonce: string): Readonly<Record<string, string>>;
  /** The first messages once the socket is open; `startEpochMs` is the stream's media time zero. */
  start(startEpochMs: number): readonly string[];
  /** The first messages on the new socket of a resumed stream (it says so; same stream id). */
  resume(startEpochMs: number): readonly string[];
  /**
   * One 20 ms frame of a track (the hot path: 50 per second per track). `timestampMs` is the frame's
   * epoch time on the media clock; `payload` is in the negotiated format, read and not kept.
   */
  media(track: StreamTrack, timestampMs: number, payload: Uint8Array): string;
  /** A DTMF digit the caller pressed. */
  dtmf(digit: string, timestampMs: number): string | undefined;
  /** The audio queued before checkpoint `name` has played to the caller; `progress` at that moment. */
  checkpointPlayed(name: string, progress?: PlaybackProgress): string | undefined;
  /** The playback queue was cleared by the app; `dropped` are the checkpoints whose audio never played. */
  cleared(dropped: readonly string[], progress?: PlaybackProgress): readonly string[];
  /** The stream is ending for `reason`; sent just before the close frame. */
  stop(reason: string): string | undefined;
  /**
   * One frame from the app. Never throws: refusals are `{ type: 'error' }`. The command is read at once
   * and not kept: a dialect may hand out the same object again on its next `parse` (the `play` command
   * arrives 50 times a second per bidirectional stream).
   */
  parse(data: string | Uint8Array, isBinary: boolean): StreamCommand;
  /**
   * The form fields of the status callback for `event` at `timestampMs` (epoch ms), in order, or
   * `undefined` when the protocol reports no such event. Sent (and signed) by the fork's callback delivery.
   */
  statusCallback(event: StreamStatusEvent, timestampMs: number): [string, string][] | undefined;
}

/** Builds the dialect of one stream. */
export type StreamDialectFactory = (ctx: StreamDialectContext) => StreamDialect;

/** Every dialect a server speaks, by name: built by the composition root, handed to the engine. */
export type StreamDialectRegistry = Readonly<Record<StreamDialectName, StreamDialectFactory>>;
