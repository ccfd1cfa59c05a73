/**
 * The composition root's part for call recording (issue 14 item 3): the recording store matching
 * `storage.driver` (memory, the SQLite `recordings.sqlite` beside the call database, or the
 * `recordings` table of the PostgreSQL database), the files under `recording.directory`, and the
 * `RecordingService` on the engine. Kept out of server.ts, which is at its size budget.
 */
import { join } from 'node:path';

import { FsRecordingFiles } from './adapters/recording-files/fs-recording-files.js';
import { MemoryRecordingStore } from './adapters/memory-store/memory-recording-store.js';
import { PostgresRecordingStore } from './adapters/postgres-store/postgres-recording-store.js';
import { openSqliteRecordingStoreIn } from './adapters/sqlite-store/sqlite-recording-store.js';
import { RecordingService } from './app/recording/recording-service.js';
import type { Runtime } from './compose.js';
import type { Config } from './config/schema.js';
import type { CallStore } from './ports/call-store.js';
import type { RecordingApiDeps } from './ports/recording-commands.js';
import type { RecordingStore } from './ports/recording-store.js';

export interface RecordingParts {
  readonly service: RecordingService;
  readonly api: RecordingApiDeps;
  /**
   * Records where clients reach the API (its listening address, unless `recording.publicUrl` is set)
   * and returns its port.
   */
  apiListening(address: string): number;
  /** Closes the recording store (after the calls and their recordings have stopped). */
  close(): Promise<void>;
}

async function openRecordingStore(config: Config): Promise<RecordingStore> {
  const { driver, url, dataDir } = config.storage;
  if (driver === 'sqlite') {
    return openSqliteRecordingStoreIn(dataDir);
  }
  if (driver === 'postgres' && url !== null) {
    return PostgresRecordingStore.open({ url });
  }
  return new MemoryRecordingStore();
}

/** The recordings directory: `recording.directory`, else `recordings` under `storage.dataDir`. */
export function recordingDirectoryOf(config: Config): string {
  const dir = config.recording.directory;
  return dir === '' ? join(config.storage.dataDir, 'recordings') : dir;
}

export async function composeRecording(
  config: Config,
  runtime: Runtime,
  calls: CallStore,
): Promise<RecordingParts> {
  const store = await openRecordingStore(config);
  const { engine, ports, logger } = runtime;
  // One node owns every open recording unless the node is part of a cluster: then another node's
  // recordings may be live, and are left to it.
  const files = new FsRecordingFiles(recordingDirectoryOf(config));
  const fixed = config.recording.publicUrl.replace(/\/+$/, '');
  let base = fixed === '' ? `http://${config.http.host}:${config.http.port}` : fixed;
  const service = new RecordingService({
    engine,
    calls,
    store,
    files,
    clock: ports.clock,
    random: ports.random,
    logger: logger.child({ component: 'recording' }),
    accountId: config.auth.authId,
    baseUrl: () => base,
    maxBufferedBytes: config.recording.maxBufferedKb * 1024,
  });
  if (config.cluster.redisUrl === null) {
    const failed = await service.recover();
    if (failed > 0) {
      logger.warn(
        { recordings: failed },
        'recordings left open by a stopped server marked failed (their files kept)',
      );
    }
  }
  return {
    service,
    api: { commands: service, store, files },
    apiListening: (address) => {
      if (fixed === '') {
        base = address.replace(/\/+$/, '');
      }
      return Number(new URL(address).port);
    },
    close: () => store.close(),
  };
}
