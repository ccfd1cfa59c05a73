/**
 * Runs one virtual call against an answer URL on a given runtime: the caller's audio comes from
 * memory, what the app plays back is recorded. Shared by `streamfork call` and the tests.
 *
 * Its event lines come from the engine's call events (the same stream the record projector writes):
 * `callStarted`, `streamStarting`, `playedStream`, `streamEnded`, `callError`, `callEnded`; the
 * message-level lines (`start`, `playAudio`, `checkpoint`, `connectFailed`, `clearedAudio`, …) come
 * from each stream's observer events, and the live levels from the leg.
 */
import type { AppRuntime } from './runtime.js';
import { VirtualLeg } from '../engine/call/virtual-leg.js';
import type { CallEvent, CallEventSink } from '../engine/events/call-events.js';
import type { StreamFork } from '../engine/fork/stream-fork.js';
import { flowContext, type CallIdentity } from '../engine/interpreter/call-params.js';
import { runCallFlow, type CallFlowEnd } from '../engine/interpreter/interpreter.js';
import { createElementRegistry } from '../engine/interpreter/registry.js';
import type { ElementRegistry } from '../engine/interpreter/interpreter.types.js';

export interface VirtualCallEvent {
  /** Milliseconds since the call started. */
  readonly t: number;
  readonly type: string;
  readonly streamId?: string;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface VirtualCallOptions {
  readonly answerUrl: string;
  readonly answerMethod?: 'GET' | 'POST';
  /** How the answer URL is requested: Plivo's way (default) or Twilio's. */
  readonly webhookDialect?: 'plivo' | 'twilio';
  /** 8 kHz mono caller audio. */
  readonly callerAudio: Int16Array;
  /** The caller hangs up after this long. Default: the caller audio's length plus 3 s. */
  readonly durationMs?: number;
  readonly from?: string;
  readonly to?: string;
  /** Key presses by the caller at given times (ms since start). */
  readonly dtmf?: readonly { readonly digit: string; readonly atMs: number }[];
  readonly registry?: ElementRegistry;
  readonly fetchTimeoutMs?: number;
  readonly onEvent?: (event: VirtualCallEvent) => void;
  /** Called once the call exists, with the leg that plays the caller (level meters, key presses). */
  readonly onLeg?: (leg: VirtualLeg) => void;
  /** Called with each stream as it starts (its playout queue can be watched: the conformance kit). */
  readonly onStream?: (fork: StreamFork) => void;
}

export interface CheckpointResult {
  readonly name: string;
  /** From the app's `checkpoint` to our `playedStream`, ms; undefined when never acknowledged. */
  readonly latencyMs: number | undefined;
}

export interface StreamSummary {
  readonly streamId: string;
  readonly serviceUrl: string;
  readonly contentType: string;
  readonly status: string;
  readonly endReason: string | undefined;
  readonly error: string | undefined;
  readonly stats: StreamFork['stats'];
  readonly checkpoints: readonly CheckpointResult[];
}

export interface VirtualCallResult {
  readonly callUuid: string;
  readonly durationMs: number;
  readonly hangupCause: string;
  readonly hangupSource: string;
  readonly flow: CallFlowEnd;
  readonly errors: readonly string[];
  readonly streams: readonly StreamSummary[];
  readonly eventCounts: Readonly<Record<string, number>>;
  /** What the caller heard (8 kHz mono). */
  readonly heard: Int16Array;
  readonly sentDtmf: readonly string[];
  readonly leg: VirtualLeg;
}

interface StreamTrack {
  readonly fork: StreamFork;
  readonly checkpoints: { name: string; at: number; latencyMs: number | undefined }[];
  endReason: string | undefined;
  error: string | undefined;
}

/** The message-level events of a stream (its checkpoint acknowledgements come as `stream.checkpoint`). */
function watchStream(
  fork: StreamFork,
  elapsed: () => number,
  emit: (e: VirtualCallEvent) => void,
): StreamTrack {
  const track: StreamTrack = { fork, checkpoints: [], endReason: undefined, error: undefined };
  fork.on('event', (type, detail) => {
    if (type === 'playedStream') {
      return;
    }
    const t = elapsed();
    if (type === 'checkpoint') {
      track.checkpoints.push({ name: String(detail['name']), at: t, latencyMs: undefined });
    }
    emit({ t, type, streamId: fork.streamId, detail });
  });
  return track;
}

/** The line a call event makes, or undefined for one the view does not show (`stream.status` in-progress). */
function lineOf(
  e: CallEvent,
  t: number,
): (Omit<VirtualCallEvent, 'detail'> & { readonly detail: Record<string, unknown> }) | undefined {
  switch (e.type) {
    case 'call.started':
      return { t, type: 'callStarted', detail: { callUuid: e.callUuid } };
    case 'call.answered':
    case 'call.xml':
    case 'call.dtmf':
    case 'stream.play':
    case 'stream.cleared':
      // The view shows these from the fork's and the leg's own events (message-level lines).
      return undefined;
    case 'call.ended':
      return { t, type: 'callEnded', detail: { cause: e.cause, source: e.source } };
    case 'call.error':
      return { t, type: 'callError', detail: { code: e.code, message: e.message } };
    case 'stream.started':
      return { t, type: 'streamStarting', streamId: e.streamId, detail: { url: e.spec.serviceUrl } };
    case 'stream.checkpoint':
      return { t, type: 'playedStream', streamId: e.streamId, detail: { name: e.name } };
    case 'stream.status':
      return e.status === 'in-progress'
        ? undefined
        : {
            t,
            type: 'streamEnded',
            streamId: e.streamId,
            detail: {
              status: e.status,
              reason: e.reason,
              ...(e.error === null ? {} : { error: e.error }),
            },
          };
  }
}

/** Keeps the result's errors and stream outcomes from one of the call's events, and shows it. */
function follow(
  e: CallEvent,
  t: number,
  tracks: readonly StreamTrack[],
  errors: string[],
  emit: (e: VirtualCallEvent) => void,
): void {
  const track = 'streamId' in e ? tracks.find((s) => s.fork.streamId === e.streamId) : undefined;
  if (e.type === 'call.error') {
    errors.push(e.message);
  } else if (e.type === 'stream.checkpoint' && track !== undefined) {
    const cp = track.checkpoints.find((c) => c.name === e.name && c.latencyMs === undefined);
    if (cp !== undefined) {
      cp.latencyMs = t - cp.at;
    }
  } else if (e.type === 'stream.status' && e.status !== 'in-progress' && track !== undefined) {
    track.endReason = e.reason;
    track.error = e.error ?? undefined;
  }
  const line = lineOf(e, t);
  if (line !== undefined) {
    emit(line);
  }
}

/** A virtual call is answered at once: `call.started` and `call.answered` at the same moment. */
function announce(events: CallEventSink, identity: CallIdentity, answerUrl: string): void {
  const { callUuid, startedAtMs } = identity;
  events.emit({
    type: 'call.started',
    callUuid,
    atMs: startedAtMs,
    direction: identity.direction,
    from: identity.from,
    to: identity.to,
    answerUrl,
    requestUuid: null,
    sipCallId: null,
    startedAtMs,
    nodeId: null,
    hangupCallback: null,
  });
  events.emit({
    type: 'call.answered',
    callUuid,
    atMs: startedAtMs,
    answerUrl,
    sipCallId: null,
    hangupCallback: null,
  });
}

export async function runVirtualCall(
  runtime: AppRuntime,
  opts: VirtualCallOptions,
): Promise<VirtualCallResult> {
  const { engine } = runtime;
  const { clock, random, timers } = runtime.ports;
  const leg = new VirtualLeg({ callerAudio: opts.callerAudio });
  const call = engine.addCall(leg);
  opts.onLeg?.(leg);
  const started = clock.monotonicMs();
  const elapsed = (): number => Math.round(clock.monotonicMs() - started);
  const counts: Record<string, number> = {};
  const emit = (e: VirtualCallEvent): void => {
    counts[e.type] = (counts[e.type] ?? 0) + 1;
    opts.onEvent?.(e);
  };
  const tracks: StreamTrack[] = [];
  const errors: string[] = [];
  call.on('stream-started', (fork) => {
    tracks.push(watchStream(fork, elapsed, emit));
    opts.onStream?.(fork);
  });
  const unsubscribe = engine.events.subscribe((e) => {
    if (e.callUuid === call.callUuid) {
      follow(e, e.type === 'call.started' ? 0 : elapsed(), tracks, errors, emit);
    }
  });
  const ended = new Promise<void>((resolve) => {
    call.on('ended', () => {
      resolve();
    });
  });
  const abort = new AbortController();
  call.on('ended', () => {
    abort.abort();
  });
  const durationMs = opts.durationMs ?? Math.round(opts.callerAudio.length / 8) + 3000;
  const handles = [
    timers.after(durationMs, () => {
      leg.callerHangup('NORMAL_CLEARING');
    }),
  ];
  for (const press of opts.dtmf ?? []) {
    handles.push(
      timers.after(press.atMs, () => {
        emit({ t: elapsed(), type: 'callerDtmf', detail: { digit: press.digit } });
        leg.pressDigit(press.digit);
      }),
    );
  }
  const identity: CallIdentity = {
    callUuid: call.callUuid,
    requestUuid: random.uuid(),
    from: opts.from ?? 'streamfork-virtual',
    to: opts.to ?? 'streamfork',
    direction: 'inbound',
    accountId: engine.options.stream.accountId,
    startedAtMs: clock.epochMs(),
  };
  announce(engine.events, identity, opts.answerUrl);
  const ctx = flowContext(runtime.ports, call, identity, {
    logger: runtime.logger.child({ callUuid: call.callUuid }),
    authToken: engine.options.stream.authToken,
    signal: abort.signal,
    fetchTimeoutMs: opts.fetchTimeoutMs ?? 5000,
  });
  const flow = await runCallFlow(ctx, {
    url: opts.answerUrl,
    method: opts.answerMethod ?? 'POST',
    ...(opts.webhookDialect === undefined ? {} : { webhookDialect: opts.webhookDialect }),
    registry: opts.registry ?? createElementRegistry(),
  });
  await ended;
  for (const h of handles) {
    h.cancel();
  }
  await Promise.all(tracks.map((t) => t.fork.ended));
  unsubscribe();
  const hangup = call.hangupInfo ?? { cause: 'NORMAL_CLEARING', source: 'caller' };
  return {
    callUuid: call.callUuid,
    durationMs: elapsed(),
    hangupCause: hangup.cause,
    hangupSource: hangup.source,
    flow,
    errors,
    streams: tracks.map((t) => ({
      streamId: t.fork.streamId,
      serviceUrl: t.fork.spec.serviceUrl,
      contentType: t.fork.spec.contentType,
      status: t.fork.status,
      endReason: t.endReason,
      error: t.error,
      stats: t.fork.stats,
      checkpoints: t.checkpoints.map((c) => ({ name: c.name, latencyMs: c.latencyMs })),
    })),
    eventCounts: counts,
    heard: leg.recorded(),
    sentDtmf: leg.sentDtmf,
    leg,
  };
}
