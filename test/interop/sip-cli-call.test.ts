// test-runner: exclusive (judges real-time playback by audio correlation; see scripts/run-tests.mjs)
/**
 * `streamfork call --sip`: the CLI dials a running streamfork (SipServer + the echo bot's answer URL)
 * over real SIP and RTP, plays espeak-ng speech, records what comes back, and the recording
 * correlates with the speech at >= 0.9 (RTP → stream → playAudio → RTP, both legs real).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startEchoBot, type EchoBot } from '../../examples/echo-bot/server.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import { alignedCorrelation } from '../../src/media/analysis.js';
import { parseWav, resampleTo8k } from '../../src/media/wav.js';
import { until } from '../helpers/stream-call.js';

const root = new URL('../..', import.meta.url).pathname;
let dir: string;
let bot: EchoBot;
let stack: SipStack;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-cli-sip-'));
  bot = await startEchoBot({ delayMs: 200, log: () => undefined });
  stack = await startSipStack({ answerUrl: bot.answerUrl });
});

after(async () => {
  await stack.close();
  await bot.close();
  rmSync(dir, { recursive: true, force: true });
});

test('streamfork call --sip against a running streamfork with the echo bot: heard.wav correlates with the speech', async (t) => {
  const speechFile = join(dir, 'caller.wav');
  const heardFile = join(dir, 'heard.wav');
  execFileSync('espeak-ng', ['-w', speechFile, 'Hello over real SIP. One, two, three. The quick brown fox.']);
  const wav = parseWav(readFileSync(speechFile));
  assert.ok(wav.ok);
  const speech = resampleTo8k(wav.value);
  const args = [
    join(root, 'bin/streamfork.js'),
    'call',
    '--sip',
    `sip:echo@127.0.0.1:${stack.port}`,
    '--play',
    speechFile,
    '--record',
    heardFile,
    '--json',
  ];
  const child = spawn(process.execPath, args, { cwd: root });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`streamfork call --sip timed out: ${err}`));
    }, 30_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  assert.equal(code, 0, `${err}\n${out}`);
  const events = out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = events.find((e) => e['type'] === 'summary');
  assert.ok(summary, out);
  assert.equal(summary['ok'], true);
  const heard = parseWav(readFileSync(heardFile));
  assert.ok(heard.ok);
  const { correlation, lagSamples } = alignedCorrelation(speech, heard.value.samples, 16000);
  t.diagnostic(`correlation ${correlation.toFixed(4)} at lag ${lagSamples / 8} ms`);
  assert.ok(correlation >= 0.9, `correlation ${correlation.toFixed(3)} at lag ${lagSamples}`);
  await until(
    () => stack.server.stats().liveDialogs === 0 && stack.server.stats().rtpPortsInUse === 0,
    3000,
    'server released the call',
  );
});
