/**
 * One scripted call of the conformance kit: a virtual call against the bot's answer URL whose caller
 * says its lines at fixed times, and, when the script says so, reacts to the bot: talks over it or
 * hangs up a moment after its playback starts. What happened is kept as a trace for the checks.
 */
import type { StreamFork } from '../../engine/fork/stream-fork.js';
import type { VirtualLeg } from '../../engine/call/virtual-leg.js';
import type { ElementRegistry } from '../../engine/interpreter/interpreter.types.js';
import type { ContentType } from '../../protocol/stream-ws/formats.js';
import type { AppRuntime } from '../runtime.js';
import { runVirtualCall, type VirtualCallEvent, type VirtualCallResult } from '../virtual-call.js';

/** What the caller says and when (ms since the call started). */
export interface Line {
  readonly atMs: number;
  readonly audio: Int16Array;
}

export interface Script {
  readonly name: string;
  /** The call's length: the caller hangs up then (unless the script hangs up earlier). */
  readonly timelineMs: number;
  readonly lines: readonly Line[];
  readonly dtmf?: readonly { readonly digit: string; readonly atMs: number }[];
  /**
   * `talk-over`: once the bot plays after the first line, the caller says `reactLine` `reactAfterMs`
   * later; `hang-up`: the caller hangs up then.
   */
  readonly react?: {
    readonly kind: 'talk-over' | 'hang-up';
    readonly afterMs: number;
    readonly line?: Int16Array;
  };
  /** Plays the stream in this format whatever the bot's `<Stream contentType>` asks (the 16 kHz check). */
  readonly contentType?: ContentType;
  /** Drops the bot's socket (no close frame) this long after the stream started (the reconnect check). */
  readonly dropSocketAfterMs?: number;
}

/** What a script needs from the kit besides the runtime. */
export interface ScriptHooks {
  /** Drops the socket opened last; false when there is none. */
  readonly dropSocket?: () => boolean;
}

export interface Trace {
  readonly script: Script;
  readonly result: VirtualCallResult;
  readonly events: readonly VirtualCallEvent[];
  readonly appErrors: readonly { readonly t: number; readonly code: string }[];
  /** Messages the server ignored (unknown events): their reasons. */
  readonly ignored: readonly string[];
  /** The first stream's playout queue, sampled every 20 ms: [t, queued ms]. */
  readonly queue: readonly (readonly [number, number])[];
  readonly bidirectional: boolean | undefined;
  /** When the caller reacted (talked over the bot or hung up), ms; undefined when it never did. */
  readonly reactedAtMs: number | undefined;
  /** The contentType the bot's `<Stream>` asked for (before a script's override). */
  readonly askedContentType: string | undefined;
  /** The bot's `<Stream resumeTimeout>`, s (0: not resumable). */
  readonly resumeTimeoutSec: number;
  /** When the kit dropped the bot's socket, ms; undefined when it did not. */
  readonly droppedAtMs: number | undefined;
}

const SAMPLE_MS = 20;

/** `registry` with its `<Stream>` played in `forced` (when given); `onAsked` learns what the XML asked for. */
function withStreamFormat(
  registry: ElementRegistry,
  forced: ContentType | undefined,
  onAsked: (contentType: string) => unknown,
): ElementRegistry {
  return {
    ...registry,
    Stream: (node, ctx) => {
      onAsked(node.contentType);
      return registry.Stream(forced === undefined ? node : { ...node, contentType: forced }, ctx);
    },
  };
}

/** Runs `script` as one virtual call; the caller's timeline is filled as the call goes. */
export async function runScript(
  runtime: AppRuntime,
  answerUrl: string,
  script: Script,
  registry: ElementRegistry,
  hooks: ScriptHooks = {},
): Promise<Trace> {
  const { timers } = runtime.ports;
  const timeline = new Int16Array(Math.round(script.timelineMs * 8));
  for (const line of script.lines) {
    const at = Math.round(line.atMs * 8);
    timeline.set(line.audio.subarray(0, Math.max(0, timeline.length - at)), at);
  }
  const events: VirtualCallEvent[] = [];
  const appErrors: { t: number; code: string }[] = [];
  const ignored: string[] = [];
  let lastPlayAt = -1;
  const queue: [number, number][] = [];
  let leg: VirtualLeg | undefined;
  let fork: StreamFork | undefined;
  let reactedAtMs: number | undefined;
  let reactArmed = false;
  let askedContentType: string | undefined;
  let droppedAtMs: number | undefined;
  const reg = withStreamFormat(registry, script.contentType, (asked) => (askedContentType ??= asked));
  const drop = (): void => {
    if (fork !== undefined && !fork.closed && hooks.dropSocket?.() === true) {
      droppedAtMs = Math.round(now());
    }
  };
  const firstLine = script.lines[0];
  const firstLineAt = firstLine?.atMs ?? 0;
  const firstLineEnd = firstLine === undefined ? 0 : firstLine.atMs + firstLine.audio.length / 8;
  const started = runtime.ports.clock.monotonicMs();
  const now = (): number => runtime.ports.clock.monotonicMs() - started;
  const sample = (): void => {
    if (fork === undefined || fork.closed) {
      return;
    }
    const t = Math.round(now());
    queue.push([t, fork.queuedMs]);
    // React to the bot's reply: once the caller's first line is over and the bot is playing.
    if (
      script.react !== undefined &&
      !reactArmed &&
      t >= firstLineEnd &&
      (fork.queuedMs > 0 || lastPlayAt >= firstLineAt)
    ) {
      reactArmed = true;
      timers.after(script.react.afterMs, react);
    }
    timers.after(SAMPLE_MS, sample);
  };
  const react = (): void => {
    const r = script.react;
    if (r === undefined || leg === undefined || leg.closed) {
      return;
    }
    reactedAtMs = Math.round(now());
    if (r.kind === 'hang-up') {
      leg.callerHangup('NORMAL_CLEARING');
    } else if (r.line !== undefined) {
      leg.speakNow(r.line);
    }
  };
  const result = await runVirtualCall(runtime, {
    answerUrl,
    callerAudio: timeline,
    durationMs: script.timelineMs,
    ...(script.dtmf === undefined ? {} : { dtmf: script.dtmf }),
    registry: reg,
    onLeg: (l) => {
      leg = l;
    },
    onStream: (f) => {
      if (fork === undefined) {
        fork = f;
        timers.after(SAMPLE_MS, sample);
        if (script.dropSocketAfterMs !== undefined) {
          f.on('status', (status) => {
            if (status === 'in-progress' && droppedAtMs === undefined) {
              timers.after(script.dropSocketAfterMs ?? 0, drop);
            }
          });
        }
      }
    },
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'appError') {
        const code = e.detail?.['code'];
        appErrors.push({ t: e.t, code: typeof code === 'string' ? code : 'unknown' });
      }
      if (e.type === 'appIgnored') {
        const reason = e.detail?.['reason'];
        ignored.push(typeof reason === 'string' ? reason : 'ignored');
      }
      if (e.type === 'playAudio' && e.t >= firstLineAt) {
        lastPlayAt = e.t;
      }
    },
  });
  return {
    script,
    result,
    events,
    appErrors,
    ignored,
    queue,
    bidirectional: fork?.spec.bidirectional,
    reactedAtMs,
    askedContentType,
    resumeTimeoutSec: fork?.spec.resumeTimeoutSec ?? 0,
    droppedAtMs,
  };
}
