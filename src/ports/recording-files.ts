/**
 * Where recordings' audio goes (`adapters/recording-files`: one file per recording under
 * `recording.directory`). The recorder (`engine/recording`) only appends, rewrites the header at the
 * end and closes; the API streams a finished file back and deletes it.
 */
import type { Readable } from 'node:stream';

/** One recording being written. Every method rejects on an I/O error (a full disk: ENOSPC). */
export interface RecordingFile {
  /** Appends bytes at the end. Calls are serialised by the caller (one write in flight at a time). */
  append(bytes: Uint8Array): Promise<void>;
  /** Overwrites bytes at `offset` (the WAV header, once the sizes are known). */
  writeAt(offset: number, bytes: Uint8Array): Promise<void>;
  /** Flushes and closes. Idempotent. */
  close(): Promise<void>;
}

/** A stored recording file, opened for reading. */
export interface RecordingFileRead {
  readonly sizeBytes: number;
  readonly body: Readable;
}

export interface RecordingFiles {
  /** Creates (or truncates) the file `name` (e.g. `<recording id>.wav`). */
  create(name: string): Promise<RecordingFile>;
  /**
   * Opens an existing file to write in place (recovery rewrites the header of a file a stopped server
   * left), with its size; undefined when there is none.
   */
  reopen(name: string): Promise<{ readonly file: RecordingFile; readonly sizeBytes: number } | undefined>;
  /** The file for reading, or undefined when there is none. */
  read(name: string): Promise<RecordingFileRead | undefined>;
  /** Deletes the file; a file already gone is not an error. */
  remove(name: string): Promise<void>;
}
