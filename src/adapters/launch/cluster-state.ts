/**
 * `DIR/cluster.json`: what `streamfork cluster up` started in DIR (each process's PID, start time, stop
 * signal and log), the ports and credentials, and the paths it created, so `cluster down` stops exactly
 * those processes and `--purge` removes only those paths. Written after every start, so even an `up`
 * that was itself killed half-way leaves a file `down` can act on.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { isRunning, type ProcessRecord } from './child-process.js';

export const STATE_FILE = 'cluster.json';

/** One node as `cluster up` prints it. */
export interface ClusterNodeInfo {
  readonly id: string;
  /** `http://127.0.0.1:PORT` (the REST API is under /v1/Account/{authId}/). */
  readonly api: string;
  /** `127.0.0.1:PORT` (UDP). */
  readonly sip: string;
  /** The node's RTP range, inclusive. */
  readonly rtp: readonly [number, number];
  readonly configFile: string;
}

export interface ClusterState {
  readonly version: 1;
  /** `starting` while `up` runs, `running` once all are ready, `stopped` after `down` or a failed `up`. */
  readonly state: 'starting' | 'running' | 'stopped';
  readonly dir: string;
  readonly startedAt: string;
  /** Kamailio's address: where calls go (`127.0.0.1:PORT`, UDP). */
  readonly sip: string;
  readonly postgresUrl: string;
  readonly redisUrl: string;
  readonly authId: string;
  readonly authToken: string;
  readonly nodes: readonly ClusterNodeInfo[];
  /** Started processes, in start order (`down` stops them in reverse). */
  readonly processes: readonly ProcessRecord[];
  /** Paths `up` created in DIR (and DIR itself if it created it): all `down --purge` may remove. */
  readonly created: readonly string[];
}

/** The one JSON line `cluster up` prints. */
export interface ClusterSummary {
  readonly sip: string;
  readonly nodes: readonly { readonly id: string; readonly api: string; readonly sip: string }[];
  readonly authId: string;
  readonly authToken: string;
}

export function summaryOf(state: ClusterState): ClusterSummary {
  return {
    sip: state.sip,
    nodes: state.nodes.map((n) => ({ id: n.id, api: n.api, sip: n.sip })),
    authId: state.authId,
    authToken: state.authToken,
  };
}

/** The state in `dir`, or undefined when there is none (or it cannot be read as one). */
export function readClusterState(dir: string): ClusterState | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, STATE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<ClusterState>;
    return value.version === 1 && Array.isArray(value.processes) ? (value as ClusterState) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the state atomically (a reader never sees half a file); readable by its owner only. */
export function writeClusterState(state: ClusterState): void {
  const file = join(state.dir, STATE_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The recorded processes still running. */
export function runningProcesses(state: ClusterState): ProcessRecord[] {
  return state.processes.filter((p) => isRunning(p));
}
