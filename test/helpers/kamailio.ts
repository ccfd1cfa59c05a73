/**
 * A real Kamailio (Debian package `kamailio`, 5.6) running the shipped `deploy/kamailio/kamailio.cfg`
 * for a test: a dispatcher.list naming the given nodes in a temp dir, a free loopback UDP port, the
 * runtime dir and PID file in that temp dir (nothing under /var/run), stderr logging. Resolves once it
 * answers OPTIONS; `stop()` ends it by its process group (the one we started, with its workers).
 * No kamailio binary is a failure naming the package, never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { freeUdpPort } from '../interop/helpers/sipp.js';
import { RawSipPeer, statusOf } from './raw-sip-peer.js';

const CONFIG = new URL('../../deploy/kamailio/kamailio.cfg', import.meta.url).pathname;

/** A node the proxy dispatches to. */
export interface KamailioNode {
  readonly address: string;
  readonly port: number;
}

export interface KamailioOptions {
  /** Dispatcher set 1, in this order. */
  readonly nodes: readonly KamailioNode[];
  /** A temp dir the test owns: dispatcher.list, the PID file and the runtime dir go there. */
  readonly dir: string;
  /** More `-A NAME=value` defines (the config's probe timings and the like). */
  readonly defines?: Readonly<Record<string, string | number>>;
}

export interface RunningKamailio {
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  /** What Kamailio logged so far (its `xlog` lines: node down/up, the node each call went to). */
  log(): string;
  /** SIGTERM to its process group, SIGKILL after 3 s; resolves once it exited. */
  stop(): Promise<void>;
}

const MISSING =
  'kamailio is not installed: install the Debian package kamailio (scripts/ensure-system-deps.sh does)';

/** The dispatcher list file: set 1, one line per node. */
export function dispatcherList(nodes: readonly KamailioNode[]): string {
  return (
    '# setid destination flags priority\n' +
    nodes.map((n) => `1 sip:${n.address}:${n.port} 0 0`).join('\n') +
    '\n'
  );
}

export async function startKamailio(opts: KamailioOptions): Promise<RunningKamailio> {
  if (spawnSync('kamailio', ['-v'], { stdio: 'ignore' }).error !== undefined) {
    throw new Error(MISSING);
  }
  const address = '127.0.0.1';
  const port = await freeUdpPort();
  const list = join(opts.dir, 'dispatcher.list');
  writeFileSync(list, dispatcherList(opts.nodes));
  const defines: Record<string, string | number> = {
    LISTEN_ADDR: address,
    LISTEN_PORT: port,
    DISPATCHER_LIST: `"${list}"`,
    CHILDREN: 2,
    ...opts.defines,
  };
  const args = [
    '-f',
    CONFIG,
    '-DD',
    '-E',
    '-a',
    'no',
    '-m',
    '32',
    '-M',
    '4',
    '-Y',
    opts.dir,
    '-P',
    join(opts.dir, 'kamailio.pid'),
    '-w',
    opts.dir,
    ...Object.entries(defines).flatMap(([name, value]) => ['-A', `${name}=${value}`]),
  ];
  // Its own process group, so stop() reaches the workers it forks, and only them.
  const child: ChildProcess = spawn('kamailio', args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(MISSING);
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const signal = (s: NodeJS.Signals): void => {
      try {
        process.kill(-pid, s);
      } catch {
        // Already gone.
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => {
      signal('SIGKILL');
    }, 3000);
    await exited;
    clearTimeout(timer);
  };

  const probe = await RawSipPeer.open(port);
  try {
    const end = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`kamailio exited with status ${child.exitCode}:\n${log.slice(-3000)}`);
      }
      const answer = await probe.options(300).catch(() => undefined);
      if (answer !== undefined && statusOf(answer) > 0) {
        break;
      }
      if (Date.now() > end) {
        await stop();
        throw new Error(
          `kamailio did not answer OPTIONS on ${address}:${port} within 10 s:\n${log.slice(-3000)}`,
        );
      }
    }
  } finally {
    probe.close();
  }
  return { address, port, pid, log: () => log, stop };
}
