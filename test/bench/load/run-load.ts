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
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { dist, nowUs } from './common.js';
import { type GcSample, Inspector, inspectorUrl } from './inspector.js';
import { type PinCheck, checkPid, forkVia, nodeCommand, setupPinning } from './pinning.js';
import {
  type ConsumerStats,
  type GenStats,
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
    capacity: { type: 'boolean', default: false },
  },
});
const STEPS = opt.steps.split(',').map(Number);
const MODES = opt.modes.split(',') as ('inbound' | 'bidir')[];
const BUDGET_MS = Number(opt['budget-s']) * 1000;
const MEASURE_MS = Number(opt['measure-s']) * 1000;
const CPS = Number(opt.cps);
const LATE_MS = Number(opt['late-ms']);
/** How the consumer plays back on bidirectional streams: `paced` (its own 20 ms clock) or `echo` (on arrival). */
const PLAY = opt.play === 'echo' ? 'echo' : 'paced';
const SF_LOG = opt['sf-log'];
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
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}
// A hard stop well past the budget, whatever happens.
setTimeout(() => {
  log('hard deadline reached; killing every child');
  killAll();
  process.exit(3);
}, BUDGET_MS + 300_000).unref();

// Pinning first: children forked later inherit nothing by accident, each gets its CPU explicitly.
const pin = setupPinning(!opt['no-pin']);
const SERVER_CPU = pin.pinned?.server ?? null;
const LOAD_CPU = pin.pinned?.load ?? null;

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

interface Measured {
  cpuCores: number;
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

async function measure(pid: number, gen: Ipc, app: Ipc, inspector: Inspector | null): Promise<Measured> {
  const fromUs = nowUs() + 200_000;
  const toUs = fromUs + MEASURE_MS * 1000;
  await gen.ask({ cmd: 'window', fromUs, toUs, lateMs: LATE_MS }, 'window');
  await app.ask({ cmd: 'window', fromUs, toUs }, 'window');
  await sleep((fromUs - nowUs()) / 1000);
  const dropsBefore = udpRcvbufErrors();
  const a = procSample(pid);
  const ga = procSample(gen.child.pid ?? 0);
  const ca = procSample(app.child.pid ?? 0);
  const oa = process.cpuUsage();
  await sleep((toUs - nowUs()) / 1000);
  const b = procSample(pid);
  const gb = procSample(gen.child.pid ?? 0);
  const cb = procSample(app.child.pid ?? 0);
  const od = process.cpuUsage(oa);
  const udpDrops = udpRcvbufErrors() - dropsBefore;
  const secs = MEASURE_MS / 1000;
  await sleep(1500); // frames stamped inside the window still in flight
  const g = await gen.ask<GenStats>({ cmd: 'collect' }, 'stats');
  const c = await app.ask<ConsumerStats>({ cmd: 'collect' }, 'stats');
  // The forced GC comes after the counts are collected, so its pause cannot make a counted frame late.
  const gc = inspector === null ? null : await inspector.gcSample(pid);
  return {
    cpuCores: (b.cpuS - a.cpuS) / secs,
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

interface Server {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly inspector: Inspector | null;
}

async function startStreamfork(dir: string, answerUrl: string): Promise<Server> {
  const sipPort = 15060 + (process.pid % 1000) * 2;
  const httpPort = 18080 + (process.pid % 1000);
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({ rtp: { portMin: 20000, portMax: 29999 }, sip: { transports: ['udp'] } }),
  );
  const nodeFlags = [
    ...(opt['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opt['cpu-prof']}`]),
    ...(GC_RSS ? ['--inspect=127.0.0.1:0'] : []),
  ];
  const { cmd, args } = nodeCommand(
    SERVER_CPU,
    [
      ...nodeFlags,
      join(root, 'bin/streamfork.js'),
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
  const sf = spawn(cmd, args, { cwd: root, stdio: ['ignore', logFd, 'pipe'] });
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
  return { proc: sf, pid: sf.pid ?? 0, inspector };
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
  const rawRssKb = procSample(sf.pid).rssKb;
  const gc = sf.inspector === null ? null : await sf.inspector.gcSample(sf.pid);
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
  const placed = await gen.ask<{ answered: number; setup: { id: number; inviteUs: number; okUs: number }[] }>(
    { cmd: 'place', n, cps: CPS, firstId },
    'placed',
  );
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
  const m = await measure(sf.pid, gen, app, sf.inspector);
  const r = result('streamfork', mode, n, placed.answered, m, idle, setup);
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
  const mn = await measure(nul.child.pid ?? 0, gen, app, null);
  const rn = result('null', mode, n, n, mn, null, null);
  await gen.ask({ cmd: 'hangup' }, 'down');
  await nul.ask({ cmd: 'stop' }, 'stopped');
  await waitClosed(app, `${mode} N=${n}: null streams closed`, rn);
  log(summary(rn));
  return rn;
}

function checkPins(sf: Server, gen: Ipc, app: Ipc, nul: Ipc): Record<string, PinCheck> {
  const checks: Record<string, PinCheck> = {
    streamfork: checkPid(sf.pid, SERVER_CPU),
    nullForwarder: checkPid(nul.child.pid ?? 0, SERVER_CPU),
    generator: checkPid(gen.child.pid ?? 0, LOAD_CPU),
    consumer: checkPid(app.child.pid ?? 0, LOAD_CPU),
    orchestrator: checkPid(process.pid, LOAD_CPU),
  };
  for (const [name, c] of Object.entries(checks)) {
    const line = `${name} pid ${c.pid}: ${c.isNode ? 'node' : 'NOT node'}, CPUs allowed ${c.affinity.join(' | ')}`;
    log(
      c.ok
        ? line
        : `WARNING ${line} (expected ${name === 'streamfork' || name === 'nullForwarder' ? SERVER_CPU : LOAD_CPU})`,
    );
  }
  return checks;
}

async function main(): Promise<void> {
  log(pin.note);
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-load-'));
  process.on('exit', () => {
    rmSync(dir, { recursive: true, force: true });
  });
  const http = createServer(answer);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const answerUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/answer`;

  const app = forkChild('consumer.ts', LOAD_CPU);
  const gen = forkChild('generator.ts', LOAD_CPU);
  const nul = forkChild('null-forwarder.ts', SERVER_CPU);
  const appReady = await app.ask<{ port: number }>({}, 'ready');
  wsUrl = `ws://127.0.0.1:${appReady.port}/stream`;

  const sf = await startStreamfork(dir, answerUrl);
  const sipPort = 15060 + (process.pid % 1000) * 2;
  await gen.ask({ cmd: 'init', sipPort }, 'ready');
  await sleep(2000);
  const cold = procSample(sf.pid);
  const idle = await warmUp(sf, gen, app);
  const pinCheck = checkPins(sf, gen, app, nul);
  log(
    `streamfork pid ${sf.pid} up; RSS cold ${cold.rssKb} kB, idle after warm-up ${idle.rawRssKb} kB` +
      (idle.gc === null
        ? ' (no forced GC)'
        : `, after forced GC ${idle.gc.rssKb} kB (heap used ${idle.gc.heapUsedKb} kB, GC ${idle.gc.gcMs} ms)`),
  );
  const info = {
    options: {
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
      noNull: opt['no-null'],
      play: PLAY,
      nullRtpOut: opt['null-rtp-out'],
    },
    idleRssKb: idle.gc?.rssKb ?? idle.rawRssKb,
    coldRssKb: cold.rssKb,
    idleRssKbNoGc: idle.rawRssKb,
    idleHeapUsedKb: idle.gc?.heapUsedKb ?? null,
    gcRss: idle.gc !== null,
    pinned: pin.pinned,
    pinNote: pin.note,
    pinCheck,
  };

  const results: StepResult[] = [];
  for (const [mi, mode] of MODES.entries()) {
    const modeDeadline = t0 + (BUDGET_MS * (mi + 1)) / MODES.length;
    streamMode = mode;
    for (const n of STEPS) {
      const estimate = ((2 * n) / CPS + MEASURE_MS / 1000 + 8) * (opt['no-null'] ? 1 : 1.7) * 1000;
      if (Date.now() + estimate > modeDeadline) {
        log(`${mode} N=${n}: skipped, over the time budget`);
        break;
      }
      const r = await streamforkStep(sf, gen, app, mode, n, idle);
      results.push(r);
      if (!opt['no-null']) {
        results.push(await nullStep(nul, gen, app, mode, n));
      }
      writeOut(opt.out, results, MODES, info);
      if (!r.healthy && !opt['keep-going']) {
        log(`${mode} N=${n}: unhealthy; ramp of ${mode} stops here`);
        break;
      }
    }
  }
  // Idle again after the ramp: what the steps left behind (retained per-call state would show here).
  await sleep(1000);
  const endGc = sf.inspector === null ? null : await sf.inspector.gcSample(sf.pid);
  const end = {
    endIdleRssKbNoGc: procSample(sf.pid).rssKb,
    endIdleRssKb: endGc?.rssKb ?? null,
    endIdleHeapUsedKb: endGc?.heapUsedKb ?? null,
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

  // Node waits for an attached debugger before it exits: close the session first.
  await sf.inspector?.close();
  sf.proc.kill('SIGTERM');
  await Promise.race([new Promise((r) => sf.proc.on('exit', r)), sleep(20_000)]);
  for (const c of [gen, app, nul]) {
    if (c.child.connected) {
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
  killAll();
  process.exit(1);
});
