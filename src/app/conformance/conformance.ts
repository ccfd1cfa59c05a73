/**
 * `streamfork conformance` (issue 16 item 5): scripted virtual calls against a user's stream bot, and a
 * pass/fail report naming the rule behind each check (conformance.types.ts). No telephony is needed:
 * each call is a virtual call on this process's engine, so the bot gets a real Plivo stream over its
 * WebSocket exactly as on a phone call.
 *
 * Scenarios, run one after another (a simple bot may serve one call at a time):
 * - `basic`: the caller says one line; the bot must start a bidirectional stream, answer in its
 *   format, at a pace the playout buffer holds, audibly, and have its checkpoints acknowledged;
 * - `barge-in`: the caller talks over the bot 0.8 s after its reply starts; the bot must clear;
 * - `dtmf`: the caller presses keys; the stream must stay up and the bot send nothing invalid;
 * - `hangup`: the caller hangs up 0.7 s into the bot's reply; the stream must close cleanly and the
 *   answer URL still answer afterwards;
 * - `wideband`, `reconnect`: a 16 kHz stream, and a dropped socket for a bot that asked for
 *   `resumeTimeout` (extra-checks.ts).
 */
import { rms } from '../../media/analysis.js';
import type { HttpClient } from '../../ports/http-client.js';
import type { ElementRegistry } from '../../engine/interpreter/interpreter.types.js';
import type { AppRuntime } from '../runtime.js';
import { type CheckResult, type ConformanceReport, RULES } from './conformance.types.js';
import { extraScripts, reconnectCheck, widebandCheck } from './extra-checks.js';
import { type Script, type Trace, runScript } from './scenario-run.js';

export interface ConformanceDeps {
  readonly runtime: AppRuntime;
  readonly registry: ElementRegistry;
  /** The caller's speech for a line of text (8 kHz); synthetic speech-like audio stands in when absent. */
  readonly speech?: (text: string) => Promise<Int16Array | undefined>;
  /** The playout buffer the bot is held to, ms (the stream settings' `maxPlayoutQueueMs`). */
  readonly bufferMs: number;
  readonly onProgress?: (line: string) => void;
  /** Drops the bot's socket opened last, without a close frame (the reconnect check); absent: not run. */
  readonly dropSocket?: () => boolean;
}

/** Codes of the app's messages that are not in the stream's audio format. */
const FORMAT_CODES = new Set([
  'ERR_STREAM_FORMAT_MISMATCH',
  'ERR_STREAM_PARTIAL_SAMPLE',
  'ERR_STREAM_BAD_WAV',
]);
const PACE_CODES = new Set(['ERR_STREAM_PLAYOUT_OVERFLOW']);
/** A 20 ms frame louder than this (int16 RMS) is sound, not silence. */
const AUDIBLE_RMS = 100;

/** Speech-like audio when no TTS is available: a 140 Hz voice with harmonics, in 4 Hz syllables. */
export function syntheticSpeech(ms: number): Int16Array {
  const n = Math.round(ms * 8);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / 8000;
    const syllable = Math.max(0, Math.sin(2 * Math.PI * 4 * t));
    let v = 0;
    for (let h = 1; h <= 6; h++) {
      v += Math.sin(2 * Math.PI * 140 * h * t) / h;
    }
    out[i] = Math.round(6000 * syllable * v);
  }
  return out;
}

async function lineAudio(deps: ConformanceDeps, text: string, fallbackMs: number): Promise<Int16Array> {
  return (await deps.speech?.(text)) ?? syntheticSpeech(fallbackMs);
}

/** Loudest 20 ms frame of `heard` between two times (ms). */
function loudest(heard: Int16Array, fromMs: number, toMs: number): number {
  let max = 0;
  for (let s = Math.max(0, Math.round(fromMs * 8)); s + 160 <= Math.min(heard.length, toMs * 8); s += 160) {
    max = Math.max(max, rms(heard.subarray(s, s + 160)));
  }
  return max;
}

/** How long `heard` stays audible after `fromMs` (ms), frame by frame until the first 200 ms of quiet. */
function audibleFor(heard: Int16Array, fromMs: number): number {
  let quiet = 0;
  let last = fromMs;
  for (let s = Math.round(fromMs * 8); s + 160 <= heard.length; s += 160) {
    if (rms(heard.subarray(s, s + 160)) > AUDIBLE_RMS) {
      quiet = 0;
      last = s / 8 + 20;
    } else if ((quiet += 20) >= 200) {
      break;
    }
  }
  return Math.round(last - fromMs);
}

function check(
  rule: { id: string },
  scenario: string,
  status: CheckResult['status'],
  detail: string,
): CheckResult {
  return { rule: rule.id, scenario, status, detail };
}

function countCodes(codes: readonly string[]): string {
  const by = new Map<string, number>();
  for (const c of codes) {
    by.set(c, (by.get(c) ?? 0) + 1);
  }
  return [...by].map(([c, n]) => `${c} ×${n}`).join(', ');
}

function streamChecks(t: Trace): CheckResult[] {
  const name = t.script.name;
  const stream = t.result.streams[0];
  if (stream === undefined) {
    const why =
      t.result.errors.length > 0 ? t.result.errors.join('; ') : `the call flow ended (${t.result.flow.end})`;
    return [check(RULES.streamStarts, name, 'fail', `no <Stream> was started: ${why}`)];
  }
  const start = t.events.find((e) => e.type === 'start');
  if (t.bidirectional !== true) {
    return [
      check(RULES.streamStarts, name, 'fail', 'the stream is not bidirectional: the bot cannot play audio'),
    ];
  }
  if (start === undefined || start.t > 5000) {
    const why = stream.error ?? stream.endReason ?? 'no connection';
    return [check(RULES.streamStarts, name, 'fail', `the WebSocket did not open within 5 s (${why})`)];
  }
  return [
    check(RULES.streamStarts, name, 'pass', `connected ${start.t} ms into the call (${stream.contentType})`),
  ];
}

function messageChecks(traces: readonly Trace[], bufferMs: number): CheckResult[] {
  const all = traces.flatMap((t) => t.appErrors.map((e) => e.code));
  const format = all.filter((c) => FORMAT_CODES.has(c));
  const pace = all.filter((c) => PACE_CODES.has(c));
  const other = [
    ...all.filter((c) => !FORMAT_CODES.has(c) && !PACE_CODES.has(c)),
    ...traces.flatMap((t) => t.ignored.map((r) => `ignored (${r})`)),
  ];
  const maxQueued = Math.max(0, ...traces.flatMap((t) => t.queue.map(([, ms]) => ms)));
  return [
    other.length === 0
      ? check(RULES.messagesValid, 'all', 'pass', 'every message was accepted')
      : check(RULES.messagesValid, 'all', 'fail', `refused: ${countCodes(other)}`),
    format.length === 0
      ? check(RULES.playFormat, 'all', 'pass', 'every playAudio matched the stream format')
      : check(RULES.playFormat, 'all', 'fail', `refused: ${countCodes(format)}`),
    pace.length === 0
      ? check(
          RULES.playPace,
          'all',
          'pass',
          `most audio queued ahead: ${maxQueued} ms (buffer ${bufferMs} ms)`,
        )
      : check(
          RULES.playPace,
          'all',
          'fail',
          `${pace.length} playAudio refused past the ${bufferMs} ms buffer (over ${traces.length} calls); most queued ${maxQueued} ms`,
        ),
  ];
}

function replyChecks(t: Trace): CheckResult[] {
  const name = t.script.name;
  const line = t.script.lines[0];
  if (line === undefined) {
    return [];
  }
  const spokeEnd = line.atMs + line.audio.length / 8;
  const play = t.events.find((e) => e.type === 'playAudio' && e.t >= line.atMs);
  const out: CheckResult[] = [];
  if (play === undefined || play.t > spokeEnd + 5000) {
    out.push(check(RULES.playReplies, name, 'fail', 'no playAudio within 5 s of the caller speaking'));
  } else {
    const rel = Math.round(play.t - spokeEnd);
    out.push(
      check(
        RULES.playReplies,
        name,
        'pass',
        rel >= 0
          ? `first audio ${rel} ms after the caller stopped`
          : `audio while the caller spoke (${-rel} ms before the end)`,
      ),
    );
  }
  const peak = loudest(t.result.heard, line.atMs, t.script.timelineMs);
  out.push(
    peak > AUDIBLE_RMS
      ? check(RULES.playAudible, name, 'pass', `loudest frame RMS ${Math.round(peak)}`)
      : check(
          RULES.playAudible,
          name,
          'fail',
          `what the caller heard peaked at RMS ${Math.round(peak)}: silence`,
        ),
  );
  const sent = t.events.filter((e) => e.type === 'checkpoint');
  const cps = t.result.streams[0]?.checkpoints ?? [];
  const lost = cps.filter(
    (c, i) => c.latencyMs === undefined && (sent[i]?.t ?? 0) < t.script.timelineMs - 3000,
  );
  out.push(
    cps.length === 0
      ? check(
          RULES.checkpoints,
          name,
          'warn',
          'the bot sends no checkpoints: it cannot tell when the caller heard its audio',
        )
      : lost.length > 0
        ? check(
            RULES.checkpoints,
            name,
            'fail',
            `${lost.length} of ${cps.length} checkpoints never acknowledged`,
          )
        : check(
            RULES.checkpoints,
            name,
            'pass',
            `${cps.length} acknowledged; latencies ${cps.map((c) => c.latencyMs ?? '-').join(', ')} ms`,
          ),
  );
  return out;
}

function bargeInCheck(t: Trace): CheckResult {
  const name = t.script.name;
  const at = t.reactedAtMs;
  if (at === undefined) {
    return check(RULES.bargeIn, name, 'warn', 'the bot never replied, so there was nothing to talk over');
  }
  if (loudest(t.result.heard, at - 200, at) <= AUDIBLE_RMS) {
    return check(
      RULES.bargeIn,
      name,
      'warn',
      `the bot was not playing when the caller spoke again (${at} ms)`,
    );
  }
  const clear = t.events.find((e) => e.type === 'clearedAudio' && e.t >= at);
  if (clear !== undefined && clear.t - at <= 1500) {
    return check(
      RULES.bargeIn,
      name,
      'pass',
      `clearAudio ${clear.t - at} ms after the caller started talking`,
    );
  }
  const overlap = audibleFor(t.result.heard, at);
  return check(
    RULES.bargeIn,
    name,
    'fail',
    clear === undefined
      ? `no clearAudio: the caller heard the bot over them for ${overlap} ms`
      : `clearAudio came ${clear.t - at} ms after the caller started talking`,
  );
}

function dtmfCheck(t: Trace): CheckResult {
  const name = t.script.name;
  const first = t.script.dtmf?.[0]?.atMs ?? 0;
  const ended = t.events.find((e) => e.type === 'streamEnded');
  if (ended !== undefined && ended.t < t.script.timelineMs - 100) {
    return check(
      RULES.dtmf,
      name,
      'fail',
      `the stream ended ${ended.t} ms into the call (${JSON.stringify(ended.detail)})`,
    );
  }
  const after = t.appErrors.filter((e) => e.t >= first);
  if (after.length > 0) {
    return check(
      RULES.dtmf,
      name,
      'fail',
      `after the keys the bot sent refused messages: ${countCodes(after.map((e) => e.code))}`,
    );
  }
  if (t.result.streams.length === 0) {
    return check(RULES.dtmf, name, 'skip', 'no stream started');
  }
  const reacted = t.events.filter(
    (e) => e.t > first && ['playAudio', 'clearedAudio', 'sendDTMF'].includes(e.type),
  ).length;
  return check(RULES.dtmf, name, 'pass', `stream up through the keys; ${reacted} bot messages after them`);
}

async function hangupCheck(t: Trace, http: HttpClient, answerUrl: string): Promise<CheckResult> {
  const name = t.script.name;
  if (t.reactedAtMs === undefined) {
    return check(
      RULES.hangupMidPlayback,
      name,
      'warn',
      'the bot never replied, so the call could not end during its playback',
    );
  }
  const stream = t.result.streams[0];
  const after = t.appErrors.filter((e) => e.t >= (t.reactedAtMs ?? 0));
  if (stream?.status === 'failed' || after.length > 0) {
    return check(
      RULES.hangupMidPlayback,
      name,
      'fail',
      `stream ${stream?.status ?? '?'} (${stream?.error ?? stream?.endReason ?? ''}); refused after the hangup: ${countCodes(after.map((e) => e.code))}`,
    );
  }
  const res = await http.request({
    method: 'POST',
    url: answerUrl,
    form: [['CallUUID', 'conformance-probe']],
    timeoutMs: 5000,
    maxBodyBytes: 1 << 20,
  });
  if (!res.ok || res.status >= 400) {
    return check(
      RULES.hangupMidPlayback,
      name,
      'fail',
      `after the hangup the answer URL failed: ${res.ok ? `HTTP ${res.status}` : res.detail}`,
    );
  }
  return check(
    RULES.hangupMidPlayback,
    name,
    'pass',
    `closed cleanly ${t.reactedAtMs} ms in; the answer URL still answers`,
  );
}

async function scripts(deps: ConformanceDeps): Promise<Script[]> {
  // Lines and lengths kept short: the default set runs in under 30 s (docs/conformance.md).
  const hello = await lineAudio(deps, 'Hi, I would like to check my balance.', 2000);
  const over = await lineAudio(deps, 'Sorry, wait, I have another question.', 1800);
  const short = await lineAudio(deps, 'Hi, what is my balance?', 1200);
  return [
    { name: 'basic', timelineMs: 7000, lines: [{ atMs: 500, audio: hello }] },
    extraScripts(short).wideband,
    {
      name: 'barge-in',
      timelineMs: 7000,
      lines: [{ atMs: 500, audio: hello }],
      react: { kind: 'talk-over', afterMs: 800, line: over },
    },
    {
      name: 'dtmf',
      timelineMs: 3000,
      lines: [],
      dtmf: [
        { digit: '1', atMs: 1000 },
        { digit: '5', atMs: 1800 },
      ],
    },
    {
      name: 'hangup',
      timelineMs: 9000,
      lines: [{ atMs: 500, audio: hello }],
      react: { kind: 'hang-up', afterMs: 700 },
    },
  ];
}

/** Runs every scenario against `answerUrl` and builds the report. */
export async function runConformance(deps: ConformanceDeps, answerUrl: string): Promise<ConformanceReport> {
  const { runtime } = deps;
  const started = runtime.ports.clock.monotonicMs();
  const traces = new Map<string, Trace>();
  const all = await scripts(deps);
  const reconnect = extraScripts(all[1]?.lines[0]?.audio ?? new Int16Array(0)).reconnect;
  for (const s of [...all, reconnect]) {
    if (s === reconnect && (traces.get('basic')?.resumeTimeoutSec ?? 0) === 0) {
      continue; // Not applicable: only a bot that asked for resumeTimeout is dropped.
    }
    deps.onProgress?.(`scenario ${s.name} (${s.timelineMs / 1000} s)`);
    const hooks = deps.dropSocket === undefined ? {} : { dropSocket: deps.dropSocket };
    traces.set(s.name, await runScript(runtime, answerUrl, s, deps.registry, hooks));
  }
  const basic = traces.get('basic');
  const checks: CheckResult[] = [];
  if (basic !== undefined) {
    checks.push(...streamChecks(basic));
  }
  const started1 = checks.every((c) => c.status !== 'fail');
  if (started1 && basic !== undefined) {
    // A forced 16 kHz call is judged by WIDEBAND-16K alone.
    const judged = [...traces.values()].filter(
      (t) => t.script.contentType === undefined || t.askedContentType === t.script.contentType,
    );
    checks.push(...messageChecks(judged, deps.bufferMs), ...replyChecks(basic));
    const barge = traces.get('barge-in');
    const dtmf = traces.get('dtmf');
    const hang = traces.get('hangup');
    if (barge !== undefined) {
      checks.push(bargeInCheck(barge));
    }
    if (dtmf !== undefined) {
      checks.push(dtmfCheck(dtmf));
    }
    if (hang !== undefined) {
      checks.push(await hangupCheck(hang, runtime.ports.http, answerUrl));
    }
    const wide = traces.get('wideband');
    if (wide !== undefined) {
      checks.push(widebandCheck(wide, deps.bufferMs));
    }
    checks.push(reconnectCheck(basic, traces.get('reconnect')));
  }
  return {
    answerUrl,
    checks,
    passed: checks.every((c) => c.status !== 'fail'),
    durationMs: Math.round(runtime.ports.clock.monotonicMs() - started),
  };
}
