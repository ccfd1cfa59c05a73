/**
 * A throwaway PostgreSQL (Debian package `postgresql`) for a local cluster or a test: `initdb` under a
 * directory (trust authentication, loopback only), then `postgres` on a free or given port, ready once
 * `pg_isready` says so. PostgreSQL refuses to run as root, so when we are root both run as the `postgres`
 * user the package creates (set on the spawned process itself, so the PID we keep is the postmaster's).
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { ServerError } from '../../errors/server-error.js';
import { findProgram, launch, waitReady, type ProcessRecord } from './child-process.js';
import { freePort } from './free-ports.js';

const PACKAGE = 'postgresql';

export interface PostgresOptions {
  /** The directory it lives in: `postgres/` (data, socket) and `postgres.log` go there. */
  readonly dir: string;
  readonly host?: string;
  /** Default: a free port. */
  readonly port?: number;
  /** Default 30 s. */
  readonly readyTimeoutMs?: number;
  /** More `name=value` server settings (`-c`), e.g. `log_statement=all` to count statements. */
  readonly settings?: readonly string[];
}

export interface RunningPostgres {
  readonly record: ProcessRecord;
  readonly host: string;
  readonly port: number;
  /** `postgres://postgres@host:port/postgres` (trust authentication on loopback). */
  readonly url: string;
  readonly dataDir: string;
  /** The server's log file (stdout and stderr). */
  readonly logFile: string;
}

/** The server's binary directories, newest major first (Debian does not put them on PATH). */
function serverBinDirs(): string[] {
  const base = '/usr/lib/postgresql';
  try {
    return readdirSync(base)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => join(base, v, 'bin'));
  } catch {
    return [];
  }
}

interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** Who runs the server: ourselves, or the `postgres` user when we are root. */
function serverOwner(): Owner | undefined {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new ServerError(
      'ERR_LAUNCH_MISSING_BINARY',
      `there is no user postgres to run PostgreSQL as (we are root): install the Debian package ${PACKAGE}`,
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** Every directory above `dir` must let the server's user in. */
function checkReachable(dir: string, owner: Owner): void {
  for (let d = dirname(resolve(dir)); ; d = dirname(d)) {
    const st = statSync(d);
    const other = (st.mode & 0o001) !== 0;
    const group = st.gid === owner.gid && (st.mode & 0o010) !== 0;
    if (!other && !group && st.uid !== owner.uid) {
      throw new ServerError(
        'ERR_LAUNCH_FAILED',
        `postgres: the user postgres cannot enter ${d} (mode ${(st.mode & 0o777).toString(8)}); ` +
          `use a directory others may enter (chmod o+x ${d})`,
      );
    }
    if (d === dirname(d)) {
      return;
    }
  }
}

function initdb(dataDir: string, logFile: string, owner: Owner | undefined): void {
  const program = findProgram('initdb', PACKAGE, serverBinDirs());
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (owner !== undefined) {
    chownSync(dataDir, owner.uid, owner.gid);
  }
  const run = spawnSync(
    program,
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-instructions'],
    { encoding: 'utf8', timeout: 60_000, ...(owner ?? {}) },
  );
  if (run.status !== 0) {
    throw new ServerError(
      'ERR_LAUNCH_FAILED',
      `postgres: initdb ${dataDir} failed (${run.error?.message ?? `status ${run.status}`}):\n${run.stderr}`.trimEnd() +
        `\n(log: ${logFile})`,
    );
  }
}

function pgIsReady(program: string, host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    execFile(program, ['-q', '-h', host, '-p', String(port), '-t', '2'], { timeout: 5000 }, (err) => {
      done(err === null);
    });
  });
}

/**
 * Initialises (unless already initialised) and starts PostgreSQL under `opts.dir`; resolves once it
 * accepts connections. Stop it with `stopProcess(record)` (SIGINT: fast shutdown).
 */
export async function startPostgres(opts: PostgresOptions): Promise<RunningPostgres> {
  const host = opts.host ?? '127.0.0.1';
  const program = findProgram('postgres', PACKAGE, serverBinDirs());
  const isReady = findProgram('pg_isready', 'postgresql-client', serverBinDirs());
  const owner = serverOwner();
  const dataDir = join(resolve(opts.dir), 'postgres');
  const logFile = join(resolve(opts.dir), 'postgres.log');
  if (owner !== undefined) {
    checkReachable(dataDir, owner);
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    initdb(dataDir, logFile, owner);
  }
  const port = opts.port ?? (await freePort(host));
  const record = launch({
    name: 'postgres',
    program,
    args: [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-k',
      dataDir,
      '-c',
      `listen_addresses=${host}`,
      // Throwaway data: nothing is worth an fsync, and the tests run on loaded machines.
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      ...(opts.settings ?? []).flatMap((c) => ['-c', c]),
    ],
    cwd: dataDir,
    logFile,
    ...(owner ?? {}),
    stopSignal: 'SIGINT',
    stopGraceMs: 15_000,
  });
  await waitReady(
    record,
    `pg_isready on ${host}:${port}`,
    () => pgIsReady(isReady, host, port),
    opts.readyTimeoutMs ?? 30_000,
  );
  return { record, host, port, url: `postgres://postgres@${host}:${port}/postgres`, dataDir, logFile };
}
