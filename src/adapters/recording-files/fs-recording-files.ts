/**
 * Recording files on the local disk: one file per recording in one directory (`recording.directory`,
 * default `<storage.dataDir>/recordings`). Names are checked (no path separators, no dot files), so
 * a name can never leave the directory.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

import { ServerError } from '../../errors/server-error.js';
import type { RecordingFile, RecordingFileRead, RecordingFiles } from '../../ports/recording-files.js';

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkName(name: string): void {
  if (!SAFE_NAME.test(name) || name.includes('..')) {
    throw new ServerError('ERR_STORAGE_IO', `invalid recording file name ${JSON.stringify(name)}`);
  }
}

class FsRecordingFile implements RecordingFile {
  readonly #handle: FileHandle;
  #position: number;
  #closed = false;

  constructor(handle: FileHandle, position = 0) {
    this.#handle = handle;
    this.#position = position;
  }

  async append(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#handle.write(bytes, done, bytes.length - done, this.#position);
      done += bytesWritten;
      this.#position += bytesWritten;
    }
  }

  async writeAt(offset: number, bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#handle.write(bytes, done, bytes.length - done, offset + done);
      done += bytesWritten;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    try {
      await this.#handle.datasync();
    } finally {
      await this.#handle.close();
    }
  }
}

export class FsRecordingFiles implements RecordingFiles {
  readonly #dir: string;
  #made: Promise<unknown> | undefined;

  constructor(directory: string) {
    this.#dir = directory;
  }

  get directory(): string {
    return this.#dir;
  }

  async create(name: string): Promise<RecordingFile> {
    checkName(name);
    this.#made ??= mkdir(this.#dir, { recursive: true });
    await this.#made;
    return new FsRecordingFile(await open(join(this.#dir, name), 'w'));
  }

  async reopen(name: string): Promise<{ file: RecordingFile; sizeBytes: number } | undefined> {
    checkName(name);
    try {
      const handle = await open(join(this.#dir, name), 'r+');
      const info = await handle.stat();
      return { file: new FsRecordingFile(handle, info.size), sizeBytes: info.size };
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') {
        return undefined;
      }
      throw err;
    }
  }

  async read(name: string): Promise<RecordingFileRead | undefined> {
    checkName(name);
    const path = join(this.#dir, name);
    try {
      const info = await stat(path);
      return { sizeBytes: info.size, body: createReadStream(path) };
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') {
        return undefined;
      }
      throw err;
    }
  }

  async remove(name: string): Promise<void> {
    checkName(name);
    await rm(join(this.#dir, name), { force: true });
  }
}
