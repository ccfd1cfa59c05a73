/**
 * Cluster forwarding (issue 12 item 2): REST latency of a command on a call owned by the other node
 * (forwarded over HTTP to its internal route) against the same command on the owner itself, and the
 * Redis commands one call costs (from `INFO commandstats`, heartbeats of the same interval taken out).
 * Two in-process nodes share one memory store and a real redis-server; the call is a REST dial from
 * node B to sipp's UAS. `npm run bench cluster`.
 */
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';

import { MemoryCallStore } from '../../src/adapters/memory-store/memory-call-store.js';
import { configForTesting } from '../../src/config/load.js';
import { startServer, type StreamforkServer } from '../../src/server.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startAppServer } from '../integration/call-control-harness.js';
import { freeTcpPort, waitUntil } from '../interop/helpers/serve.js';
import {
  freeUdpPort,
  HOST,
  killChildren,
  runTool,
  sippArgs,
  waitForUdpListener,
} from '../interop/helpers/sipp.js';

const AUTH_ID = 'MACLUSTERBENCH000000';
const TOKEN = 'cluster-bench';
const auth = `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`;
const ROUNDS = 300;

function post(port: number, path: string, body: object): Promise<Response> {
  return fetch(`http://${HOST}:${port}/v1/Account/${AUTH_ID}/${path}`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Redis commands by name since start (INFO commandstats). */
function commandStats(redis: TestRedis): Map<string, number> {
  const out = spawnSync('redis-cli', ['-p', String(redis.port), 'INFO', 'commandstats'], {
    encoding: 'utf8',
  }).stdout;
  const stats = new Map<string, number>();
  for (const m of out.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
    stats.set(m[1] ?? '', Number(m[2]));
  }
  return stats;
}

function total(stats: Map<string, number>, skip: readonly string[] = ['info']): number {
  let n = 0;
  for (const [k, v] of stats) {
    if (!skip.includes(k)) {
      n += v;
    }
  }
  return n;
}

async function node(id: string, redis: TestRedis, store: MemoryCallStore): Promise<StreamforkServer> {
  return startServer(
    configForTesting({
      auth: { authId: AUTH_ID, authToken: TOKEN },
      cluster: { redisUrl: redis.url, nodeId: id },
      sip: { host: HOST, port: await freeUdpPort(), transports: ['udp'] },
      http: { host: HOST, port: await freeTcpPort() },
      log: { level: 'error' },
    }),
    { store },
  );
}

async function measure(port: number, uuid: string): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const res = await post(port, `Call/${uuid}/DTMF/`, { digits: '1' });
    await res.arrayBuffer();
    if (res.status !== 202) {
      throw new Error(`DTMF answered ${res.status}`);
    }
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b);
}

export async function run(): Promise<string> {
  const redis = await startRedis();
  const app = await startAppServer();
  app.route('/answer', { body: '<Response><Wait length="120"/></Response>' });
  const store = new MemoryCallStore();
  const a = await node('bench-a', redis, store);
  const b = await node('bench-b', redis, store);
  try {
    const sippPort = await freeUdpPort();
    void runTool(
      'sipp',
      [...sippArgs('', sippPort, await freeUdpPort(true), 120).slice(1), '-sn', 'uas', '-m', '1'],
      130_000,
      '/tmp',
    );
    await waitForUdpListener(sippPort, 10_000);
    const idle0 = commandStats(redis);
    const idleT0 = performance.now();
    const created = await post(b.httpPort, 'Call/', {
      from: '+14155550100',
      to: `sip:bot@${HOST}:${sippPort}`,
      answer_url: app.url('/answer'),
    });
    if (created.status !== 201) {
      throw new Error(`dial answered ${created.status}`);
    }
    let uuid = '';
    await waitUntil(
      'the call live',
      async () => {
        const live = await store.listCalls({ status: 'live', limit: 5, offset: 0 });
        uuid = live.items.find((c) => c.status === 'in-progress')?.callUuid ?? '';
        return uuid !== '';
      },
      15_000,
    );
    // Warm both paths, then alternate so both see the same machine load.
    await measure(a.httpPort, uuid);
    await measure(b.httpPort, uuid);
    const cross = await measure(a.httpPort, uuid);
    const same = await measure(b.httpPort, uuid);
    const res = await fetch(`http://${HOST}:${a.httpPort}/v1/Account/${AUTH_ID}/Call/${uuid}/`, {
      method: 'DELETE',
      headers: { authorization: auth },
    });
    await res.arrayBuffer();
    await waitUntil('the call ended', async () => (await store.getCall(uuid))?.endedAt !== null, 5000);
    await new Promise((r) => setTimeout(r, 200));
    const elapsedS = (performance.now() - idleT0) / 1000;
    const used = commandStats(redis);
    const delta = new Map([...used].map(([k, v]) => [k, v - (idle0.get(k) ?? 0)]));
    const d = (k: string): number => delta.get(k) ?? 0;
    const beats = d('hset'); // one HSET per heartbeat of either node
    // A call: MULTI SET SADD PEXPIRE EXEC at start, MULTI DEL SREM EXEC at end.
    const callData = d('set') - beats + d('sadd') + d('pexpire') + d('del') + d('srem');
    const callRoundTrips = d('exec') - beats;
    const forwarded = ROUNDS * 2 + 1; // DTMF forwarded by A (warm-up + measured) and the hangup
    const row = (name: string, s: number[]): string =>
      `| ${name} | ${pct(s, 50).toFixed(2)} ms | ${pct(s, 99).toFixed(2)} ms | ${ROUNDS} |`;
    return [
      '## Cluster: REST on any node (cluster.bench.ts)',
      '',
      'POST DTMF on a live call owned by node B, two in-process nodes, one memory store, real redis-server.',
      '',
      '| path | p50 | p99 | requests |',
      '| --- | --- | --- | --- |',
      row('same node (B)', same),
      row('cross node (A → B)', cross),
      '',
      `Redis, ${elapsedS.toFixed(1)} s, one call: ${total(delta)} commands in all. The call's registrations: ${callData} data commands in ${callRoundTrips} MULTI round trips. Forwarded commands: ${forwarded}, owner lookups ${d('get')} GET (one more GET for the owner's record when a membership read has not listed it yet). Heartbeats: ${beats} (6 commands each with the membership read).`,
      '',
    ].join('\n');
  } finally {
    killChildren();
    await a.stop();
    await b.stop();
    await app.close();
    await redis.stop();
  }
}
