// test-runner: exclusive (judges real-time playback by audio correlation; see scripts/run-tests.mjs)
/**
 * Acceptance (issue 4): baresip (a real softphone) calls streamfork running the echo bot. baresip sends
 * espeak-ng speech from a WAV (aufile) and records what it sends and hears (sndfile: dump-*-enc.wav and
 * dump-*-dec.wav). The full loop is RTP → WebSocket `media` → echo bot → `playAudio` → RTP; what baresip
 * heard must correlate with what it sent at >= 0.9, and arrive later (the bot holds audio 200 ms).
 * baresip hangs up when its audio file ends (BYE from the caller).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startEchoBot, type EchoBot } from '../../examples/echo-bot/server.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import { alignedCorrelation } from '../../src/media/analysis.js';
import { parseWav } from '../../src/media/wav.js';
import { until } from '../helpers/stream-call.js';
import { freeUdpPort, HOST, killChildren, runTool } from './helpers/sipp.js';

let dir: string;
let bot: EchoBot;
let stack: SipStack;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-baresip-'));
  bot = await startEchoBot({ delayMs: 200, log: () => undefined });
  stack = await startSipStack({ answerUrl: bot.answerUrl });
});

after(async () => {
  killChildren();
  await stack.close();
  await bot.close();
  rmSync(dir, { recursive: true, force: true });
});

function baresipConfig(
  confDir: string,
  sipPort: number,
  rtpBase: number,
  speechWav: string,
  recDir: string,
): void {
  mkdirSync(confDir, { recursive: true });
  const lines = [
    'poll_method epoll',
    `sip_listen ${HOST}:${sipPort}`,
    'sip_transports udp',
    `audio_source aufile,${speechWav}`,
    `audio_player aufile,${join(dir, 'played.wav')}`,
    `audio_alert aufile,${join(dir, 'alert.wav')}`,
    'audio_srate 8000',
    'audio_channels 1',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module sndfile.so',
    'module_app account.so',
    'module_app menu.so',
    `snd_path ${recDir}`,
    `rtp_ports ${rtpBase}-${rtpBase + 20}`,
  ];
  writeFileSync(join(confDir, 'config'), `${lines.join('\n')}\n`);
  writeFileSync(join(confDir, 'accounts'), `<sip:baresip@${HOST}>;regint=0;audio_codecs=PCMU\n`);
}

function load(path: string): Int16Array {
  const wav = parseWav(readFileSync(path));
  assert.ok(wav.ok, `${path} is a WAV`);
  assert.equal(wav.value.sampleRateHz, 8000);
  return wav.value.samples;
}

test('baresip → streamfork → echo bot → baresip: what baresip heard correlates with what it sent (>= 0.9)', async (t) => {
  const raw = join(dir, 'speech-raw.wav');
  const speech = join(dir, 'speech8k.wav');
  execFileSync('espeak-ng', [
    '-w',
    raw,
    'Hello from baresip. Testing the echo loop through streamfork, one two three four five.',
  ]);
  execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', speech]);
  const recDir = join(dir, 'rec');
  mkdirSync(recDir);
  const confDir = join(dir, 'conf');
  const rtpBase = 40000 + 2 * Math.floor(Math.random() * 9000);
  baresipConfig(confDir, await freeUdpPort(), rtpBase, speech, recDir);

  const run = await runTool(
    'baresip',
    ['-f', confDir, '-e', `/dial sip:stream@${HOST}:${stack.port}`, '-t', '10'],
    30_000,
    dir,
  );
  assert.equal(run.code, 0, run.output.slice(-3000));
  assert.match(run.output, /Call established/, run.output.slice(-3000));

  const files = readdirSync(recDir);
  const enc = files.find((f) => f.endsWith('-enc.wav'));
  const dec = files.find((f) => f.endsWith('-dec.wav'));
  assert.ok(enc !== undefined && dec !== undefined, `sndfile recordings: ${files.join(', ')}`);
  const sent = load(join(recDir, enc));
  const heard = load(join(recDir, dec));
  const { correlation, lagSamples } = alignedCorrelation(sent, heard, 16000);
  t.diagnostic(
    `sent ${sent.length} samples, heard ${heard.length}; correlation ${correlation.toFixed(4)} at lag ${lagSamples / 8} ms`,
  );
  assert.ok(correlation >= 0.9, `correlation ${correlation.toFixed(3)} at lag ${lagSamples}`);
  assert.ok(lagSamples > 0, 'the echo comes after the speech');

  const stats = bot.stats();
  assert.ok(stats.playAudioSent > 0 && stats.bytesEchoed > 0, 'the bot echoed with playAudio');
  await until(
    () => stack.server.stats().liveDialogs === 0 && stack.server.stats().rtpPortsInUse === 0,
    5000,
    'the dialog and RTP port released',
  );
  assert.equal(stack.calls.length, 1);
  assert.equal(stack.calls[0]?.call.hangupInfo?.source, 'caller', 'baresip hung up (BYE)');
});
