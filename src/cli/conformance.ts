/**
 * `streamfork conformance --answer-url URL`: scripted virtual calls against a stream bot and a pass/fail
 * report (src/app/conformance/). Exit status 0 when no check failed, 1 when one did, 2 for bad usage.
 */
import type { Command } from 'commander';

import { runConformance } from '../app/conformance/conformance.js';
import { DroppableWsConnector } from '../app/conformance/socket-drop.js';
import type { CheckResult, ConformanceReport } from '../app/conformance/conformance.types.js';
import { RULES } from '../app/conformance/conformance.types.js';
import { HttpAudioFetcher } from '../adapters/audio-fetcher/http-audio-fetcher.js';
import { EspeakTts } from '../adapters/tts-espeak/espeak-tts.js';
import { composeRuntime } from '../compose.js';
import { defaultStreamSettings } from '../engine/fork/stream-defaults.js';
import { createElementRegistry } from '../engine/interpreter/registry.js';
import type { CliContext } from './context.js';

interface ConformanceOptions {
  answerUrl?: string;
  json?: boolean;
  bufferMs: string;
  authId: string;
  authToken: string;
  logLevel: string;
}

const ruleText = new Map<string, string>(Object.values(RULES).map((r) => [r.id, r.text]));

function line(c: CheckResult): string {
  const mark = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' }[c.status];
  const head = `${mark}  ${c.rule.padEnd(20)} ${c.scenario.padEnd(9)} ${c.detail}`;
  return c.status === 'fail' || c.status === 'warn'
    ? `${head}\n        rule: ${ruleText.get(c.rule) ?? ''}`
    : head;
}

function textReport(r: ConformanceReport): string {
  const n = (s: CheckResult['status']): number => r.checks.filter((c) => c.status === s).length;
  return [
    `streamfork conformance: ${r.answerUrl} (${(r.durationMs / 1000).toFixed(1)} s)`,
    ...r.checks.map(line),
    `Result: ${r.passed ? 'PASS' : 'FAIL'} (${n('pass')} passed, ${n('fail')} failed, ${n('warn')} warnings, ${n('skip')} skipped)`,
  ].join('\n');
}

async function run(opts: ConformanceOptions, ctx: CliContext): Promise<void> {
  const answerUrl = opts.answerUrl;
  const bufferMs = Number(opts.bufferMs);
  if (answerUrl === undefined || !/^https?:\/\//.test(answerUrl)) {
    ctx.stderr.write(
      `streamfork conformance: --answer-url must be an http(s) URL, got ${answerUrl ?? 'nothing'}\n`,
    );
    ctx.exitCode = 2;
    return;
  }
  if (!Number.isInteger(bufferMs) || bufferMs < 1000) {
    ctx.stderr.write(
      `streamfork conformance: --buffer-ms must be a whole number >= 1000, got ${opts.bufferMs}\n`,
    );
    ctx.exitCode = 2;
    return;
  }
  let sockets: DroppableWsConnector | undefined;
  const runtime = composeRuntime({
    stream: { ...defaultStreamSettings(opts.authId, opts.authToken), maxPlayoutQueueMs: bufferMs },
    log: { level: opts.logLevel, toStderr: true },
    wrapWs: (ws) => (sockets = new DroppableWsConnector(ws)),
  });
  const tts = new EspeakTts();
  try {
    const report = await runConformance(
      {
        runtime,
        registry: createElementRegistry(
          {},
          { tts, audio: new HttpAudioFetcher({ http: runtime.ports.http }) },
        ),
        speech: async (text) => {
          const r = await tts.synthesize({ text, voice: 'WOMAN', language: 'en-US' });
          return r.ok ? r.audio : undefined;
        },
        bufferMs,
        dropSocket: () => sockets?.dropLatest() ?? false,
        onProgress: (l) => {
          if (opts.json !== true) {
            ctx.stderr.write(`${l}\n`);
          }
        },
      },
      answerUrl,
    );
    ctx.stdout.write(opts.json === true ? `${JSON.stringify(report)}\n` : `${textReport(report)}\n`);
    ctx.exitCode = report.passed ? 0 : 1;
  } finally {
    await runtime.close();
  }
}

/** `streamfork conformance`. */
export function addConformanceCommand(program: Command, ctx: CliContext): void {
  program
    .command('conformance')
    .description(
      'check a stream bot against scripted calls (barge-in, pace, format, DTMF, hangup, 16 kHz, reconnect) and report by rule',
    )
    .option('--answer-url <url>', "the bot's answer URL (returns Plivo XML with a bidirectional <Stream>)")
    .option('--json', 'print the report as one JSON object')
    .option(
      '--buffer-ms <ms>',
      'the playout buffer the bot is held to (audio queued ahead of real time)',
      '30000',
    )
    .option('--auth-id <id>', 'account id used in start messages and signatures', 'MAXXXXXXXXXXXXXXXXXX')
    .option(
      '--auth-token <token>',
      'token used to sign requests (X-Plivo-Signature-V3)',
      'streamfork-dev-token',
    )
    .option('--log-level <level>', 'engine log level (logs go to stderr)', 'silent')
    .action(async (opts: ConformanceOptions) => {
      await run(opts, ctx);
    });
}
