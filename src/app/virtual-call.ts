/**
 * Runs one virtual call against an answer URL on a given runtime: the caller's audio comes from
 * memory, what the app plays back is recorded. Shared by `streamfork call` and the tests.
 */
import type { AppRuntime } from './runtime.js';
import { VirtualLeg } from '../engine/call/virtual-leg.js';
import type { StreamFork } from '../engine/fork/stream-fork.js';
import { flowContext } from '../engine/interpreter/call-params.js';
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

function watchStream(
  fork: StreamFork,
  elapsed: () => number,
  emit: (e: VirtualCallEvent) => void,
): StreamTrack {
  const track: StreamTrack = { fork, checkpoints: [], endReason: undefined, error: undefined };
  fork.on('event', (type, detail) => {
    const t = elapsed();
    if (type === 'checkpoint') {
      track.checkpoints.push({ name: String(detail['name']), at: t, latencyMs: undefined });
    } else if (type === 'playedStream') {
      const cp = track.checkpoints.find((c) => c.name === detail['name'] && c.latencyMs === undefined);
      if (cp !== undefined) {
        cp.latencyMs = t - cp.at;
      }
    }
    emit({ t, type, streamId: fork.streamId, detail });
  });
  fork.on('ended', (end) => {
    track.endReason = end.reason;
    track.error = end.error;
    emit({ t: elapsed(), type: 'streamEnded', streamId: fork.streamId, detail: { ...end } });
  });
  return track;
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
  call.on('stream-started', (fork) => {
    tracks.push(watchStream(fork, elapsed, emit));
    emit({
      t: elapsed(),
      type: 'streamStarting',
      streamId: fork.streamId,
      detail: { url: fork.spec.serviceUrl },
    });
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
  const identity = {
    callUuid: call.callUuid,
    requestUuid: random.uuid(),
    from: opts.from ?? 'streamfork-virtual',
    to: opts.to ?? 'streamfork',
    direction: 'inbound' as const,
    accountId: engine.options.stream.accountId,
    startedAtMs: clock.epochMs(),
  };
  emit({ t: 0, type: 'callStarted', detail: { callUuid: call.callUuid } });
  const ctx = flowContext(runtime.ports, call, identity, {
    logger: runtime.logger.child({ callUuid: call.callUuid }),
    authToken: engine.options.stream.authToken,
    signal: abort.signal,
    fetchTimeoutMs: opts.fetchTimeoutMs ?? 5000,
  });
  const flow = await runCallFlow(ctx, {
    url: opts.answerUrl,
    method: opts.answerMethod ?? 'POST',
    registry: opts.registry ?? createElementRegistry(),
  });
  await ended;
  for (const h of handles) {
    h.cancel();
  }
  await Promise.all(tracks.map((t) => t.fork.ended));
  const hangup = call.hangupInfo ?? { cause: 'NORMAL_CLEARING', source: 'caller' };
  emit({ t: elapsed(), type: 'callEnded', detail: { cause: hangup.cause, source: hangup.source } });
  return {
    callUuid: call.callUuid,
    durationMs: elapsed(),
    hangupCause: hangup.cause,
    hangupSource: hangup.source,
    flow,
    errors: call.errors,
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
