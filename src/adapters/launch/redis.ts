/**
 * A Redis (Debian package `redis-server`) for a local cluster or a test: loopback only, no persistence,
 * its working directory and log under a given directory, ready once it answers PING.
 */
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';

import { findProgram, launch, waitReady, type ProcessRecord } from './child-process.js';
import { freePort } from './free-ports.js';

export interface RedisOptions {
  /** `redis/` (its working directory) and `redis.log` go there. */
  readonly dir: string;
  readonly host?: string;
  /** Default: a free port. */
  readonly port?: number;
  /** Default 15 s. */
  readonly readyTimeoutMs?: number;
}

export interface RunningRedis {
  readonly record: ProcessRecord;
  readonly host: string;
  readonly port: number;
  /** `redis://host:port/0`. */
  readonly url: string;
}

/** One RESP PING on a fresh connection; true on `+PONG`. */
export function redisPing(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => {
      finish(false);
    });
    socket.once('error', () => {
      finish(false);
    });
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.includes('\r\n')) {
        finish(reply.startsWith('+PONG'));
      }
    });
  });
}

/** Starts redis-server under `opts.dir`; resolves once it answers PING. */
export async function startRedis(opts: RedisOptions): Promise<RunningRedis> {
  const host = opts.host ?? '127.0.0.1';
  const program = findProgram('redis-server', 'redis-server');
  const dir = resolve(opts.dir);
  const port = opts.port ?? (await freePort(host));
  const work = join(dir, 'redis');
  mkdirSync(work, { recursive: true });
  const record = launch({
    name: 'redis',
    program,
    // Settings as arguments, no file: loopback only, nothing saved, logs on stdout (our log file).
    args: [
      '--bind',
      host,
      '--port',
      String(port),
      '--dir',
      work,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--logfile',
      '',
    ],
    cwd: work,
    logFile: join(dir, 'redis.log'),
    stopGraceMs: 10_000,
  });
  await waitReady(
    record,
    `PING on ${host}:${port}`,
    () => redisPing(host, port),
    opts.readyTimeoutMs ?? 15_000,
  );
  return { record, host, port, url: `redis://${host}:${port}/0` };
}
