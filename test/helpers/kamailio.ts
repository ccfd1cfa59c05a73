/**
 * A real Kamailio (Debian package `kamailio`, 5.6) running the shipped `deploy/kamailio/kamailio.cfg`
 * for a test, through the launcher `streamfork cluster up` uses (src/adapters/launch/kamailio.ts): a
 * dispatcher list naming the given nodes, a free loopback UDP port, the runtime dir and PID file in the
 * test's dir (nothing under /var/run), its log in `<dir>/kamailio.log`. Resolves once it answers
 * OPTIONS; `stop()` ends it by its process group (the one we started, with its workers). No kamailio
 * binary is a failure naming the package, never a skip.
 */
import { readFileSync } from 'node:fs';

import { stopProcess } from '../../src/adapters/launch/child-process.js';
import { startKamailio as launchKamailio, type DispatchTarget } from '../../src/adapters/launch/kamailio.js';

export { dispatcherList } from '../../src/adapters/launch/kamailio.js';

/** A node the proxy dispatches to. */
export type KamailioNode = DispatchTarget;

export interface KamailioOptions {
  /** Dispatcher set 1, in this order. */
  readonly nodes: readonly KamailioNode[];
  /** A temp dir the test owns: the dispatcher list, the PID file, the runtime dir and the log go there. */
  readonly dir: string;
  /** More `-A NAME=value` defines (the config's probe timings and the like). */
  readonly defines?: Readonly<Record<string, string | number>>;
  /** Another shipped config (e.g. deploy/kamailio/registrar.cfg). Default the dispatcher one. */
  readonly configFile?: string;
  /** UDP (and TCP, when the config listens on it) port; default a free UDP one. */
  readonly port?: number;
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

export async function startKamailio(opts: KamailioOptions): Promise<RunningKamailio> {
  const { record, host, port } = await launchKamailio({
    dir: opts.dir,
    nodes: opts.nodes,
    ...(opts.defines === undefined ? {} : { defines: opts.defines }),
    ...(opts.configFile === undefined ? {} : { configFile: opts.configFile }),
    ...(opts.port === undefined ? {} : { port: opts.port }),
  });
  return {
    address: host,
    port,
    pid: record.pid,
    log: () => readFileSync(record.logFile, 'utf8'),
    stop: async () => {
      await stopProcess({ ...record, stopGraceMs: 3000 });
    },
  };
}
