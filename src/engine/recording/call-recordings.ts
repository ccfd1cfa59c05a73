/**
 * What the XML interpreter's `<Record>` needs to record a call, without knowing where recordings go:
 * the app implements it (`app/recording/recording-service.ts`) on the store and the files port.
 */
import type { CallSession } from '../call/call-session.js';
import type { RecordingStopReason } from './call-recorder.js';

export interface RecordOptions {
  readonly channels: 1 | 2;
  readonly source: 'api' | 'xml' | 'session';
  /** Stop after this many 20 ms frames; absent: when the call ends or `stop` is called. */
  readonly maxFrames?: number;
  /** Stop after this many silent caller frames in a row (`<Record timeout>`). */
  readonly silenceFrames?: number;
  /** Told when the recording ends (`callback_url`, `<Record callbackUrl>`). */
  readonly callbackUrl?: string | undefined;
  readonly callbackMethod?: 'GET' | 'POST';
}

/** A recording's outcome, for the action URL and the callback. */
export interface FinishedRecording {
  readonly recordingId: string;
  readonly url: string;
  readonly state: 'completed' | 'failed';
  readonly reason: RecordingStopReason;
  readonly durationMs: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly failureReason?: string;
}

export interface StartedRecording {
  readonly recordingId: string;
  readonly url: string;
  readonly startMs: number;
  /** Stops it (idempotent); resolves once its record is final. */
  stop(reason?: Exclude<RecordingStopReason, 'failed'>): Promise<FinishedRecording>;
  /** Resolves once it has stopped, whoever stopped it, and its record is final. */
  readonly finished: Promise<FinishedRecording>;
}

export interface CallRecordings {
  /** Starts recording a live call; rejects when its file cannot be created or the call has ended. */
  record(call: CallSession, opts: RecordOptions): Promise<StartedRecording>;
}

/**
 * A finished recording's parameters, Plivo's names: what `<Record action>` gets (with `Digits`) and
 * what a recording's callback gets (with `CallUUID`). `RecordingStatus` and `RecordingFailureReason`
 * are streamfork's.
 */
export function recordingParams(f: FinishedRecording): readonly (readonly [string, string])[] {
  return [
    ['RecordUrl', f.url],
    ['RecordingID', f.recordingId],
    ['RecordingDuration', String(Math.round(f.durationMs / 1000))],
    ['RecordingDurationMs', String(f.durationMs)],
    ['RecordingStartMs', String(f.startMs)],
    ['RecordingEndMs', String(f.endMs)],
    ['RecordingStatus', f.state],
    ...(f.failureReason === undefined ? [] : ([['RecordingFailureReason', f.failureReason]] as const)),
  ];
}
