// test-runner: exclusive
/**
 * Issue 12 items 4-6, end to end on the real components: `streamfork cluster up --nodes 2` (PostgreSQL,
 * Redis, Kamailio and two nodes, as a user starts them) with sipp calling Kamailio.
 * (a) Calls reach both nodes through Kamailio and end normally.
 * (b) REST on node A acts on a live call node B owns (list, stream start/stop, DTMF, hangup); an
 *     unknown call is 404.
 * (c) kill -9 of node B while each node holds a streamed call whose status callbacks B could not
 *     deliver yet: Kamailio stops routing to B within 5 s, A closes B's call in the records (cause
 *     `Node Lost`) within 10 s and delivers B's pending callbacks exactly once, and A's stream loses
 *     no frame.
 * (d) With B back, SIGTERM of A: OPTIONS 503, new calls go to B, A's live call ends normally, A exits.
 * The measured figures are printed (`figure:` lines).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { isRunning, stopProcess, type ProcessRecord } from '../../src/adapters/launch/child-process.js';
import type { ClusterState, ClusterSummary } from '../../src/adapters/launch/cluster-state.js';
import { sipOptionsStatus } from '../../src/adapters/launch/sip-options.js';
import { startStreamforkNode } from '../../src/adapters/launch/streamfork-node.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import {
  clusterCli,
  clusterUpCli,
  placeCall,
  rest,
  startClusterApp,
  type ClusterApp,
  type PlacedCall,
} from './helpers/cluster.js';
import { waitUntil } from './helpers/serve.js';
import { killChildren, sippTotals } from './helpers/sipp.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  killChildren();
  for (const c of cleanups.reverse()) {
    await c();
  }
});

let dir = '';
let scratch = '';
let summary: ClusterSummary;
let state: ClusterState;
let app: ClusterApp;
let consumer: ReferenceConsumer;
/** Wall-clock arrival of each media message, by call UUID. */
const mediaArrivals = new Map<string, { atMs: number; chunk: number; track: string }[]>();

const A = 'node-1';
const B = 'node-2';

function figure(name: string, value: string): void {
  process.stdout.write(`figure: ${name} ${value}\n`);
}

function nodeInfo(id: string): ClusterState['nodes'][number] {
  return state.nodes.find((n) => n.id === id)!;
}

function processOf(name: string): ProcessRecord {
  return state.processes.find((p) => p.name === name)!;
}

function apiOf(id: string): string {
  return nodeInfo(id).api;
}

/** Places calls `prefix-1`, `prefix-2`, … until one lands on each node in `wanted`; hangs up the extras. */
async function callsOn(
  prefix: string,
  wanted: readonly string[],
  holdMs: number,
): Promise<Map<string, PlacedCall>> {
  const found = new Map<string, PlacedCall>();
  for (let i = 1; found.size < wanted.length; i++) {
    assert.ok(i <= 2 * wanted.length + 2, `calls ${prefix}-* did not reach ${wanted.join(', ')}`);
    const call = await placeCall(state, scratch, `${prefix}-${i}`, holdMs);
    cleanups.push(() => {
      call.close();
    });
    const node = await call.node();
    if (wanted.includes(node) && !found.has(node)) {
      found.set(node, call);
    } else {
      await rest(summary, apiOf(node), 'DELETE', `Call/${await app.callUuid(call.tag, 5000)}/`);
    }
  }
  return found;
}

/** Polls the Kamailio log for a dispatcher event line about `node`; resolves to when it appeared. */
async function kamailioSays(event: 'down' | 'up', node: string, timeoutMs: number): Promise<number> {
  const line = `streamfork node ${event}: sip:${nodeInfo(node).sip}`;
  const file = join(dir, 'kamailio.log');
  const seenBefore = readFileSync(file, 'utf8').split(line).length - 1;
  await waitUntil(
    `Kamailio: ${line}`,
    () => readFileSync(file, 'utf8').split(line).length - 1 > seenBefore,
    timeoutMs,
  );
  return Date.now();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'streamfork-cluster-'));
  // PostgreSQL runs as user postgres, which must be able to enter the directory.
  chmodSync(dir, 0o755);
  scratch = mkdtempSync(join(tmpdir(), 'streamfork-cluster-sipp-'));
  cleanups.push(() => {
    rmSync(scratch, { recursive: true, force: true });
  });
  consumer = await startReferenceConsumer({
    path: '/stream',
    onConnection: (session) => {
      // A predicate that never matches sees every message as it arrives: it stamps the media ones.
      const stamp = (m: { event: string; media?: unknown }): boolean => {
        const callId = session.start?.start.callId;
        const media = m.media as { chunk: number; track: string } | undefined;
        if (m.event === 'media' && media !== undefined && callId !== undefined) {
          const list = mediaArrivals.get(callId) ?? [];
          list.push({ atMs: Date.now(), chunk: media.chunk, track: media.track });
          mediaArrivals.set(callId, list);
        }
        return false;
      };
      session.waitFor(stamp, 300_000).catch(() => undefined);
    },
  });
  cleanups.push(() => consumer.close());
  app = await startClusterApp(consumer.url);
  cleanups.push(() => app.close());
  const config = join(scratch, 'node-config.json');
  // Callbacks retried often and long, so ones refused before the kill are still pending after it.
  const nodeConfig = {
    tuning: { callbackAttempts: 50, callbackMaxBackoffMs: 500 },
    log: { level: 'info' },
    answer: { hangupUrl: app.hangupUrl },
  };
  writeFileSync(config, JSON.stringify(nodeConfig));
  const started = Date.now();
  ({ summary, state } = await clusterUpCli(
    ['--nodes', '2', '--dir', dir, '--answer-url', app.answerUrl, '--config', config],
    60_000,
  ));
  figure('cluster-up-ms', String(Date.now() - started));
  cleanups.push(async () => {
    const down = await clusterCli(['down', '--dir', dir], 60_000);
    assert.equal(down.code, 0, down.stderr);
    for (const p of state.processes) {
      assert.equal(isRunning(p), false, `${p.name} stopped by cluster down`);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

test('cluster up prints the cluster; a second up on the same directory refuses', async () => {
  assert.match(summary.sip, /^127\.0\.0\.1:\d+$/);
  assert.deepEqual(
    summary.nodes.map((n) => n.id),
    [A, B],
  );
  assert.match(summary.authId, /^MA[A-Z0-9]{18}$/);
  assert.equal(state.state, 'running');
  for (const name of ['postgres', 'redis', 'kamailio', A, B]) {
    assert.ok(isRunning(processOf(name)), `${name} runs`);
  }
  const again = await clusterCli(['up', '--nodes', '1', '--dir', dir], 30_000);
  assert.equal(again.code, 1);
  assert.equal(again.stdout, '');
  assert.match(again.stderr, /holds a running cluster .*cluster down --dir/);
});

test('(a) calls through Kamailio reach both nodes and end normally', async () => {
  const calls = await callsOn('a', [A, B], 2000);
  for (const [node, call] of calls) {
    const run = await call.done;
    assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 }, `${call.tag} on ${node}`);
    const uuid = await app.callUuid(call.tag, 1000);
    // Read through the other node: one shared store.
    const other = node === A ? B : A;
    await waitUntil(
      `the record of ${call.tag} completed`,
      async () =>
        (await rest(summary, apiOf(other), 'GET', `Call/${uuid}/`)).json?.['hangup_cause_name'] ===
        'NORMAL_CLEARING',
      10_000,
    );
  }
});

test('(b) REST on node A acts on a live call of node B; an unknown call is 404', async () => {
  const call = (await callsOn('b', [B], 30_000)).get(B)!;
  const uuid = await app.callUuid(call.tag, 5000);
  const api = apiOf(A);
  await waitUntil(
    'the call listed live on A',
    async () =>
      ((await rest(summary, api, 'GET', 'Call/?status=live')).json?.['calls'] as string[]).includes(uuid),
    10_000,
  );
  assert.equal((await rest(summary, api, 'GET', `Call/${uuid}/?status=live`)).status, 200);

  const sessionsBefore = consumer.sessions.length;
  const started = await rest(summary, api, 'POST', `Call/${uuid}/Stream/`, {
    service_url: `${consumer.url}?via=rest`,
  });
  assert.equal(started.status, 202, JSON.stringify(started.json));
  const streamId = String(started.json?.['stream_id']);
  await waitUntil(
    'the REST stream connected',
    () => consumer.sessions.slice(sessionsBefore).some((s) => s.start?.start.streamId === streamId),
    10_000,
  );
  const session = consumer.sessions.find((s) => s.start?.start.streamId === streamId)!;
  assert.equal((await rest(summary, api, 'DELETE', `Call/${uuid}/Stream/${streamId}/`)).status, 204);
  await Promise.race([
    session.closed,
    new Promise((_, reject) =>
      setTimeout(() => {
        reject(new Error('stream not closed'));
      }, 10_000),
    ),
  ]);

  const dtmf = await rest(summary, api, 'POST', `Call/${uuid}/DTMF/`, { digits: '12' });
  assert.equal(dtmf.status, 202, JSON.stringify(dtmf.json));

  const unknown = '00000000-0000-4000-8000-000000000000';
  assert.equal((await rest(summary, api, 'GET', `Call/${unknown}/?status=live`)).status, 404);
  assert.equal((await rest(summary, api, 'DELETE', `Call/${unknown}/`)).status, 404);

  assert.equal((await rest(summary, api, 'DELETE', `Call/${uuid}/`)).status, 204);
  const run = await call.done;
  assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 }, 'sipp answered the BYE from B');
  await waitUntil(
    'the call no longer live',
    async () => (await rest(summary, api, 'GET', `Call/${uuid}/?status=live`)).status === 404,
    10_000,
  );
});

test('(c) kill -9 of node B: routing stops, A closes its call and delivers its pending callbacks once, A loses no frame', async () => {
  app.refused.add('loss*');
  const calls = await callsOn('loss', [A, B], 60_000);
  const onA = calls.get(A)!;
  const onB = calls.get(B)!;
  const uuidA = await app.callUuid(onA.tag, 5000);
  const uuidB = await app.callUuid(onB.tag, 5000);
  // A's callbacks go through from now on; B's keep failing, so they wait in B's outbox.
  app.refused.add(onB.tag);
  app.refused.delete('loss*');
  await waitUntil(
    'a refused callback of B',
    () => app.callbacks.some((c) => c.tag === onB.tag && c.answered === 500),
    10_000,
  );
  await waitUntil('media on A', () => (mediaArrivals.get(uuidA)?.length ?? 0) > 50, 10_000);

  const killedAt = Date.now();
  process.kill(processOf(B).pid, 'SIGKILL');
  app.refused.delete(onB.tag);
  const pendingIds = new Set(
    app.callbacks.filter((c) => c.tag === onB.tag && c.answered === 500).map((c) => c.id),
  );

  const downAt = await kamailioSays('down', B, 10_000);
  figure('stop-routing-ms', String(downAt - killedAt));
  assert.ok(downAt - killedAt <= 5000, `Kamailio took ${downAt - killedAt} ms to stop routing to B`);
  for (const tag of ['after-loss-1', 'after-loss-2']) {
    const call = await placeCall(state, scratch, tag, 1500);
    cleanups.push(() => {
      call.close();
    });
    assert.equal(await call.node(), A, `${tag}, placed after the loss, goes to A`);
  }

  await waitUntil(
    "B's call closed in the records",
    async () =>
      (await rest(summary, apiOf(A), 'GET', `Call/${uuidB}/`)).json?.['hangup_cause_name'] === 'Node Lost',
    12_000,
  );
  const closedMs = Date.now() - killedAt;
  figure('close-dead-calls-ms', String(closedMs));
  assert.ok(closedMs <= 10_000, `B's call was closed ${closedMs} ms after the kill`);

  const delivered = (id: string): number =>
    app.callbacks.filter((c) => c.id === id && c.answered === 200).length;
  await waitUntil(
    "B's pending callbacks delivered",
    () => [...pendingIds].every((id) => delivered(id) >= 1),
    10_000,
  );
  // A redelivery would follow within the retry backoff (500 ms); wait a few of them.
  await new Promise((r) => setTimeout(r, 2000));
  for (const id of pendingIds) {
    assert.equal(delivered(id), 1, `callback ${id} delivered exactly once`);
  }
  figure('pending-callbacks-of-b', String(pendingIds.size));
  // B never ended its call, so the survivor tells hangup_url, once, from the call's record.
  const hangups = app.callbacks.filter((c) => c.tag === onB.tag && c.event === 'Hangup');
  assert.deepEqual(
    hangups.map((c) => [c.cause, c.answered]),
    [['Node Lost', 200]],
    "B's call: one hangup callback, Node Lost",
  );

  // A's stream: every chunk of its inbound track, none missing, and 50 a second through the takeover.
  const inbound = (mediaArrivals.get(uuidA) ?? []).filter((m) => m.track === 'inbound');
  inbound.forEach((m, i) => {
    assert.equal(m.chunk, inbound[0]!.chunk + i, `chunk ${i} of A's stream follows without a gap`);
  });
  const windowMs = 5000;
  await waitUntil('5 s of A after the kill', () => Date.now() >= killedAt + windowMs, windowMs + 1000);
  const during = inbound.filter((m) => m.atMs >= killedAt && m.atMs < killedAt + windowMs).length;
  figure('a-frames-in-5s-after-kill', String(during));
  assert.ok(
    during >= 0.9 * (windowMs / 20),
    `A's stream carried ${during} frames in the ${windowMs} ms after the kill`,
  );
  assert.equal(consumer.violations.length, 0, JSON.stringify(consumer.violations.slice(0, 3)));
  assert.equal((await rest(summary, apiOf(A), 'DELETE', `Call/${uuidA}/`)).status, 204);
});

test('(d) SIGTERM of node A with B back: OPTIONS 503, new calls go to B, the live call ends normally, A exits', async () => {
  const b = nodeInfo(B);
  const restarted = await startStreamforkNode({
    dir,
    name: B,
    config: JSON.parse(readFileSync(b.configFile, 'utf8')) as Record<string, unknown>,
    apiUrl: b.api,
    authId: summary.authId,
    authToken: summary.authToken,
  });
  cleanups.push(() => stopProcess(restarted.record));
  await kamailioSays('up', B, 15_000);

  const live = (await callsOn('drain', [A], 6000)).get(A)!;
  const uuid = await app.callUuid(live.tag, 5000);
  const termAt = Date.now();
  process.kill(processOf(A).pid, 'SIGTERM');
  const [host, port] = nodeInfo(A).sip.split(':') as [string, string];
  await waitUntil(
    'OPTIONS 503 from A',
    async () => (await sipOptionsStatus(host, Number(port), 500)) === 503,
    5000,
  );
  figure('options-503-after-sigterm-ms', String(Date.now() - termAt));
  const next = await placeCall(state, scratch, 'drain-new', 1500);
  cleanups.push(() => {
    next.close();
  });
  assert.equal(await next.node(), B, 'a new call during the drain goes to B');

  const run = await live.done;
  assert.deepEqual(
    sippTotals(run.output),
    { successful: 1, failed: 0 },
    'the live call on A ended by its BYE',
  );
  await waitUntil('A exited', () => !isRunning(processOf(A)), 30_000);
  figure('drain-exit-ms', String(Date.now() - termAt));
  const record = await rest(summary, b.api, 'GET', `Call/${uuid}/`);
  assert.equal(record.json?.['hangup_cause_name'], 'NORMAL_CLEARING');
  assert.equal((await next.done).code, 0);
});
