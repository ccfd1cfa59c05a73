/**
 * What the soak samples of `streamfork serve` (issue 11), and how "flat" is judged.
 *
 * - From /proc: VmRSS, open fds (/proc/PID/fd), the process's UDP sockets and how many of them are bound
 *   in the configured RTP port range (socket inodes of its fds matched against /proc/net/udp{,6}), and
 *   CPU time.
 * - Through the inspector (the server runs with `--inspect=127.0.0.1:0`, test/bench/load/inspector.ts):
 *   event-loop delay measured inside the server's own process by a `perf_hooks.monitorEventLoopDelay`
 *   histogram the soak installs with `Runtime.evaluate` (one 10 ms libuv timer; each value is the time
 *   between its wake-ups, so the lag is value − 10 ms), read and reset at every sample; then a forced
 *   full GC and the V8 heap used and VmRSS right after it. The histogram is reset after the GC, so the
 *   harness's own GC pause is not counted as lag.
 * - Through the REST API: calls live (`GET /Call/?status=live`: the store's live records and the
 *   engine's in-progress calls) and finished records (`GET /Call/` total).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

import type { Inspector } from '../bench/load/inspector.js';

export interface Lag {
  /** Event-loop delay beyond the 10 ms timer over the interval, ms. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly n: number;
}

export interface Sample {
  readonly phase: 'start' | 'run' | 'drained';
  /** Seconds since the first call was placed (negative for the start sample). */
  readonly tS: number;
  readonly rssKb: number;
  readonly rssAfterGcKb: number | null;
  readonly heapUsedKb: number | null;
  readonly gcMs: number | null;
  readonly fds: number;
  readonly udpSockets: number;
  readonly rtpPorts: number;
  readonly lagMs: Lag | null;
  /** streamfork's CPU (all threads) over the interval since the previous sample, % of one core. */
  readonly cpuPct: number | null;
  readonly liveCalls: number;
  readonly finishedRecords: number;
  /** The soak's own view: calls its UAC still has, streams its app still has open. */
  readonly harnessCalls: number;
  readonly openStreams: number;
  readonly loadAvg1: number;
}

const CLK_TCK = 100;
const LAG_RES_MS = 10;

function rssKbOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** Local ports (with their inodes) of every UDP socket on the host, from /proc/net/udp and udp6. */
function udpPortsByInode(): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const inode = cols[9];
      if (local !== undefined && inode !== undefined) {
        out.set(inode, parseInt(local.split(':')[1] ?? '0', 16));
      }
    }
  }
  return out;
}

/** Open fds, UDP sockets and UDP sockets bound inside [portMin, portMax] of `pid`. */
export function fdsOf(
  pid: number,
  portMin: number,
  portMax: number,
): { fds: number; udp: number; rtp: number } {
  const ports = udpPortsByInode();
  let fds = 0;
  let udp = 0;
  let rtp = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    fds++;
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    const port = inode === undefined ? undefined : ports.get(inode);
    if (port !== undefined) {
      udp++;
      if (port >= portMin && port <= portMax) {
        rtp++;
      }
    }
  }
  return { fds, udp, rtp };
}

interface EvalResult<T> {
  result: { value?: T };
  exceptionDetails?: { text: string; exception?: { description?: string } };
}

async function evaluate<T>(inspector: Inspector, expression: string): Promise<T> {
  const r = await inspector.call<EvalResult<T>>('Runtime.evaluate', { expression, returnByValue: true });
  if (r.exceptionDetails !== undefined) {
    throw new Error(
      `inspector evaluate: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`,
    );
  }
  return r.result.value as T;
}

/** Starts the event-loop delay histogram inside the server (idempotent). */
export async function installLagMonitor(inspector: Inspector): Promise<void> {
  await evaluate(
    inspector,
    `globalThis.__soakEld ??= (() => { const h = process.getBuiltinModule('node:perf_hooks')` +
      `.monitorEventLoopDelay({ resolution: ${LAG_RES_MS} }); h.enable(); return h; })(); true`,
  );
}

async function readLag(inspector: Inspector): Promise<Lag> {
  const r = await evaluate<{ p50: number; p99: number; max: number; n: number }>(
    inspector,
    `(() => { const h = globalThis.__soakEld; return { p50: h.percentile(50), p99: h.percentile(99), max: h.max, n: h.count }; })()`,
  );
  const ms = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - LAG_RES_MS) * 100) / 100);
  return { p50: ms(r.p50), p99: ms(r.p99), max: ms(r.max), n: r.n };
}

export class Rest {
  readonly #base: string;
  readonly #auth: string;

  constructor(httpPort: number, authId: string, token: string) {
    this.#base = `http://127.0.0.1:${httpPort}/v1/Account/${authId}`;
    this.#auth = `Basic ${Buffer.from(`${authId}:${token}`).toString('base64')}`;
  }

  async get(path: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(this.#base + path, { headers: { authorization: this.#auth } });
    return { status: res.status, body: await res.json() };
  }

  async liveCalls(): Promise<string[]> {
    return ((await this.get('/Call/?status=live')).body as { calls?: string[] }).calls ?? [];
  }

  async finishedRecords(): Promise<number> {
    const body = (await this.get('/Call/?limit=1')).body as { meta?: { total_count?: number } };
    return body.meta?.total_count ?? -1;
  }
}

export interface SampleContext {
  readonly pid: number;
  readonly inspector: Inspector | null;
  readonly rest: Rest;
  readonly portMin: number;
  readonly portMax: number;
  readonly harnessCalls: () => number;
  readonly openStreams: () => number;
}

let lastCpu: { atMs: number; cpuS: number } | null = null;

export async function takeSample(ctx: SampleContext, phase: Sample['phase'], tS: number): Promise<Sample> {
  const now = Date.now();
  const cpuS = cpuSecondsOf(ctx.pid);
  const cpuPct =
    lastCpu === null ? null : Math.round(((cpuS - lastCpu.cpuS) / ((now - lastCpu.atMs) / 1000)) * 1000) / 10;
  lastCpu = { atMs: now, cpuS };
  const rssKb = rssKbOf(ctx.pid);
  const f = fdsOf(ctx.pid, ctx.portMin, ctx.portMax);
  const [live, finished] = await Promise.all([ctx.rest.liveCalls(), ctx.rest.finishedRecords()]);
  let lagMs: Lag | null = null;
  let gc = null;
  if (ctx.inspector !== null) {
    lagMs = await readLag(ctx.inspector);
    gc = await ctx.inspector.gcSample(ctx.pid);
    await evaluate(ctx.inspector, 'globalThis.__soakEld.reset(), true');
  }
  return {
    phase,
    tS: Math.round(tS),
    rssKb,
    rssAfterGcKb: gc?.rssKb ?? null,
    heapUsedKb: gc?.heapUsedKb ?? null,
    gcMs: gc?.gcMs ?? null,
    fds: f.fds,
    udpSockets: f.udp,
    rtpPorts: f.rtp,
    lagMs,
    cpuPct,
    liveCalls: live.length,
    finishedRecords: finished,
    harnessCalls: ctx.harnessCalls(),
    openStreams: ctx.openStreams(),
    loadAvg1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
  };
}

/** Least-squares line through (x, y); slope per unit of x. */
export function linearFit(points: readonly (readonly [number, number])[]): {
  slope: number;
  intercept: number;
} {
  const n = points.length;
  if (n < 2) {
    return { slope: 0, intercept: points[0]?.[1] ?? 0 };
  }
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const d = n * sxx - sx * sx;
  const slope = d === 0 ? 0 : (n * sxy - sx * sy) / d;
  return { slope, intercept: (sy - slope * sx) / n };
}

export interface Flatness {
  readonly metric: string;
  /** Samples fitted (the last 2/3 of the in-run samples) and the span they cover, minutes. */
  readonly fitted: number;
  readonly spanMin: number;
  readonly slopePerHour: number;
  /** Growth of the fitted line over the fitted span. */
  readonly growth: number;
  readonly tolerance: number;
  readonly unit: string;
  /** null: too few samples to judge (fewer than 5 fitted). */
  readonly flat: boolean | null;
}

/** Fits the last 2/3 of the in-run samples of `pick` and compares the line's growth with `tolerance`. */
export function flatness(
  samples: readonly Sample[],
  metric: string,
  pick: (s: Sample) => number | null,
  tolerance: number,
  unit: string,
): Flatness {
  const run = samples.filter((s) => s.phase === 'run' && pick(s) !== null);
  const tail = run.slice(Math.floor(run.length / 3));
  const pts = tail.map((s) => [s.tS / 60, pick(s) ?? 0] as const);
  const { slope } = linearFit(pts);
  const spanMin = pts.length < 2 ? 0 : (pts[pts.length - 1]?.[0] ?? 0) - (pts[0]?.[0] ?? 0);
  const growth = slope * spanMin;
  return {
    metric,
    fitted: pts.length,
    spanMin: Math.round(spanMin * 10) / 10,
    slopePerHour: Math.round(slope * 60 * 10) / 10,
    growth: Math.round(growth * 10) / 10,
    tolerance,
    unit,
    flat: pts.length < 5 ? null : growth <= tolerance,
  };
}
