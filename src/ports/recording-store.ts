/**
 * Durable recording records (issue 14 item 3): one per recording of a call, started by REST
 * (`POST …/Call/{uuid}/Record/`) or by XML (`<Record>`, `<Record recordSession>`). Adapters:
 * `adapters/memory-store/memory-recording-store.ts` (tests), `adapters/sqlite-store/sqlite-recording-store.ts`
 * (its own file beside the call database, `recordings.sqlite`), `adapters/postgres-store/postgres-recording-store.ts`
 * (a `recordings` table in the cluster's database). All pass `test/contracts/recording-store.contract.ts`.
 *
 * Times are epoch milliseconds (UTC); durations milliseconds. Records are frozen snapshots.
 */
import type { Page, PageOptions } from './call-store.js';

/** `recording` while audio is being written; `completed` once the file is closed; `failed` when writing failed. */
export const RecordingStates = ['recording', 'completed', 'failed'] as const;
export type RecordingState = (typeof RecordingStates)[number];

/** Who asked for the recording. */
export type RecordingSource = 'api' | 'xml' | 'session';

export interface RecordingRecord {
  /** RFC 4122 v4 UUID; the primary key and the file's name (`<id>.wav`). */
  readonly recordingId: string;
  readonly callUuid: string;
  /** File format; only `wav` (PCM16, 8 kHz) is written. */
  readonly format: 'wav';
  /** 1: both sides mixed; 2: the caller on the left channel, what the caller heard on the right. */
  readonly channels: 1 | 2;
  readonly source: RecordingSource;
  readonly state: RecordingState;
  /** Why the recording failed (a write error, a full disk, a restart), else null. */
  readonly failureReason: string | null;
  /** When the first frame was taken (epoch ms); Plivo `add_time` and `recording_start_ms`. */
  readonly startedAt: number;
  /** When the last frame was taken, or null while recording. */
  readonly endedAt: number | null;
  /** Audio length in ms (frames × 20), or null while recording. */
  readonly durationMs: number | null;
  /** File size in bytes (header included), or null while recording. */
  readonly sizeBytes: number | null;
}

/** The fields that change after insertion; `undefined` values are ignored. */
export type RecordingPatch = {
  readonly [K in 'state' | 'failureReason' | 'endedAt' | 'durationMs' | 'sizeBytes']?:
    RecordingRecord[K] | undefined;
};

export interface ListRecordingsOptions extends PageOptions {
  readonly callUuid?: string;
  readonly state?: RecordingState;
  /** `startedAt` bounds (Plivo `add_time__gt`, `__gte`, `__lt`, `__lte`), epoch ms. */
  readonly startedAfter?: number;
  readonly startedAtOrAfter?: number;
  readonly startedBefore?: number;
  readonly startedAtOrBefore?: number;
}

/** The failure reason recorded by `markRecordingAsFailed` for recordings a stopped server left open. */
export const RECORDING_RESTART_REASON = 'Server Restart';

export interface RecordingStore {
  /** Adds a recording; `ERR_STORAGE_DUPLICATE` for a known id. */
  insertRecording(recording: RecordingRecord): Promise<void>;
  /** Applies a patch; the updated record, or undefined for an unknown id. */
  updateRecording(recordingId: string, patch: RecordingPatch): Promise<RecordingRecord | undefined>;
  getRecording(recordingId: string): Promise<RecordingRecord | undefined>;
  /** Newest first (`startedAt` descending, then `recordingId`), with the total matching the filter. */
  listRecordings(options: ListRecordingsOptions): Promise<Page<RecordingRecord>>;
  /** Removes the record; false when there was none. */
  deleteRecording(recordingId: string): Promise<boolean>;
  /**
   * Startup recovery: every recording still `recording` (its server stopped while writing) becomes
   * `failed` with `reason`, ended at `nowMs`. Returns how many.
   */
  failOpenRecordings(nowMs: number, reason?: string): Promise<number>;
  /** Releases the backend. Idempotent. */
  close(): Promise<void>;
}

/** True when `r` passes the filter of `options` (the memory adapter's, and the contract's oracle). */
export function matchesRecordingFilter(r: RecordingRecord, options: ListRecordingsOptions): boolean {
  return (
    (options.callUuid === undefined || r.callUuid === options.callUuid) &&
    (options.state === undefined || r.state === options.state) &&
    (options.startedAfter === undefined || r.startedAt > options.startedAfter) &&
    (options.startedAtOrAfter === undefined || r.startedAt >= options.startedAtOrAfter) &&
    (options.startedBefore === undefined || r.startedAt < options.startedBefore) &&
    (options.startedAtOrBefore === undefined || r.startedAt <= options.startedAtOrBefore)
  );
}
