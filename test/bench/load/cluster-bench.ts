/**
 * `bench:load --cluster N` (issue 12): the cluster the load goes through, brought up with the project's
 * own launcher (`clusterUp`: PostgreSQL, Redis, N `streamfork serve` nodes, Kamailio in front) in a
 * temporary directory, pinned, sampled and brought down again.
 *
 * CPU of a piece is the CPU of its whole process tree (PostgreSQL forks a backend per connection,
 * Kamailio forks workers): utime + stime + cutime + cstime summed over the root and every descendant
 * alive at the reading. A child that exits between two readings is then counted in its parent's cutime
 * once it is reaped, so no work is lost or counted twice across a window.
 *
 * Pinning (2 CPUs, "0" and "1"): with one node, the node on CPU 0 and everything else (Kamailio,
 * Redis, PostgreSQL, the load peers, the orchestrator) on CPU 1, as the single-node plan; with two
 * nodes, node 1 on CPU 0 and node 2 on CPU 1, and everything else unpinned (it shares both cores with
 * the nodes). Each process tree is pinned after start with `taskset -a -cp` (all threads); what is
 * forked later (a PostgreSQL backend, a libuv pool thread) inherits the mask.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

import type { ClusterState } from '../../../src/adapters/launch/cluster-state.js';
import { isRunning, type ProcessRecord } from '../../../src/adapters/launch/child-process.js';
import { clusterDown, clusterUp } from '../../../src/adapters/launch/local-cluster.js';

const CLK_TCK = 100;
export const INFRA = ['kamailio', 'redis', 'postgres'] as const;
export type InfraName = (typeof INFRA)[number];

interface StatLine {
  readonly ppid: number;
  /** utime + stime + cutime + cstime, seconds. */
  readonly cpuS: number;
}

function readStat(pid: number): StatLine | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state); ppid is field 4, utime..cstime fields 14-17.
    const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    return { ppid: Number(f[1]), cpuS: ticks / CLK_TCK };
  } catch {
    return undefined;
  }
}

/** Every process on the host with its parent and CPU. */
function processTable(): Map<number, StatLine> {
  const table = new Map<number, StatLine>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0) {
      const s = readStat(pid);
      if (s !== undefined) {
        table.set(pid, s);
      }
    }
  }
  return table;
}

/** `root` and its descendants in `table`. */
export function treeOf(root: number, table: ReadonlyMap<number, StatLine> = processTable()): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, s] of table) {
    const list = children.get(s.ppid) ?? [];
    list.push(pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const todo = table.has(root) ? [root] : [];
  while (todo.length > 0) {
    const pid = todo.pop() ?? 0;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds of each piece's process tree, from one reading of /proc. */
export function infraCpuS(infra: readonly { name: string; pid: number }[]): Record<string, number> {
  const table = processTable();
  const out: Record<string, number> = {};
  for (const p of infra) {
    out[p.name] = treeOf(p.pid, table).reduce((sum, pid) => sum + (table.get(pid)?.cpuS ?? 0), 0);
  }
  return out;
}

/** The distinct Cpus_allowed_list values over every thread of every process of the tree. */
export function treeAffinity(root: number): string[] {
  const seen = new Set<string>();
  for (const pid of treeOf(root)) {
    try {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
        seen.add(/Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? '?');
      }
    } catch {
      // Gone in the meantime.
    }
  }
  return [...seen];
}

/** Pins every thread of every process of the tree to `cpu`; returns the pids it failed on. */
function pinTree(root: number, cpu: string): number[] {
  const failed: number[] = [];
  for (const pid of treeOf(root)) {
    const r = spawnSync('taskset', ['-a', '-cp', cpu, String(pid)], { stdio: 'ignore' });
    if (r.status !== 0) {
      failed.push(pid);
    }
  }
  return failed;
}

export interface BenchCluster {
  readonly state: ClusterState;
  /** Kamailio's UDP port: where the generator sends its INVITEs. */
  readonly sipPort: number;
  readonly nodes: readonly { id: string; pid: number; sip: string; cpu: string | null }[];
  readonly infra: readonly { name: InfraName; pid: number; cpu: string | null }[];
  /** What was pinned where, in words. */
  readonly pinNote: string;
}

export interface ClusterPlan {
  readonly nodes: number;
  readonly dir: string;
  readonly answerUrl: string;
  /** The most calls one node may carry at once (sizes its RTP range). */
  readonly maxCalls: number;
  /** The two CPUs ("0", "1"), or null when unpinned. */
  readonly cpus: { readonly first: string; readonly second: string } | null;
  readonly log: (line: string) => void;
}

function recordOf(state: ClusterState, name: string): ProcessRecord {
  const rec = state.processes.find((p) => p.name === name);
  if (rec === undefined) {
    throw new Error(`cluster state has no ${name} process`);
  }
  return rec;
}

/** Brings the cluster up in `plan.dir` and pins it; on a failure clusterUp has stopped what it started. */
export async function bringUp(plan: ClusterPlan): Promise<BenchCluster> {
  const state = await clusterUp({
    dir: plan.dir,
    nodes: plan.nodes,
    answerUrl: plan.answerUrl,
    // Two ports per call, and a margin for calls of the previous step still closing.
    rtpPortsPerNode: 2 * (plan.maxCalls + 50),
    nodeConfig: { log: { level: 'warn' } },
    progress: (line) => {
      plan.log(`cluster: ${line}`);
    },
  });
  const c = plan.cpus;
  const nodeCpu = (i: number): string | null =>
    c === null ? null : plan.nodes === 1 ? c.first : i === 0 ? c.first : i === 1 ? c.second : null;
  const infraCpu = c === null || plan.nodes > 1 ? null : c.second;
  const nodes = state.nodes.map((n, i) => ({
    id: n.id,
    pid: recordOf(state, n.id).pid,
    sip: n.sip,
    cpu: nodeCpu(i),
  }));
  const infra = INFRA.map((name) => ({ name, pid: recordOf(state, name).pid, cpu: infraCpu }));
  for (const p of [...nodes, ...infra]) {
    if (p.cpu !== null) {
      const failed = pinTree(p.pid, p.cpu);
      if (failed.length > 0) {
        plan.log(`WARNING could not pin pids ${failed.join(',')} of ${'id' in p ? p.id : p.name}`);
      }
    }
  }
  const pinNote =
    c === null
      ? 'cluster unpinned'
      : plan.nodes === 1
        ? `node-1 on CPU ${c.first}; Kamailio, Redis, PostgreSQL, generator, consumer, orchestrator on CPU ${c.second}`
        : `node-1 on CPU ${c.first}, node-2 on CPU ${c.second}` +
          (plan.nodes > 2 ? ', other nodes unpinned' : '') +
          '; Kamailio, Redis, PostgreSQL, generator, consumer, orchestrator unpinned (both CPUs)';
  const sipPort = Number(state.sip.split(':')[1]);
  return { state, sipPort, nodes, infra, pinNote };
}

/** Stops everything the cluster started (its directory goes with the run's temporary directory). */
export async function bringDown(dir: string, log: (line: string) => void): Promise<void> {
  await clusterDown({
    dir,
    progress: (line) => {
      log(`cluster: ${line}`);
    },
  });
}

/** Last resort on a synchronous exit path: SIGKILL every recorded process still running. */
export function killNow(state: ClusterState): void {
  for (const p of state.processes) {
    if (isRunning(p)) {
      try {
        process.kill(p.group ? -p.pid : p.pid, 'SIGKILL');
      } catch {
        // Gone in the meantime.
      }
    }
  }
}

/** Every pid of the cluster's process trees now (taken before the cluster is brought down). */
export function clusterPids(c: BenchCluster): number[] {
  const table = processTable();
  return [...c.nodes, ...c.infra].flatMap((p) => treeOf(p.pid, table));
}

/** Those of `pids` still alive (not zombies): what a bring-down left behind. */
export function stillAlive(pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !text.slice(text.lastIndexOf(')') + 2).startsWith('Z');
    } catch {
      return false;
    }
  });
}
