/**
 * What the live web console (`src/api/console/`) may see of this node's calls, without knowing the
 * engine: a feed of call events (a snapshot of the live calls, each event as it happens, a call's
 * recent timeline) and a tap on a live call's audio for level meters and listen-in. The composition
 * root wires the implementations (`src/app/console/`).
 */

/**
 * One call event as the console shows it: plain JSON, with nothing secret in it (a stream's extra
 * headers and callback templates are left out). `type` is the engine's event type (`call.started`,
 * `stream.checkpoint`, …; docs/console.md lists them with their fields).
 */
export interface FeedEvent {
  readonly type: string;
  readonly callUuid: string;
  readonly atMs: number;
  readonly streamId?: string;
  readonly [field: string]: unknown;
}

/** An event with its feed id: ids increase by one per event, for the whole process. */
export interface FeedEntry {
  readonly id: number;
  readonly event: FeedEvent;
}

export type FeedStreamStatus = 'initiated' | 'in-progress' | 'completed' | 'failed';

export interface FeedStreamView {
  readonly streamId: string;
  readonly serviceUrl: string;
  readonly status: FeedStreamStatus;
  readonly audioTrack: string;
  readonly bidirectional: boolean;
  readonly contentType: string;
  readonly startedAtMs: number;
}

/** A live call as the console lists it. */
export interface FeedCallView {
  readonly callUuid: string;
  readonly direction: 'inbound' | 'outbound';
  readonly from: string;
  readonly to: string;
  readonly startedAtMs: number;
  readonly answeredAtMs: number | null;
  readonly streams: readonly FeedStreamView[];
}

export interface FeedSnapshot {
  /** The live calls, oldest first. */
  readonly calls: readonly FeedCallView[];
  /** The id of the last event the snapshot includes: the next one the listener gets is above it. */
  readonly lastId: number;
}

export interface CallEventFeed {
  snapshot(): FeedSnapshot;
  /** A live or recently ended call's events, oldest first (bounded), or undefined when not known. */
  timeline(callUuid: string): readonly FeedEntry[] | undefined;
  /** Calls `listener` synchronously with every event from now on; returns the function that stops it. */
  subscribe(listener: (entry: FeedEntry) => void): () => void;
}

/** `inbound`: what the caller says; `outbound`: what the caller hears (the bot and the prompts mixed). */
export type TapTrack = 'inbound' | 'outbound';

/** Receives a live call's frames (8 kHz int16, 160 samples; the array is reused: copy what you keep). */
export interface AudioTapListener {
  frame(track: TapTrack, pcm: Int16Array, atMs: number): void;
  /** The call ended: no more frames. */
  ended(): void;
}

export interface CallAudioTap {
  /** Starts receiving a live call's audio; returns what stops it, or undefined when the call is not live here. */
  listen(callUuid: string, listener: AudioTapListener): (() => void) | undefined;
}
