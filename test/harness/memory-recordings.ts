/**
 * Call recording on the fake-clock harness: recording files kept in memory (one that can fill up) and a
 * real `RecordingService` over the memory recording store, on a harness's engine and clock.
 */
import { MemoryRecordingStore } from '../../src/adapters/memory-store/memory-recording-store.js';
import { RecordingService } from '../../src/app/recording/recording-service.js';
import { nullLogger } from '../../src/ports/logger.js';
import type { RecordingFile, RecordingFileRead, RecordingFiles } from '../../src/ports/recording-files.js';
import type { CallHarness } from './harness.js';

/** Recording files in memory; after `failAfterBytes` bytes every write rejects with ENOSPC. */
export class MemoryFiles implements RecordingFiles {
  readonly files = new Map<string, Uint8Array>();
  constructor(readonly failAfterBytes = Infinity) {}

  create(name: string): Promise<RecordingFile> {
    this.files.set(name, new Uint8Array(0));
    const files = this.files;
    const limit = this.failAfterBytes;
    return Promise.resolve({
      append(bytes: Uint8Array): Promise<void> {
        const old = files.get(name) ?? new Uint8Array(0);
        if (old.length + bytes.length > limit) {
          return Promise.reject(
            Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
          );
        }
        const next = new Uint8Array(old.length + bytes.length);
        next.set(old);
        next.set(bytes, old.length);
        files.set(name, next);
        return Promise.resolve();
      },
      writeAt(offset: number, bytes: Uint8Array): Promise<void> {
        files.get(name)?.set(bytes, offset);
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    });
  }

  reopen(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  read(): Promise<RecordingFileRead | undefined> {
    return Promise.resolve(undefined);
  }

  remove(name: string): Promise<void> {
    this.files.delete(name);
    return Promise.resolve();
  }
}

export function serviceOn(
  h: CallHarness,
  files: RecordingFiles,
): { service: RecordingService; store: MemoryRecordingStore } {
  const store = new MemoryRecordingStore();
  const service = new RecordingService({
    engine: h.engine,
    calls: { getCall: () => Promise.resolve(undefined) },
    store,
    files,
    clock: h.clock,
    random: h.random,
    logger: nullLogger,
    accountId: 'MATEST',
    baseUrl: () => 'http://api.test',
  });
  return { service, store };
}
