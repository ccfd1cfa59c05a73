/**
 * The typed domain events of a call (issue 10 item 2). Each says what happened to one call, when
 * (`atMs`, epoch ms from the clock) and, where it matters, who caused it. The record projector writes
 * them to the store; the CLI's live view shows them. Who emits what: docs/lifecycle.md, `## Events`.
 *
 * Events are rare: a handful per call and per stream. Media frames are never events.
 */
import type { ErrorCode } from '../../errors/catalog.js';
import type { HangupCallbackTemplate } from '../../ports/call-store.js';
import type { XmlIssue } from '../../protocol/plivo-xml/types.js';
import type { HangupSource } from '../call/media-leg.types.js';
import type { StreamSpec } from '../fork/stream-fork.types.js';

/** A call exists: who it is between and where its XML comes from (call control, REST dialer, virtual call). */
export interface CallStartedEvent {
  readonly type: 'call.started';
  readonly callUuid: string;
  readonly atMs: number;
  readonly direction: 'inbound' | 'outbound';
  readonly from: string;
  readonly to: string;
  readonly answerUrl: string;
  /** The REST request that created an outbound call; null for inbound calls. */
  readonly requestUuid: string | null;
  readonly sipCallId: string | null;
  /** When the call was created or the INVITE arrived (epoch ms). */
  readonly startedAtMs: number;
  /** The node that runs the call (`cluster.nodeId`), written on its record; null when none is set. */
  readonly nodeId: string | null;
  /** Its hangup_url, method and parameters when known at start (REST calls), kept on the record for recovery. */
  readonly hangupCallback: HangupCallbackTemplate | null;
  /** The caller's call (A leg) when this call is a `<Dial>` party (B leg); absent otherwise. */
  readonly parentCallUuid?: string;
}

/** The call was answered and its XML is about to run. */
export interface CallAnsweredEvent {
  readonly type: 'call.answered';
  readonly callUuid: string;
  readonly atMs: number;
  readonly answerUrl: string;
  readonly sipCallId: string | null;
  /** Its hangup_url, method and parameters (null: none), kept on the record for recovery. */
  readonly hangupCallback: HangupCallbackTemplate | null;
}

/** How an ended call's record reads: `completed` once answered, else why it never was. */
export type EndedCallStatus = 'completed' | 'busy' | 'failed' | 'timeout' | 'no-answer' | 'canceled';

/** The call ended; `source` is set by whoever ended it (never guessed from the cause). */
export interface CallEndedEvent {
  readonly type: 'call.ended';
  readonly callUuid: string;
  readonly atMs: number;
  readonly status: EndedCallStatus;
  readonly cause: string;
  /** The cause's code in the hangup-cause catalogue, or null for an unknown cause. */
  readonly causeCode: number | null;
  readonly source: HangupSource;
}

/** Something went wrong on the call; it is kept on the record's `error`. */
export interface CallErrorEvent {
  readonly type: 'call.error';
  readonly callUuid: string;
  readonly atMs: number;
  readonly code: ErrorCode;
  /** What happened, for people (the record's `error.messages` entry). */
  readonly message: string;
  /** The document URL concerned (a rejected document). */
  readonly url?: string;
  /** The D9 validation issues of a rejected document. */
  readonly issues?: readonly XmlIssue[];
}

/** A stream was requested (status `initiated`). */
export interface StreamStartedEvent {
  readonly type: 'stream.started';
  readonly callUuid: string;
  readonly atMs: number;
  readonly streamId: string;
  readonly spec: StreamSpec;
}

/** A stream connected (`in-progress`) or ended (`completed`/`failed` with its stop reason). */
export type StreamStatusEvent =
  | {
      readonly type: 'stream.status';
      readonly callUuid: string;
      readonly atMs: number;
      readonly streamId: string;
      readonly status: 'in-progress';
    }
  | {
      readonly type: 'stream.status';
      readonly callUuid: string;
      readonly atMs: number;
      readonly streamId: string;
      readonly status: 'completed' | 'failed';
      readonly reason: string;
      readonly error: string | null;
    };

/** The caller heard up to one of the app's checkpoints (`playedStream` was sent). */
export interface StreamCheckpointEvent {
  readonly type: 'stream.checkpoint';
  readonly callUuid: string;
  readonly atMs: number;
  readonly streamId: string;
  readonly name: string;
  /**
   * Play latency: ms from the app's `checkpoint` message arriving to the caller having heard all the
   * audio queued before it; null when the arrival time is not known.
   */
  readonly latencyMs: number | null;
}

/**
 * An XML document was fetched and parsed: its URL and every D9 issue found (errors, which stop the
 * document and are also reported as `call.error`, and warnings, which do not). A failed fetch is a
 * `call.error`, not this event.
 */
export interface CallXmlEvent {
  readonly type: 'call.xml';
  readonly callUuid: string;
  readonly atMs: number;
  readonly url: string;
  /** False when the document was rejected (it had errors). */
  readonly ok: boolean;
  readonly issues: readonly XmlIssue[];
}

/**
 * The caller pressed a DTMF key. The digit is in the event (the stream app receives it too); the
 * logs never show it, and only listeners that need it (the console's authenticated feed) pass it on.
 */
export interface CallDtmfEvent {
  readonly type: 'call.dtmf';
  readonly callUuid: string;
  readonly atMs: number;
  readonly digit: string;
}

/**
 * The app started playing to the caller: a `playAudio` arrived while the stream's playback queue was
 * empty and at least `PLAY_BURST_GAP_MS` (200) after the previous one — one event per burst of audio,
 * not per message, even for an app that paces its audio in real time.
 */
export interface StreamPlayEvent {
  readonly type: 'stream.play';
  readonly callUuid: string;
  readonly atMs: number;
  readonly streamId: string;
  /** Bytes of audio in the message that started it. */
  readonly bytes: number;
}

/** The app's `clearAudio` emptied the stream's playback queue. */
export interface StreamClearedEvent {
  readonly type: 'stream.cleared';
  readonly callUuid: string;
  readonly atMs: number;
  readonly streamId: string;
  /** Queued audio thrown away, in ms. */
  readonly droppedMs: number;
  /** Checkpoints that were waiting in the queue (acknowledged as cleared). */
  readonly droppedCheckpoints: number;
}

export type CallEvent =
  | CallStartedEvent
  | CallAnsweredEvent
  | CallEndedEvent
  | CallErrorEvent
  | StreamStartedEvent
  | StreamStatusEvent
  | StreamCheckpointEvent
  | CallXmlEvent
  | CallDtmfEvent
  | StreamPlayEvent
  | StreamClearedEvent;

export type CallEventType = CallEvent['type'];

/** Where events are sent (the bus, as the engine's components see it). */
export interface CallEventSink {
  emit(event: CallEvent): void;
}

export type CallEventListener = (event: CallEvent) => void;
