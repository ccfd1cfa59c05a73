/**
 * `streamfork call`: runs a virtual call against a bot's answer URL, with no telephony at all.
 */
import { readFile, writeFile } from 'node:fs/promises';

import type { Command } from 'commander';

import { describeSipCall, runSipCall } from '../app/sip/sip-caller.js';
import { runVirtualCall, type VirtualCallResult } from '../app/virtual-call.js';
import { HttpAudioFetcher } from '../adapters/audio-fetcher/http-audio-fetcher.js';
import { EspeakTts } from '../adapters/tts-espeak/espeak-tts.js';
import { composeRuntime, composeSipServer } from '../compose.js';
import { createElementRegistry } from '../engine/interpreter/registry.js';
import { defaultStreamSettings } from '../engine/fork/stream-defaults.js';
import type { VirtualLeg } from '../engine/call/virtual-leg.js';
import { generateTone } from '../media/analysis.js';
import { parseWav, resampleTo8k, serializeWav } from '../media/wav.js';
import { CallView } from './call-view.js';
import type { CliContext } from './context.js';

interface CallCommandOptions {
  answerUrl?: string;
  sip?: string;
  answerMethod: string;
  webhookDialect: string;
  play?: string;
  tone?: string;
  record?: string;
  duration?: string;
  dtmf?: string;
  json?: boolean;
  authId: string;
  authToken: string;
  logLevel: string;
}

async function loadCallerAudio(opts: CallCommandOptions): Promise<Int16Array | string> {
  if (opts.play !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(opts.play);
    } catch (err) {
      return `cannot read ${opts.play}: ${(err as Error).message}`;
    }
    const wav = parseWav(bytes);
    if (!wav.ok) {
      return `${opts.play}: ${wav.error.code} ${wav.error.detail}`;
    }
    return resampleTo8k(wav.value);
  }
  const hz = Number(opts.tone ?? '440');
  if (!Number.isFinite(hz) || hz <= 0 || hz >= 4000) {
    return `--tone must be a frequency between 0 and 4000 Hz, got ${opts.tone ?? ''}`;
  }
  return generateTone(hz, 8000, 5000, 8000);
}

/** `--dtmf "1@2.5,#@6"`: digits and the second at which the caller presses them. */
function parseDtmf(text: string | undefined): { digit: string; atMs: number }[] | string {
  if (text === undefined || text === '') {
    return [];
  }
  const out: { digit: string; atMs: number }[] = [];
  for (const part of text.split(',')) {
    const m = /^([0-9A-D*#])@(\d+(?:\.\d+)?)$/.exec(part.trim());
    if (m === null) {
      return `--dtmf entries look like 5@2.5 (digit@seconds), got "${part}"`;
    }
    out.push({ digit: m[1] ?? '', atMs: Math.round(Number(m[2]) * 1000) });
  }
  return out;
}

async function runCallCommand(opts: CallCommandOptions, ctx: CliContext): Promise<void> {
  const fail = (msg: string): void => {
    ctx.stderr.write(`streamfork call: ${msg}\n`);
    ctx.exitCode = 2;
  };
  if (opts.sip !== undefined) {
    await runSipCallCommand(opts, ctx, opts.sip);
    return;
  }
  if (opts.answerUrl === undefined || !/^https?:\/\//.test(opts.answerUrl)) {
    fail(`--answer-url must be an http(s) URL (or use --sip), got ${opts.answerUrl ?? 'nothing'}`);
    return;
  }
  const answerUrl = opts.answerUrl;
  const method = opts.answerMethod.toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    fail(`--answer-method must be GET or POST, got ${opts.answerMethod}`);
    return;
  }
  const webhookDialect = opts.webhookDialect;
  if (webhookDialect !== 'plivo' && webhookDialect !== 'twilio') {
    fail(`--webhook-dialect must be plivo or twilio, got ${webhookDialect}`);
    return;
  }
  const audio = await loadCallerAudio(opts);
  const dtmf = parseDtmf(opts.dtmf);
  const durationSec = opts.duration === undefined ? undefined : Number(opts.duration);
  if (typeof audio === 'string' || typeof dtmf === 'string') {
    fail(typeof audio === 'string' ? audio : (dtmf as string));
    return;
  }
  if (durationSec !== undefined && !(durationSec > 0)) {
    fail(`--duration must be a positive number of seconds, got ${opts.duration ?? ''}`);
    return;
  }
  const runtime = composeRuntime({
    stream: defaultStreamSettings(opts.authId, opts.authToken),
    log: { level: opts.logLevel, toStderr: true },
  });
  const view = new CallView(ctx.stdout, opts.json === true);
  let leg: VirtualLeg | undefined;
  let streams = '';
  const started = performance.now();
  view.startLive(
    () => leg,
    started,
    () => streams,
  );
  let result: VirtualCallResult;
  try {
    result = await runVirtualCall(runtime, {
      answerUrl,
      answerMethod: method,
      webhookDialect,
      callerAudio: audio,
      ...(durationSec === undefined ? {} : { durationMs: durationSec * 1000 }),
      dtmf,
      // <Speak> on espeak-ng and <Play>/<GetDigits>, as on a real call.
      registry: createElementRegistry(
        {},
        {
          tts: new EspeakTts(),
          audio: new HttpAudioFetcher({ http: runtime.ports.http }),
        },
      ),
      onLeg: (l) => {
        leg = l;
      },
      onEvent: (e) => {
        if (e.streamId !== undefined) {
          streams = `stream ${e.streamId.slice(0, 8)} ${e.type}`;
        }
        view.event(e);
      },
    });
  } finally {
    view.stop();
    await runtime.close();
  }
  if (opts.record !== undefined) {
    await writeFile(opts.record, serializeWav(result.heard, 8000));
  }
  view.summary(result, opts.record);
  const failedStreams = result.streams.filter((s) => s.status === 'failed').length;
  ctx.exitCode = result.flow.end === 'error' || failedStreams > 0 ? 1 : 0;
}

/** `--sip sip:user@host:port`: a real SIP/RTP call to a running streamfork (its answer URL applies). */
async function runSipCallCommand(opts: CallCommandOptions, ctx: CliContext, target: string): Promise<void> {
  if (!/^sips?:/i.test(target)) {
    ctx.stderr.write(`streamfork call: --sip must be a sip: URI, got ${target}\n`);
    ctx.exitCode = 2;
    return;
  }
  const audio = await loadCallerAudio(opts);
  const dtmf = parseDtmf(opts.dtmf);
  const durationSec = opts.duration === undefined ? undefined : Number(opts.duration);
  if (
    typeof audio === 'string' ||
    typeof dtmf === 'string' ||
    (durationSec !== undefined && !(durationSec > 0))
  ) {
    ctx.stderr.write(
      `streamfork call: ${typeof audio === 'string' ? audio : typeof dtmf === 'string' ? dtmf : `bad --duration ${opts.duration ?? ''}`}\n`,
    );
    ctx.exitCode = 2;
    return;
  }
  const runtime = composeRuntime({
    stream: defaultStreamSettings(opts.authId, opts.authToken),
    log: { level: opts.logLevel, toStderr: true },
  });
  const view = new CallView(ctx.stdout, opts.json === true);
  try {
    const result = await runSipCall(runtime, (spec) => composeSipServer(runtime, spec), {
      target,
      callerAudio: audio,
      ...(durationSec === undefined ? {} : { durationMs: durationSec * 1000 }),
      dtmf,
      onEvent: (e) => {
        view.event(e);
      },
    });
    if (opts.record !== undefined && result.ok) {
      await writeFile(opts.record, serializeWav(result.heard, 8000));
    }
    if (opts.json === true) {
      const { heard: _heard, ...rest } = result;
      ctx.stdout.write(
        JSON.stringify({
          type: 'summary',
          ...rest,
          heardMs: result.heard.length / 8,
          recordFile: opts.record,
        }) + '\n',
      );
    } else {
      ctx.stdout.write(describeSipCall(result, target, opts.record).join('\n') + '\n');
    }
    ctx.exitCode = result.ok ? 0 : 1;
  } finally {
    await runtime.close();
  }
}

/** `streamfork call`. */
export function addCallCommand(program: Command, ctx: CliContext): void {
  program
    .command('call')
    .description('run a virtual call against an answer URL (no telephony): your bot sees a real Plivo stream')
    .option('--answer-url <url>', 'the answer URL that returns Plivo XML (required unless --sip)')
    .option(
      '--sip <uri>',
      'call a running streamfork over real SIP/RTP instead, e.g. sip:bot@127.0.0.1:5060 (its answer URL applies)',
    )
    .option('--answer-method <method>', 'GET or POST', 'POST')
    .option(
      '--webhook-dialect <dialect>',
      "plivo or twilio: the answer request's parameters and signature (docs/twilio.md)",
      'plivo',
    )
    .option('--play <file.wav>', "the caller's audio (WAV: PCM16, 8-bit, mu-law or A-law; any common rate)")
    .option('--tone <hz>', 'a 5 s test tone instead of --play')
    .option('--record <file.wav>', 'write what the app played back to the caller (8 kHz WAV)')
    .option('--duration <seconds>', 'hang up after this long (default: the caller audio plus 3 s)')
    .option('--dtmf <list>', 'key presses by the caller, e.g. "1@2.5,#@6" (digit@seconds)')
    .option('--json', 'print one JSON event per line, then a JSON summary')
    .option('--auth-id <id>', 'account id used in start messages and signatures', 'MAXXXXXXXXXXXXXXXXXX')
    .option(
      '--auth-token <token>',
      'token used to sign requests (X-Plivo-Signature-V3)',
      'streamfork-dev-token',
    )
    .option('--log-level <level>', 'server log level (logs go to stderr)', 'silent')
    .action(async (opts: CallCommandOptions) => {
      await runCallCommand(opts, ctx);
    });
}
