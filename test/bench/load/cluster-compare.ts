/**
 * Issue 12, side by side in one invocation: `bench:load` with one `streamfork serve` on SQLite, then
 * through Kamailio with one clustered node, then with two, the same steps and modes, one after the
 * other (never at once: they share the machine's two cores). Writes every run's full results and a
 * comparison to docs/benchmarks/cluster-results.json (see docs/benchmarks/cluster.md).
 *
 *   node --import tsx test/bench/load/cluster-compare.ts --steps 100,200,300 --modes inbound
 *        [--configs single,1,2] [--budget-s 420 (each run)] [--measure-s 8] [--out FILE]
 *
 * After each run it lists the kamailio, redis-server and postgres processes and streamfork nodes that
 * appeared during the run and are still there, re-parented to init (`orphans`; there should be none).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { StepResult } from './report.js';
import { round } from './report.js';

const root = new URL('../../..', import.meta.url).pathname;
const here = new URL('.', import.meta.url).pathname;

const { values: opt } = parseArgs({
  options: {
    steps: { type: 'string', default: '100,200,300,400,500,600,800' },
    modes: { type: 'string', default: 'inbound' },
    configs: { type: 'string', default: 'single,1,2' },
    'budget-s': { type: 'string', default: '420' },
    'measure-s': { type: 'string', default: '8' },
    'keep-going': { type: 'boolean', default: false },
    out: { type: 'string', default: join(root, 'docs/benchmarks/cluster-results.json') },
  },
});

const log = (s: string): void => {
  process.stderr.write(`[compare ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
};

/** Pids of the processes a run may leave behind, by kind. */
function pgrepAll(): Record<string, number[]> {
  const pg = (args: string[]): number[] => {
    const r = spawnSync('pgrep', args, { encoding: 'utf8' });
    return r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  };
  return {
    kamailio: pg(['-x', 'kamailio']),
    'redis-server': pg(['-x', 'redis-server']),
    postgres: pg(['-x', 'postgres']),
    'streamfork serve': pg(['-f', 'streamfork.js serve']),
  };
}

function parentOf(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

interface RunFile {
  readonly results: StepResult[];
  readonly capacity: {
    mode: string;
    streamfork: { n: number; cpuCores: number } | null;
    firstUncleanN: number | null;
  }[];
  readonly [k: string]: unknown;
}

interface Run {
  readonly name: string;
  readonly cluster: number;
  readonly exitCode: number | null;
  readonly wallS: number;
  readonly orphans: Record<string, number[]>;
  readonly file: RunFile | null;
}

async function runOne(name: string, cluster: number, outFile: string): Promise<Run> {
  const before = pgrepAll();
  const args = [
    '--import',
    'tsx',
    join(here, 'run-load.ts'),
    '--steps',
    opt.steps,
    '--modes',
    opt.modes,
    '--budget-s',
    opt['budget-s'],
    '--measure-s',
    opt['measure-s'],
    '--no-null',
    '--out',
    outFile,
    ...(cluster > 0 ? ['--cluster', String(cluster)] : []),
    ...(opt['keep-going'] ? ['--keep-going'] : []),
  ];
  log(`${name}: node ${args.join(' ')}`);
  const started = Date.now();
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const stop = (): void => {
    child.kill('SIGINT');
  };
  process.once('SIGINT', stop);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      resolve(code);
    });
  });
  process.removeListener('SIGINT', stop);
  const after = pgrepAll();
  // New since the run began and re-parented to init: the run's own leftovers, not another user's
  // processes that happen to run meanwhile (those have a living parent).
  const orphans = Object.fromEntries(
    Object.entries(after).map(([k, pids]) => [
      k,
      pids.filter((p) => !(before[k] ?? []).includes(p) && parentOf(p) === 1),
    ]),
  );
  let file: RunFile | null = null;
  try {
    file = JSON.parse(readFileSync(outFile, 'utf8')) as RunFile;
  } catch {
    log(`${name}: no results file`);
  }
  const left = Object.entries(orphans).filter(([, p]) => p.length > 0);
  log(
    `${name}: exit ${exitCode}; ` +
      (left.length === 0
        ? 'no process left behind'
        : `LEFT BEHIND ${JSON.stringify(Object.fromEntries(left))}`),
  );
  return { name, cluster, exitCode, wallS: round((Date.now() - started) / 1000, 1), orphans, file };
}

/** What one step of one configuration contributes to the comparison. */
function stepView(r: StepResult): Record<string, unknown> {
  return {
    clean: r.clean,
    answered: r.answered,
    cpuCores: r.cpuCores,
    cpuPctPerStream: r.cpuPctPerStream,
    perNode: r.perNode ?? null,
    infraCpuCores: r.infraCpuCores ?? null,
    loadCpuCores: r.loadCpuCores,
    lost: r.rtpToWs.lost + (r.wsToRtp?.lost ?? 0),
    late: r.rtpToWs.late + (r.wsToRtp?.late ?? 0),
    rtpToWsP99Ms: r.rtpToWs.latencyMs.p99,
    inviteToOkMs: r.setup?.inviteToOkMs ?? null,
    okToStartMs: r.setup?.okToStartMs ?? null,
  };
}

function compare(runs: readonly Run[], modes: readonly string[]): Record<string, unknown> {
  const byName = new Map(runs.map((r) => [r.name, r]));
  const resultsOf = (name: string, mode: string): StepResult[] =>
    (byName.get(name)?.file?.results ?? []).filter((r) => r.system === 'streamfork' && r.mode === mode);
  const capOf = (name: string, mode: string): number | null =>
    byName.get(name)?.file?.capacity.find((c) => c.mode === mode)?.streamfork?.n ?? null;
  const ratio = (a: number | null | undefined, b: number | null | undefined, d = 2): number | null =>
    a === null || a === undefined || b === null || b === undefined || b === 0 ? null : round(a / b, d);
  return Object.fromEntries(
    modes.map((mode) => {
      const single = resultsOf('single', mode);
      const c1 = resultsOf('cluster-1', mode);
      const c2 = resultsOf('cluster-2', mode);
      const ns = [...new Set([...single, ...c1, ...c2].map((r) => r.n))].sort((a, b) => a - b);
      const steps = ns.map((n) => {
        const s = single.find((r) => r.n === n);
        const one = c1.find((r) => r.n === n);
        const two = c2.find((r) => r.n === n);
        const nodeCpu = (r: StepResult | undefined, i: number): number | null =>
          r?.perNode?.[i]?.cpuPctPerStream ?? null;
        return {
          n,
          single: s === undefined ? null : stepView(s),
          cluster1: one === undefined ? null : stepView(one),
          cluster2: two === undefined ? null : stepView(two),
          cpuPerStreamCluster1VsSingle: ratio(one?.cpuPctPerStream, s?.cpuPctPerStream),
          cpuPerStreamCluster2Node1VsSingle: ratio(nodeCpu(two, 0), s?.cpuPctPerStream),
          cpuPerStreamCluster2Node2VsSingle: ratio(nodeCpu(two, 1), s?.cpuPctPerStream),
          okToStartP99AddedMsCluster1:
            s?.setup && one?.setup ? round(one.setup.okToStartMs.p99 - s.setup.okToStartMs.p99, 2) : null,
          okToStartP99AddedMsCluster2:
            s?.setup && two?.setup ? round(two.setup.okToStartMs.p99 - s.setup.okToStartMs.p99, 2) : null,
          inviteToOkP99AddedMsCluster1:
            s?.setup && one?.setup ? round(one.setup.inviteToOkMs.p99 - s.setup.inviteToOkMs.p99, 2) : null,
        };
      });
      const cap = {
        single: capOf('single', mode),
        cluster1: capOf('cluster-1', mode),
        cluster2: capOf('cluster-2', mode),
      };
      return [
        mode,
        {
          highestCleanStep: cap,
          cluster2VsCluster1: ratio(cap.cluster2, cap.cluster1),
          cluster2VsSingle: ratio(cap.cluster2, cap.single),
          firstUnclean: {
            single: byName.get('single')?.file?.capacity.find((c) => c.mode === mode)?.firstUncleanN ?? null,
            cluster1:
              byName.get('cluster-1')?.file?.capacity.find((c) => c.mode === mode)?.firstUncleanN ?? null,
            cluster2:
              byName.get('cluster-2')?.file?.capacity.find((c) => c.mode === mode)?.firstUncleanN ?? null,
          },
          steps,
        },
      ];
    }),
  );
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'streamfork-cbench-'));
  const configs = opt.configs.split(',').map((c) => (c === 'single' ? 0 : Number(c)));
  const started = new Date().toISOString();
  const loadAtStart = loadavg().map((x) => round(x, 2));
  const runs: Run[] = [];
  for (const cluster of configs) {
    const name = cluster === 0 ? 'single' : `cluster-${cluster}`;
    runs.push(await runOne(name, cluster, join(tmp, `${name}.json`)));
  }
  const modes = opt.modes.split(',');
  const out = {
    date: started,
    finished: new Date().toISOString(),
    command: `node --import tsx test/bench/load/cluster-compare.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
    },
    loadAvgAtStart: loadAtStart,
    loadAvgAtEnd: loadavg().map((x) => round(x, 2)),
    comparison: compare(runs, modes),
    runs: runs.map((r) => ({
      name: r.name,
      cluster: r.cluster,
      exitCode: r.exitCode,
      wallS: r.wallS,
      orphans: r.orphans,
      results: r.file,
    })),
  };
  writeFileSync(opt.out, JSON.stringify(out, null, 1) + '\n');
  rmSync(tmp, { recursive: true, force: true });
  log(`wrote ${opt.out}`);
  process.stdout.write(JSON.stringify(out.comparison, null, 1) + '\n');
  if (runs.some((r) => r.exitCode !== 0)) {
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  log(`failed: ${String(e)}`);
  process.exit(1);
});
