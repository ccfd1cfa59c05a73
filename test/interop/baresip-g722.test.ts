// test-runner: exclusive (judges real-time audio by correlation; see scripts/run-tests.mjs)
/**
 * Acceptance (issue 13 item 4): baresip (its g722 module, spandsp's codec) calls streamfork offering only
 * G.722. Its aufile source plays espeak-ng speech at 16 kHz mixed with a 6 kHz tone (sox). The stream
 * (`audio/x-l16;rate=16000`, bidirectional) must carry real wideband audio: the 6 kHz tone arrives at its
 * level (an 8 kHz call upsampled would have nothing above 4 kHz), and the whole signal correlates with
 * what baresip sent. The app plays other speech with a 5 kHz tone back (16 kHz L16); what baresip
 * heard (sndfile's dump-*-dec.wav) must correlate with it and carry the tone at its level (the call
 * mixes at 16 kHz for a G.722 leg). Figures: docs/benchmarks/g722.md.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { RtpMediaLeg } from '../../src/engine/call/rtp-media-leg.js';
import { alignedCorrelation, generateTone, rms, tonePower } from '../../src/media/analysis.js';
import { parseWav } from '../../src/media/wav.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder.js';
import { startSipStack, type SipStack } from '../helpers/sip-stack.js';
import { responseXml, streamElement, until } from '../helpers/stream-call.js';
import { freeUdpPort, HOST, killChildren, runTool } from './helpers/sipp.js';

let dir: string;
let consumer: ReferenceConsumer;
let app: HttpRecorder;
let stack: SipStack;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-baresip-g722-'));
  consumer = await startReferenceConsumer({ path: '/stream' });
  app = await startHttpRecorder();
  app.serve(
    '/answer',
    responseXml(
      streamElement(consumer.url, {
        contentType: 'audio/x-l16;rate=16000',
        bidirectional: true,
        keepCallAlive: true,
      }),
    ),
  );
  stack = await startSipStack({ answerUrl: app.url('/answer'), codecs: ['G722', 'PCMU', 'PCMA'] });
});

after(async () => {
  killChildren();
  await stack.close();
  await consumer.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

function tool(cmd: string, args: string[], pkg: string): void {
  try {
    execFileSync(cmd, args, { stdio: 'pipe' });
  } catch (err) {
    assert.fail(`${cmd} failed (Debian package ${pkg}): ${String(err)}`);
  }
}

function load16k(path: string): Int16Array {
  const wav = parseWav(readFileSync(path));
  assert.ok(wav.ok, `${path} is a WAV`);
  assert.equal(wav.value.sampleRateHz, 16000, `${path} is 16 kHz`);
  return wav.value.samples;
}

/** 16 kHz speech from espeak-ng, resampled by sox. */
function speech16k(name: string, text: string): string {
  const raw = join(dir, `${name}-raw.wav`);
  const out = join(dir, `${name}.wav`);
  tool('espeak-ng', ['-w', raw, text], 'espeak-ng');
  tool('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', out], 'sox');
  return out;
}

function baresipConfig(
  confDir: string,
  sipPort: number,
  rtpBase: number,
  source: string,
  recDir: string,
): void {
  mkdirSync(confDir, { recursive: true });
  const lines = [
    'poll_method epoll',
    `sip_listen ${HOST}:${sipPort}`,
    'sip_transports udp',
    `audio_source aufile,${source}`,
    `audio_player aufile,${join(dir, 'played.wav')}`,
    `audio_alert aufile,${join(dir, 'alert.wav')}`,
    'audio_channels 1',
    'module_path /usr/lib/baresip/modules',
    'module g722.so',
    'module aufile.so',
    'module sndfile.so',
    'module_app account.so',
    'module_app menu.so',
    `snd_path ${recDir}`,
    `rtp_ports ${rtpBase}-${rtpBase + 20}`,
  ];
  writeFileSync(join(confDir, 'config'), `${lines.join('\n')}\n`);
  // Only G.722 in the offer: the call works only if streamfork negotiates it.
  writeFileSync(join(confDir, 'accounts'), `<sip:baresip@${HOST}>;regint=0;audio_codecs=G722\n`);
}

/**
 * Quality of `received` against `sent` in 500 ms windows of `sent` that carry speech, each aligned on
 * its own within ±100 ms of the whole-signal lag: a frame the call concealed or dropped under load
 * shifts what follows by 20 ms, which one global alignment would count as noise.
 */
function windowedQuality(
  sent: Int16Array,
  received: Int16Array,
  lag: number,
): { windows: number; medianCorrelation: number; medianSnrDb: number } {
  const win = 8000;
  const slack = 1600;
  const corr: number[] = [];
  const snr: number[] = [];
  for (let from = 0; from + win <= sent.length; from += win) {
    const ref = sent.subarray(from, from + win);
    const start = from + lag - slack;
    if (start < 0 || start + win + 2 * slack > received.length || rms(ref) < 300) {
      continue;
    }
    const seg = received.subarray(start, start + win + 2 * slack);
    const r = alignedCorrelation(ref, seg, 2 * slack);
    corr.push(r.correlation);
    snr.push(alignedSnrDb(ref, seg, r.lagSamples));
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
  return { windows: corr.length, medianCorrelation: median(corr), medianSnrDb: median(snr) };
}

/** SNR in dB of `y` against `x` at `lag` (y[i + lag] ~ x[i]), with the least-squares gain applied. */
function alignedSnrDb(x: Int16Array, y: Int16Array, lag: number): number {
  let xy = 0;
  let yy = 0;
  const from = Math.max(0, -lag);
  const to = Math.min(x.length, y.length - lag);
  for (let i = from; i < to; i++) {
    xy += x[i]! * y[i + lag]!;
    yy += y[i + lag]! * y[i + lag]!;
  }
  const g = xy / yy;
  let sig = 0;
  let err = 0;
  for (let i = from; i < to; i++) {
    const e = x[i]! - g * y[i + lag]!;
    sig += x[i]! * x[i]!;
    err += e * e;
  }
  return 10 * Math.log10(sig / err);
}

test('baresip → streamfork over G.722 only: the 16 kHz stream carries energy above 4 kHz; the caller hears the bot', async (t) => {
  const speech = speech16k(
    'caller',
    'Wideband audio from baresip. Seven, six, five, four, three, two, one. Crisp and clear.',
  );
  const tone = join(dir, 'tone6k.wav');
  tool('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', tone, 'synth', '6', 'sine', '6000'], 'sox');
  const source = join(dir, 'source.wav');
  // sox -m: speech at full level plus the tone at -20 dB; the mix ends with the longer input.
  tool('sox', ['-m', '-v', '1', speech, '-v', '0.1', tone, source, 'trim', '0', '5'], 'sox');
  const sent = load16k(source);
  // The app plays speech with a 5 kHz tone at -20 dB, as 16 kHz L16: the caller must hear both.
  const botVoice = load16k(
    speech16k('bot', 'This is the bot speaking back to the caller, over the wideband codec.'),
  );
  const botTone = generateTone(5000, 16000, (botVoice.length / 16000) * 1000, 3000);
  const botSpeech = Int16Array.from(botVoice, (v, i) => Math.max(-32768, Math.min(32767, v + botTone[i]!)));

  const recDir = join(dir, 'rec');
  mkdirSync(recDir);
  const confDir = join(dir, 'conf');
  const rtpBase = 40000 + 2 * Math.floor(Math.random() * 9000);
  baresipConfig(confDir, await freeUdpPort(), rtpBase, source, recDir);

  const sessionReady = consumer.waitForSession(15_000).then(async (session) => {
    await until(() => session.start !== undefined, 5000, 'the stream started');
    const bytes = new Uint8Array(botSpeech.buffer, botSpeech.byteOffset, botSpeech.byteLength);
    session.playAudio(bytes, { contentType: 'audio/x-l16', sampleRate: 16000, chunkMs: 20 });
    return session;
  });
  const run = await runTool(
    'baresip',
    ['-f', confDir, '-e', `/dial sip:stream@${HOST}:${stack.port}`, '-t', '10'],
    30_000,
    dir,
  );
  assert.equal(run.code, 0, run.output.slice(-3000));
  assert.match(run.output, /Call established/, run.output.slice(-3000));
  assert.match(run.output, /G722/, 'baresip used G.722');
  const session = await sessionReady;
  assert.equal(stack.calls.length, 1);
  await until(() => stack.server.stats().liveDialogs === 0, 5000, 'the dialog ended');

  // What the stream carried: real wideband audio.
  assert.equal(session.start?.start.mediaFormat.sampleRate, 16000);
  const received = session.inboundPcm;
  assert.ok(received.length > 16000 * 3, `received ${received.length} samples`);
  const { correlation, lagSamples } = alignedCorrelation(sent, received, 16000);
  const quality = windowedQuality(sent, received, lagSamples);
  // The tone's level over the whole overlap, by Goertzel (it is there where speech is quiet too).
  const n = Math.min(sent.length, received.length - Math.max(0, lagSamples)) - 1000;
  const sentTone = tonePower(sent.subarray(0, n), 16000, 6000);
  const gotTone = tonePower(
    received.subarray(Math.max(0, lagSamples), Math.max(0, lagSamples) + n),
    16000,
    6000,
  );
  const toneDb = 10 * Math.log10(gotTone / sentTone);
  const leg = stack.calls[0]?.call.leg;
  const legStats = leg instanceof RtpMediaLeg ? leg.stats : undefined;
  t.diagnostic(
    `caller → stream: whole-signal correlation ${correlation.toFixed(4)} at lag ${(lagSamples / 16).toFixed(1)} ms; ` +
      `${quality.windows} windows of 500 ms: median correlation ${quality.medianCorrelation.toFixed(4)}, ` +
      `median SNR ${quality.medianSnrDb.toFixed(1)} dB; 6 kHz tone ${toneDb.toFixed(2)} dB vs sent; ` +
      `leg fillers ${legStats?.fillerFrames ?? '?'}, overruns ${legStats?.overrunFrames ?? '?'}, lost ${legStats?.cumulativeLost ?? '?'}`,
  );
  assert.ok(Math.abs(toneDb) < 2, `6 kHz tone level ${toneDb.toFixed(2)} dB vs what baresip sent`);
  assert.ok(
    quality.medianCorrelation >= 0.95,
    `caller → stream median correlation ${quality.medianCorrelation.toFixed(3)}`,
  );

  // What the caller heard: the bot's speech, through the 8 kHz mix and G.722.
  const files = readdirSync(recDir);
  const dec = files.find((f) => f.endsWith('-dec.wav'));
  assert.ok(dec !== undefined, `sndfile recordings: ${files.join(', ')}`);
  const heard = load16k(join(recDir, dec));
  const back = alignedCorrelation(botSpeech, heard, 16000 * 3);
  const backQuality = windowedQuality(botSpeech, heard, back.lagSamples);
  const m = Math.min(botSpeech.length, heard.length - Math.max(0, back.lagSamples)) - 1000;
  const heardTone = tonePower(
    heard.subarray(Math.max(0, back.lagSamples), Math.max(0, back.lagSamples) + m),
    16000,
    5000,
  );
  const backToneDb = 10 * Math.log10(heardTone / tonePower(botSpeech.subarray(0, m), 16000, 5000));
  t.diagnostic(
    `stream → caller: whole-signal correlation ${back.correlation.toFixed(4)} at lag ${(back.lagSamples / 16).toFixed(0)} ms; ` +
      `${backQuality.windows} windows: median correlation ${backQuality.medianCorrelation.toFixed(4)}, median SNR ${backQuality.medianSnrDb.toFixed(1)} dB; ` +
      `5 kHz tone ${backToneDb.toFixed(2)} dB vs played`,
  );
  // Wideband both ways: the app's 5 kHz tone reaches the caller (an 8 kHz mix would have removed it).
  assert.ok(Math.abs(backToneDb) < 2, `5 kHz tone level at the caller ${backToneDb.toFixed(2)} dB`);
  assert.ok(
    backQuality.medianCorrelation >= 0.95,
    `stream → caller median correlation ${backQuality.medianCorrelation.toFixed(3)}`,
  );
  consumer.assertClean();
});

test('baresip offering only G.722 to streamfork with the default codecs (PCMU, PCMA) gets 488 and no call', async () => {
  const narrow = await startSipStack({ answerUrl: app.url('/answer') });
  try {
    const source = join(dir, 'silence.wav');
    tool('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', source, 'trim', '0', '1'], 'sox');
    const confDir = join(dir, 'conf-488');
    const recDir = join(dir, 'rec-488');
    mkdirSync(recDir);
    const rtpBase = 40000 + 2 * Math.floor(Math.random() * 9000);
    baresipConfig(confDir, await freeUdpPort(), rtpBase, source, recDir);
    const run = await runTool(
      'baresip',
      ['-f', confDir, '-e', `/dial sip:stream@${HOST}:${narrow.port}`, '-t', '4'],
      20_000,
      dir,
    );
    assert.match(run.output, /488/, run.output.slice(-3000));
    assert.doesNotMatch(run.output, /Call established/);
    assert.equal(narrow.calls.length, 0);
    assert.equal(narrow.server.stats().rejected, 1);
  } finally {
    await narrow.close();
  }
});
