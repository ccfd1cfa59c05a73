/**
 * A real, throwaway PostgreSQL server for tests (the Debian package `postgresql`; installed by
 * scripts/ensure-system-deps.sh): `initdb` into a temp dir owned by user `postgres`, the server on a
 * free loopback port with its socket in that dir, a database created; `stop()` ends it by PID and
 * removes the dir. One server can serve a whole test file (fresh schemas or databases per test: see
 * `freshSchemaUrl`) and several nodes at once (the cluster tests).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { freeTcpPort } from '../interop/helpers/serve.js';

export const POSTGRES_MISSING =
  'PostgreSQL binaries (initdb, postgres) not found: install the Debian package postgresql (scripts/ensure-system-deps.sh does)';

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/DB` (trust auth on loopback: no password). */
  readonly url: string;
  readonly port: number;
  /** The server's PID. */
  readonly pid: number;
  /** Creates an empty database and resolves to its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server by PID (SIGINT: fast shutdown; SIGKILL after 5 s) and removes its data dir. */
  stop(): Promise<void>;
}

/** The directory holding `initdb` and `postgres`: on PATH, else the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath !== '' && existsSync(join(onPath, '..', 'postgres'))) {
    return join(onPath, '..');
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) {
    return undefined;
  }
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

/** The uid and gid of the `postgres` user (the Debian package creates it; initdb refuses root). */
function postgresUser(): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || uid <= 0 || !Number.isInteger(gid)) {
    throw new Error(`no user postgres: ${POSTGRES_MISSING}`);
  }
  return { uid, gid };
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const end = Date.now() + 20_000;
  let last: unknown;
  while (Date.now() < end) {
    if (child.exitCode !== null) {
      throw new Error(`postgres exited (${child.exitCode}) before it was ready:\n${log()}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      last = err;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not accept connections within 20 s: ${String(last)}\n${log()}`);
}

/** Starts a throwaway server with database `database` (default `streamfork`). Throws {@link POSTGRES_MISSING} when not installed. */
export async function startPostgres(database = 'streamfork'): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (bin === undefined) {
    throw new Error(POSTGRES_MISSING);
  }
  // Run as user postgres, as `runuser -u postgres --` would, but as our direct child: the PID we
  // signal on stop is the postmaster's own (runuser does not pass SIGINT on).
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-pg-'));
  const data = join(dir, 'data');
  chownSync(dir, user.uid, user.gid);
  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'],
    { ...user, cwd: dir, encoding: 'utf8' },
  );
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `initdb failed (${init.status}):\n${init.stdout}${init.stderr}${init.error?.message ?? ''}`,
    );
  }
  const port = await freeTcpPort();
  const settings = [
    'listen_addresses=127.0.0.1',
    'fsync=off',
    'synchronous_commit=off',
    'full_page_writes=off',
  ];
  const child = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-k', dir, '-p', String(port), ...settings.flatMap((c) => ['-c', c])],
    { ...user, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const append = (d: Buffer): void => {
    log += d.toString();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<void>((r) => {
    child.once('exit', () => {
      r();
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGINT is the postmaster's fast shutdown (ends sessions, no checkpoint wait).
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await waitReady(admin, child, () => log);
  } catch (err) {
    await stop();
    throw err;
  }
  const createDatabase = async (name: string): Promise<string> => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
    return `postgres://postgres@127.0.0.1:${port}/${name}`;
  };
  try {
    const url = await createDatabase(database);
    return { url, port, pid: child.pid ?? -1, createDatabase, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

let schemas = 0;

/**
 * A new empty schema in the database at `url`, and the URL whose connections use it (`search_path`
 * through the `options` parameter): a fresh store per test at the cost of one CREATE SCHEMA.
 */
export async function freshSchemaUrl(url: string, prefix = 't'): Promise<string> {
  schemas += 1;
  const name = `${prefix}_${process.pid}_${schemas}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${name}`);
  return u.toString();
}
