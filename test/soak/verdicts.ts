/**
 * The soak's verdicts (issue 11) and its console summary.
 *
 * Asserted: no call live after the drain (REST, and no stream left open at the app), every record the
 * soak saw finished (call status and end time, and every stream record completed or failed), RSS after a
 * forced GC and V8 heap used flat, open fds flat and back to their idle count (within --fd-tol), RTP ports
 * back to zero, and SIGTERM ending the server. "Flat": a least-squares line through the last 2/3 of the
 * in-run samples grows by no more than the tolerance over the span it covers (sampler.ts `flatness`);
 * with fewer than 5 such samples the run is too short to judge and the verdict is null (not a failure).
 * Reported only: plain VmRSS (it moves with GC timing), event-loop delay, the outcome of every kind of call.
 */
import type { Kind, SoakApp } from './app.js';
import { type Flatness, type Sample, flatness } from './sampler.js';
import type { Outcome } from './scenarios.js';

export interface Verdicts {
  readonly noLiveAfterDrain: boolean;
  readonly liveAfterDrain: { uuid: string; kind: string }[];
  readonly recordsFinished: boolean;
  readonly records: {
    checked: number;
    unfinished: { id: number; kind: string; uuid: string; status: string }[];
    streams: number;
    liveStreams: number;
    causes: Record<string, number>;
    hangupCallbacks: number;
  };
  readonly rssAfterGc: Flatness;
  readonly heapUsed: Flatness;
  readonly fds: Flatness;
  readonly rawRss: Flatness;
  readonly fdsBack: { start: number; drained: number; ok: boolean };
  readonly rtpPortsZero: { drained: number; peak: number; ok: boolean };
  readonly sigterm: { exited: boolean; ms: number };
  readonly lag: { worstP99Ms: number; maxMs: number; medianP50Ms: number };
  readonly pass: boolean;
  readonly failed: string[];
}

export interface JudgeInput {
  readonly samples: readonly Sample[];
  readonly liveAfterDrain: Verdicts['liveAfterDrain'];
  readonly records: Verdicts['records'];
  readonly sigterm: { exited: boolean; ms: number };
  readonly rssTolKb: number;
  readonly heapTolKb: number;
  readonly fdTol: number;
}

export function judge(i: JudgeInput): Verdicts {
  const start = i.samples[0];
  const drained = i.samples[i.samples.length - 1];
  if (start === undefined || drained === undefined) {
    throw new Error('no samples');
  }
  const run = i.samples.filter((s) => s.phase === 'run');
  const p50s = run.map((s) => s.lagMs?.p50 ?? 0).sort((a, b) => a - b);
  const v = {
    noLiveAfterDrain: i.liveAfterDrain.length === 0 && drained.openStreams === 0,
    liveAfterDrain: i.liveAfterDrain,
    recordsFinished: i.records.unfinished.length === 0 && i.records.liveStreams === 0,
    records: i.records,
    rssAfterGc: flatness(i.samples, 'RSS after forced GC', (s) => s.rssAfterGcKb, i.rssTolKb, 'kB'),
    heapUsed: flatness(i.samples, 'V8 heap used after forced GC', (s) => s.heapUsedKb, i.heapTolKb, 'kB'),
    fds: flatness(i.samples, 'open fds', (s) => s.fds, i.fdTol, 'fds'),
    rawRss: flatness(i.samples, 'VmRSS (no GC; reported only)', (s) => s.rssKb, i.rssTolKb, 'kB'),
    fdsBack: { start: start.fds, drained: drained.fds, ok: drained.fds - start.fds <= i.fdTol },
    rtpPortsZero: {
      drained: drained.rtpPorts,
      peak: Math.max(...i.samples.map((s) => s.rtpPorts)),
      ok: drained.rtpPorts === 0,
    },
    sigterm: i.sigterm,
    lag: {
      worstP99Ms: Math.max(0, ...run.map((s) => s.lagMs?.p99 ?? 0)),
      maxMs: Math.max(0, ...run.map((s) => s.lagMs?.max ?? 0)),
      medianP50Ms: p50s[Math.floor(p50s.length / 2)] ?? 0,
    },
  };
  const failed = [
    ...(v.noLiveAfterDrain ? [] : ['calls live after the drain']),
    ...(v.recordsFinished ? [] : ['records not finished']),
    ...(v.rssAfterGc.flat === false ? ['RSS after GC grew'] : []),
    ...(v.heapUsed.flat === false ? ['heap grew'] : []),
    ...(v.fds.flat === false ? ['fds grew'] : []),
    ...(v.fdsBack.ok ? [] : ['fds not back to idle']),
    ...(v.rtpPortsZero.ok ? [] : ['RTP ports still bound']),
    ...(v.sigterm.exited ? [] : ['SIGTERM did not end the server']),
  ];
  return { ...v, pass: failed.length === 0, failed };
}

type Histogram = Record<string, number>;
const bump = (h: Histogram, k: string | number): void => {
  h[String(k)] = (h[String(k)] ?? 0) + 1;
};

export interface KindSummary {
  count: number;
  inviteStatus: Histogram;
  reinviteStatus: Histogram;
  byeStatus: Histogram;
  serverBye: number;
  vanishToByeS: { n: number; min: number; max: number } | null;
  errors: string[];
  streams: number;
  mediaFrames: number;
  rtpFromServer: number;
  digitsSent: number;
  digitsReceived: number;
  checkpoints: number;
  playedStream: number;
  clearSent: number;
  clearedAudio: number;
}

export function kindSummary(results: readonly Outcome[], app: SoakApp): Record<string, KindSummary> {
  const out: Partial<Record<Kind, KindSummary>> = {};
  for (const o of results) {
    const k = (out[o.kind] ??= {
      count: 0,
      inviteStatus: {},
      reinviteStatus: {},
      byeStatus: {},
      serverBye: 0,
      vanishToByeS: null,
      errors: [],
      streams: 0,
      mediaFrames: 0,
      rtpFromServer: 0,
      digitsSent: 0,
      digitsReceived: 0,
      checkpoints: 0,
      playedStream: 0,
      clearSent: 0,
      clearedAudio: 0,
    });
    k.count++;
    bump(k.inviteStatus, o.status);
    for (const r of o.reinvites) {
      bump(k.reinviteStatus, r);
    }
    if (o.bye !== null) {
      bump(k.byeStatus, o.bye);
    }
    k.serverBye += o.serverBye ? 1 : 0;
    if (o.vanishToByeS !== null) {
      const v = k.vanishToByeS ?? { n: 0, min: Infinity, max: 0 };
      k.vanishToByeS = {
        n: v.n + 1,
        min: Math.min(v.min, o.vanishToByeS),
        max: Math.max(v.max, o.vanishToByeS),
      };
    }
    if (o.error !== null && k.errors.length < 5) {
      k.errors.push(o.error);
    }
    k.rtpFromServer += o.rtpReceived;
    k.digitsSent += o.digitsSent;
    const s = app.streams.get(o.id);
    if (s !== undefined) {
      k.streams++;
      k.mediaFrames += s.media;
      k.digitsReceived += s.digits.length;
      k.checkpoints += s.checkpoints;
      k.playedStream += s.playedStream;
      k.clearSent += s.clearSent;
      k.clearedAudio += s.clearedAudio;
    }
  }
  return out;
}

const pad = (x: string | number | null, n: number): string => String(x ?? '-').padStart(n);

/** The samples to show: all of a short run, else the start, one every 10 minutes and the last two. */
export function shownSamples(samples: readonly Sample[]): Sample[] {
  if (samples.length <= 16) {
    return [...samples];
  }
  let nextMin = 10;
  const out: Sample[] = [];
  samples.forEach((s, i) => {
    const last = i >= samples.length - 2;
    if (i === 0 || last || (s.phase === 'run' && s.tS / 60 >= nextMin - 0.5)) {
      out.push(s);
      if (!last && i > 0) {
        nextMin += 10;
      }
    }
  });
  return out;
}

function flatLine(f: Flatness): string {
  const verdict = f.flat === null ? 'too short to judge' : f.flat ? 'FLAT' : 'GREW';
  return (
    `${f.metric}: ${verdict}: fitted ${f.fitted} samples over ${f.spanMin} min, ` +
    `growth ${f.growth} ${f.unit} (slope ${f.slopePerHour} ${f.unit}/h), tolerance ${f.tolerance} ${f.unit}`
  );
}

export function printSummary(
  r: {
    samples: readonly Sample[];
    verdicts: Verdicts;
    kinds: Record<string, KindSummary>;
    scenarios: number;
  },
  out: (s: string) => void,
): void {
  out('');
  out(
    'phase      t(s)  RSS kB  RSS(gc) kB  heap kB  fds  udp  rtp  live  fin  lag p50/p99/max ms  cpu %  load1',
  );
  for (const s of shownSamples(r.samples)) {
    const lag = s.lagMs === null ? '-' : `${s.lagMs.p50}/${s.lagMs.p99}/${s.lagMs.max}`;
    out(
      `${s.phase.padEnd(8)} ${pad(s.tS, 6)} ${pad(s.rssKb, 7)} ${pad(s.rssAfterGcKb, 11)} ${pad(s.heapUsedKb, 8)} ` +
        `${pad(s.fds, 4)} ${pad(s.udpSockets, 4)} ${pad(s.rtpPorts, 4)} ${pad(s.liveCalls, 5)} ${pad(s.finishedRecords, 4)} ` +
        `${pad(lag, 19)} ${pad(s.cpuPct, 6)} ${pad(s.loadAvg1, 6)}`,
    );
  }
  out('');
  out(`${r.scenarios} scenarios:`);
  for (const [kind, k] of Object.entries(r.kinds)) {
    out(
      `  ${kind.padEnd(12)} n=${k.count} INVITE ${JSON.stringify(k.inviteStatus)}` +
        (Object.keys(k.reinviteStatus).length > 0 ? ` re-INVITE ${JSON.stringify(k.reinviteStatus)}` : '') +
        ` serverBYE ${k.serverBye} streams ${k.streams} media ${k.mediaFrames}` +
        (k.digitsSent > 0 ? ` digits ${k.digitsReceived}/${k.digitsSent}` : '') +
        (k.clearSent > 0 || k.checkpoints > 0
          ? ` checkpoints ${k.checkpoints} played ${k.playedStream} clear ${k.clearSent} cleared ${k.clearedAudio}`
          : '') +
        (k.vanishToByeS === null ? '' : ` vanish→BYE ${k.vanishToByeS.min}–${k.vanishToByeS.max} s`) +
        (k.errors.length > 0 ? ` errors ${k.errors.length}` : ''),
    );
  }
  const v = r.verdicts;
  out('');
  const byKind = (xs: readonly { kind: string }[]): string => {
    const h: Histogram = {};
    for (const x of xs) {
      bump(h, x.kind);
    }
    return JSON.stringify(h);
  };
  out(
    `no call live after the drain: ${v.noLiveAfterDrain ? 'OK' : `FAIL (${v.liveAfterDrain.length} live: ${byKind(v.liveAfterDrain)})`}`,
  );
  out(
    `every record finished: ${v.recordsFinished ? 'OK' : 'FAIL'} (${v.records.checked} calls, ` +
      `${v.records.unfinished.length} unfinished ${byKind(v.records.unfinished)}; ` +
      `${v.records.streams} streams, ${v.records.liveStreams} live)`,
  );
  for (const f of [v.rssAfterGc, v.heapUsed, v.fds, v.rawRss]) {
    out(flatLine(f));
  }
  out(
    `fds back to idle: ${v.fdsBack.ok ? 'OK' : 'FAIL'} (start ${v.fdsBack.start}, drained ${v.fdsBack.drained})`,
  );
  out(
    `RTP ports back to zero: ${v.rtpPortsZero.ok ? 'OK' : 'FAIL'} (peak ${v.rtpPortsZero.peak}, drained ${v.rtpPortsZero.drained})`,
  );
  out(
    `SIGTERM: ${v.sigterm.exited ? `exited in ${v.sigterm.ms} ms` : 'FAIL: still running after 30 s (killed)'}`,
  );
  out(
    `event-loop delay (reported): median p50 ${v.lag.medianP50Ms} ms, worst p99 ${v.lag.worstP99Ms} ms, max ${v.lag.maxMs} ms`,
  );
  out(v.pass ? 'SOAK PASSED' : `SOAK FAILED: ${v.failed.join('; ')}`);
}
