// test-runner: exclusive (judges real-time playback by audio correlation; see scripts/run-tests.mjs)
/**
 * Acceptance (issue 3): `streamfork call` against the echo bot, for each of the three content types.
 * The caller speaks (espeak-ng); the bot echoes it back with playAudio and checkpoints; what the caller
 * heard must correlate with what it said (>= 0.9 after alignment), and every checkpoint must be
 * acknowledged, in order, only after it was sent.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startEchoBot, type EchoBot } from '../../examples/echo-bot/server.js';
import { alignedCorrelation } from '../../src/media/analysis.js';
import { parseWav, resampleTo8k } from '../../src/media/wav.js';

const root = new URL('../..', import.meta.url).pathname;
let dir: string;
let bot: EchoBot;
let speech: Int16Array;
const speechFile = (): string => join(dir, 'caller.wav');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'streamfork-call-'));
  execFileSync('espeak-ng', [
    '-w',
    speechFile(),
    'Hello from the caller. One, two, three. The quick brown fox jumps over the lazy dog.',
  ]);
  const wav = parseWav(readFileSync(speechFile()));
  assert.ok(wav.ok);
  speech = resampleTo8k(wav.value);
  bot = await startEchoBot({ delayMs: 200, log: () => undefined });
});

after(async () => {
  await bot.close();
  rmSync(dir, { recursive: true, force: true });
});

interface CliRun {
  code: number | null;
  events: Record<string, unknown>[];
  stderr: string;
}

function runCli(args: string[], timeoutMs: number): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/streamfork.js'), ...args], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`streamfork call timed out; stderr: ${err}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const events = out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, events, stderr: err });
    });
  });
}

for (const contentType of ['audio/x-mulaw;rate=8000', 'audio/x-l16;rate=8000', 'audio/x-l16;rate=16000']) {
  test(`streamfork call + echo bot (${contentType}): the caller hears itself, checkpoints acknowledged in order`, async () => {
    const heardFile = join(dir, `heard-${contentType.replace(/[^a-z0-9]/gi, '_')}.wav`);
    const answerUrl = `${bot.answerUrl}?contentType=${encodeURIComponent(contentType)}`;
    const run = await runCli(
      ['call', '--answer-url', answerUrl, '--play', speechFile(), '--record', heardFile, '--json'],
      30_000,
    );
    assert.equal(run.code, 0, run.stderr);
    const summary = run.events.find((e) => e['type'] === 'summary') as
      { streams: { status: string; contentType: string; stats: { appErrors: number } }[] } | undefined;
    assert.ok(summary, 'the CLI prints a JSON summary');
    assert.equal(summary.streams.length, 1);
    assert.equal(summary.streams[0]?.contentType, contentType);
    assert.equal(summary.streams[0].stats.appErrors, 0);

    const sent = run.events
      .filter((e) => e['type'] === 'checkpoint')
      .map((e) => (e['detail'] as { name: string }).name);
    const acked = run.events
      .filter((e) => e['type'] === 'playedStream')
      .map((e) => (e['detail'] as { name: string }).name);
    assert.ok(sent.length >= 3, `the bot sent checkpoints (${sent.length})`);
    assert.deepEqual(acked, sent.slice(0, acked.length), 'acknowledged in the order sent');
    assert.ok(
      acked.length >= sent.length - 1,
      `all but possibly the last checkpoint acknowledged (${acked.length}/${sent.length})`,
    );
    const times = new Map<string, number>();
    for (const e of run.events) {
      const name = (e['detail'] as { name?: string } | undefined)?.name;
      if (name === undefined) {
        continue;
      }
      if (e['type'] === 'checkpoint') {
        times.set(name, e['t'] as number);
      } else if (e['type'] === 'playedStream') {
        assert.ok(
          (e['t'] as number) >= (times.get(name) ?? Infinity),
          `${name} acknowledged after it was sent`,
        );
      }
    }

    const heard = parseWav(readFileSync(heardFile));
    assert.ok(heard.ok);
    assert.equal(heard.value.sampleRateHz, 8000);
    const { correlation, lagSamples } = alignedCorrelation(speech, heard.value.samples, 16_000);
    assert.ok(correlation >= 0.9, `correlation ${correlation.toFixed(3)} at lag ${lagSamples}`);
    assert.ok(lagSamples > 0, 'the echo comes after the speech');
  });
}
