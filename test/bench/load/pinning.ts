/**
 * CPU pinning and child supervision for the load harness (issue 6).
 *
 * With pinning, `streamfork serve` and the null forwarder (the two systems measured) run on one CPU and the
 * load peers (generator, consumer) and the orchestrator on another, so the measured process's CPU and
 * latency are taken on a core it does not share with the load. Children are started through
 * `taskset -c <cpu> <node> …`: taskset sets the affinity and then execs, so the child's pid is the node
 * process itself (checked through /proc/<pid>/exe) and every thread node starts later inherits the mask.
 * The orchestrator pins itself with `taskset -a -cp` (all its threads).
 *
 * `setpriv --pdeathsig SIGKILL` (util-linux, when present) is put in front of `streamfork serve`: it also
 * execs, and the kernel kills the server if the orchestrator dies without running its exit handlers.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';

/** The CPU lists handed to taskset: the measured systems' CPU and the load's CPU. */
export interface Pinning {
  readonly server: string;
  readonly load: string;
}

export interface PinSetup {
  readonly pinned: Pinning | null;
  /** Why pinning is off, or what was done. */
  readonly note: string;
}

/** Parses a kernel CPU list ("0-3,6") into CPU numbers. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(',')) {
    if (part === '') {
      continue;
    }
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) {
      continue;
    }
    for (let c = a; c <= (b ?? a); c++) {
      out.push(c);
    }
  }
  return out;
}

/** The CPUs a task may run on (Cpus_allowed_list of /proc/<pid>[/task/<tid>]/status). */
function allowedOf(statusPath: string): string {
  return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(statusPath, 'utf8'))?.[1] ?? '?';
}

function has(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/**
 * Decides on pinning and, when on, pins this process (all threads) to the load CPU (unless `pinSelf` is
 * false: a two-node cluster run leaves the load unpinned). Pinning needs taskset and at least two CPUs
 * in this process's affinity mask; the first two are used.
 */
export function setupPinning(wanted: boolean, pinSelf = true): PinSetup {
  if (!wanted) {
    return { pinned: null, note: 'pinning off (--no-pin)' };
  }
  const allowed = parseCpuList(allowedOf('/proc/self/status'));
  const [server, load] = allowed;
  if (server === undefined || load === undefined) {
    return { pinned: null, note: `pinning off: fewer than 2 CPUs available (${allowed.join(',')})` };
  }
  if (!has('taskset')) {
    return { pinned: null, note: 'pinning off: taskset (util-linux) not found' };
  }
  if (!pinSelf) {
    return {
      pinned: { server: String(server), load: String(load) },
      note: `CPUs ${server} and ${load} in use; the orchestrator and the load peers are not pinned`,
    };
  }
  const r = spawnSync('taskset', ['-a', '-cp', String(load), String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) {
    return { pinned: null, note: `pinning off: taskset failed (${(r.stderr || String(r.error)).trim()})` };
  }
  return {
    pinned: { server: String(server), load: String(load) },
    note: `pinned: streamfork + null forwarder on CPU ${server}; generator, consumer, orchestrator on CPU ${load}`,
  };
}

/** Whether setpriv can be used to give a child a parent-death signal. */
export const hasSetpriv = has('setpriv');

/**
 * The command and arguments that run `node <nodeArgs…>` on `cpu` (null: unpinned), with a parent-death
 * SIGKILL when `pdeathsig` and setpriv is present. Every wrapper execs, so the spawned pid is node's.
 */
export function nodeCommand(
  cpu: string | null,
  nodeArgs: readonly string[],
  pdeathsig: boolean,
): { cmd: string; args: string[] } {
  const argv = [process.execPath, ...nodeArgs];
  const pinned = cpu === null ? argv : ['taskset', '-c', cpu, ...argv];
  const full = pdeathsig && hasSetpriv ? ['setpriv', '--pdeathsig', 'SIGKILL', '--', ...pinned] : pinned;
  const [cmd, ...args] = full;
  return { cmd: cmd ?? process.execPath, args };
}

/** `fork` options that start a child on `cpu` (through taskset), or plain node when unpinned. */
export function forkVia(
  cpu: string | null,
  execArgv: readonly string[],
): { execPath: string; execArgv: string[] } {
  return cpu === null
    ? { execPath: process.execPath, execArgv: [...execArgv] }
    : { execPath: 'taskset', execArgv: ['-c', cpu, process.execPath, ...execArgv] };
}

export interface PinCheck {
  readonly pid: number;
  /** /proc/<pid>/exe is the node binary (so the pid read for CPU and RSS is node, not a wrapper). */
  readonly isNode: boolean;
  /** The distinct Cpus_allowed_list values over all of the process's threads. */
  readonly affinity: string[];
  readonly ok: boolean;
}

/** Checks that `pid` is the node process and that all of its threads may only run on `cpu`. */
export function checkPid(pid: number, cpu: string | null): PinCheck {
  let isNode: boolean;
  try {
    isNode = readlinkSync(`/proc/${pid}/exe`) === realpathSync(process.execPath);
  } catch {
    isNode = false;
  }
  const affinity = new Set<string>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      affinity.add(allowedOf(`/proc/${pid}/task/${tid}/status`));
    }
  } catch {
    affinity.add('?');
  }
  const list = [...affinity];
  return {
    pid,
    isNode,
    affinity: list,
    ok: isNode && (cpu === null || (list.length === 1 && list[0] === cpu)),
  };
}
