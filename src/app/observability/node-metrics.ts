/**
 * The node's Prometheus metrics (issue 15; every name, type and label is in docs/metrics.md).
 *
 * Nothing here runs per media frame. Two sources only:
 * - the typed call events (rare: a handful per call), counted as they pass: calls and streams started
 *   and ended, stream connect time;
 * - the counters the media path keeps anyway (each RTP leg's, each stream's, the SIP transaction
 *   layer's, the callback delivery's, the media clock's), read when Prometheus scrapes. A call's
 *   counters are folded into the node's totals when it ends, so totals never go back.
 *
 * Labels are bounded: direction, a catalogued hangup cause (anything else is `other`), dialect,
 * content type, stream state, SIP method (a fixed set) and status code. No call or stream ids, no
 * numbers, no URLs.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import type { CallSession } from '../../engine/call/call-session.js';
import { RtpMediaLeg } from '../../engine/call/rtp-media-leg.js';
import type { Engine } from '../../engine/engine.js';
import type { CallEvent } from '../../engine/events/call-events.js';
import type { StreamFork } from '../../engine/fork/stream-fork.js';
import {
  type LiveView,
  type MediaClockMetricsSource,
  type MediaTotals,
  type SipMetricsSource,
  type StreamTotals,
  registerCallAndStreamMetrics,
  registerCallbackMetrics,
  registerClockMetrics,
  registerMediaMetrics,
  registerSipMetrics,
  zeroMedia,
} from './pulled-metrics.js';

export type { MediaClockMetricsSource, SipMetricsSource } from './pulled-metrics.js';

export interface NodeMetricsDeps {
  readonly engine: Engine;
  readonly sip?: SipMetricsSource;
  readonly mediaClock?: MediaClockMetricsSource;
  /** Collect Node's process metrics (RSS, heap, GC pauses, event-loop lag). Default true. */
  readonly processMetrics?: boolean;
}

/** The RTP leg of a call, or undefined for a virtual call. */
function rtpLegOf(call: CallSession): RtpMediaLeg | undefined {
  return call.leg instanceof RtpMediaLeg ? call.leg : undefined;
}

function addLeg(into: MediaTotals, leg: RtpMediaLeg): void {
  const s = leg.stats;
  into.received += s.inbound.received;
  into.sent += s.packetsSent;
  into.lost += s.inbound.lost;
  into.late += s.inbound.late;
  into.duplicate += s.inbound.duplicate;
  into.concealed += s.fillerFrames;
  into.overrun += s.overrunFrames;
  into.unknownPayloadType += s.unknownPayloadType;
}

const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2];

/** A stream the metrics follow from `stream.started` to its end. */
interface TrackedStream {
  readonly fork: StreamFork | undefined;
  readonly dialect: string;
  readonly startedAtMs: number;
  firstMediaSeen: boolean;
  firstPlaySeen: boolean;
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly #deps: NodeMetricsDeps;
  readonly #media = zeroMedia();
  readonly #streamTotals: StreamTotals = { underruns: 0, degraded: 0 };
  /** Direction of each call between its started and ended events. */
  readonly #directions = new Map<string, string>();
  /** Each engine call from its registration to its end (its RTP counters are folded in then). */
  readonly #sessions = new Map<string, CallSession>();
  readonly #streams = new Map<string, TrackedStream>();
  readonly #unsubscribe: () => void;

  readonly #callsStarted: Counter<'direction'>;
  readonly #callsEnded: Counter<'direction' | 'cause'>;
  readonly #streamsStarted: Counter<'dialect'>;
  readonly #streamsEnded: Counter<'dialect' | 'status'>;
  readonly #streamsDropped: Counter;
  readonly #connect: Histogram;
  readonly #firstMedia: Histogram;
  readonly #firstPlay: Histogram;
  readonly #lag: Histogram;

  constructor(deps: NodeMetricsDeps) {
    this.#deps = deps;
    const registers = [this.registry];
    this.#callsStarted = new Counter({
      name: 'streamfork_calls_started_total',
      help: 'Calls started, by direction.',
      labelNames: ['direction'],
      registers,
    });
    this.#callsEnded = new Counter({
      name: 'streamfork_calls_ended_total',
      help: 'Calls ended, by direction and hangup cause (catalogued causes; any other is "other").',
      labelNames: ['direction', 'cause'],
      registers,
    });
    this.#streamsStarted = new Counter({
      name: 'streamfork_streams_started_total',
      help: 'Streams started, by dialect.',
      labelNames: ['dialect'],
      registers,
    });
    this.#streamsEnded = new Counter({
      name: 'streamfork_streams_ended_total',
      help: 'Streams ended, by dialect and final status (completed, failed).',
      labelNames: ['dialect', 'status'],
      registers,
    });
    this.#streamsDropped = new Counter({
      name: 'streamfork_streams_dropped_total',
      help: 'Streams ended because the app read too slowly (D11 DroppedStream).',
      registers,
    });
    this.#connect = new Histogram({
      name: 'streamfork_stream_connect_seconds',
      help: "From a stream's start to its WebSocket being open and `start` sent.",
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.#firstMedia = new Histogram({
      name: 'streamfork_stream_first_media_seconds',
      help: "From a stream's start to its first `media` message sent.",
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.#firstPlay = new Histogram({
      name: 'streamfork_stream_first_play_audio_seconds',
      help: "From a stream's connection to the app's first accepted `playAudio` (bidirectional streams).",
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
      registers,
    });
    this.#lag = new Histogram({
      name: 'streamfork_event_loop_lag_seconds',
      help: 'The largest event-loop lag of each one-second window.',
      buckets: LAG_BUCKETS,
      registers,
    });
    const view: LiveView = {
      callsActive: () => deps.engine.calls.size,
      mediaNow: () => this.#mediaNow(),
      liveStreams: () => this.#liveStreams(),
      endedStreams: this.#streamTotals,
    };
    registerCallAndStreamMetrics(registers, view);
    registerMediaMetrics(registers, view);
    if (deps.sip !== undefined) {
      registerSipMetrics(registers, deps.sip);
    }
    registerCallbackMetrics(registers, deps.engine.callbacks);
    if (deps.mediaClock !== undefined) {
      registerClockMetrics(this.registry, deps.mediaClock);
    }
    if (deps.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
    }
    this.#unsubscribe = deps.engine.events.subscribe((e) => {
      this.#onEvent(e);
    });
    deps.engine.watchCalls((callUuid, what) => {
      this.#onCall(callUuid, what);
    });
  }

  /** One window of the event-loop lag monitor (its max, ms). */
  observeEventLoopLag(maxMs: number): void {
    this.#lag.observe(maxMs / 1000);
  }

  /** The exposition text and its content type, for GET /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  close(): void {
    this.#unsubscribe();
  }

  #onEvent(e: CallEvent): void {
    switch (e.type) {
      case 'call.started': {
        this.#callsStarted.inc({ direction: e.direction });
        this.#directions.set(e.callUuid, e.direction);
        return;
      }
      case 'call.ended': {
        const direction = this.#directions.get(e.callUuid) ?? 'unknown';
        this.#directions.delete(e.callUuid);
        this.#callsEnded.inc({ direction, cause: e.causeCode === null ? 'other' : e.cause });
        return;
      }
      case 'stream.started': {
        const fork = this.#deps.engine.getCall(e.callUuid)?.allStreams.find((f) => f.streamId === e.streamId);
        const dialect = e.spec.dialect ?? 'plivo';
        this.#streamsStarted.inc({ dialect });
        this.#streams.set(e.streamId, {
          fork,
          dialect,
          startedAtMs: e.atMs,
          firstMediaSeen: false,
          firstPlaySeen: false,
        });
        return;
      }
      case 'stream.status': {
        const s = this.#streams.get(e.streamId);
        if (s === undefined) {
          return;
        }
        if (e.status === 'in-progress') {
          this.#connect.observe(Math.max(0, e.atMs - s.startedAtMs) / 1000);
          return;
        }
        this.#streams.delete(e.streamId);
        this.#observeFirsts(s);
        if (s.fork !== undefined) {
          this.#streamTotals.underruns += s.fork.playoutUnderruns;
          this.#streamTotals.degraded += s.fork.stats.degradedEvents;
        }
        this.#streamsEnded.inc({ dialect: s.dialect, status: e.status });
        if (e.reason === 'Slow consumer') {
          this.#streamsDropped.inc();
        }
        return;
      }
      case 'call.answered':
      case 'call.error':
      case 'call.xml':
      case 'call.dtmf':
      case 'stream.checkpoint':
      case 'stream.play':
      case 'stream.cleared':
        return;
    }
  }

  /** A call joins the engine (its session is kept) or leaves it (its RTP counters join the totals). */
  #onCall(callUuid: string, what: 'added' | 'ended'): void {
    if (what === 'added') {
      const call = this.#deps.engine.getCall(callUuid);
      if (call !== undefined) {
        this.#sessions.set(callUuid, call);
      }
      return;
    }
    const call = this.#sessions.get(callUuid);
    this.#sessions.delete(callUuid);
    const leg = call === undefined ? undefined : rtpLegOf(call);
    if (leg !== undefined) {
      addLeg(this.#media, leg);
    }
  }

  /** First media and first playAudio, observed once per stream (at a scrape or at its end). */
  #observeFirsts(s: TrackedStream): void {
    const stats = s.fork?.stats;
    if (stats === undefined) {
      return;
    }
    if (!s.firstMediaSeen && stats.firstMediaAtMs > 0) {
      s.firstMediaSeen = true;
      this.#firstMedia.observe(Math.max(0, stats.firstMediaAtMs - s.startedAtMs) / 1000);
    }
    if (!s.firstPlaySeen && stats.firstPlayAudioAtMs > 0 && stats.connectedAtMs > 0) {
      s.firstPlaySeen = true;
      this.#firstPlay.observe(Math.max(0, stats.firstPlayAudioAtMs - stats.connectedAtMs) / 1000);
    }
  }

  /** The media totals now: ended calls plus live ones. */
  #mediaNow(): MediaTotals {
    const t = { ...this.#media };
    for (const call of this.#sessions.values()) {
      const leg = rtpLegOf(call);
      if (leg !== undefined) {
        addLeg(t, leg);
      }
    }
    return t;
  }

  /** Live streams, with the first-media/first-play observations of those that have reached them. */
  #liveStreams(): StreamFork[] {
    const out: StreamFork[] = [];
    for (const s of this.#streams.values()) {
      this.#observeFirsts(s);
      if (s.fork !== undefined && !s.fork.closed) {
        out.push(s.fork);
      }
    }
    return out;
  }
}
