// test-runner: exclusive (judges real-time playback by audio correlation; see scripts/run-tests.mjs)
/**
 * Issue 13 items 3 and 5 against a real softphone: baresip calls streamfork over SIP over TLS
 * (`;transport=tls` to `sip.tls.port`, RFC 3261 §26) with SDES-SRTP (`mediaenc=srtp-mand`), so the
 * keys in the SDP travel encrypted, into the echo bot. Both sides verify: streamfork's `verifyPeer`
 * with the test CA (baresip presents the CA-signed leaf from `sip_certificate`), baresip checks our
 * certificate against `sip_cafile`. Asserted: the SIP trace shows TLS Vias, the bot received caller
 * audio, and what baresip heard back correlates with what it sent (so the bot heard real speech),
 * with no SRTP authentication failure. The PKI is made per run (test/helpers/tls-certs.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startEchoBot, type EchoBot } from '../../examples/echo-bot/server.js';
import type { RtpMediaLeg } from '../../src/engine/call/rtp-media-leg.js';
import { alignedCorrelation } from '../../src/media/analysis.js';
import { parseWav } from '../../src/media/wav.js';
import { startSipStack } from '../helpers/sip-stack.js';
import { until } from '../helpers/stream-call.js';
import { makeTestPki, type TestPki } from '../helpers/tls-certs.js';
import { freeUdpPort, HOST, killChildren, runTool } from './helpers/sipp.js';

const SRTP_MODULE = '/usr/lib/baresip/modules/srtp.so';

let dir: string;
let bot: EchoBot;
let speech: string;
let pki: TestPki;

before(async () => {
  assert.ok(
    existsSync(SRTP_MODULE),
    `${SRTP_MODULE} is missing: install the Debian package baresip-core (scripts/ensure-system-deps.sh)`,
  );
  dir = mkdtempSync(join(tmpdir(), 'sf-baresip-tls-'));
  pki = makeTestPki();
  bot = await startEchoBot({ delayMs: 200, log: () => undefined });
  const raw = join(dir, 'speech-raw.wav');
  speech = join(dir, 'speech8k.wav');
  execFileSync('espeak-ng', [
    '-w',
    raw,
    'Hello from baresip over TLS. Secure signalling and secure media, one two three.',
  ]);
  execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer', speech]);
});

after(async () => {
  killChildren();
  await bot.close();
  pki.remove();
  rmSync(dir, { recursive: true, force: true });
});

function load(path: string): Int16Array {
  const wav = parseWav(readFileSync(path));
  assert.ok(wav.ok, `${path} is a WAV`);
  return wav.value.samples;
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) {
    sum += s * s;
  }
  return Math.sqrt(sum / Math.max(1, samples.length));
}

test('baresip over TLS with SRTP (srtp-mand) into the echo bot: TLS Vias, caller audio heard and echoed', async (t) => {
  const stack = await startSipStack({
    answerUrl: bot.answerUrl,
    srtp: 'required',
    tls: { port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, verifyPeer: true },
  });
  try {
    const confDir = join(dir, 'conf');
    const recDir = join(dir, 'rec');
    mkdirSync(confDir, { recursive: true });
    mkdirSync(recDir, { recursive: true });
    const rtpBase = 40000 + 2 * Math.floor(Math.random() * 9000);
    const lines = [
      'poll_method epoll',
      `sip_listen ${HOST}:${await freeUdpPort()}`,
      `sip_certificate ${pki.bundleFile}`,
      `sip_cafile ${pki.caFile}`,
      `audio_source aufile,${speech}`,
      `audio_player aufile,${join(dir, 'played.wav')}`,
      `audio_alert aufile,${join(dir, 'alert.wav')}`,
      'audio_srate 8000',
      'audio_channels 1',
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module sndfile.so',
      'module srtp.so',
      'module_app account.so',
      'module_app menu.so',
      `snd_path ${recDir}`,
      `rtp_ports ${rtpBase}-${rtpBase + 20}`,
    ];
    writeFileSync(join(confDir, 'config'), `${lines.join('\n')}\n`);
    writeFileSync(
      join(confDir, 'accounts'),
      `<sip:baresip@${HOST};transport=tls>;regint=0;audio_codecs=PCMU;mediaenc=srtp-mand\n`,
    );
    const before = bot.stats();
    const run = await runTool(
      'baresip',
      ['-s', '-f', confDir, '-e', `/dial sip:stream@${HOST}:${stack.tlsPort};transport=tls`, '-t', '10'],
      30_000,
      dir,
    );
    assert.equal(run.code, 0, run.output.slice(-3000));
    assert.match(run.output, /Call established/, run.output.slice(-4000));
    assert.match(run.output, /Via: SIP\/2\.0\/TLS /, 'the SIP trace shows TLS');
    assert.doesNotMatch(run.output, /Via: SIP\/2\.0\/UDP /, 'nothing went over UDP');
    assert.match(run.output, /srtp/i, 'baresip set up SRTP');

    assert.equal(stack.calls.length, 1);
    const legStats = (stack.calls[0]?.call.leg as RtpMediaLeg).stats;
    t.diagnostic(`leg stats: ${JSON.stringify(legStats)}`);
    assert.ok(bot.stats().bytesEchoed > before.bytesEchoed, 'the bot received caller audio and echoed it');
    assert.equal(legStats.srtpAuthFailures, 0);

    const files = readdirSync(recDir);
    const enc = files.find((f) => f.endsWith('-enc.wav'));
    const dec = files.find((f) => f.endsWith('-dec.wav'));
    assert.ok(enc !== undefined && dec !== undefined, `sndfile recordings: ${files.join(', ')}`);
    const sent = load(join(recDir, enc));
    const heard = load(join(recDir, dec));
    const { correlation, lagSamples } = alignedCorrelation(sent, heard, 16000);
    t.diagnostic(
      `heard rms ${rms(heard).toFixed(0)}; correlation ${correlation.toFixed(4)} at lag ${lagSamples / 8} ms`,
    );
    assert.ok(rms(heard) > 100, 'baresip heard the echo (the bot got non-silent audio)');
    // Same bar as baresip-srtp.test.ts: a wrong key or keystream gives silence or noise, not 0.3.
    assert.ok(correlation >= 0.3, `correlation ${correlation.toFixed(3)} at lag ${lagSamples}`);
    await until(
      () => stack.server.stats().liveDialogs === 0 && stack.server.stats().rtpPortsInUse === 0,
      5000,
      'the dialog and RTP port released',
    );
  } finally {
    await stack.close();
  }
});
