/**
 * The cluster end-to-end tests' side of things: `streamfork cluster up|down` run as the user would
 * (the CLI, one JSON line on stdout), the customer's app (answer XML with a `<Stream>` per call, status
 * callbacks counted by `X-Streamfork-Callback-Id`, refused on demand so they wait in the outbox), the
 * REST API with the cluster's credentials, and sipp calls through Kamailio whose RTP tells which node
 * answered (each node has its own RTP range).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import type { ClusterState, ClusterSummary } from '../../../src/adapters/launch/cluster-state.js';
import { readClusterState } from '../../../src/adapters/launch/cluster-state.js';
import { STREAMFORK_BIN } from '../../../src/adapters/launch/streamfork-node.js';
import { responseXml, streamElement } from '../../helpers/stream-call.js';
import { waitUntil } from './serve.js';
import { children, fillScenario, freeUdpPort, HOST, runTool, sippArgs, type ToolRun } from './sipp.js';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `streamfork cluster <args>`; resolves when it exits (SIGKILL after `timeoutMs`). */
export function clusterCli(args: readonly string[], timeoutMs: number): Promise<CliRun> {
  const child = spawn(process.execPath, [STREAMFORK_BIN, 'cluster', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `cluster up`: asserts exit 0 and exactly one JSON line on stdout; returns it with the state file. */
export async function clusterUpCli(
  args: readonly string[],
  timeoutMs: number,
): Promise<{ summary: ClusterSummary; state: ClusterState; run: CliRun }> {
  const run = await clusterCli(['up', ...args], timeoutMs);
  assert.equal(run.code, 0, `cluster up failed:\n${run.stderr}`);
  const lines = run.stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `cluster up prints one line, got:\n${run.stdout}`);
  const summary = JSON.parse(lines[0]!) as ClusterSummary;
  const dir = args[args.indexOf('--dir') + 1]!;
  const state = readClusterState(dir);
  assert.ok(state !== undefined, 'cluster.json written');
  return { summary, state, run };
}

/** One status callback request the app received. */
export interface CallbackHit {
  /** The call's tag (the sipp `-s` user it was placed with). */
  readonly tag: string;
  readonly id: string;
  readonly event: string;
  /** `HangupCause` of a hangup callback; empty for status callbacks. */
  readonly cause: string;
  /** What the app answered: 500 while the tag's callbacks are refused, else 200. */
  readonly answered: number;
}

export interface ClusterApp {
  /** The answer URL: each call gets a `<Stream>` to `wsUrl` with a status callback naming its tag. */
  readonly answerUrl: string;
  /** The hangup URL for the nodes' config (`answer.hangupUrl`): its hits are tagged by the call's To. */
  readonly hangupUrl: string;
  /** Call UUIDs by tag, from the answer requests. */
  readonly calls: Map<string, string>;
  readonly callbacks: CallbackHit[];
  /** Tags (or tag prefixes ending in `*`) whose callbacks are answered 500. */
  readonly refused: Set<string>;
  /** Resolves to the call UUID of `tag` once its answer URL was fetched. */
  callUuid(tag: string, timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

function paramsOf(body: string, url: string): URLSearchParams {
  return body === '' ? new URL(url, 'http://app.invalid').searchParams : new URLSearchParams(body);
}

/** The app's HTTP side: answer URL and status callbacks on one loopback server. */
export async function startClusterApp(wsUrl: string): Promise<ClusterApp> {
  const calls = new Map<string, string>();
  const callbacks: CallbackHit[] = [];
  const refused = new Set<string>();
  const isRefused = (tag: string): boolean =>
    [...refused].some((r) => (r.endsWith('*') ? tag.startsWith(r.slice(0, -1)) : tag === r));
  let origin = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://app.invalid');
      const params = paramsOf(Buffer.concat(chunks).toString('utf8'), req.url ?? '/');
      if (url.pathname === '/answer') {
        // The To of a SIP call is its Request-URI user: the tag sipp was given with -s.
        const tag = /^(?:sip:)?([^@;]+)/.exec(params.get('To') ?? '')?.[1] ?? '';
        calls.set(tag, params.get('CallUUID') ?? '');
        const status = `${origin}/status?tag=${encodeURIComponent(tag)}`;
        const xml = responseXml(
          streamElement(wsUrl, {
            contentType: 'audio/x-mulaw;rate=8000',
            keepCallAlive: true,
            statusCallbackUrl: status,
          }),
        );
        res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
        return;
      }
      const tag =
        url.pathname === '/hangup'
          ? (/^(?:sip:)?([^@;]+)/.exec(params.get('To') ?? '')?.[1] ?? '')
          : (url.searchParams.get('tag') ?? '');
      const answered = isRefused(tag) ? 500 : 200;
      callbacks.push({
        tag,
        id: String(req.headers['x-streamfork-callback-id'] ?? ''),
        event: params.get('Event') ?? '',
        cause: params.get('HangupCause') ?? '',
        answered,
      });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  origin = `http://${HOST}:${(server.address() as AddressInfo).port}`;
  return {
    answerUrl: `${origin}/answer`,
    hangupUrl: `${origin}/hangup`,
    calls,
    callbacks,
    refused,
    callUuid: async (tag, timeoutMs) => {
      await waitUntil(`the answer request of ${tag}`, () => calls.has(tag), timeoutMs);
      return calls.get(tag)!;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => {
          r();
        });
      }),
  };
}

/** A REST request to a node with the cluster's credentials; the JSON body (or null) and the status. */
export async function rest(
  summary: ClusterSummary,
  api: string,
  method: string,
  path: string,
  body?: Readonly<Record<string, unknown>>,
): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const auth = Buffer.from(`${summary.authId}:${summary.authToken}`).toString('base64');
  const res = await fetch(`${api}/v1/Account/${summary.authId}/${path}`, {
    method,
    headers: {
      authorization: `Basic ${auth}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

/** A sipp call through Kamailio. */
export interface PlacedCall {
  readonly tag: string;
  /** sipp's run; resolves when sipp exits. */
  readonly done: Promise<ToolRun>;
  /** Resolves to the id of the node that answered, from the source port of the RTP it sends. */
  node(timeoutMs?: number): Promise<string>;
  close(): void;
}

/** Places one call with `uac-cluster-call.xml` to `summary.sip` as user `tag`; sipp hangs up after `holdMs`. */
export async function placeCall(
  state: ClusterState,
  scratch: string,
  tag: string,
  holdMs: number,
): Promise<PlacedCall> {
  const sources = new Set<number>();
  const socket = dgram.createSocket('udp4');
  socket.on('message', (_m, from) => sources.add(from.port));
  await new Promise<void>((r) => socket.bind(0, HOST, r));
  const scenario = fillScenario('uac-cluster-call.xml', scratch, {
    RTP_PORT: String(socket.address().port),
    HOLD_MS: String(holdMs),
  });
  const timeoutSec = Math.ceil(holdMs / 1000) + 20;
  const args = [
    ...sippArgs(state.sip, await freeUdpPort(), await freeUdpPort(true), timeoutSec),
    '-sf',
    scenario,
    '-s',
    tag,
    '-m',
    '1',
  ];
  const done = runTool('sipp', args, (timeoutSec + 10) * 1000, scratch);
  const nodeOf = (port: number): string | undefined =>
    state.nodes.find((n) => port >= n.rtp[0] && port <= n.rtp[1])?.id;
  return {
    tag,
    done,
    node: async (timeoutMs = 15_000) => {
      await waitUntil(
        `RTP of call ${tag}`,
        () => [...sources].some((p) => nodeOf(p) !== undefined),
        timeoutMs,
      );
      return nodeOf([...sources].find((p) => nodeOf(p) !== undefined)!)!;
    },
    close: () => {
      socket.close();
    },
  };
}

/** The node's log file in the cluster dir. */
export function logOf(state: ClusterState, name: string): string {
  return join(state.dir, `${name}.log`);
}
