/**
 * Result shapes of the load harness (issue 6), the per-step console line, the capacity summary and the
 * results JSON. Field names of earlier runs are kept; newer fields are only added.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

import { type Dist, OVER_MS, type OverCounts } from './common.js';
import type { PinCheck, Pinning } from './pinning.js';

export interface GenStats {
  txInWindow: number;
  rxStamped: number;
  rxFrames: number;
  playLate: number;
  playLatency: Dist;
  playOverMs: OverCounts;
  intervalErr: Dist;
  /** The generator's own pacing lateness in the window: its largest, and ticks over 20/40/60 ms. */
  pacingLateMaxMs?: number;
  pacingLateOverMs?: Record<string, number>;
  cpu: { user: number; system: number };
}

export interface ConsumerStats {
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
  overMs: OverCounts;
  starts: { gen: number; us: number }[];
  errors: string[];
  cpu: { user: number; system: number };
}

export interface Direction {
  sent: number;
  received: number;
  lost: number;
  late: number;
  latencyMs: Dist;
  /** Frames whose latency exceeded 2 / 20 / 60 ms (the `late` threshold is --late-ms). */
  overMs: OverCounts;
}

export interface StepResult {
  system: 'streamfork' | 'null';
  mode: 'inbound' | 'bidir';
  n: number;
  answered: number;
  /**
   * The generator's own pacing in the window: its worst lateness and ticks over 20/40/60 ms. A stall of
   * the load core sends RTP late, in a burst: the server then conceals those frames (counted lost).
   */
  generatorPacing?: { lateMaxMs: number; overMs: Record<string, number> };
  /** GET /metrics during the window (--scrape-ms): scrapes, answered 200, bytes, slowest (ms). */
  scrapes?: { count: number; ok: number; bytes: number; maxMs: number };
  /** How the step's INVITEs ended, by final status ("0": no final response); 503s are refusals (limits). */
  inviteFinals?: Record<string, number>;
  /** The generator's BYEs after the step: sent, retransmits, answeredAfterRetransmit, unanswered. */
  byes?: Record<string, number>;
  cpuCores: number;
  /** cpuCores split into user and kernel time, and the main thread's share. */
  cpuSplit?: { user: number; sys: number; mainThread: number };
  /** UDP datagrams dropped host-wide for full receive buffers during the window (/proc/net/snmp RcvbufErrors). */
  udpRcvbufDrops?: number;
  cpuPctPerStream: number;
  /** VmRSS at the end of the window (no forced GC). */
  rssKb: number;
  /** (rssKbAfterGc − idle after GC) / N with --gc-rss, else (rssKb − idle) / N; null for the null forwarder. */
  rssKbPerStream: number | null;
  consumerCpuCores: number;
  generatorCpuCores: number;
  rtpToWs: Direction & { seqGaps: number };
  wsToRtp: Direction | null;
  outIntervalErrMs: Dist | null;
  setup: { inviteToOkMs: Dist; okToStartMs: Dist; missingStarts: number } | null;
  checkpoints: number;
  playedStream: number;
  healthy: boolean;
  // --- added after the first full run -------------------------------------------------------------------
  /** 'gc': RSS per stream from readings after a forced full GC; 'raw': plain VmRSS; null: not measured. */
  rssMethod: 'gc' | 'raw' | null;
  /** VmRSS 200 ms after a forced full GC, with the streams still up (after the window and its grace). */
  rssKbAfterGc: number | null;
  /** V8 heap used right after that GC, and its growth over the idle baseline per stream. */
  heapUsedKb: number | null;
  heapUsedKbPerStream: number | null;
  /** Orchestrator CPU over the window, and generator + consumer + orchestrator (the load core's work). */
  orchestratorCpuCores: number;
  loadCpuCores: number;
  /** Zero lost and zero late frames in both directions and every call answered. */
  clean: boolean;
  /** Streams of the previous step were still open at this step's start (see closeWaitS / leftOpen). */
  contaminated: boolean;
  /** Seconds from the hang-up until the consumer saw every stream closed (null: not within the wait). */
  closeWaitS: number | null;
  /** Streams still open when the close wait gave up (0 when they all closed). */
  leftOpen: number;
  // --- added for the cluster runs (issue 12) ------------------------------------------------------------
  /** Each streamfork process: the calls it answered in the step (the 200's Contact), its CPU, CPU per stream. */
  perNode?: { id: string; calls: number; cpuCores: number; cpuPctPerStream: number | null }[];
  /** Kamailio's, Redis's and PostgreSQL's CPU over the window, each its whole process tree (null: no cluster). */
  infraCpuCores?: Record<string, number> | null;
}

export function round(x: number, d = 3): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

function dirBad(x: { sent: number; lost: number; late: number } | null): boolean {
  return x !== null && (x.sent === 0 || (Math.max(0, x.lost) + x.late) / x.sent > 0.01);
}

function dirClean(x: { sent: number; lost: number; late: number } | null): boolean {
  return x === null || (x.sent > 0 && Math.max(0, x.lost) === 0 && x.late === 0);
}

/** The ramp's stop rule: every call answered, at most 1 % of the frames lost or late in either direction. */
export function healthyOf(r: StepResult): boolean {
  return r.answered === r.n && !dirBad(r.rtpToWs) && !dirBad(r.wsToRtp);
}

/** The capacity rule: every call answered, no frame lost or late in either direction. */
export function cleanOf(r: StepResult): boolean {
  return r.answered === r.n && dirClean(r.rtpToWs) && dirClean(r.wsToRtp);
}

export interface CapacityPoint {
  n: number;
  cpuCores: number;
  /** cpuCores split into user and kernel time, and the main thread's share. */
  cpuSplit?: { user: number; sys: number; mainThread: number };
  /** UDP datagrams dropped host-wide for full receive buffers during the window (/proc/net/snmp RcvbufErrors). */
  udpRcvbufDrops?: number;
  streamsPerCore: number | null;
}

export interface Capacity {
  mode: 'inbound' | 'bidir';
  /** streamfork's highest clean step (null: none was clean). */
  streamfork: (CapacityPoint & { cpuRatioToNull: number | null; contaminated: boolean }) | null;
  /** The null forwarder's highest clean step, for reference. */
  null: CapacityPoint | null;
  /** The N of streamfork's lowest step that was not clean (null: all clean). */
  firstUncleanN: number | null;
}

function point(r: StepResult): CapacityPoint {
  return {
    n: r.n,
    cpuCores: r.cpuCores,
    streamsPerCore: r.cpuCores > 0 ? Math.round(r.n / r.cpuCores) : null,
  };
}

function highestClean(
  results: StepResult[],
  system: StepResult['system'],
  mode: StepResult['mode'],
): StepResult | undefined {
  return results
    .filter((r) => r.system === system && r.mode === mode && r.clean)
    .sort((a, b) => b.n - a.n)[0];
}

export function capacityOf(results: StepResult[], modes: readonly StepResult['mode'][]): Capacity[] {
  return modes.map((mode) => {
    const sf = highestClean(results, 'streamfork', mode);
    const nul = highestClean(results, 'null', mode);
    const sameNull =
      sf === undefined
        ? undefined
        : results.find((x) => x.system === 'null' && x.mode === mode && x.n === sf.n);
    const unclean = results
      .filter((r) => r.system === 'streamfork' && r.mode === mode && !r.clean)
      .sort((a, b) => a.n - b.n)[0];
    return {
      mode,
      streamfork:
        sf === undefined
          ? null
          : {
              ...point(sf),
              cpuRatioToNull:
                sameNull === undefined || sameNull.cpuCores === 0
                  ? null
                  : round(sf.cpuCores / sameNull.cpuCores, 2),
              contaminated: sf.contaminated,
            },
      null: nul === undefined ? null : point(nul),
      firstUncleanN: unclean?.n ?? null,
    };
  });
}

export function capacityLines(caps: Capacity[]): string[] {
  return caps.map((c) => {
    const s = c.streamfork;
    const head = `capacity ${c.mode.padEnd(7)}: `;
    const sf =
      s === null
        ? 'streamfork: no clean step'
        : `streamfork highest clean N=${s.n} at ${s.cpuCores} cores => ${s.streamsPerCore ?? '-'} streams/core` +
          ` (cpu ÷ null ${s.cpuRatioToNull ?? '-'}${s.contaminated ? ', contaminated' : ''})`;
    const first = c.firstUncleanN === null ? '' : `; first unclean N=${c.firstUncleanN}`;
    const nul =
      c.null === null
        ? ''
        : `; null forwarder clean up to N=${c.null.n} (${c.null.streamsPerCore ?? '-'} streams/core)`;
    return head + sf + first + nul;
  });
}

const over = (o: OverCounts): string => OVER_MS.map((t) => o[String(t)] ?? 0).join('/');

export function summary(r: StepResult): string {
  const w = r.wsToRtp;
  const rss =
    r.rssMethod === 'gc'
      ? ` rss/stream(gc)=${r.rssKbPerStream ?? '-'} kB heap/stream=${r.heapUsedKbPerStream ?? '-'} kB`
      : ` rss/stream=${r.rssKbPerStream ?? '-'} kB`;
  return (
    `${r.system.padEnd(10)} ${r.mode.padEnd(7)} N=${String(r.n).padStart(5)} up=${r.answered} cpu=${r.cpuCores.toFixed(3)} cores` +
    (r.cpuSplit === undefined
      ? ''
      : ` (usr ${r.cpuSplit.user} sys ${r.cpuSplit.sys} main ${r.cpuSplit.mainThread})`) +
    (r.udpRcvbufDrops === undefined || r.udpRcvbufDrops === 0 ? '' : ` udp-drops=${r.udpRcvbufDrops}`) +
    rss +
    ` | rtp→ws lost=${r.rtpToWs.lost}/${r.rtpToWs.sent} late=${r.rtpToWs.late} >2/20/60ms=${over(r.rtpToWs.overMs)} ` +
    `p50/p99/p99.9=${r.rtpToWs.latencyMs.p50}/${r.rtpToWs.latencyMs.p99}/${r.rtpToWs.latencyMs.p999} ms` +
    (w === null
      ? ''
      : ` | ws→rtp lost=${w.lost}/${w.sent} late=${w.late} >2/20/60ms=${over(w.overMs)} ` +
        `p50/p99/p99.9=${w.latencyMs.p50}/${w.latencyMs.p99}/${w.latencyMs.p999} ms`) +
    (r.outIntervalErrMs === null
      ? ''
      : ` | interval err p50/p99=${r.outIntervalErrMs.p50}/${r.outIntervalErrMs.p99} ms`) +
    (r.setup === null
      ? ''
      : ` | ok→start p99=${r.setup.okToStartMs.p99} ms (missing ${r.setup.missingStarts})`) +
    ` | gen ${r.generatorCpuCores} app ${r.consumerCpuCores} orch ${r.orchestratorCpuCores} cores` +
    `${r.clean ? ' | clean' : ''}${r.contaminated ? ' | CONTAMINATED' : ''}`
  );
}

/** Run-level facts written next to the results. */
export interface RunInfo {
  readonly options: Record<string, unknown>;
  readonly idleRssKb: number;
  readonly coldRssKb: number;
  readonly idleRssKbNoGc: number;
  readonly idleHeapUsedKb: number | null;
  readonly gcRss: boolean;
  readonly pinned: Pinning | null;
  readonly pinNote: string;
  readonly pinCheck: Record<string, PinCheck>;
  /** streamfork idle again after the ramp (GC'd when gcRss): growth over idleRssKb is what the steps left. */
  readonly endIdleRssKb?: number | null;
  readonly endIdleRssKbNoGc?: number;
  readonly endIdleHeapUsedKb?: number | null;
  /** os.loadavg() when the run started and after its ramp. */
  readonly loadAvgAtStart?: number[];
  readonly loadAvgAtEnd?: number[];
  /** --cluster runs: the node count, Kamailio's address, each process and its CPU (null: unpinned). */
  readonly cluster?: {
    nodes: number;
    sip: string;
    members: { name: string; pid: number; cpu: string | null }[];
  } | null;
  /** Pids of the cluster's process trees still alive after it was brought down (should be none). */
  readonly leftAfterDown?: number[];
}

export function writeOut(
  path: string,
  results: StepResult[],
  modes: readonly StepResult['mode'][],
  info: RunInfo,
): void {
  const cpu = cpus()[0]?.model ?? 'unknown';
  const ratios = results
    .filter((r) => r.system === 'streamfork')
    .map((r) => {
      const nr = results.find((x) => x.system === 'null' && x.mode === r.mode && x.n === r.n);
      return {
        mode: r.mode,
        n: r.n,
        cpuRatio: nr === undefined || nr.cpuCores === 0 ? null : round(r.cpuCores / nr.cpuCores, 2),
      };
    });
  writeFileSync(
    path,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpu, cores: cpus().length, memGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
        options: info.options,
        idleRssKb: info.idleRssKb,
        coldRssKb: info.coldRssKb,
        results,
        ratios,
        capacity: capacityOf(results, modes),
        pinned: info.pinned,
        pinNote: info.pinNote,
        pinCheck: info.pinCheck,
        gcRss: info.gcRss,
        idleRssKbNoGc: info.idleRssKbNoGc,
        idleHeapUsedKb: info.idleHeapUsedKb,
        endIdleRssKb: info.endIdleRssKb ?? null,
        endIdleRssKbNoGc: info.endIdleRssKbNoGc ?? null,
        endIdleHeapUsedKb: info.endIdleHeapUsedKb ?? null,
        loadAvgAtStart: info.loadAvgAtStart ?? null,
        loadAvgAtEnd: info.loadAvgAtEnd ?? null,
        cluster: info.cluster ?? null,
        leftAfterDown: info.leftAfterDown ?? null,
      },
      null,
      1,
    ) + '\n',
  );
}
