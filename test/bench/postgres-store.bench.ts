/**
 * The PostgreSQL record store on loopback (issue 12 item 1): wall time of one `insertCall` and one
 * `updateCall` round trip (each one statement) against a throwaway server (test/helpers/postgres.ts,
 * fsync off as in the tests: the figure is the round trip and the statement, not the disk), with
 * SQLite (file, WAL) beside it for scale. Short: a few hundred calls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { PostgresCallStore } from '../../src/adapters/postgres-store/postgres-call-store.js';
import { openSqliteCallStoreIn } from '../../src/adapters/sqlite-store/sqlite-call-store.js';
import type { CallStore } from '../../src/ports/call-store.js';
import { fixtureUuid, liveCall } from '../contracts/call-store.contract.js';
import { startPostgres } from '../helpers/postgres.js';

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Median µs of one insertCall and one updateCall (a status patch), sequential, after a warm-up. */
async function roundTrips(
  store: CallStore,
  calls = 400,
  warmup = 50,
): Promise<{ insert: number; update: number }> {
  const inserts: number[] = [];
  const updates: number[] = [];
  for (let i = 0; i < calls + warmup; i++) {
    const call = liveCall(i, { callUuid: fixtureUuid(9, i) });
    const t0 = performance.now();
    await store.insertCall(call);
    const t1 = performance.now();
    await store.updateCall(call.callUuid, {
      status: 'completed',
      endedAt: call.startedAt + 1000,
      durationSec: 1,
    });
    const t2 = performance.now();
    if (i >= warmup) {
      inserts.push((t1 - t0) * 1000);
      updates.push((t2 - t1) * 1000);
    }
  }
  return { insert: median(inserts), update: median(updates) };
}

export async function run(): Promise<string> {
  const server = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-pg-bench-'));
  const pg = await PostgresCallStore.open({ url: server.url });
  const sqlite = openSqliteCallStoreIn(dir);
  try {
    const p = await roundTrips(pg);
    const s = await roundTrips(sqlite);
    const f = (x: number): string => x.toFixed(0);
    return [
      '## PostgreSQL record store (`postgres-store`)',
      '',
      '| what | PostgreSQL (loopback) | SQLite (file, WAL) |',
      '| --- | --- | --- |',
      `| insertCall, median wall time | ${f(p.insert)} µs | ${f(s.insert)} µs |`,
      `| updateCall (status patch, \`UPDATE … RETURNING *\`), median wall time | ${f(p.update)} µs | ${f(s.update)} µs |`,
      '',
    ].join('\n');
  } finally {
    await pg.close();
    await sqlite.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
