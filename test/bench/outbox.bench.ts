/**
 * The cost of the callback outbox (issue 10 item 3): the store work per durable callback (insert the
 * row before sending, mark it delivered after) on SQLite (file, WAL, synchronous NORMAL, as `serve`
 * runs it) and in memory; and the CPU one callback costs end to end through `CallbackDelivery` with an
 * endpoint that answers at once, with and without the outbox, in the same run. None of it runs in a
 * media tick: `send` only queues, the write runs on the lane's promise chain afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { MemoryCallStore } from '../../src/adapters/memory-store/memory-call-store.js';
import { openSqliteCallStoreIn } from '../../src/adapters/sqlite-store/sqlite-call-store.js';
import { CallbackDelivery } from '../../src/engine/callbacks/callback-delivery.js';
import type { CallStore } from '../../src/ports/call-store.js';
import type { HttpClient } from '../../src/ports/http-client.js';
import { nullLogger } from '../../src/ports/logger.js';
import { systemClock, systemTimers } from '../../src/adapters/system-clock/system-clock.js';
import { nodeRandom } from '../../src/adapters/node-random/node-random.js';

const PARAMS: [string, string][] = [
  ['CallUUID', '6f1c2a9e-0d1b-4c55-9a77-3f1e2b4c5d6e'],
  ['StreamID', '0b1e2f3a-4c5d-4e6f-8a9b-0c1d2e3f4a5b'],
  ['Event', 'StopStream'],
  ['Reason', 'Call hangup'],
  ['AccountID', 'MAXXXXXXXXXXXXXXXXXX'],
  ['ServiceURL', 'wss://bot.example.com/audio'],
  ['Timestamp', '2026-12-02 14:00:00'],
  ['bidirectional', 'true'],
  ['audioTrack', 'inbound'],
  ['contentType', 'audio/x-mulaw;rate=8000'],
];

let n = 0;

/** CPU µs per callback of the store work: insert, then mark delivered. Median of batches. */
async function storeCost(store: CallStore, batches = 20, batch = 500): Promise<number> {
  const samples: number[] = [];
  for (let b = 0; b < batches + 3; b++) {
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < batch; i++) {
      const id = `cb-${++n}`;
      await store.enqueueCallback({
        id,
        lane: 'stream-x',
        callUuid: PARAMS[0]?.[1] ?? null,
        url: 'https://app.example.com/stream-status',
        method: 'POST',
        params: PARAMS,
        owner: 'bench',
        createdAt: Date.now(),
      });
      await store.markCallbackDelivered(id, 1, Date.now());
    }
    const cpu = process.cpuUsage(cpu0);
    if (b >= 3) {
      samples.push((cpu.user + cpu.system) / batch);
    }
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

const instantHttp: HttpClient = {
  request: () => Promise.resolve({ ok: true, status: 200, contentType: '', body: '' }),
};

/** CPU µs per callback through CallbackDelivery (send → delivered), and µs of the synchronous `send`. */
async function deliveryCost(
  store: CallStore | undefined,
  rounds = 20,
  perRound = 500,
): Promise<{ total: number; send: number }> {
  const delivery = new CallbackDelivery({
    http: instantHttp,
    timers: systemTimers,
    clock: systemClock,
    random: nodeRandom,
    logger: nullLogger,
    authToken: 'token',
    ...(store === undefined ? {} : { outbox: store }),
  });
  const totals: number[] = [];
  const sends: number[] = [];
  for (let r = 0; r < rounds + 3; r++) {
    const cpu0 = process.cpuUsage();
    let sendMs = 0;
    for (let i = 0; i < perRound; i++) {
      const t0 = performance.now();
      delivery.send(`lane-${r}-${i % 50}`, {
        url: 'https://app.example.com/s',
        method: 'POST',
        params: PARAMS,
      });
      sendMs += performance.now() - t0;
    }
    await delivery.idle();
    const cpu = process.cpuUsage(cpu0);
    if (r >= 3) {
      totals.push((cpu.user + cpu.system) / perRound);
      sends.push((sendMs * 1000) / perRound);
    }
  }
  const median = (xs: number[]): number =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  return { total: median(totals), send: median(sends) };
}

export async function run(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-outbox-bench-'));
  const sqlite = openSqliteCallStoreIn(dir);
  const memory = new MemoryCallStore();
  try {
    const sqliteStore = await storeCost(sqlite);
    const memoryStore = await storeCost(memory);
    const none = await deliveryCost(undefined);
    const withMemory = await deliveryCost(memory);
    const withSqlite = await deliveryCost(sqlite);
    const f = (x: number): string => x.toFixed(1);
    return [
      '## Callback outbox (`outbox`)',
      '',
      '| what | per callback |',
      '| --- | --- |',
      `| store work, SQLite (insert + mark delivered, WAL, synchronous NORMAL), CPU | ${f(sqliteStore)} µs |`,
      `| store work, memory, CPU | ${f(memoryStore)} µs |`,
      `| CallbackDelivery, send → delivered (instant endpoint), CPU, no outbox | ${f(none.total)} µs |`,
      `| the same, memory outbox | ${f(withMemory.total)} µs |`,
      `| the same, SQLite outbox | ${f(withSqlite.total)} µs |`,
      `| synchronous \`send\` (what the caller's path pays), no outbox / memory / SQLite | ${f(none.send)} / ${f(withMemory.send)} / ${f(withSqlite.send)} µs |`,
      '',
    ].join('\n');
  } finally {
    await sqlite.close();
    await memory.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
