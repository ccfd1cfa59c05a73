/**
 * Long-lived child processes for `streamfork cluster up` and the cluster tests: find a program (or name
 * the Debian package that has it), start it detached with its output in a log file, wait until it is
 * ready, and stop it by PID. A started process is described by a plain {@link ProcessRecord} that can be
 * written to disk, so another process (`cluster down`) can stop exactly what was started.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { ServerError } from '../../errors/server-error.js';

/** A started process, as `cluster.json` keeps it. */
export interface ProcessRecord {
  /** The piece it is: `postgres`, `redis`, `kamailio`, `node-1`, … */
  readonly name: string;
  readonly pid: number;
  /**
   * Its start time in clock ticks since boot (`/proc/<pid>/stat` field 22): a PID reused by another
   * process after ours ended has another start time, so it is never signalled.
   */
  readonly startTicks: string;
  /** Signal its whole process group (its forked workers) rather than the PID alone. */
  readonly group: boolean;
  /** The signal that asks it to stop cleanly (PostgreSQL: SIGINT, the fast shutdown). */
  readonly stopSignal: NodeJS.Signals;
  /** How long it gets to stop after `stopSignal` before SIGKILL. */
  readonly stopGraceMs: number;
  /** Where its stdout and stderr go. */
  readonly logFile: string;
}

export interface LaunchSpec {
  readonly name: string;
  /** Absolute path of the program (from {@link findProgram}). */
  readonly program: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly logFile: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Run as this user and group (PostgreSQL refuses to run as root). */
  readonly uid?: number;
  readonly gid?: number;
  readonly group?: boolean;
  readonly stopSignal?: NodeJS.Signals;
  readonly stopGraceMs?: number;
}

/** Directories searched after `$PATH` (Debian keeps some daemons in sbin). */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The absolute path of `program`, searched in `$PATH`, the system directories and `extraDirs`.
 * @throws ServerError `ERR_LAUNCH_MISSING_BINARY` naming the Debian package when it is nowhere.
 */
export function findProgram(
  program: string,
  debianPackage: string,
  extraDirs: readonly string[] = [],
): string {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...SYSTEM_DIRS, ...extraDirs];
  for (const dir of dirs) {
    if (dir === '') {
      continue;
    }
    const path = join(dir, program);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) {
        return path;
      }
    } catch {
      // Not here.
    }
  }
  throw new ServerError(
    'ERR_LAUNCH_MISSING_BINARY',
    `${program} is not installed: install the Debian package ${debianPackage} ` +
      `(apt-get install ${debianPackage}; scripts/ensure-system-deps.sh does it for the tests)`,
  );
}

/** Fields of `/proc/<pid>/stat` after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Field 3 is the state, field 22 the start time; the list starts at field 3. */
const STATE = 0;
const START_TICKS = 19;

/**
 * Starts `spec` detached (its own session and process group, stdin closed, output appended to its log
 * file) and returns at once; the child outlives this process. Wait for it with {@link waitReady}.
 */
export function launch(spec: LaunchSpec): ProcessRecord {
  const log = openSync(spec.logFile, 'a');
  let pid: number | undefined;
  try {
    const child = spawn(spec.program, [...spec.args], {
      cwd: spec.cwd,
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...spec.env },
      ...(spec.uid === undefined ? {} : { uid: spec.uid }),
      ...(spec.gid === undefined ? {} : { gid: spec.gid }),
    });
    // A spawn failure (ENOENT, EACCES) also arrives as an event; the PID check below reports it.
    child.once('error', () => undefined);
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  const startTicks = pid === undefined ? undefined : statFields(pid)?.[START_TICKS];
  if (pid === undefined || startTicks === undefined) {
    throw new ServerError(
      'ERR_LAUNCH_FAILED',
      `${spec.name}: could not start ${spec.program}; log: ${spec.logFile}`,
    );
  }
  return {
    name: spec.name,
    pid,
    startTicks,
    group: spec.group ?? false,
    stopSignal: spec.stopSignal ?? 'SIGTERM',
    stopGraceMs: spec.stopGraceMs ?? 10_000,
    logFile: spec.logFile,
  };
}

/** True while the recorded process runs (same PID, same start time, not a zombie). */
export function isRunning(rec: Pick<ProcessRecord, 'pid' | 'startTicks'>): boolean {
  const fields = statFields(rec.pid);
  return fields?.[START_TICKS] === rec.startTicks && fields[STATE] !== 'Z';
}

function signal(rec: ProcessRecord, sig: NodeJS.Signals): void {
  try {
    process.kill(rec.group ? -rec.pid : rec.pid, sig);
  } catch {
    // Gone in the meantime.
  }
}

async function exitedWithin(rec: ProcessRecord, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (isRunning(rec)) {
    if (Date.now() >= end) {
      return false;
    }
    await sleep(50);
  }
  return true;
}

/** How a stop went. */
export type StopOutcome = 'stopped' | 'killed' | 'not-running';

/**
 * Stops a recorded process: its stop signal, then SIGKILL after its grace. Signals nothing when the PID
 * now belongs to another process. Resolves once it is gone (or after 5 s more of SIGKILL).
 */
export async function stopProcess(rec: ProcessRecord): Promise<StopOutcome> {
  if (!isRunning(rec)) {
    return 'not-running';
  }
  signal(rec, rec.stopSignal);
  if (await exitedWithin(rec, rec.stopGraceMs)) {
    return 'stopped';
  }
  signal(rec, 'SIGKILL');
  await exitedWithin(rec, 5000);
  return 'killed';
}

/** The last `bytes` of a log file (for an error message), or '' when it cannot be read. */
export function logTail(file: string, bytes = 1500): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = statSync(file).size;
      const buf = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

function launchFailure(rec: ProcessRecord, what: string): ServerError {
  const tail = logTail(rec.logFile).trimEnd();
  return new ServerError(
    'ERR_LAUNCH_FAILED',
    `${rec.name} ${what}; its log is ${rec.logFile}` + (tail === '' ? '' : `; it ends with:\n${tail}`),
  );
}

/**
 * Polls `probe` until it answers true, the process exits, or `timeoutMs` passes (then it is stopped).
 * @throws ServerError `ERR_LAUNCH_FAILED` naming the process, what was awaited and its log file.
 */
export async function waitReady(
  rec: ProcessRecord,
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!isRunning(rec)) {
      throw launchFailure(rec, `exited while starting (waiting for ${what})`);
    }
    if (await probe().catch(() => false)) {
      return;
    }
    if (Date.now() >= end) {
      // Started by us and of no use: it does not outlive the failed start.
      await stopProcess(rec);
      throw launchFailure(rec, `was not ready within ${Math.round(timeoutMs / 1000)} s (${what})`);
    }
    await sleep(100);
  }
}
