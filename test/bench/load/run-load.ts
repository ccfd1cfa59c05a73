/**
 * `npm run bench:load` (issue 6): streamfork under load on loopback, next to a null forwarder.
 *
 * Processes: `streamfork serve` (child), the load generator (generator.ts: SIP UAC + paced RTP), the
 * consumer app (consumer.ts: ws server, plays back on bidirectional streams) and the null forwarder
 * (null-forwarder.ts). This process serves the answer URL, ramps N for inbound-only and bidirectional
 * μ-law streams, measures each step over a fixed window and writes the results (see docs/benchmarks/load.md).
 *
 * With two or more CPUs (and taskset), streamfork and the null forwarder run pinned to the first CPU and
 * the generator, consumer and this process to the second (pinning.ts). With --gc-rss streamfork runs with
 * `--inspect=127.0.0.1:0` and a full GC is forced before every RSS reading (inspector.ts).
 *
 * Options: --steps 50,100,200,400,800  --modes inbound,bidir  --budget-s 600  --measure-s 8  --cps 50
 *          --late-ms 100  --close-wait-s 60  --out docs/benchmarks/load-results.json  --cpu-prof <dir>
 *          --no-null  --no-pin  --gc-rss  --keep-going (do not stop the ramp at the first unhealthy step)
 *          --capacity (accepted; the capacity summary is always printed and written)
 *          --sf-log <file> (streamfork's log; default in the temp dir)
 *          --null-rtp-out (inbound steps: the null forwarder also answers each packet with one RTP packet)
 *          --play paced|echo (bidirectional play-back: on the consumer's own 20 ms clock, or on arrival)
 *          --scrape-ms <ms> (GET streamfork's /metrics this often during each window, as Prometheus would)
 *          --sf-root <dir> (measure the streamfork of another checkout, e.g. a worktree of the baseline
 *          commit, under this checkout's harness: a side-by-side run with the same load)
 *          --cluster N (issue 12: N nodes on PostgreSQL and Redis behind Kamailio, from clusterUp, instead of
 *          one `streamfork serve` on SQLite; the calls go to Kamailio; see cluster-bench.ts; no null
 *          forwarder, --gc-rss or --cpu-prof then)
 *          --srtp (issue 13: streamfork runs with rtp.srtp required and the generator calls with SDES-SRTP,
 *          AES_CM_128_HMAC_SHA1_80; the null forwarder stays plain RTP, so use --no-null)
 *          --console [--console-listen N] (a web console watching the run: event feed, listen-in to N calls)
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { readClusterState } from '../../../src/adapters/launch/cluster-state.js';
import {
  type BenchCluster,
  bringDown,
  bringUp,
  clusterPids,
  infraCpuS,
  killNow,
  stillAlive,
  treeAffinity,
} from './cluster-bench.js';
import { dist, nowUs } from './common.js';
import { type Scrapes, startScraping } from './scrape.js';
import { openConsole } from './console-client.js';
import { type GcSample, Inspector, inspectorUrl } from './inspector.js';
import { type PinCheck, checkPid, forkVia, nodeCommand, setupPinning } from './pinning.js';
import {
  type ConsumerStats,
  type GenStats,
  type RunInfo,
  type StepResult,
  capacityLines,
  capacityOf,
  cleanOf,
  healthyOf,
  round,
  summary,
  writeOut,
} from './report.js';

const root = new URL('../../..', import.meta.url).pathname;
const here = new URL('.', import.meta.url).pathname;

const { values: opt } = parseArgs({
  options: {
    steps: { type: 'string', default: '50,100,200,400,800,1200' },
    modes: { type: 'string', default: 'inbound,bidir' },
    'budget-s': { type: 'string', default: '600' },
    'measure-s': { type: 'string', default: '8' },
    cps: { type: 'string', default: '50' },
    'late-ms': { type: 'string', default: '100' },
    'close-wait-s': { type: 'string', default: '60' },
    out: { type: 'string', default: join(root, 'docs/benchmarks/load-results.json') },
    'cpu-prof': { type: 'string' },
    'no-null': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'gc-rss': { type: 'boolean', default: false },

    'keep-going': { type: 'boolean', default: false },
    play: { type: 'string', default: 'paced' },
    'null-rtp-out': { type: 'boolean', default: false },
    'sf-log': { type: 'string', default: join(tmpdir(), 'streamfork-bench-load.log') },
    'sf-root': { type: 'string' },
    'scrape-ms': { type: 'string', default: '0' },
    capacity: { type: 'boolean', default: false },
    cluster: { type: 'string', default: '0' },
    srtp: { type: 'boolean', default: false },
    console: { type: 'boolean', default: false },
    'console-listen': { type: 'string', default: '0' },
  },
});
/** 0: one `streamfork serve` on SQLite (issue 6); N ≥ 1: N clustered nodes behind Kamailio (issue 12). */
const CLUSTER = Number(opt.cluster);
if (!Number.isInteger(CLUSTER) || CLUSTER < 0 || CLUSTER > 2) {
  process.stderr.write(`--cluster must be 1 or 2 (absent: one node without a cluster), got ${opt.cluster}\n`);
  process.exit(2);
}
if (CLUSTER > 0 && (opt['gc-rss'] || opt['cpu-prof'] !== undefined)) {
  process.stderr.write('--gc-rss and --cpu-prof measure the single server; not with --cluster\n');
  process.exit(2);
}
/** The null forwarder is the single-process floor of issue 6; a cluster run has none. */
const NO_NULL = opt['no-null'] || CLUSTER > 0;
const STEPS = opt.steps.split(',').map(Number);
const MODES = opt.modes.split(',') as ('inbound' | 'bidir')[];
const BUDGET_MS = Number(opt['budget-s']) * 1000;
const MEASURE_MS = Number(opt['measure-s']) * 1000;
const CPS = Number(opt.cps);
const LATE_MS = Number(opt['late-ms']);
/** How the consumer plays back on bidirectional streams: `paced` (its own 20 ms clock) or `echo` (on arrival). */
const PLAY = opt.play === 'echo' ? 'echo' : 'paced';
const SF_LOG = opt['sf-log'];
/** The checkout whose `bin/streamfork.js` is measured (a git worktree of a baseline commit); default this one. */
const SF_ROOT = opt['sf-root'] ?? root;
/** Scrape streamfork's GET /metrics this often during each measured window (0: never), as Prometheus would. */
const SCRAPE_MS = Number(opt['scrape-ms']);
const CLOSE_WAIT_MS = Number(opt['close-wait-s']) * 1000;
/**
 * Forced-GC RSS readings (inspector attached, a memory-reducing GC before each reading) are opt-in: they
 * cost streamfork ~10 % CPU in the steps that follow (docs/benchmarks/load.md), so CPU and latency figures
 * come from a run without them.
 */
const GC_RSS = opt['gc-rss'];
const CLK_TCK = 100;
const t0 = Date.now();
const log = (s: string): void => {
  process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${s}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// --- children ----------------------------------------------------------------------------------------
const children: ChildProcess[] = [];
function killAll(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
    }
  }
}
/** The cluster's directory once bring-up has begun, until it is down (its processes are detached). */
let clusterDir: string | null = null;
/** Brings the cluster down (stop signals, then SIGKILL after each piece's grace), at most once. */
async function clusterDownOnce(): Promise<void> {
  const d = clusterDir;
  clusterDir = null;
  if (d !== null && readClusterState(d) !== undefined) {
    await bringDown(d, log).catch((e: unknown) => {
      log(`cluster down failed: ${String(e)}`);
    });
  }
}
/** The synchronous last resort (the exit event): SIGKILL whatever the cluster still runs. */
function killCluster(): void {
  const state = clusterDir === null ? undefined : readClusterState(clusterDir);
  if (state !== undefined) {
    killNow(state);
  }
}
process.on('exit', () => {
  killAll();
  killCluster();
});
async function abort(code: number): Promise<never> {
  killAll();
  await Promise.race([clusterDownOnce(), sleep(60_000)]);
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping everything`);
    void abort(130);
  });
}
// A hard stop well past the budget, whatever happens.
setTimeout(() => {
  log('hard deadline reached; killing every child');
  void abort(3);
}, BUDGET_MS + 300_000).unref();

// Pinning first: children forked later inherit nothing by accident, each gets its CPU explicitly.
const pin = setupPinning(!opt['no-pin'], CLUSTER < 2);
const SERVER_CPU = pin.pinned?.server ?? null;
/** With two nodes, one per CPU, the load peers and the orchestrator are left to the scheduler. */
const LOAD_CPU = CLUSTER >= 2 ? null : (pin.pinned?.load ?? null);

interface Ipc {
  readonly child: ChildProcess;
  ask<T = Record<string, unknown>>(msg: Record<string, unknown>, ev: string, timeoutMs?: number): Promise<T>;
}

function forkChild(file: string, cpu: string | null): Ipc {
  const child = fork(join(here, file), [], {
    ...forkVia(cpu, ['--import', 'tsx']),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const waiters: { ev: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  child.on('message', (m: Record<string, unknown>) => {
    const i = waiters.findIndex((w) => w.ev === m['ev']);
    if (i >= 0) {
      const [w] = waiters.splice(i, 1);
      w?.resolve(m);
    }
  });
  return {
    child,
    ask: <T>(msg: Record<string, unknown>, ev: string, timeoutMs = 120_000): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => {
          reject(new Error(`${file}: no '${ev}' within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push({
          ev,
          resolve: (m) => {
            clearTimeout(t);
            resolve(m as T);
          },
        });
        if (Object.keys(msg).length > 0) {
          child.send(msg);
        }
      }),
  };
}

/** utime and stime of a /proc stat file, in seconds. */
function statTimes(path: string): { user: number; sys: number } {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return { user: Number(fields[11]) / CLK_TCK, sys: Number(fields[12]) / CLK_TCK };
}

/** The host's count of UDP datagrams dropped for a full receive buffer (any process): /proc/net/snmp. */
function udpRcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n');
  const i = lines.findIndex((l) => l.startsWith('Udp: '));
  const names = lines[i]?.split(' ') ?? [];
  const values = lines[i + 1]?.split(' ') ?? [];
  return Number(values[names.indexOf('RcvbufErrors')] ?? NaN);
}

interface ProcSample {
  cpuS: number;
  userS: number;
  sysS: number;
  /** CPU of the main (event-loop) thread alone; the rest is V8's GC/compiler threads and libuv's pool. */
  mainThreadS: number;
  rssKb: number;
}

function procSample(pid: number): ProcSample {
  const all = statTimes(`/proc/${pid}/stat`);
  let main = { user: NaN, sys: NaN };
  try {
    main = statTimes(`/proc/${pid}/task/${pid}/stat`);
  } catch {
    // The process may have gone; the split is then unknown.
  }
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return {
    cpuS: all.user + all.sys,
    userS: all.user,
    sysS: all.sys,
    mainThreadS: main.user + main.sys,
    rssKb,
  };
}

// --- answer URL -----------------------------------------------------------------------------------------
let streamMode: 'inbound' | 'bidir' = 'inbound';
let wsUrl = '';
function answer(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    const params = new URLSearchParams(req.method === 'GET' ? ((req.url ?? '').split('?')[1] ?? '') : body);
    const from = (params.get('From') ?? '').replace(/\D/g, '');
    const id = Number(from.slice(-7));
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      `<Response><Stream bidirectional="${streamMode === 'bidir'}" keepCallAlive="true" ` +
        `contentType="audio/x-mulaw;rate=8000" extraHeaders="gen=${id}">${wsUrl}</Stream></Response>`,
    );
  });
}

// --- one step -------------------------------------------------------------------------------------------
let nextId = 1;
/** Set when a step's streams did not all close within the wait: the next step's result is marked. */
let contaminatedNext = false;

/** The sum of the nodes' samples (one node: its own). */
function sumSamples(xs: readonly ProcSample[]): ProcSample {
  const sum = (k: keyof ProcSample): number => xs.reduce((a, x) => a + x[k], 0);
  return {
    cpuS: sum('cpuS'),
    userS: sum('userS'),
    sysS: sum('sysS'),
    mainThreadS: sum('mainThreadS'),
    rssKb: sum('rssKb'),
  };
}

interface Measured {
  /** GET /metrics during the window (--scrape-ms), or null. */
  scrapes: Scrapes | null;
  /** All streamfork processes together (the single server, or every node). */
  cpuCores: number;
  /** Each streamfork process's CPU over the window (one entry without a cluster). */
  nodes: { id: string; cpuCores: number; user: number; sys: number }[];
  /** Kamailio's, Redis's and PostgreSQL's process trees over the window (cluster runs). */
  infraCpuCores: Record<string, number> | null;
  /** The same CPU split: user, kernel (system calls, and the loopback delivery done on its behalf), main thread. */
  cpuSplit: { user: number; sys: number; mainThread: number };
  /** UDP datagrams the kernel dropped host-wide for full receive buffers during the window. */
  udpDrops: number;
  rss: number;
  g: GenStats;
  c: ConsumerStats;
  genCpu: number;
  appCpu: number;
  orchCpu: number;
  gc: GcSample | null;
}

/** Idle baseline of streamfork after the warm-up: plain VmRSS, and RSS / heap after a forced GC. */
interface Baseline {
  readonly rawRssKb: number;
  readonly gc: GcSample | null;
}

async function measure(sf: Server, gen: Ipc, app: Ipc): Promise<Measured> {
  const fromUs = nowUs() + 200_000;
  const toUs = fromUs + MEASURE_MS * 1000;
  await gen.ask({ cmd: 'window', fromUs, toUs, lateMs: LATE_MS }, 'window');
  await app.ask({ cmd: 'window', fromUs, toUs }, 'window');
  await sleep((fromUs - nowUs()) / 1000);
  const dropsBefore = udpRcvbufErrors();
  const an = sf.nodes.map((n) => procSample(n.pid));
  const ia = sf.infra.length === 0 ? null : infraCpuS(sf.infra);
  const ga = procSample(gen.child.pid ?? 0);
  const ca = procSample(app.child.pid ?? 0);
  const oa = process.cpuUsage();
  const stopScraping =
    SCRAPE_MS > 0 && sf.httpBase !== undefined ? startScraping(sf.httpBase, SCRAPE_MS) : null;
  await sleep((toUs - nowUs()) / 1000);
  const scrapes = stopScraping === null ? null : await stopScraping();
  const bn = sf.nodes.map((n) => procSample(n.pid));
  const ib = ia === null ? null : infraCpuS(sf.infra);
  const gb = procSample(gen.child.pid ?? 0);
  const cb = procSample(app.child.pid ?? 0);
  const od = process.cpuUsage(oa);
  const udpDrops = udpRcvbufErrors() - dropsBefore;
  const secs = MEASURE_MS / 1000;
  const a = sumSamples(an);
  const b = sumSamples(bn);
  await sleep(1500); // frames stamped inside the window still in flight
  const g = await gen.ask<GenStats>({ cmd: 'collect' }, 'stats');
  const c = await app.ask<ConsumerStats>({ cmd: 'collect' }, 'stats');
  // The forced GC comes after the counts are collected, so its pause cannot make a counted frame late.
  const only = sf.nodes[0];
  const gc = sf.inspector === null || only === undefined ? null : await sf.inspector.gcSample(only.pid);
  return {
    scrapes,
    cpuCores: (b.cpuS - a.cpuS) / secs,
    nodes: sf.nodes.map((n, i) => {
      const x = an[i] ?? procSample(n.pid);
      const y = bn[i] ?? x;
      return {
        id: n.id,
        cpuCores: round((y.cpuS - x.cpuS) / secs),
        user: round((y.userS - x.userS) / secs),
        sys: round((y.sysS - x.sysS) / secs),
      };
    }),
    infraCpuCores:
      ia === null || ib === null
        ? null
        : Object.fromEntries(Object.keys(ia).map((k) => [k, round(((ib[k] ?? 0) - (ia[k] ?? 0)) / secs)])),
    cpuSplit: {
      user: round((b.userS - a.userS) / secs),
      sys: round((b.sysS - a.sysS) / secs),
      mainThread: round((b.mainThreadS - a.mainThreadS) / secs),
    },
    rss: b.rssKb,
    udpDrops,
    g,
    c,
    genCpu: (gb.cpuS - ga.cpuS) / secs,
    appCpu: (cb.cpuS - ca.cpuS) / secs,
    orchCpu: (od.user + od.system) / 1e6 / secs,
    gc,
  };
}

function result(
  system: 'streamfork' | 'null',
  mode: 'inbound' | 'bidir',
  n: number,
  answered: number,
  m: Measured,
  idle: Baseline | null,
  setup: StepResult['setup'],
): StepResult {
  const bidir = mode === 'bidir';
  const idleGc = idle?.gc ?? null;
  const afterGc = idleGc !== null && m.gc !== null ? { idle: idleGc, step: m.gc } : null;
  let rssKbPerStream: number | null = null;
  if (afterGc !== null) {
    rssKbPerStream = round((afterGc.step.rssKb - afterGc.idle.rssKb) / n, 1);
  } else if (idle !== null) {
    rssKbPerStream = round((m.rss - idle.rawRssKb) / n, 1);
  }
  const r: StepResult = {
    system,
    mode,
    n,
    answered,
    cpuCores: round(m.cpuCores),
    cpuSplit: m.cpuSplit,
    udpRcvbufDrops: m.udpDrops,
    cpuPctPerStream: round((100 * m.cpuCores) / n, 4),
    rssKb: m.rss,
    rssKbPerStream,
    consumerCpuCores: round(m.appCpu),
    generatorCpuCores: round(m.genCpu),
    rtpToWs: {
      sent: m.g.txInWindow,
      received: m.c.rxStamped,
      lost: m.g.txInWindow - m.c.rxStamped,
      late: m.c.late,
      seqGaps: m.c.seqGaps,
      latencyMs: m.c.latency,
      overMs: m.c.overMs,
    },
    wsToRtp: bidir
      ? {
          sent: m.c.playSent,
          received: m.g.rxStamped,
          lost: m.c.playSent - m.g.rxStamped,
          late: m.g.playLate,
          latencyMs: m.g.playLatency,
          overMs: m.g.playOverMs,
        }
      : null,
    outIntervalErrMs: system === 'streamfork' || bidir ? m.g.intervalErr : null,
    setup,
    checkpoints: m.c.checkpoints,
    playedStream: m.c.playedStream,
    healthy: false,
    rssMethod: afterGc !== null ? 'gc' : idle === null ? null : 'raw',
    rssKbAfterGc: m.gc?.rssKb ?? null,
    heapUsedKb: m.gc?.heapUsedKb ?? null,
    heapUsedKbPerStream:
      afterGc === null ? null : round((afterGc.step.heapUsedKb - afterGc.idle.heapUsedKb) / n, 2),
    orchestratorCpuCores: round(m.orchCpu),
    loadCpuCores: round(m.genCpu + m.appCpu + m.orchCpu),
    clean: false,
    contaminated: contaminatedNext,
    closeWaitS: null,
    leftOpen: 0,
  };
  contaminatedNext = false;
  r.healthy = healthyOf(r);
  r.clean = cleanOf(r);
  return r;
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) {
      return true;
    }
    await sleep(250);
  }
  log(`timed out waiting for ${what}`);
  return false;
}

/**
 * Waits (up to --close-wait-s) until the consumer has no open stream. Records on `r` how long it took or
 * how many were left; if some were left, the next step's result is marked contaminated.
 */
async function waitClosed(app: Ipc, what: string, r: StepResult | null): Promise<void> {
  const started = Date.now();
  let open = -1;
  const ok = await waitFor(
    what,
    async () => {
      open = (await app.ask<{ open: number }>({ cmd: 'open' }, 'open')).open;
      return open === 0;
    },
    CLOSE_WAIT_MS,
  );
  if (r !== null) {
    r.closeWaitS = ok ? round((Date.now() - started) / 1000, 2) : null;
    r.leftOpen = ok ? 0 : open;
  }
  if (!ok) {
    contaminatedNext = true;
    log(
      `${what}: ${open} streams still open after ${CLOSE_WAIT_MS / 1000} s; the next step is marked contaminated`,
    );
  }
}

/** The streamfork processes measured and what they need: one `serve`, or a cluster's nodes. */
interface Server {
  readonly nodes: readonly { id: string; pid: number; sip: string; cpu: string | null }[];
  /** Kamailio, Redis, PostgreSQL (cluster runs; empty otherwise). */
  readonly infra: readonly { name: string; pid: number; cpu: string | null }[];
  readonly inspector: Inspector | null;
  /** Where the generator sends its INVITEs: streamfork itself, or Kamailio. */
  readonly sipPort: number;
  /** The single node's REST API (for --scrape-ms); undefined for a cluster. */
  readonly httpBase?: string;
}

/** Calls and CPU per stream of each node in a step (who answered: the 200's Contact). */
function perNodeOf(
  sf: Server,
  m: Measured,
  byContact: Record<string, number>,
): NonNullable<StepResult['perNode']> {
  return sf.nodes.map((n, i) => {
    const calls = byContact[n.sip] ?? 0;
    const cpuCores = m.nodes[i]?.cpuCores ?? NaN;
    return {
      id: n.id,
      calls,
      cpuCores,
      cpuPctPerStream: calls > 0 ? round((100 * cpuCores) / calls, 4) : null,
    };
  });
}

/** The single server's child process (for its shutdown). */
let serveProc: ChildProcess | null = null;

/** The single server's REST API (and console) port. */
const benchHttpPort = (): number => 18080 + (process.pid % 1000);

async function startStreamfork(dir: string, answerUrl: string): Promise<Server> {
  const sipPort = 15060 + (process.pid % 1000) * 2;
  const httpPort = benchHttpPort();
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      rtp: { portMin: 20000, portMax: 29999, ...(opt.srtp ? { srtp: 'required' } : {}) },
      sip: { transports: ['udp'] },
    }),
  );
  const nodeFlags = [
    ...(opt['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opt['cpu-prof']}`]),
    ...(GC_RSS ? ['--inspect=127.0.0.1:0'] : []),
  ];
  const { cmd, args } = nodeCommand(
    SERVER_CPU,
    [
      ...nodeFlags,
      join(SF_ROOT, 'bin/streamfork.js'),
      'serve',
      '--config',
      configFile,
      '--data-dir',
      join(dir, 'data'),
      '--sip-port',
      String(sipPort),
      '--http-port',
      String(httpPort),
      '--answer-url',
      answerUrl,
      '--auth-id',
      'MALOADBENCH000000000',
      '--auth-token',
      'load-bench',
      '--log-level',
      'warn',
    ],
    true,
  );
  // streamfork's own log (warn and above: dropped streams, errors) is kept for reading after the run.
  const logFd = openSync(SF_LOG, 'w');
  const sf = spawn(cmd, args, { cwd: SF_ROOT, stdio: ['ignore', logFd, 'pipe'] });
  closeSync(logFd);
  log(`streamfork log: ${SF_LOG}`);
  children.push(sf);
  let sfErr = '';
  let url: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      reject(new Error(`streamfork not up within 60 s: ${sfErr}`));
    }, 60_000);
    sf.stderr?.on('data', (d: Buffer) => {
      sfErr += d.toString();
      if (sfErr.length > 200_000) {
        sfErr = sfErr.slice(-100_000);
      }
      try {
        url ??= inspectorUrl(sfErr);
      } catch (e) {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
      if (sfErr.includes('REST API on') && (!GC_RSS || url !== undefined)) {
        clearTimeout(t);
        resolve();
      }
    });
    sf.on('exit', (code, signal) => {
      clearTimeout(t);
      reject(new Error(`streamfork exited (${code ?? signal}): ${sfErr}`));
    });
  });
  sf.stderr?.resume();
  const inspector = url === undefined ? null : await Inspector.connect(url);
  serveProc = sf;
  return {
    nodes: [{ id: 'streamfork', pid: sf.pid ?? 0, sip: `127.0.0.1:${sipPort}`, cpu: SERVER_CPU }],
    infra: [],
    inspector,
    sipPort,
    httpBase: `http://127.0.0.1:${httpPort}`,
  };
}

let cluster: BenchCluster | null = null;

async function startCluster(dir: string, answerUrl: string): Promise<Server> {
  clusterDir = join(dir, 'cluster');
  const c = await bringUp({
    nodes: CLUSTER,
    dir: clusterDir,
    answerUrl,
    maxCalls: Math.max(...STEPS),
    cpus: pin.pinned === null ? null : { first: pin.pinned.server, second: pin.pinned.load },
    log,
  });
  cluster = c;
  log(
    `cluster up: Kamailio ${c.state.sip}; ${c.nodes.map((n) => `${n.id} pid ${n.pid} ${n.sip}`).join(', ')}`,
  );
  log(c.pinNote);
  return { nodes: c.nodes, infra: c.infra, inspector: null, sipPort: c.sipPort };
}

async function warmUp(sf: Server, gen: Ipc, app: Ipc): Promise<Baseline> {
  // Warm-up (not recorded): 20 bidirectional calls for 3 s, so JIT and first-use costs are out of step 1.
  streamMode = 'bidir';
  await app.ask({ cmd: 'mode', bidir: true, lateMs: LATE_MS, play: PLAY }, 'mode');
  await gen.ask({ cmd: 'place', n: 20, cps: CPS, firstId: nextId }, 'placed');
  nextId += 20;
  await sleep(3000);
  await gen.ask({ cmd: 'hangup' }, 'down');
  await waitClosed(app, 'warm-up streams closed', null);
  await sleep(1000);
  const rawRssKb = sumSamples(sf.nodes.map((n) => procSample(n.pid))).rssKb;
  const gc = sf.inspector === null ? null : await sf.inspector.gcSample(sf.nodes[0]?.pid ?? 0);
  return { rawRssKb, gc };
}

async function streamforkStep(
  sf: Server,
  gen: Ipc,
  app: Ipc,
  mode: 'inbound' | 'bidir',
  n: number,
  idle: Baseline,
): Promise<StepResult> {
  await app.ask({ cmd: 'mode', bidir: mode === 'bidir', lateMs: LATE_MS, play: PLAY }, 'mode');
  const firstId = nextId;
  nextId += n;
  log(`${mode} N=${n}: placing ${n} calls at ${CPS}/s`);
  const placed = await gen.ask<{
    answered: number;
    byContact: Record<string, number>;
    finals: Record<string, number>;
    inviteRetransmits: number;
    setup: { id: number; inviteUs: number; okUs: number }[];
  }>({ cmd: 'place', n, cps: CPS, firstId }, 'placed');
  if (placed.answered < n || placed.inviteRetransmits > 0) {
    log(
      `${mode} N=${n}: INVITE final statuses ${JSON.stringify(placed.finals)} (0: none), INVITE retransmits ${placed.inviteRetransmits}`,
    );
  }
  let starts: { gen: number; us: number }[] = [];
  await waitFor(
    'starts',
    async () => {
      starts = (await app.ask<ConsumerStats>({ cmd: 'collect' }, 'stats')).starts;
      return starts.length >= placed.answered;
    },
    15_000,
  );
  const startUs = new Map(starts.map((s) => [s.gen, s.us]));
  const okToStart: number[] = [];
  for (const s of placed.setup) {
    const st = startUs.get(s.id);
    if (st !== undefined) {
      okToStart.push((st - s.okUs) / 1000);
    }
  }
  const setup = {
    inviteToOkMs: dist(placed.setup.map((s) => (s.okUs - s.inviteUs) / 1000)),
    okToStartMs: dist(okToStart),
    missingStarts: placed.answered - okToStart.length,
  };
  await sleep(1500);
  const m = await measure(sf, gen, app);
  const r = result('streamfork', mode, n, placed.answered, m, idle, setup);
  r.perNode = perNodeOf(sf, m, placed.byContact);
  r.inviteFinals = placed.finals;
  if (m.scrapes !== null) {
    r.scrapes = m.scrapes;
    log(`${mode} N=${n}: /metrics scrapes ${JSON.stringify(m.scrapes)}`);
  }
  r.generatorPacing = { lateMaxMs: m.g.pacingLateMaxMs ?? 0, overMs: m.g.pacingLateOverMs ?? {} };
  log(
    `${mode} N=${n}: generator pacing late max ${round(r.generatorPacing.lateMaxMs, 1)} ms, ticks over 20/40/60 ms ${JSON.stringify(r.generatorPacing.overMs)}`,
  );
  r.infraCpuCores = m.infraCpuCores;
  if (m.c.errors.length > 0) {
    log(`consumer errors: ${m.c.errors.join('; ')}`);
  }
  const down = await gen.ask<{ byes: Record<string, number> }>({ cmd: 'hangup' }, 'down');
  r.byes = down.byes;
  if ((down.byes['retransmits'] ?? 0) > 0 || (down.byes['unanswered'] ?? 0) > 0) {
    log(`${mode} N=${n}: BYEs ${JSON.stringify(down.byes)}`);
  }
  await waitClosed(app, `${mode} N=${n}: streamfork streams closed`, r);
  log(summary(r) + ` | closed in ${r.closeWaitS ?? '>' + String(CLOSE_WAIT_MS / 1000)} s`);
  return r;
}

async function nullStep(
  nul: Ipc,
  gen: Ipc,
  app: Ipc,
  mode: 'inbound' | 'bidir',
  n: number,
): Promise<StepResult> {
  await app.ask({ cmd: 'mode', bidir: mode === 'bidir', lateMs: LATE_MS, play: PLAY }, 'mode');
  const rtpOut = opt['null-rtp-out'] && mode === 'inbound';
  const nf = await nul.ask<{ targets: { id: number; port: number }[] }>(
    { cmd: 'start', n, wsUrl, firstId: nextId, rtpOut },
    'ready',
  );
  nextId += n;
  await gen.ask({ cmd: 'raw', targets: nf.targets }, 'raw-ready');
  await sleep(1500);
  const mn = await measure(
    {
      nodes: [{ id: 'null', pid: nul.child.pid ?? 0, sip: '', cpu: SERVER_CPU }],
      infra: [],
      inspector: null,
      sipPort: 0,
    },
    gen,
    app,
  );
  const rn = result('null', mode, n, n, mn, null, null);
  await gen.ask({ cmd: 'hangup' }, 'down');
  await nul.ask({ cmd: 'stop' }, 'stopped');
  await waitClosed(app, `${mode} N=${n}: null streams closed`, rn);
  log(summary(rn));
  return rn;
}

function checkPins(sf: Server, gen: Ipc, app: Ipc, nul: Ipc | null): Record<string, PinCheck> {
  const checks: Record<string, PinCheck> = {};
  const expected: Record<string, string | null> = {};
  for (const n of sf.nodes) {
    checks[n.id] = checkPid(n.pid, n.cpu);
    expected[n.id] = n.cpu;
  }
  for (const p of sf.infra) {
    // Not node processes: only the affinity of every thread of the tree is checked.
    const affinity = treeAffinity(p.pid);
    const ok = p.cpu === null || (affinity.length === 1 && affinity[0] === p.cpu);
    checks[p.name] = { pid: p.pid, isNode: false, affinity, ok };
    expected[p.name] = p.cpu;
  }
  if (nul !== null) {
    checks['nullForwarder'] = checkPid(nul.child.pid ?? 0, SERVER_CPU);
    expected['nullForwarder'] = SERVER_CPU;
  }
  for (const [name, child] of [
    ['generator', gen.child.pid ?? 0],
    ['consumer', app.child.pid ?? 0],
    ['orchestrator', process.pid],
  ] as const) {
    checks[name] = checkPid(child, LOAD_CPU);
    expected[name] = LOAD_CPU;
  }
  for (const [name, c] of Object.entries(checks)) {
    const line = `${name} pid ${c.pid}: ${c.isNode ? 'node' : 'not node'}, CPUs allowed ${c.affinity.join(' | ')}`;
    log(c.ok ? line : `WARNING ${line} (expected ${expected[name] ?? 'any'})`);
  }
  return checks;
}

/** Copies each cluster process's log next to --sf-log (`…-node-1.log`, `…-kamailio.log`) before the purge. */
function keepClusterLogs(c: BenchCluster): void {
  const base = SF_LOG.replace(/\.log$/, '');
  const kept: string[] = [];
  for (const p of c.state.processes) {
    try {
      copyFileSync(p.logFile, `${base}-${p.name}.log`);
      kept.push(`${base}-${p.name}.log`);
    } catch {
      // No log written.
    }
  }
  log(`cluster logs kept: ${kept.join(', ')}`);
}

/** Stops the server(s): SIGTERM to the single `serve`, or the whole cluster down; returns leftovers. */
async function stopServer(sf: Server): Promise<number[]> {
  // Node waits for an attached debugger before it exits: close the session first.
  await sf.inspector?.close();
  if (cluster === null) {
    const proc = serveProc;
    proc?.kill('SIGTERM');
    await Promise.race([new Promise((r) => proc?.on('exit', r)), sleep(20_000)]);
    return [];
  }
  const pids = clusterPids(cluster);
  await clusterDownOnce();
  keepClusterLogs(cluster);
  const left = stillAlive(pids);
  log(
    left.length === 0
      ? `cluster down: none of its ${pids.length} processes is left`
      : `WARNING cluster down left pids ${left.join(',')}`,
  );
  return left;
}

function runOptions(): Record<string, unknown> {
  return {
    keepGoing: opt['keep-going'],
    steps: STEPS,
    modes: MODES,
    measureS: MEASURE_MS / 1000,
    cps: CPS,
    lateMs: LATE_MS,
    cpuProf: opt['cpu-prof'] ?? null,
    pin: pin.pinned !== null,
    gcRss: GC_RSS,
    closeWaitS: CLOSE_WAIT_MS / 1000,
    noNull: NO_NULL,
    play: PLAY,
    nullRtpOut: opt['null-rtp-out'],
    srtp: opt.srtp,
    cluster: CLUSTER,
  };
}

async function ramp(
  sf: Server,
  gen: Ipc,
  app: Ipc,
  nul: Ipc | null,
  idle: Baseline,
  info: RunInfo,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const [mi, mode] of MODES.entries()) {
    const modeDeadline = t0 + (BUDGET_MS * (mi + 1)) / MODES.length;
    streamMode = mode;
    for (const n of STEPS) {
      const estimate = ((2 * n) / CPS + MEASURE_MS / 1000 + 8) * (nul === null ? 1 : 1.7) * 1000;
      if (Date.now() + estimate > modeDeadline) {
        log(`${mode} N=${n}: skipped, over the time budget`);
        break;
      }
      const r = await streamforkStep(sf, gen, app, mode, n, idle);
      results.push(r);
      if (nul !== null) {
        results.push(await nullStep(nul, gen, app, mode, n));
      }
      writeOut(opt.out, results, MODES, info);
      if (!r.healthy && !opt['keep-going']) {
        log(`${mode} N=${n}: unhealthy; ramp of ${mode} stops here`);
        break;
      }
    }
  }
  return results;
}

async function main(): Promise<void> {
  log(pin.note);
  const loadAtStart = loadavg().map((x) => round(x, 2));
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-load-'));
  process.on('exit', () => {
    rmSync(dir, { recursive: true, force: true });
  });
  if (CLUSTER > 0) {
    // PostgreSQL runs as its own user when we are root: it must reach its data directory.
    chmodSync(dir, 0o755);
  }
  const http = createServer(answer);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const answerUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/answer`;

  const app = forkChild('consumer.ts', LOAD_CPU);
  const gen = forkChild('generator.ts', LOAD_CPU);
  const nul = NO_NULL ? null : forkChild('null-forwarder.ts', SERVER_CPU);
  const appReady = await app.ask<{ port: number }>({}, 'ready');
  wsUrl = `ws://127.0.0.1:${appReady.port}/stream`;

  const sf = CLUSTER > 0 ? await startCluster(dir, answerUrl) : await startStreamfork(dir, answerUrl);
  await gen.ask({ cmd: 'init', sipPort: sf.sipPort, srtp: opt.srtp }, 'ready');
  await sleep(2000);
  const cold = sumSamples(sf.nodes.map((n) => procSample(n.pid)));
  const idle = await warmUp(sf, gen, app);
  const pinCheck = checkPins(sf, gen, app, nul);
  log(
    `streamfork pids ${sf.nodes.map((n) => n.pid).join(',')} up; RSS cold ${cold.rssKb} kB, idle after warm-up ${idle.rawRssKb} kB` +
      (idle.gc === null
        ? ' (no forced GC)'
        : `, after forced GC ${idle.gc.rssKb} kB (heap used ${idle.gc.heapUsedKb} kB, GC ${idle.gc.gcMs} ms)`),
  );
  const info: RunInfo = {
    options: runOptions(),
    idleRssKb: idle.gc?.rssKb ?? idle.rawRssKb,
    coldRssKb: cold.rssKb,
    idleRssKbNoGc: idle.rawRssKb,
    idleHeapUsedKb: idle.gc?.heapUsedKb ?? null,
    gcRss: idle.gc !== null,
    pinned: pin.pinned,
    pinNote: cluster?.pinNote ?? pin.note,
    pinCheck,
    loadAvgAtStart: loadAtStart,
    cluster:
      cluster === null
        ? null
        : {
            nodes: CLUSTER,
            sip: cluster.state.sip,
            members: [...cluster.nodes, ...cluster.infra].map((p) => ({
              name: 'id' in p ? p.id : p.name,
              pid: p.pid,
              cpu: p.cpu,
            })),
          },
  };

  // --console: an operator watching (event feed; listen-in to --console-listen calls) during the ramp.
  const watching =
    opt.console && CLUSTER === 0
      ? await openConsole(
          `http://127.0.0.1:${benchHttpPort()}`,
          'MALOADBENCH000000000',
          'load-bench',
          Number(opt['console-listen']),
        )
      : null;
  const results = await ramp(sf, gen, app, nul, idle, info);
  if (watching !== null) {
    log(`console watching: ${JSON.stringify(watching.stats())}`);
    watching.close();
  }
  // Idle again after the ramp: what the steps left behind (retained per-call state would show here).
  await sleep(1000);
  const endGc = sf.inspector === null ? null : await sf.inspector.gcSample(sf.nodes[0]?.pid ?? 0);
  const end = {
    endIdleRssKbNoGc: sumSamples(sf.nodes.map((n) => procSample(n.pid))).rssKb,
    endIdleRssKb: endGc?.rssKb ?? null,
    endIdleHeapUsedKb: endGc?.heapUsedKb ?? null,
    loadAvgAtEnd: loadavg().map((x) => round(x, 2)),
  };
  log(
    `streamfork idle after the ramp: RSS ${end.endIdleRssKb ?? end.endIdleRssKbNoGc} kB, heap used ${end.endIdleHeapUsedKb ?? '-'} kB`,
  );
  writeOut(opt.out, results, MODES, { ...info, ...end });
  for (const r of results) {
    process.stdout.write(summary(r) + '\n');
  }
  for (const line of capacityLines(capacityOf(results, MODES))) {
    process.stdout.write(line + '\n');
  }

  const left = await stopServer(sf);
  writeOut(opt.out, results, MODES, { ...info, ...end, leftAfterDown: left });
  for (const c of [gen, app, nul]) {
    if (c?.child.connected === true) {
      c.child.send({ cmd: 'exit' });
    }
  }
  await sleep(300);
  killAll();
  http.close();
  log('done');
}

main().catch((e: unknown) => {
  log(`failed: ${String(e)}`);
  void abort(1);
});
