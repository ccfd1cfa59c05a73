/** The in-memory `RecordingStore` (unit tests, `storage.driver: memory`). */
import { ServerError } from '../../errors/server-error.js';
import { applyPatch, type Page } from '../../ports/call-store.js';
import {
  RECORDING_RESTART_REASON,
  matchesRecordingFilter,
  type ListRecordingsOptions,
  type RecordingPatch,
  type RecordingRecord,
  type RecordingStore,
} from '../../ports/recording-store.js';

/** Newest first, then by id: the order every adapter lists in. */
export function compareRecordings(a: RecordingRecord, b: RecordingRecord): number {
  return (
    b.startedAt - a.startedAt || (a.recordingId < b.recordingId ? -1 : a.recordingId > b.recordingId ? 1 : 0)
  );
}

export class MemoryRecordingStore implements RecordingStore {
  readonly #rows = new Map<string, RecordingRecord>();
  #closed = false;

  #open(): void {
    if (this.#closed) {
      throw new ServerError('ERR_STORAGE_CLOSED');
    }
  }

  insertRecording(recording: RecordingRecord): Promise<void> {
    this.#open();
    if (this.#rows.has(recording.recordingId)) {
      return Promise.reject(
        new ServerError('ERR_STORAGE_DUPLICATE', `recording ${recording.recordingId} already exists`),
      );
    }
    this.#rows.set(recording.recordingId, Object.freeze({ ...recording }));
    return Promise.resolve();
  }

  updateRecording(recordingId: string, patch: RecordingPatch): Promise<RecordingRecord | undefined> {
    this.#open();
    const row = this.#rows.get(recordingId);
    if (row === undefined) {
      return Promise.resolve(undefined);
    }
    const next = Object.freeze(applyPatch(row, patch));
    this.#rows.set(recordingId, next);
    return Promise.resolve(next);
  }

  getRecording(recordingId: string): Promise<RecordingRecord | undefined> {
    this.#open();
    return Promise.resolve(this.#rows.get(recordingId));
  }

  listRecordings(options: ListRecordingsOptions): Promise<Page<RecordingRecord>> {
    this.#open();
    const all = [...this.#rows.values()]
      .filter((r) => matchesRecordingFilter(r, options))
      .sort(compareRecordings);
    return Promise.resolve({
      items: all.slice(options.offset, options.offset + options.limit),
      total: all.length,
    });
  }

  deleteRecording(recordingId: string): Promise<boolean> {
    this.#open();
    return Promise.resolve(this.#rows.delete(recordingId));
  }

  failOpenRecordings(nowMs: number, reason = RECORDING_RESTART_REASON): Promise<number> {
    this.#open();
    let n = 0;
    for (const [id, r] of this.#rows) {
      if (r.state === 'recording') {
        this.#rows.set(id, Object.freeze({ ...r, state: 'failed', failureReason: reason, endedAt: nowMs }));
        n++;
      }
    }
    return Promise.resolve(n);
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
