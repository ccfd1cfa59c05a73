/**
 * Acceptance (issue 4): sipp calls streamfork over real SIP and RTP, and the app's WebSocket (the strict
 * reference consumer) receives what sipp sent.
 * - Speech: espeak-ng speech converted by sox to 8 kHz u-law WAV, streamed by sipp's `rtp_stream`; the
 *   decoded inbound audio at the consumer correlates with the source at >= 0.9.
 * - DTMF: sipp plays its RFC 2833 captures (`play_pcap_audio`); the consumer gets `dtmf` with the digits.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { startSipStack, type SipStack } from '../../src/app/sip/testing.js';
import { alignedCorrelation } from '../../src/media/analysis.js';
import { parseWav } from '../../src/media/wav.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../../src/testing/reference-consumer.js';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder.js';
import { responseXml, streamElement, until, within } from '../helpers/stream-call.js';
import {
  fillScenario,
  freeUdpPort,
  HOST,
  killChildren,
  runTool,
  sippArgs,
  sippTotals,
} from './helpers/sipp.js';

let dir: string;
let app: HttpRecorder;
let consumer: ReferenceConsumer;
let stack: SipStack;
let speechWav: string;
let speech: Int16Array;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-sipp-in-'));
  const raw = join(dir, 'speech-raw.wav');
  speechWav = join(dir, 'speech-ulaw.wav');
  execFileSync('espeak-ng', [
    '-w',
    raw,
    'Hello streamfork. This call comes from sipp over real RTP. One, two, three.',
  ]);
  execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-e', 'u-law', '-b', '8', speechWav]);
  const wav = parseWav(readFileSync(speechWav));
  assert.ok(wav.ok, 'sox wrote a u-law WAV we can read');
  speech = wav.value.samples;
  consumer = await startReferenceConsumer({ path: '/stream' });
  app = await startHttpRecorder();
  app.serve(
    '/answer',
    responseXml(streamElement(consumer.url, { contentType: 'audio/x-mulaw;rate=8000', keepCallAlive: true })),
  );
  stack = await startSipStack({ answerUrl: app.url('/answer') });
});

after(async () => {
  killChildren();
  await stack.close();
  await consumer.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sippCall(scenario: string, caseName: string, media: string, holdMs: number): Promise<void> {
  const file = fillScenario(scenario, dir, { CASE: caseName, MEDIA: media, HOLD_MS: String(holdMs) });
  const args = [
    ...sippArgs(`${HOST}:${stack.port}`, await freeUdpPort(), await freeUdpPort(true), 30),
    '-sf',
    file,
    '-m',
    '1',
  ];
  const run = await runTool('sipp', args, 40_000, dir);
  const totals = sippTotals(run.output);
  assert.equal(run.code, 0, `sipp exit ${run.code}:\n${run.output.slice(-3000)}`);
  assert.deepEqual(totals, { successful: 1, failed: 0 }, run.output.slice(-2000));
}

test('sipp rtp_stream (espeak-ng u-law) → RTP → WebSocket: the app hears the caller (correlation >= 0.9)', async (t) => {
  const holdMs = Math.round(speech.length / 8) + 1200;
  const media = `  <nop><action><exec rtp_stream="${speechWav},1,0"/></action></nop>`;
  await sippCall('uac-stream-audio.xml', 'speech', media, holdMs);
  const session = await consumer.waitForSession(5000);
  await within(session.closed, 5000, 'the stream closing after BYE');
  consumer.assertClean();
  assert.equal(session.start?.start.mediaFormat.encoding, 'audio/x-mulaw');
  const heard = session.inboundPcm;
  assert.ok(
    heard.length >= speech.length * 0.9,
    `received ${heard.length} samples for ${speech.length} sent`,
  );
  const { correlation, lagSamples } = alignedCorrelation(speech, heard, 16000);
  t.diagnostic(`correlation ${correlation.toFixed(3)} at lag ${lagSamples}`);
  assert.ok(correlation >= 0.9, `correlation ${correlation.toFixed(3)} at lag ${lagSamples}`);
  const call = stack.calls.at(-1);
  assert.ok(call);
  assert.equal(call.info.from, '+15550001111');
  assert.deepEqual(call.info.sipHeaders, [['X-Test-Case', 'speech']]);
  const answer = app.requestsTo('/answer').at(-1);
  assert.equal(answer?.param('SIP-H-X-Test-Case'), 'speech');
  assert.equal(answer.param('From'), '+15550001111');
  await until(
    () => stack.server.stats().liveDialogs === 0 && stack.server.stats().rtpPortsInUse === 0,
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
  const session = await consumer.waitForSession(5000);
  await within(session.closed, 5000, 'the stream closing after BYE');
  consumer.assertClean();
  assert.equal(session.dtmfDigits, '159#*0');
  await until(
    () => stack.server.stats().liveDialogs === 0 && stack.server.stats().rtpPortsInUse === 0,
    3000,
    'the dialog and port released',
  );
});
