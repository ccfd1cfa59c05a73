/**
 * A real Redis for tests (Debian `redis-server`), through the launcher `streamfork cluster up` uses
 * (src/adapters/launch/redis.ts): a free loopback port in a temp dir, no persistence, ready once PING
 * answers, stopped by PID. A missing binary fails the test, naming the package
 * (scripts/ensure-system-deps.sh installs it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { stopProcess, type ProcessRecord } from '../../src/adapters/launch/child-process.js';
import { freePort } from '../../src/adapters/launch/free-ports.js';
import { startRedis as launchRedis } from '../../src/adapters/launch/redis.js';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its dir. */
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL), to test an outage; `restart` brings it back on the same port. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-redis-'));
  const port = await freePort('127.0.0.1');
  let record: ProcessRecord = (await launchRedis({ dir, port })).record;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return record.pid;
    },
    async kill() {
      await stopProcess({ ...record, stopSignal: 'SIGKILL' });
    },
    async restart() {
      record = (await launchRedis({ dir, port })).record;
    },
    async stop() {
      await stopProcess({ ...record, stopGraceMs: 3000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
