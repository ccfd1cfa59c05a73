/**
 * Acceptance (issue 4): sipp calls streamfork over real SIP and RTP, and the app's WebSocket (the strict
 * reference consumer) receives what sipp sent.
 * - Speech: espeak-ng speech converted by sox to 8 kHz u-law WAV, streamed by sipp's `rtp_stream`; the
 *   decoded inbound audio at the consumer correlates with the source at >= 0.9.
 * - DTMF: sipp plays its RFC 2833 captures (`play_pcap_audio`); the consumer gets `dtmf` with the digits.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { alignedCorrelation } from '../../src/media/analysis.js';
import { parseWav } from '../../src/media/wav.js';
import { until, within } from '../helpers/stream-call.js';
import {
  fillScenario,
  freeUdpPort,
  HOST,
  killChildren,
  runTool,
  sippArgs,
  sippTotals,
} from './helpers/sipp.js';
import { startSippStreamRig, type SippStreamRig } from './helpers/sipp-stream-rig.js';

let rig: SippStreamRig;
let speechWav: string;
let speech: Int16Array;

before(async () => {
  rig = await startSippStreamRig('sf-sipp-in-');
  const raw = join(rig.dir, 'speech-raw.wav');
  speechWav = join(rig.dir, 'speech-ulaw.wav');
  execFileSync('espeak-ng', [
    '-w',
    raw,
    'Hello streamfork. This call comes from sipp over real RTP. One, two, three.',
  ]);
  execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-e', 'u-law', '-b', '8', speechWav]);
  const wav = parseWav(readFileSync(speechWav));
  assert.ok(wav.ok, 'sox wrote a u-law WAV we can read');
  speech = wav.value.samples;
});

after(async () => {
  killChildren();
  await rig.close();
});

async function sippCall(scenario: string, caseName: string, media: string, holdMs: number): Promise<void> {
  const file = fillScenario(scenario, rig.dir, { CASE: caseName, MEDIA: media, HOLD_MS: String(holdMs) });
  const args = [
    ...sippArgs(`${HOST}:${rig.stack.port}`, await freeUdpPort(), await freeUdpPort(true), 30),
    '-sf',
    file,
    '-m',
    '1',
  ];
  const run = await runTool('sipp', args, 40_000, rig.dir);
  const totals = sippTotals(run.output);
  assert.equal(run.code, 0, `sipp exit ${run.code}:\n${run.output.slice(-3000)}`);
  assert.deepEqual(totals, { successful: 1, failed: 0 }, run.output.slice(-2000));
}

test('sipp rtp_stream (espeak-ng u-law) → RTP → WebSocket: the app hears the caller (correlation >= 0.9)', async (t) => {
  const holdMs = Math.round(speech.length / 8) + 1200;
  const media = `  <nop><action><exec rtp_stream="${speechWav},1,0"/></action></nop>`;
  await sippCall('uac-stream-audio.xml', 'speech', media, holdMs);
  const session = await rig.consumer.waitForSession(5000);
  await within(session.closed, 5000, 'the stream closing after BYE');
  rig.consumer.assertClean();
  assert.equal(session.start?.start.mediaFormat.encoding, 'audio/x-mulaw');
  const heard = session.inboundPcm;
  assert.ok(
    heard.length >= speech.length * 0.9,
    `received ${heard.length} samples for ${speech.length} sent`,
  );
  const { correlation, lagSamples } = alignedCorrelation(speech, heard, 16000);
  t.diagnostic(`correlation ${correlation.toFixed(3)} at lag ${lagSamples}`);
  assert.ok(correlation >= 0.9, `correlation ${correlation.toFixed(3)} at lag ${lagSamples}`);
  const call = rig.stack.calls.at(-1);
  assert.ok(call);
  assert.equal(call.info.from, '+15550001111');
  assert.deepEqual(call.info.sipHeaders, [['X-Test-Case', 'speech']]);
  const answer = rig.app.requestsTo('/answer').at(-1);
  assert.equal(answer?.param('SIP-H-X-Test-Case'), 'speech');
  assert.equal(answer.param('From'), '+15550001111');
  await until(
    () => rig.stack.server.stats().liveDialogs === 0 && rig.stack.server.stats().rtpPortsInUse === 0,
    3000,
    'the dialog and port released',
  );
});

test('sipp play_pcap_audio RFC 2833 captures → dtmf messages with the right digits', async () => {
  const digits = ['1', '5', '9', 'pound', 'star', '0'];
  const media = digits
    .map(
      (d) =>
        `  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_${d}.pcap"/></action></nop>\n  <pause milliseconds="400"/>`,
    )
    .join('\n');
  await sippCall('uac-stream-audio.xml', 'dtmf', media, 1500);
  const session = await rig.consumer.waitForSession(5000);
  await within(session.closed, 5000, 'the stream closing after BYE');
  rig.consumer.assertClean();
  assert.equal(session.dtmfDigits, '159#*0');
  await until(
    () => rig.stack.server.stats().liveDialogs === 0 && rig.stack.server.stats().rtpPortsInUse === 0,
    3000,
    'the dialog and port released',
  );
});
