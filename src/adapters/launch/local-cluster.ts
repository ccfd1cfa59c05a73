/**
 * A whole cluster on one machine (docs/cluster.md, "Trying it on one machine"): a throwaway PostgreSQL
 * and a Redis shared by N streamfork nodes on loopback (each its own SIP port, API port and RTP range,
 * one generated auth id/token), and Kamailio in front dispatching new calls over the nodes. `clusterUp`
 * returns once every piece is ready and leaves them running detached; `clusterDown` stops them from
 * `DIR/cluster.json`. A failed start stops what it had started and names the piece and its log.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { Config, DeepPartial } from '../../config/schema.js';
import { ServerError } from '../../errors/server-error.js';
import { stopProcess, waitReady, type ProcessRecord, type StopOutcome } from './child-process.js';
import {
  readClusterState,
  runningProcesses,
  STATE_FILE,
  writeClusterState,
  type ClusterNodeInfo,
  type ClusterState,
} from './cluster-state.js';
import { freePort, freeUdpBlock, portIsFree } from './free-ports.js';
import { startKamailio } from './kamailio.js';
import { startPostgres } from './postgres.js';
import { startRedis } from './redis.js';
import { sipOptionsStatus } from './sip-options.js';
import { startStreamforkNode } from './streamfork-node.js';

const HOST = '127.0.0.1';
/** Default RTP ports per node (50 calls); ranges are searched from 21000, below the ephemeral ports. */
const RTP_BLOCK = 100;
const RTP_SEARCH_FROM = 21000;
/** With a base port P: Kamailio P, PostgreSQL P+1, Redis P+2, node i (1-based) SIP P+200i, API P+200i+1, RTP P+200i+100…+199. */
const NODE_STRIDE = 200;

export interface ClusterUpOptions {
  readonly dir: string;
  readonly nodes: number;
  readonly basePort?: number;
  /** Inbound calls fetch their XML here; absent: as `nodeConfig` says (by default they are refused). */
  readonly answerUrl?: string;
  /** What every node's config starts from (a test's timers); the generated keys are set over it. */
  readonly nodeConfig?: DeepPartial<Config>;
  /**
   * RTP ports per node (two per call), default 100. With `basePort` at most 100 (the node stride's
   * RTP part); without it each node gets the next free block of this size from port 21000.
   */
  readonly rtpPortsPerNode?: number;
  /** More Kamailio config defines (probe timings). */
  readonly kamailioDefines?: Readonly<Record<string, string | number>>;
  /** Progress lines (to stderr in the CLI). */
  readonly progress?: (line: string) => void;
}

interface NodePorts {
  readonly sip: number;
  readonly api: number;
  readonly rtpMin: number;
  readonly rtpCount: number;
}

interface Ports {
  readonly kamailio: number;
  readonly postgres: number;
  readonly redis: number;
  readonly nodes: readonly NodePorts[];
}

async function requireFree(port: number, kinds: readonly ('tcp' | 'udp')[], what: string): Promise<number> {
  if (port > 65535 || !(await portIsFree(HOST, port, kinds))) {
    throw new ServerError(
      'ERR_LAUNCH_NO_PORTS',
      `${what}: port ${port} (${kinds.join('+')}) is not free on ${HOST}`,
    );
  }
  return port;
}

async function basePortPlan(base: number, count: number, rtpCount: number): Promise<Ports> {
  const nodes: NodePorts[] = [];
  for (let i = 1; i <= count; i++) {
    const at = base + NODE_STRIDE * i;
    const rtpMin = at + 100;
    await requireFree(at, ['udp'], `node-${i} SIP`);
    await requireFree(at + 1, ['tcp'], `node-${i} API`);
    if ((await freeUdpBlock(HOST, rtpMin, rtpCount)) !== rtpMin) {
      throw new ServerError(
        'ERR_LAUNCH_NO_PORTS',
        `node-${i} RTP: ports ${rtpMin}-${rtpMin + rtpCount - 1} are not all free`,
      );
    }
    nodes.push({ sip: at, api: at + 1, rtpMin, rtpCount });
  }
  return {
    kamailio: await requireFree(base, ['udp'], 'kamailio SIP'),
    postgres: await requireFree(base + 1, ['tcp'], 'postgres'),
    redis: await requireFree(base + 2, ['tcp'], 'redis'),
    nodes,
  };
}

async function freePortPlan(count: number, rtpCount: number): Promise<Ports> {
  const taken = new Set<number>();
  const pick = async (kinds: readonly ('tcp' | 'udp')[]): Promise<number> => {
    for (;;) {
      const port = await freePort(HOST, kinds);
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  const kamailio = await pick(['udp']);
  const postgres = await pick(['tcp']);
  const redis = await pick(['tcp']);
  const nodes: NodePorts[] = [];
  let rtpFrom = RTP_SEARCH_FROM;
  for (let i = 0; i < count; i++) {
    const sip = await pick(['udp']);
    const api = await pick(['tcp']);
    const rtpMin = await freeUdpBlock(HOST, rtpFrom, rtpCount, taken);
    rtpFrom = rtpMin + rtpCount;
    nodes.push({ sip, api, rtpMin, rtpCount });
  }
  return { kamailio, postgres, redis, nodes };
}

/** A Plivo-shaped auth id (`MA` + 18 letters and digits) and a 32-byte token. */
function credentials(): { authId: string; authToken: string } {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const id = [...randomBytes(18)].map((b) => alphabet[b % alphabet.length]).join('');
  return { authId: `MA${id}`, authToken: randomBytes(32).toString('base64url') };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `base` with each section of `extra` merged in key by key. */
function mergeSections(base: DeepPartial<Config>, extra: DeepPartial<Config>): DeepPartial<Config> {
  const out: Record<string, unknown> = { ...base };
  for (const [section, value] of Object.entries(extra as Record<string, unknown>)) {
    const current = out[section];
    out[section] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  return out;
}

/** Every piece `up` may create in DIR; the ones not there before are recorded for `down --purge`. */
function pieceNames(count: number): string[] {
  const nodes = Array.from({ length: count }, (_, i) => [`node-${i + 1}`, `node-${i + 1}.log`]).flat();
  return ['postgres', 'postgres.log', 'redis', 'redis.log', 'kamailio', 'kamailio.log', ...nodes, STATE_FILE];
}

/** Refuses a DIR whose recorded cluster still runs; returns what an earlier `up` had created there. */
function checkDirFree(dir: string): readonly string[] {
  const previous = readClusterState(dir);
  if (previous === undefined) {
    return [];
  }
  const live = runningProcesses(previous);
  if (live.length > 0) {
    throw new ServerError(
      'ERR_LAUNCH_DIR_IN_USE',
      `${dir} holds a running cluster (${live.map((p) => `${p.name} pid ${p.pid}`).join(', ')}); ` +
        `stop it first: streamfork cluster down --dir ${dir}`,
    );
  }
  return previous.created;
}

/**
 * Starts the cluster in `opts.dir` and resolves to its state once Kamailio answers OPTIONS 200 with
 * every node up; the processes keep running after this process exits.
 * @throws ServerError `ERR_LAUNCH_DIR_IN_USE`, `ERR_LAUNCH_MISSING_BINARY`, `ERR_LAUNCH_NO_PORTS`,
 * `ERR_LAUNCH_FAILED` (after stopping whatever it had started).
 */
export async function clusterUp(opts: ClusterUpOptions): Promise<ClusterState> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 100) {
    throw new RangeError(`the node count must be 1-100, got ${opts.nodes}`);
  }
  const rtpCount = opts.rtpPortsPerNode ?? RTP_BLOCK;
  const rtpMax = opts.basePort === undefined ? 20000 : RTP_BLOCK;
  if (!Number.isInteger(rtpCount) || rtpCount < 2 || rtpCount > rtpMax) {
    throw new RangeError(`RTP ports per node must be 2-${rtpMax}, got ${rtpCount}`);
  }
  const dir = resolve(opts.dir);
  const progress = opts.progress ?? (() => undefined);
  const createdBefore = checkDirFree(dir);
  const created = new Set(createdBefore);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    created.add(dir);
  }
  for (const name of pieceNames(opts.nodes)) {
    if (!existsSync(join(dir, name))) {
      created.add(join(dir, name));
    }
  }
  const ports =
    opts.basePort === undefined
      ? await freePortPlan(opts.nodes, rtpCount)
      : await basePortPlan(opts.basePort, opts.nodes, rtpCount);
  let state: ClusterState = {
    version: 1,
    state: 'starting',
    dir,
    startedAt: new Date().toISOString(),
    sip: `${HOST}:${ports.kamailio}`,
    postgresUrl: `postgres://postgres@${HOST}:${ports.postgres}/postgres`,
    redisUrl: `redis://${HOST}:${ports.redis}/0`,
    ...credentials(),
    nodes: [],
    processes: [],
    created: [...created],
  };
  const started = (record: ProcessRecord): void => {
    state = { ...state, processes: [...state.processes, record] };
    writeClusterState(state);
    progress(`${record.name} ready (pid ${record.pid}, log ${record.logFile})`);
  };
  writeClusterState(state);
  try {
    await startPieces(
      opts,
      ports,
      () => state,
      started,
      (nodes) => {
        state = { ...state, nodes };
      },
    );
  } catch (err) {
    progress('a piece failed to start; stopping what was started');
    await stopAll(state.processes, progress);
    writeClusterState({ ...state, state: 'stopped' });
    throw err;
  }
  state = { ...state, state: 'running' };
  writeClusterState(state);
  return state;
}

/** Awaits every start; records each that succeeded, then rethrows the first failure. */
async function settleAll<T extends readonly Promise<{ readonly record: ProcessRecord }>[]>(
  starts: T,
  started: (record: ProcessRecord) => void,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(starts);
  for (const r of results) {
    if (r.status === 'fulfilled') {
      started(r.value.record);
    }
  }
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  }
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

async function startPieces(
  opts: ClusterUpOptions,
  ports: Ports,
  current: () => ClusterState,
  started: (record: ProcessRecord) => void,
  setNodes: (nodes: ClusterNodeInfo[]) => void,
): Promise<void> {
  const { dir } = current();
  const [postgres, redis] = await settleAll(
    [
      startPostgres({ dir, host: HOST, port: ports.postgres }),
      startRedis({ dir, host: HOST, port: ports.redis }),
    ] as const,
    started,
  );
  const { authId, authToken } = current();
  const nodes = ports.nodes.map((p, i) => ({
    id: `node-${i + 1}`,
    api: `http://${HOST}:${p.api}`,
    sip: `${HOST}:${p.sip}`,
    rtp: [p.rtpMin, p.rtpMin + p.rtpCount - 1] as const,
    configFile: join(dir, `node-${i + 1}`, 'config.json'),
    ports: p,
  }));
  setNodes(nodes.map(({ ports: _ports, ...info }) => info));
  const nodeStarts = nodes.map((node) => {
    // The generated keys win over the --config file's: ports, storage and cluster are the cluster's.
    const config = mergeSections(opts.nodeConfig ?? {}, {
      sip: { host: HOST, port: node.ports.sip, transports: ['udp'] },
      rtp: { host: HOST, portMin: node.rtp[0], portMax: node.rtp[1] },
      http: { host: HOST, port: node.ports.api },
      auth: { authId, authToken },
      ...(opts.answerUrl === undefined ? {} : { answer: { answerUrl: opts.answerUrl } }),
      storage: { driver: 'postgres', url: postgres.url },
      cluster: { nodeId: node.id, redisUrl: redis.url },
    });
    return startStreamforkNode({ dir, name: node.id, config, apiUrl: node.api, authId, authToken });
  });
  await settleAll(nodeStarts, started);
  const kamailio = await startKamailio({
    dir,
    host: HOST,
    port: ports.kamailio,
    nodes: ports.nodes.map((p) => ({ address: HOST, port: p.sip })),
    ...(opts.kamailioDefines === undefined ? {} : { defines: opts.kamailioDefines }),
  });
  started(kamailio.record);
  // Ready means calls can go through: Kamailio sees its nodes answer OPTIONS 200.
  await waitReady(
    kamailio.record,
    `OPTIONS 200 (a node up) on ${HOST}:${ports.kamailio}`,
    async () => (await sipOptionsStatus(HOST, ports.kamailio, 500)) === 200,
    15_000,
  );
}

/** Stops `processes` in reverse start order; the nodes (which drain) all at once. */
async function stopAll(processes: readonly ProcessRecord[], progress: (line: string) => void): Promise<void> {
  const report = (p: ProcessRecord, outcome: StopOutcome): void => {
    progress(`${p.name} (pid ${p.pid}): ${outcome}`);
  };
  const reversed = [...processes].reverse();
  const kamailio = reversed.filter((p) => p.name === 'kamailio');
  const nodes = reversed.filter((p) => p.name.startsWith('node-'));
  const rest = reversed.filter((p) => !kamailio.includes(p) && !nodes.includes(p));
  for (const group of [kamailio, nodes, rest]) {
    await Promise.all(
      group.map(async (p) => {
        report(p, await stopProcess(p));
      }),
    );
  }
}

function removeIfEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length === 0) {
    rmdirSync(dir);
  }
}

export interface ClusterDownOptions {
  readonly dir: string;
  /** Also remove what `up` created in DIR (data, logs, the state file); never anything else. */
  readonly purge?: boolean;
  readonly progress?: (line: string) => void;
}

/**
 * Stops every process `up` recorded in `DIR/cluster.json` (SIGTERM or SIGINT, SIGKILL after its bound).
 * @throws ServerError `ERR_LAUNCH_FAILED` when DIR holds no cluster state.
 */
export async function clusterDown(opts: ClusterDownOptions): Promise<void> {
  const dir = resolve(opts.dir);
  const progress = opts.progress ?? (() => undefined);
  const state = readClusterState(dir);
  if (state === undefined) {
    throw new ServerError(
      'ERR_LAUNCH_FAILED',
      `${dir} holds no ${STATE_FILE}: nothing was started there by cluster up`,
    );
  }
  await stopAll(state.processes, progress);
  writeClusterState({ ...state, state: 'stopped' });
  if (opts.purge === true) {
    // Deepest first, DIR itself last (only if up created it, and then only once it is empty).
    for (const path of [...state.created].sort((a, b) => b.length - a.length)) {
      if (path === dir) {
        removeIfEmpty(path);
      } else {
        rmSync(path, { recursive: true, force: true });
      }
    }
  }
}
