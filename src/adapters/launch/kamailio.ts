/**
 * Kamailio (Debian package `kamailio`, 5.6) in front of streamfork nodes, running the shipped
 * `deploy/kamailio/kamailio.cfg` with a generated dispatcher list: everything it writes (the list, its
 * PID file, its runtime directory, its log) stays under a given directory, nothing under /var/run.
 * Ready once it answers OPTIONS; it forks workers, so it is stopped by its process group.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ServerError } from '../../errors/server-error.js';
import { findProgram, launch, waitReady, type ProcessRecord } from './child-process.js';
import { freePort } from './free-ports.js';
import { sipOptionsStatus } from './sip-options.js';

/** The config shipped with streamfork (the same path from src/ and from dist/). */
export const SHIPPED_KAMAILIO_CFG = fileURLToPath(
  new URL('../../../deploy/kamailio/kamailio.cfg', import.meta.url),
);

/** A node Kamailio dispatches to (dispatcher set 1). */
export interface DispatchTarget {
  readonly address: string;
  readonly port: number;
}

export interface KamailioOptions {
  /** `kamailio/` (dispatcher.list, PID file, runtime dir) and `kamailio.log` go there. */
  readonly dir: string;
  /** Dispatcher set 1, in this order. */
  readonly nodes: readonly DispatchTarget[];
  readonly host?: string;
  /** UDP port; default a free one. */
  readonly port?: number;
  /** More `-A NAME=value` defines of the config (probe timings and the like). */
  readonly defines?: Readonly<Record<string, string | number>>;
  /** Default: {@link SHIPPED_KAMAILIO_CFG}. */
  readonly configFile?: string;
  /** Default 15 s. */
  readonly readyTimeoutMs?: number;
}

export interface RunningKamailio {
  readonly record: ProcessRecord;
  readonly host: string;
  readonly port: number;
  readonly dispatcherList: string;
}

/** The dispatcher list file: set 1, one line per node (`setid destination flags priority`). */
export function dispatcherList(nodes: readonly DispatchTarget[]): string {
  return (
    '# setid destination flags priority\n' +
    nodes.map((n) => `1 sip:${n.address}:${n.port} 0 0`).join('\n') +
    '\n'
  );
}

/** Starts Kamailio under `opts.dir`; resolves once it answers OPTIONS (any final status). */
export async function startKamailio(opts: KamailioOptions): Promise<RunningKamailio> {
  const program = findProgram('kamailio', 'kamailio');
  const configFile = opts.configFile ?? SHIPPED_KAMAILIO_CFG;
  if (!existsSync(configFile)) {
    throw new ServerError('ERR_LAUNCH_FAILED', `kamailio: its config ${configFile} is missing`);
  }
  const host = opts.host ?? '127.0.0.1';
  const dir = resolve(opts.dir);
  const work = join(dir, 'kamailio');
  mkdirSync(work, { recursive: true });
  const port = opts.port ?? (await freePort(host, ['udp']));
  const list = join(work, 'dispatcher.list');
  writeFileSync(list, dispatcherList(opts.nodes));
  const defines: Record<string, string | number> = {
    LISTEN_ADDR: host,
    LISTEN_PORT: port,
    DISPATCHER_LIST: `"${list}"`,
    CHILDREN: 2,
    ...opts.defines,
  };
  const record = launch({
    name: 'kamailio',
    program,
    // -DD: stay in the foreground; -E: log to stderr (our log file); small shared/private memory.
    args: [
      '-f',
      configFile,
      '-DD',
      '-E',
      '-a',
      'no',
      '-m',
      '32',
      '-M',
      '4',
      '-Y',
      work,
      '-P',
      join(work, 'kamailio.pid'),
      '-w',
      work,
      ...Object.entries(defines).flatMap(([name, value]) => ['-A', `${name}=${value}`]),
    ],
    cwd: work,
    logFile: join(dir, 'kamailio.log'),
    group: true,
    stopGraceMs: 5000,
  });
  await waitReady(
    record,
    `an OPTIONS answer on ${host}:${port}`,
    async () => (await sipOptionsStatus(host, port, 500)) !== undefined,
    opts.readyTimeoutMs ?? 15_000,
  );
  return { record, host, port, dispatcherList: list };
}
