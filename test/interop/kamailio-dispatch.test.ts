/**
 * Issue 12 (Kamailio in front): two `streamfork serve` nodes behind the shipped Kamailio config
 * (deploy/kamailio/kamailio.cfg), sipp calling Kamailio.
 * - New calls spread over both nodes (round-robin); each call's ACK and BYE pass through Kamailio
 *   (Record-Route, loose routing) to the node that answered, and its record there ends completed with
 *   NORMAL_CLEARING.
 * - RTP goes straight from the node to the caller: the RTP the test's socket receives comes from the
 *   node's own RTP port range (each node has its own), never from Kamailio.
 * - SIGTERM one node while it holds a call (it drains: OPTIONS 503): Kamailio takes it out of rotation
 *   within 5 s (the figure is printed), new calls all land on the survivor, the held call still ends
 *   normally through Kamailio, and the drained node exits 0 by itself.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import Database from 'better-sqlite3';

import { startKamailio, type RunningKamailio } from '../helpers/kamailio.js';
import { headerOf, RawSipPeer, statusOf } from '../helpers/raw-sip-peer.js';
import { startHttpRecorder } from '../helpers/http-recorder.js';
import { apiGet, freeTcpPort, serveArgs, startServe, waitUntil, type Serve } from './helpers/serve.js';
import {
  fillScenario,
  freeUdpPort,
  HOST,
  cleanupAfterTests,
  runTool,
  sippArgs,
  sippTotals,
  type ToolRun,
} from './helpers/sipp.js';

const cleanups = cleanupAfterTests();

/** RTP ports per node: node i uses [base + i * SPAN, base + i * SPAN + SPAN - 1]. */
const SPAN = 40;

interface Node {
  readonly name: string;
  readonly sipPort: number;
  readonly httpPort: number;
  readonly dataDir: string;
  readonly rtpMin: number;
  readonly rtpMax: number;
  readonly serve: Serve;
}

async function startNode(
  name: string,
  root: string,
  answerUrl: string,
  rtpMin: number,
  env: Readonly<Record<string, string>>,
): Promise<Node> {
  const dataDir = join(root, name);
  mkdirSync(dataDir);
  const sipPort = await freeUdpPort();
  const httpPort = await freeTcpPort();
  const rtpMax = rtpMin + SPAN - 1;
  const serve = await startServe(serveArgs({ dataDir, sipPort, httpPort, answerUrl }), {
    STREAMFORK_SIP_TRANSPORTS: 'udp',
    STREAMFORK_RTP_PORT_MIN: String(rtpMin),
    STREAMFORK_RTP_PORT_MAX: String(rtpMax),
    ...env,
  });
  cleanups.push(async () => {
    if (serve.child.exitCode === null) {
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
  });
  return { name, sipPort, httpPort, dataDir, rtpMin, rtpMax, serve };
}

/** The caller's RTP socket: which source ports sent it RTP, and how many packets each. */
async function rtpSink(): Promise<{ port: number; bySource: Map<string, number>; close(): void }> {
  const bySource = new Map<string, number>();
  const socket = dgram.createSocket('udp4');
  socket.on('message', (_msg, from) => {
    const key = `${from.address}:${from.port}`;
    bySource.set(key, (bySource.get(key) ?? 0) + 1);
  });
  await new Promise<void>((r) => socket.bind(0, HOST, r));
  return { port: socket.address().port, bySource, close: () => socket.close() };
}

/** Two nodes (their own data dirs, SIP ports and RTP ranges) behind Kamailio, and the caller's RTP socket. */
async function startCluster(
  envOf: (name: string) => Readonly<Record<string, string>> = () => ({}),
  defines: Readonly<Record<string, string | number>> = {},
) {
  const root = mkdtempSync(join(tmpdir(), 'streamfork-kamailio-'));
  cleanups.push(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const answer = await startHttpRecorder();
  cleanups.push(() => answer.close());
  answer.serve('/answer', '<Response><Wait length="60"/></Response>');
  const answerUrl = answer.url('/answer');

  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 10000);
  const nodes = await Promise.all([
    startNode('a', root, answerUrl, rtpBase, envOf('a')),
    startNode('b', root, answerUrl, rtpBase + SPAN, envOf('b')),
  ]);
  const kamDir = join(root, 'kamailio');
  mkdirSync(kamDir);
  const kamailio: RunningKamailio = await startKamailio({
    nodes: nodes.map((n) => ({ address: HOST, port: n.sipPort })),
    dir: kamDir,
    defines,
  });
  cleanups.push(() => kamailio.stop());

  const sink = await rtpSink();
  cleanups.push(() => {
    sink.close();
  });
  const nodeOfRtp = (source: string): Node | undefined => {
    const port = Number(source.split(':')[1]);
    return nodes.find((n) => source.startsWith(`${HOST}:`) && port >= n.rtpMin && port <= n.rtpMax);
  };

  /** sipp places `calls` calls to `target` (default Kamailio), each held `holdMs`, 5 a second. */
  const place = async (
    calls: number,
    holdMs: number,
    caseName: string,
    target = `${kamailio.address}:${kamailio.port}`,
  ): Promise<ToolRun> => {
    const scenario = fillScenario('uac-via-proxy.xml', kamDir, {
      RTP_PORT: String(sink.port),
      HOLD_MS: String(holdMs),
    });
    const run = await runTool(
      'sipp',
      [
        ...sippArgs(target, await freeUdpPort(), await freeUdpPort(true), 40),
        '-sf',
        scenario,
        '-m',
        String(calls),
        '-r',
        '5',
        '-l',
        String(calls),
      ],
      45_000,
      root,
    );
    assert.equal(
      run.code,
      0,
      `sipp (${caseName}) exit ${run.code}:\n${run.output.slice(-3000)}\n${kamailio.log().slice(-3000)}`,
    );
    assert.deepEqual(sippTotals(run.output), { successful: calls, failed: 0 }, caseName);
    return run;
  };
  return { nodes, kamailio, sink, nodeOfRtp, place };
}

const live = async (n: Node): Promise<number> =>
  ((await apiGet(n.httpPort, 'Call/?status=live')) as { calls: string[] }).calls.length;

/** How many INVITEs Kamailio's log says it sent to `n` (route[DISPATCH] logs one line per INVITE). */
const dispatchedTo = (n: Node, log: string): number =>
  log.split('\n').filter((l) => l.includes('INVITE ') && l.includes(` to node sip:${HOST}:${n.sipPort}`))
    .length;

test(
  'Kamailio in front of two nodes: calls spread, dialogs stay on their node, RTP is direct; a drained node leaves the rotation within 5 s',
  { timeout: 90_000 },
  async (t) => {
    const { nodes, kamailio, sink, nodeOfRtp, place } = await startCluster();
    const [a, b] = nodes;
    const proxyHealth = await RawSipPeer.open(kamailio.port);
    cleanups.push(() => {
      proxyHealth.close();
    });
    assert.equal(statusOf(await proxyHealth.options()), 200, "the proxy's own OPTIONS: nodes are up");

    // 1. Two held calls, one per node (round-robin), to drain one node under later.
    const held = place(2, 10_000, 'held');
    await waitUntil(
      'a held call on each node',
      async () => (await live(a)) === 1 && (await live(b)) === 1,
      8000,
    );

    // 2. Four short calls: two per node, BYE through Kamailio, RTP straight from the node.
    await place(4, 500, 'spread');
    assert.equal(dispatchedTo(a, kamailio.log()), 3, kamailio.log());
    assert.equal(dispatchedTo(b, kamailio.log()), 3, kamailio.log());
    const sources = [...sink.bySource.keys()];
    assert.equal(sources.length, 6, `six calls, six RTP sources: ${JSON.stringify([...sink.bySource])}`);
    for (const source of sources) {
      assert.ok(
        nodeOfRtp(source) !== undefined,
        `RTP from ${source} comes from a node's own range, not Kamailio`,
      );
      assert.ok((sink.bySource.get(source) ?? 0) >= 10, `RTP flowed from ${source}`);
    }
    assert.equal(sources.filter((s) => nodeOfRtp(s) === a).length, 3);
    assert.equal(sources.filter((s) => nodeOfRtp(s) === b).length, 3);

    // 3. SIGTERM node a (it drains: its held call goes on, OPTIONS gets 503) and time how long until
    //    Kamailio's probes take it out of the rotation.
    const logBefore = kamailio.log().length;
    const signalledAt = Date.now();
    a.serve.child.kill('SIGTERM');
    const down = `streamfork node down: sip:${HOST}:${a.sipPort}`;
    await waitUntil('Kamailio marking node a down', () => kamailio.log().includes(down), 8000);
    const outOfRotationMs = Date.now() - signalledAt;
    t.diagnostic(`drained node out of Kamailio's rotation ${outOfRotationMs} ms after SIGTERM`);
    assert.ok(outOfRotationMs <= 5000, `out of rotation after ${outOfRotationMs} ms`);

    // 4. New calls all land on the survivor.
    const rtpSourcesBefore = new Set(sink.bySource.keys());
    await place(4, 500, 'after drain');
    const after = kamailio.log().slice(logBefore);
    assert.equal(dispatchedTo(a, after), 0, `no new call went to the drained node:\n${after}`);
    assert.equal(dispatchedTo(b, after), 4, after);
    const newSources = [...sink.bySource.keys()].filter((s) => !rtpSourcesBefore.has(s));
    assert.equal(newSources.length, 4);
    assert.ok(
      newSources.every((s) => nodeOfRtp(s) === b),
      JSON.stringify(newSources),
    );

    // 5. The held calls end when sipp hangs up; the drained node then exits 0 on its own.
    await held;
    assert.equal(await a.serve.exited, 0, a.serve.stderr());
    const db = new Database(join(a.dataDir, 'streamfork.sqlite'), { readonly: true });
    try {
      const rows = db
        .prepare('SELECT status, hangup_cause AS cause, COUNT(*) AS n FROM calls GROUP BY 1, 2')
        .all();
      assert.deepEqual(rows, [{ status: 'completed', cause: 'NORMAL_CLEARING', n: 3 }], 'node a');
    } finally {
      db.close();
    }
    const finished = async (): Promise<Record<string, unknown>[]> =>
      ((await apiGet(b.httpPort, 'Call/?limit=20')) as { objects: Record<string, unknown>[] }).objects;
    await waitUntil('seven finished records on node b', async () => (await finished()).length === 7, 5000);
    for (const record of await finished()) {
      assert.equal(record['call_status'], 'completed');
      assert.equal(record['hangup_cause_name'], 'NORMAL_CLEARING');
    }

    // 6. A node that dies (kill -9) answers no probe: it is out once two probes have timed out.
    const killedAt = Date.now();
    b.serve.child.kill('SIGKILL');
    const dead = `streamfork node down: sip:${HOST}:${b.sipPort}`;
    await waitUntil('Kamailio marking node b down', () => kamailio.log().includes(dead), 8000);
    const deadOutMs = Date.now() - killedAt;
    t.diagnostic(`killed node out of Kamailio's rotation ${deadOutMs} ms after kill -9`);
    assert.ok(deadOutMs <= 5000, `out of rotation after ${deadOutMs} ms`);

    // With no node up, the proxy's own health check says so.
    const health = await proxyHealth.options();
    assert.match(health, /^SIP\/2\.0 503 No Node Available\r\n/);
    assert.equal(headerOf(health, 'Retry-After'), '5');
  },
);

test(
  'Kamailio fails a call over to the other node when the chosen one refuses it with 503 (full at limits.maxCalls)',
  { timeout: 60_000 },
  async () => {
    // Probes every 60 s: only the failure route can move the call.
    const { nodes, kamailio, place } = await startCluster(
      (name) => (name === 'a' ? { STREAMFORK_LIMITS_MAX_CALLS: '1' } : {}),
      { PROBE_INTERVAL_SEC: 60 },
    );
    const [a, b] = nodes;
    // Node a's one call slot, taken by a call straight to it (not through Kamailio).
    const held = place(1, 4000, 'straight to a', `${HOST}:${a.sipPort}`);
    await waitUntil('node a full', async () => (await live(a)) === 1, 5000);

    // Round-robin sends one of these to node a, which answers 503; Kamailio retries it on node b.
    await place(2, 300, 'through kamailio');
    const log = kamailio.log();
    assert.equal(dispatchedTo(a, log), 1, log);
    assert.equal(dispatchedTo(b, log), 1, log);
    assert.match(
      log,
      new RegExp(`node sip:${HOST}:${a.sipPort} failed INVITE \\S+ \\(503\\); trying the next one`),
    );
    await held;
    await waitUntil(
      'both calls recorded on node b',
      async () => {
        const records = (await apiGet(b.httpPort, 'Call/?limit=20')) as {
          objects: Record<string, unknown>[];
        };
        return records.objects.filter((r) => r['call_status'] === 'completed').length === 2;
      },
      5000,
    );
  },
);
