/**
 * `npm run bench:load` (issue 6): streamfork under load on loopback, next to a null forwarder.
 *
 * Processes: `streamfork serve` (child), the load generator (generator.ts: SIP UAC + paced RTP), the
 * consumer app (consumer.ts: ws server, plays back on bidirectional streams) and the null forwarder
 * (null-forwarder.ts). This process serves the answer URL, ramps N for inbound-only and bidirectional
 * μ-law streams, measures each step over a fixed window and writes the results (see docs/benchmarks/load.md).
 *
 * Options: --steps 50,100,200,400,800  --modes inbound,bidir  --budget-s 600  --measure-s 8  --cps 50
 *          --out docs/benchmarks/load-results.json  --cpu-prof <dir>  --no-null
 *          --keep-going (do not stop the ramp at the first unhealthy step)
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { type Dist, dist, nowUs } from './common.js';

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
    out: { type: 'string', default: join(root, 'docs/benchmarks/load-results.json') },
    'cpu-prof': { type: 'string' },
    'no-null': { type: 'boolean', default: false },
    'keep-going': { type: 'boolean', default: false },
  },
});
const STEPS = opt.steps.split(',').map(Number);
const MODES = opt.modes.split(',') as ('inbound' | 'bidir')[];
const BUDGET_MS = Number(opt['budget-s']) * 1000;
const MEASURE_MS = Number(opt['measure-s']) * 1000;
const CPS = Number(opt.cps);
const LATE_MS = Number(opt['late-ms']);
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
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
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
}, BUDGET_MS + 240_000).unref();

interface Ipc {
  readonly child: ChildProcess;
  ask<T = Record<string, unknown>>(msg: Record<string, unknown>, ev: string, timeoutMs?: number): Promise<T>;
}

function forkChild(file: string): Ipc {
  const child = fork(join(here, file), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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

function procSample(pid: number): { cpuS: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const cpuS = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return { cpuS, rssKb };
}

// --- answer URL -----------------------------------------------------------------------------------------
let streamMode: 'inbound' | 'bidir' = 'inbound';
let wsUrl = '';
function answer(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    const params = new URLSearchParams(req.method === 'GET' ? (req.url ?? '').split('?')[1] ?? '' : body);
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
interface GenStats {
  txInWindow: number;
  rxStamped: number;
  rxFrames: number;
  playLate: number;
  playLatency: Dist;
  intervalErr: Dist;
  cpu: { user: number; system: number };
}
interface ConsumerStats {
  open: number;
  closed: number;
  rxStamped: number;
  rxMedia: number;
  late: number;
  seqGaps: number;
  playSent: number;
  checkpoints: number;
  playedStream: number;
  latency: Dist;
  starts: { gen: number; us: number }[];
  errors: string[];
  cpu: { user: number; system: number };
}

interface StepResult {
  system: 'streamfork' | 'null';
  mode: 'inbound' | 'bidir';
  n: number;
  answered: number;
  cpuCores: number;
  cpuPctPerStream: number;
  rssKb: number;
  rssKbPerStream: number | null;
  consumerCpuCores: number;
  generatorCpuCores: number;
  rtpToWs: { sent: number; received: number; lost: number; late: number; seqGaps: number; latencyMs: Dist };
  wsToRtp: { sent: number; received: number; lost: number; late: number; latencyMs: Dist } | null;
  outIntervalErrMs: Dist | null;
  setup: { inviteToOkMs: Dist; okToStartMs: Dist; missingStarts: number } | null;
  checkpoints: number;
  playedStream: number;
  healthy: boolean;
}

let nextId = 1;

async function measure(pid: number, gen: Ipc, app: Ipc): Promise<{ cpuCores: number; rss: number; g: GenStats; c: ConsumerStats; genCpu: number; appCpu: number }> {
  const fromUs = nowUs() + 200_000;
  const toUs = fromUs + MEASURE_MS * 1000;
  await gen.ask({ cmd: 'window', fromUs, toUs }, 'window');
  await app.ask({ cmd: 'window', fromUs, toUs }, 'window');
  await sleep((fromUs - nowUs()) / 1000);
  const a = procSample(pid);
  const ga = procSample(gen.child.pid ?? 0);
  const ca = procSample(app.child.pid ?? 0);
  await sleep((toUs - nowUs()) / 1000);
  const b = procSample(pid);
  const gb = procSample(gen.child.pid ?? 0);
  const cb = procSample(app.child.pid ?? 0);
  const secs = MEASURE_MS / 1000;
  await sleep(1500); // frames stamped inside the window still in flight
  const g = await gen.ask<GenStats>({ cmd: 'collect' }, 'stats');
  const c = await app.ask<ConsumerStats>({ cmd: 'collect' }, 'stats');
  return { cpuCores: (b.cpuS - a.cpuS) / secs, rss: b.rssKb, g, c, genCpu: (gb.cpuS - ga.cpuS) / secs, appCpu: (cb.cpuS - ca.cpuS) / secs };
}

function healthyOf(r: StepResult): boolean {
  const bad = (x: { sent: number; lost: number; late: number } | null): boolean =>
    x !== null && (x.sent === 0 || (Math.max(0, x.lost) + x.late) / x.sent > 0.01);
  return r.answered === r.n && !bad(r.rtpToWs) && !bad(r.wsToRtp);
}

function result(
  system: 'streamfork' | 'null',
  mode: 'inbound' | 'bidir',
  n: number,
  answered: number,
  m: Awaited<ReturnType<typeof measure>>,
  idleRssKb: number | null,
  setup: StepResult['setup'],
): StepResult {
  const bidir = mode === 'bidir';
  const r: StepResult = {
    system,
    mode,
    n,
    answered,
    cpuCores: round(m.cpuCores),
    cpuPctPerStream: round((100 * m.cpuCores) / n, 4),
    rssKb: m.rss,
    rssKbPerStream: idleRssKb === null ? null : round((m.rss - idleRssKb) / n, 1),
    consumerCpuCores: round(m.appCpu),
    generatorCpuCores: round(m.genCpu),
    rtpToWs: {
      sent: m.g.txInWindow,
      received: m.c.rxStamped,
      lost: m.g.txInWindow - m.c.rxStamped,
      late: m.c.late,
      seqGaps: m.c.seqGaps,
      latencyMs: m.c.latency,
    },
    wsToRtp: bidir
      ? { sent: m.c.playSent, received: m.g.rxStamped, lost: m.c.playSent - m.g.rxStamped, late: m.g.playLate, latencyMs: m.g.playLatency }
      : null,
    outIntervalErrMs: system === 'streamfork' || bidir ? m.g.intervalErr : null,
    setup,
    checkpoints: m.c.checkpoints,
    playedStream: m.c.playedStream,
    healthy: false,
  };
  r.healthy = healthyOf(r);
  return r;
}

function round(x: number, d = 3): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-load-'));
  process.on('exit', () => {
    rmSync(dir, { recursive: true, force: true });
  });
  const http = createServer(answer);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const answerUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/answer`;

  const app = forkChild('consumer.ts');
  const gen = forkChild('generator.ts');
  const nul = forkChild('null-forwarder.ts');
  const appReady = await app.ask<{ port: number }>({}, 'ready');
  wsUrl = `ws://127.0.0.1:${appReady.port}/stream`;

  const sipPort = 15060 + (process.pid % 1000) * 2;
  const httpPort = 18080 + (process.pid % 1000);
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ rtp: { portMin: 20000, portMax: 29999 }, sip: { transports: ['udp'] } }));
  const nodeFlags = opt['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opt['cpu-prof']}`];
  const sf = spawn(
    process.execPath,
    [...nodeFlags, join(root, 'bin/streamfork.js'), 'serve', '--config', configFile, '--data-dir', join(dir, 'data'),
      '--sip-port', String(sipPort), '--http-port', String(httpPort), '--answer-url', answerUrl,
      '--auth-id', 'MALOADBENCH000000000', '--auth-token', 'load-bench', '--log-level', 'warn'],
    { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(sf);
  let sfErr = '';
  await new Promise<void>((resolve, reject) => {
    sf.stderr.on('data', (d: Buffer) => {
      sfErr += d.toString();
      if (sfErr.length > 200_000) {
        sfErr = sfErr.slice(-100_000);
      }
      if (sfErr.includes('REST API on')) {
        resolve();
      }
    });
    sf.on('exit', () => {
      reject(new Error(`streamfork exited: ${sfErr}`));
    });
  });
  const sfPid = sf.pid ?? 0;
  await gen.ask({ cmd: 'init', sipPort }, 'ready');
  await sleep(2000);
  const cold = procSample(sfPid);
  // Warm-up (not recorded): 20 bidirectional calls for 3 s, so JIT and first-use costs are out of step 1.
  streamMode = 'bidir';
  await app.ask({ cmd: 'mode', bidir: true, lateMs: LATE_MS }, 'mode');
  await gen.ask({ cmd: 'place', n: 20, cps: CPS, firstId: nextId }, 'placed');
  nextId += 20;
  await sleep(3000);
  await gen.ask({ cmd: 'hangup' }, 'down');
  await waitFor('warm-up streams closed', async () => (await app.ask<ConsumerStats>({ cmd: 'collect' }, 'stats')).open === 0, 15_000);
  await sleep(1000);
  const idle = procSample(sfPid);
  log(`streamfork pid ${sfPid} up; RSS cold ${cold.rssKb} kB, idle after warm-up ${idle.rssKb} kB`);

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
      // streamfork
      await app.ask({ cmd: 'mode', bidir: mode === 'bidir', lateMs: LATE_MS }, 'mode');
      const firstId = nextId;
      nextId += n;
      log(`${mode} N=${n}: placing ${n} calls at ${CPS}/s`);
      const placed = await gen.ask<{ answered: number; setup: { id: number; inviteUs: number; okUs: number }[] }>(
        { cmd: 'place', n, cps: CPS, firstId },
        'placed',
      );
      let starts: { gen: number; us: number }[] = [];
      await waitFor('starts', async () => {
        starts = (await app.ask<ConsumerStats>({ cmd: 'collect' }, 'stats')).starts;
        return starts.length >= placed.answered;
      }, 15_000);
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
      const m = await measure(sfPid, gen, app);
      const r = result('streamfork', mode, n, placed.answered, m, idle.rssKb, setup);
      results.push(r);
      if (m.c.errors.length > 0) {
        log(`consumer errors: ${m.c.errors.join('; ')}`);
      }
      log(summary(r));
      await gen.ask({ cmd: 'hangup' }, 'down');
      await waitFor('streams closed', async () => (await app.ask<ConsumerStats>({ cmd: 'collect' }, 'stats')).open === 0, 15_000);

      // null forwarder at the same N
      if (!opt['no-null']) {
        await app.ask({ cmd: 'mode', bidir: mode === 'bidir', lateMs: LATE_MS }, 'mode');
        const nf = await nul.ask<{ targets: { id: number; port: number }[] }>({ cmd: 'start', n, wsUrl, firstId: nextId }, 'ready');
        nextId += n;
        await gen.ask({ cmd: 'raw', targets: nf.targets }, 'raw-ready');
        await sleep(1500);
        const mn = await measure(nul.child.pid ?? 0, gen, app);
        const rn = result('null', mode, n, n, mn, null, null);
        results.push(rn);
        log(summary(rn));
        await gen.ask({ cmd: 'hangup' }, 'down');
        await nul.ask({ cmd: 'stop' }, 'stopped');
        await waitFor('null streams closed', async () => (await app.ask<ConsumerStats>({ cmd: 'collect' }, 'stats')).open === 0, 15_000);
      }
      writeOut(results, idle.rssKb, cold.rssKb);
      if (!r.healthy && !opt['keep-going']) {
        log(`${mode} N=${n}: unhealthy; ramp of ${mode} stops here`);
        break;
      }
    }
  }
  writeOut(results, idle.rssKb, cold.rssKb);
  printTable(results);

  sf.kill('SIGTERM');
  await Promise.race([new Promise((r) => sf.on('exit', r)), sleep(20_000)]);
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

function summary(r: StepResult): string {
  const w = r.wsToRtp;
  return (
    `${r.system.padEnd(10)} ${r.mode.padEnd(7)} N=${String(r.n).padStart(5)} up=${r.answered} cpu=${r.cpuCores.toFixed(2)} cores ` +
    `rss/stream=${r.rssKbPerStream ?? '-'} kB | rtp→ws lost=${r.rtpToWs.lost}/${r.rtpToWs.sent} late=${r.rtpToWs.late} ` +
    `p50/p99/p99.9=${r.rtpToWs.latencyMs.p50}/${r.rtpToWs.latencyMs.p99}/${r.rtpToWs.latencyMs.p999} ms` +
    (w === null ? '' : ` | ws→rtp lost=${w.lost}/${w.sent} late=${w.late} p50/p99/p99.9=${w.latencyMs.p50}/${w.latencyMs.p99}/${w.latencyMs.p999} ms`) +
    (r.outIntervalErrMs === null ? '' : ` | interval err p50/p99=${r.outIntervalErrMs.p50}/${r.outIntervalErrMs.p99} ms`) +
    (r.setup === null ? '' : ` | ok→start p99=${r.setup.okToStartMs.p99} ms (missing ${r.setup.missingStarts})`) +
    ` | gen ${r.generatorCpuCores} app ${r.consumerCpuCores} cores`
  );
}

function writeOut(results: StepResult[], idleRssKb: number, coldRssKb: number): void {
  const cpu = cpus()[0]?.model ?? 'unknown';
  const ratios = results
    .filter((r) => r.system === 'streamfork')
    .map((r) => {
      const nr = results.find((x) => x.system === 'null' && x.mode === r.mode && x.n === r.n);
      return { mode: r.mode, n: r.n, cpuRatio: nr === undefined || nr.cpuCores === 0 ? null : round(r.cpuCores / nr.cpuCores, 2) };
    });
  writeFileSync(
    opt.out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpu, cores: cpus().length, memGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
        options: { keepGoing: opt['keep-going'], steps: STEPS, modes: MODES, measureS: MEASURE_MS / 1000, cps: CPS, lateMs: LATE_MS, cpuProf: opt['cpu-prof'] ?? null },
        idleRssKb,
        coldRssKb,
        results,
        ratios,
      },
      null,
      1,
    ) + '\n',
  );
}

function printTable(results: StepResult[]): void {
  for (const r of results) {
    process.stdout.write(summary(r) + '\n');
  }
}

main().catch((e: unknown) => {
  log(`failed: ${String(e)}`);
  killAll();
  process.exit(1);
});
