/**
 * The metrics read at scrape time from counters the node keeps anyway (node-metrics.ts says why).
 * prom-client calls each metric's `collect` in registration order before rendering it; counters here
 * are set to the source's running total (`reset` + `inc`), which never goes back.
 */
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';

import type { CallbackDelivery } from '../../engine/callbacks/callback-delivery.js';
import type { StreamFork } from '../../engine/fork/stream-fork.js';
import type { SipTrafficCounters } from '../../ports/sip-transactions.js';
import type { NotReadyWhy, ReadinessState } from '../sip/readiness.js';

/** Media counters of the node: the ended calls' totals plus the live calls' at scrape time. */
export interface MediaTotals {
  received: number;
  sent: number;
  lost: number;
  late: number;
  duplicate: number;
  concealed: number;
  overrun: number;
  unknownPayloadType: number;
}

export const zeroMedia = (): MediaTotals => ({
  received: 0,
  sent: 0,
  lost: 0,
  late: 0,
  duplicate: 0,
  concealed: 0,
  overrun: 0,
  unknownPayloadType: 0,
});

/** Totals of ended streams. */
export interface StreamTotals {
  underruns: number;
  degraded: number;
}

/** What the node's metrics see of its live calls and streams. */
export interface LiveView {
  callsActive(): number;
  mediaNow(): MediaTotals;
  liveStreams(): readonly StreamFork[];
  readonly endedStreams: Readonly<StreamTotals>;
}

/** What the SIP server tells metrics. */
export interface SipMetricsSource {
  stats(): {
    readonly liveDialogs: number;
    readonly rtpPortsInUse: number;
    readonly transactions: number;
    readonly malformed: number;
    readonly rejected: number;
    readonly traffic?: SipTrafficCounters | undefined;
  };
  readonly refusals: Readonly<Record<NotReadyWhy, number>>;
  readiness(): ReadinessState;
  /** The `sip.registrations` bindings (absent: none). */
  registrations?(): readonly { readonly state: string }[];
}

const REGISTRATION_STATES = ['idle', 'registering', 'registered', 'retrying', 'unregistering', 'stopped'];

/** What the media clock tells metrics (the driver's lateness histogram). */
export interface MediaClockMetricsSource {
  lateness(boundsMs: readonly number[]): { counts: number[]; count: number; sumMs: number };
  stats(): { readonly skippedFrames: number };
}

type Registers = Registry[];

function gauge(registers: Registers, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

function counter(registers: Registers, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** What one pass over the live streams gives every stream metric of a scrape. */
interface StreamsSnapshot {
  /** Live streams by `dialect|content type|state`. */
  readonly active: Map<string, { dialect: string; content_type: string; state: string; n: number }>;
  underruns: number;
  degraded: number;
  queuedSec: { sum: number; max: number };
  wsBuffered: { sum: number; max: number };
}

function takeStreamsSnapshot(view: LiveView): StreamsSnapshot {
  const snap: StreamsSnapshot = {
    active: new Map(),
    underruns: view.endedStreams.underruns,
    degraded: view.endedStreams.degraded,
    queuedSec: { sum: 0, max: 0 },
    wsBuffered: { sum: 0, max: 0 },
  };
  for (const f of view.liveStreams()) {
    const dialect = f.spec.dialect ?? 'plivo';
    const key = `${dialect}|${f.spec.contentType}|${f.status}`;
    const row = snap.active.get(key);
    if (row === undefined) {
      snap.active.set(key, { dialect, content_type: f.spec.contentType, state: f.status, n: 1 });
    } else {
      row.n++;
    }
    snap.underruns += f.playoutUnderruns;
    snap.degraded += f.stats.degradedEvents;
    const q = f.queuedMs / 1000;
    snap.queuedSec.sum += q;
    snap.queuedSec.max = Math.max(snap.queuedSec.max, q);
    const w = f.stats.wsBufferedBytes;
    snap.wsBuffered.sum += w;
    snap.wsBuffered.max = Math.max(snap.wsBuffered.max, w);
  }
  return snap;
}

/** A gauge with label `agg`: the sum and the largest of one number over the live streams. */
function streamAggregate(
  registers: Registers,
  name: string,
  help: string,
  read: () => { sum: number; max: number },
): void {
  new Gauge({
    name,
    help,
    labelNames: ['agg'],
    registers,
    collect() {
      const { sum, max } = read();
      this.set({ agg: 'sum' }, sum);
      this.set({ agg: 'max' }, max);
    },
  });
}

export function registerCallAndStreamMetrics(registers: Registers, view: LiveView): void {
  gauge(registers, 'streamfork_calls_active', 'Live calls on this node.', () => view.callsActive());
  // One pass over the live streams per scrape: the first stream metric collected (prom-client collects
  // in registration order) takes the snapshot the others read, as the media metrics do.
  let snap = takeStreamsSnapshot(view);
  new Gauge({
    name: 'streamfork_streams_active',
    help: 'Live streams, by dialect, content type and state (initiated, in-progress).',
    labelNames: ['dialect', 'content_type', 'state'],
    registers,
    collect() {
      snap = takeStreamsSnapshot(view);
      this.reset();
      for (const { n, ...labels } of snap.active.values()) {
        this.set(labels, n);
      }
    },
  });
  counter(
    registers,
    'streamfork_playout_underruns_total',
    "Times an app's playback ran dry and its next audio came within 200 ms (the caller heard a gap).",
    () => snap.underruns,
  );
  counter(
    registers,
    'streamfork_streams_degraded_total',
    'D11 DegradedStream warnings (an app reading slowly: its send buffer filling).',
    () => snap.degraded,
  );
  streamAggregate(
    registers,
    'streamfork_playout_queue_seconds',
    'Audio queued for playback on the live bidirectional streams, seconds: the sum and the largest.',
    () => snap.queuedSec,
  );
  streamAggregate(
    registers,
    'streamfork_ws_buffered_bytes',
    "Bytes waiting in the live streams' WebSocket send buffers: the sum and the largest.",
    () => snap.wsBuffered,
  );
}

export function registerMediaMetrics(registers: Registers, view: LiveView): void {
  let snapshot = zeroMedia();
  const media = (name: string, help: string, key: keyof MediaTotals, first = false): void => {
    counter(registers, name, help, () => {
      // The first one read takes the snapshot the others share (one pass over the live calls).
      if (first) {
        snapshot = view.mediaNow();
      }
      return snapshot[key];
    });
  };
  media('streamfork_rtp_packets_received_total', 'RTP packets received from callers.', 'received', true);
  media('streamfork_rtp_packets_sent_total', 'RTP packets sent to callers.', 'sent');
  media('streamfork_rtp_packets_lost_total', 'Inbound RTP sequence numbers given up as lost.', 'lost');
  media('streamfork_rtp_packets_late_total', 'Inbound RTP packets dropped as too late to play.', 'late');
  media('streamfork_rtp_packets_duplicate_total', 'Inbound RTP packets dropped as duplicates.', 'duplicate');
  media(
    'streamfork_rtp_frames_concealed_total',
    'Inbound 20 ms frames filled by the media clock without caller audio (concealment or silence).',
    'concealed',
  );
  media(
    'streamfork_rtp_frames_overrun_total',
    'Inbound frames dropped because they ran too far ahead of the media clock.',
    'overrun',
  );
  media(
    'streamfork_rtp_unknown_payload_type_total',
    'Inbound RTP packets with a payload type the call did not negotiate.',
    'unknownPayloadType',
  );
}

function registerSipTraffic(registers: Registers, sip: SipMetricsSource): void {
  const byKey = (
    name: string,
    help: string,
    label: string,
    read: (t: SipTrafficCounters, inbound: boolean) => ReadonlyMap<string | number, number>,
  ): void => {
    new Counter({
      name,
      help,
      labelNames: ['direction', label],
      registers,
      collect() {
        this.reset();
        const t = sip.stats().traffic;
        if (t === undefined) {
          return;
        }
        for (const inbound of [true, false]) {
          for (const [key, n] of read(t, inbound)) {
            this.inc({ direction: inbound ? 'in' : 'out', [label]: String(key) }, n);
          }
        }
      },
    });
  };
  byKey('streamfork_sip_requests_total', 'SIP requests, by direction and method.', 'method', (t, i) =>
    i ? t.requestsIn : t.requestsOut,
  );
  byKey('streamfork_sip_responses_total', 'SIP responses, by direction and status code.', 'code', (t, i) =>
    i ? t.responsesIn : t.responsesOut,
  );
  counter(
    registers,
    'streamfork_sip_retransmissions_sent_total',
    'SIP messages sent again because a transaction timer fired.',
    () => sip.stats().traffic?.retransmissionsOut ?? 0,
  );
  counter(
    registers,
    'streamfork_sip_retransmissions_received_total',
    'Retransmitted SIP requests absorbed by the transaction layer.',
    () => sip.stats().traffic?.retransmissionsIn ?? 0,
  );
}

export function registerSipMetrics(registers: Registers, sip: SipMetricsSource): void {
  gauge(
    registers,
    'streamfork_sip_dialogs_active',
    'SIP dialogs whose BYE has not completed.',
    () => sip.stats().liveDialogs,
  );
  gauge(
    registers,
    'streamfork_sip_transactions_active',
    'Live SIP transactions.',
    () => sip.stats().transactions,
  );
  gauge(
    registers,
    'streamfork_rtp_ports_in_use',
    'RTP ports held by calls.',
    () => sip.stats().rtpPortsInUse,
  );
  counter(
    registers,
    'streamfork_sip_malformed_total',
    'SIP messages that failed to parse.',
    () => sip.stats().malformed,
  );
  counter(
    registers,
    'streamfork_sip_rejected_total',
    'SIP requests refused with a final status >= 400 (challenges, 481 and 487 not counted).',
    () => sip.stats().rejected,
  );
  registerSipTraffic(registers, sip);
  new Gauge({
    name: 'streamfork_sip_registrations',
    help: 'Outbound SIP registration bindings (sip.registrations), by state.',
    labelNames: ['state'],
    registers,
    collect() {
      const all = sip.registrations?.() ?? [];
      for (const state of REGISTRATION_STATES) {
        this.set({ state }, all.filter((r) => r.state === state).length);
      }
    },
  });
  new Counter({
    name: 'streamfork_refused_total',
    help: 'New calls and REST stream starts refused with 503, by why (draining, full, streams, overloaded).',
    labelNames: ['why'],
    registers,
    collect() {
      this.reset();
      for (const [why, n] of Object.entries(sip.refusals)) {
        this.inc({ why }, n);
      }
    },
  });
  gauge(
    registers,
    'streamfork_ready',
    '1 when the node takes new calls, else 0 (draining or at a limit).',
    () => (sip.readiness().ready ? 1 : 0),
  );
}

export function registerCallbackMetrics(registers: Registers, cb: Pick<CallbackDelivery, 'stats'>): void {
  const c = (
    name: string,
    help: string,
    key: 'delivered' | 'failed' | 'retried' | 'dropped' | 'coalesced',
  ): void => {
    counter(registers, name, help, () => cb.stats[key]);
  };
  c('streamfork_callbacks_delivered_total', 'Status and hangup callbacks delivered.', 'delivered');
  c('streamfork_callbacks_failed_total', 'Callbacks given up after every attempt failed.', 'failed');
  c('streamfork_callbacks_retried_total', 'Failed callback attempts followed by another.', 'retried');
  c('streamfork_callbacks_dropped_total', 'Callbacks dropped unsent to stay within a budget.', 'dropped');
  c(
    'streamfork_callbacks_coalesced_total',
    'Callbacks replaced unsent by a newer one of the same kind.',
    'coalesced',
  );
  gauge(
    registers,
    'streamfork_callbacks_queued',
    'Callbacks waiting to be sent or retried (the outbox backlog of this process).',
    () => cb.stats.queued,
  );
}

/** Buckets of the media clock's lateness (the outbound interval error), ms. */
const LATENESS_BOUNDS_MS = [0.5, 1, 2, 5, 10, 20, 40, 80, 160];

export function registerClockMetrics(registry: Registry, clock: MediaClockMetricsSource): void {
  const name = 'streamfork_media_tick_lateness_seconds';
  const help =
    'How late each media clock sub-tick ran against its schedule: the outbound RTP interval error.';
  // A histogram kept by the driver (0.01 ms buckets), exposed in Prometheus' cumulative form.
  const lateness = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get: () => {
      const h = clock.lateness(LATENESS_BOUNDS_MS);
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] =
        LATENESS_BOUNDS_MS.map((b, i) => ({
          metricName: `${name}_bucket`,
          labels: { le: b / 1000 },
          value: h.counts[i] ?? 0,
        }));
      values.push(
        { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count },
        { metricName: `${name}_sum`, labels: {}, value: h.sumMs / 1000 },
        { metricName: `${name}_count`, labels: {}, value: h.count },
      );
      return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
    },
  } as unknown as Metric;
  registry.registerMetric(lateness);
  counter(
    [registry],
    'streamfork_media_clock_skipped_frames_total',
    'Media clock sub-ticks skipped because a wake-up came too late to catch up.',
    () => clock.stats().skippedFrames,
  );
}
