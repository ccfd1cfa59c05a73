/**
 * What the REST API may ask of call recording (issue 14 item 3): start and stop recording a live
 * call, delete a recording. Like `CallCommands` (same result shapes), implemented on the engine by
 * `app/recording/recording-service.ts`; the API reads recordings from the `RecordingStore` and their
 * audio from `RecordingFiles`.
 */
import type { CommandResult, HttpMethod } from './call-commands.js';
import type { RecordingFiles } from './recording-files.js';
import type { RecordingStore } from './recording-store.js';

/** `POST …/Call/{uuid}/Record/`, validated. */
export interface RecordStartRequest {
  /** 1: both sides mixed (Plivo `channel=mono`, the default); 2: caller left, the other side right. */
  readonly channels: 1 | 2;
  /** Seconds after which the recording stops (Plivo `time_limit`, default 60). */
  readonly timeLimitSec: number;
  readonly fileFormat: 'wav';
  /** Told when the recording ends (Plivo `callback_url`), with `callbackMethod`. */
  readonly callbackUrl?: string | undefined;
  readonly callbackMethod: HttpMethod;
}

export interface RecordingCommands {
  /** Starts recording a live call; `not-found` for an unknown call, `not-live` for an ended one. */
  startRecording(
    callUuid: string,
    req: RecordStartRequest,
  ): Promise<CommandResult<{ readonly recordingId: string; readonly url: string }>>;
  /**
   * Stops the call's recordings started by REST, or only `recordingId`; resolves once their records
   * are final. `not-found` for an unknown call; ok with `stopped: 0` when none was running.
   */
  stopRecording(callUuid: string, recordingId?: string): Promise<CommandResult<{ readonly stopped: number }>>;
  /** Deletes a recording's file and record (stopping it first if it runs); `not-found` when unknown. */
  deleteRecording(recordingId: string): Promise<CommandResult>;
  /** The authenticated URL of a recording's audio (`…/Recording/{id}.wav`). */
  urlOf(recordingId: string): string;
}

/** What the API gets for the Recording resource; absent: the routes answer 404 (not configured). */
export interface RecordingApiDeps {
  readonly commands: RecordingCommands;
  readonly store: Pick<RecordingStore, 'getRecording' | 'listRecordings'>;
  readonly files: Pick<RecordingFiles, 'read'>;
}
