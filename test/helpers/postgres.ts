/**
 * A real, throwaway PostgreSQL server for tests (the Debian package `postgresql`; installed by
 * scripts/ensure-system-deps.sh), through the launcher `streamfork cluster up` uses
 * (src/adapters/launch/postgres.ts): `initdb` in a temp dir, the server on a free loopback port, a
 * database created; `stop()` ends it by PID and removes the dir. One server can serve a whole test file
 * (fresh schemas or databases per test: see `freshSchemaUrl`) and several nodes at once (the cluster
 * tests). A missing binary fails with `ERR_LAUNCH_MISSING_BINARY`, naming the package.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { stopProcess } from '../../src/adapters/launch/child-process.js';
import { startPostgres as launchPostgres } from '../../src/adapters/launch/postgres.js';

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/DB` (trust auth on loopback: no password). */
  readonly url: string;
  readonly port: number;
  /** The server's PID. */
  readonly pid: number;
  /** What the server wrote to its log so far (with `log_statement`, every statement). */
  log(): string;
  /** Creates an empty database and resolves to its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server by PID (SIGINT: fast shutdown; SIGKILL after 5 s) and removes its data dir. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** The database created at start. Default `streamfork`. */
  readonly database?: string;
  /** More `name=value` server settings, e.g. `log_statement=all` to count statements. */
  readonly settings?: readonly string[];
}

/** Starts a throwaway server with one database. */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-pg-'));
  // Run as root, the server runs as user postgres, which must be able to enter the dir.
  chmodSync(dir, 0o755);
  const stopped = { done: false };
  let server: Awaited<ReturnType<typeof launchPostgres>>;
  try {
    server = await launchPostgres({
      dir,
      ...(opts.settings === undefined ? {} : { settings: opts.settings }),
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const stop = async (): Promise<void> => {
    if (!stopped.done) {
      stopped.done = true;
      await stopProcess({ ...server.record, stopGraceMs: 5000 });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const { port } = server;
  const createDatabase = async (name: string): Promise<string> => {
    await runOnce(server.url, `CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return `postgres://postgres@127.0.0.1:${port}/${name}`;
  };
  try {
    const url = await createDatabase(opts.database ?? 'streamfork');
    return {
      url,
      port,
      pid: server.record.pid,
      log: () => readFileSync(server.logFile, 'utf8'),
      createDatabase,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs one statement on a connection of its own. */
async function runOnce(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
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
  await runOnce(url, `CREATE SCHEMA ${pg.escapeIdentifier(name)}`);
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${name}`);
  return u.toString();
}
