// test-runner: exclusive (judges recorded audio by correlation; see scripts/run-tests.mjs)
/**
 * Acceptance (issue 14 item 3): `<Record>` on real calls. sipp calls `streamfork serve` and streams
 * espeak-ng speech over RTP; the answer document is a `<Record>` with an action.
 * - finishOnKey: sipp presses # (RFC 2833) after speaking; the action gets Digits=#, the Recording
 *   parameters, and the WAV (mono) holds the caller's speech (correlation with the file sipp sent)
 *   and is as long as RecordingDurationMs. sipp's sender can slip on a loaded machine, so the speech
 *   is judged segment by segment (`helpers/recording-audio.ts`).
 * - timeout: no key; the recording ends after `timeout` seconds of silence from the caller, and the
 *   action gets an empty Digits.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { parseWav } from '../../src/media/wav.js';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder.js';
import { describeMatch, segmentMatch } from './helpers/recording-audio.js';
import { AUTH_ID, TOKEN, freeTcpPort, serveArgs, startServe, type Serve } from './helpers/serve.js';
import {
  fillScenario,
  freeUdpPort,
  HOST,
  killChildren,
  runTool,
  sippArgs,
  sippTotals,
} from './helpers/sipp.js';

const auth = 'Basic ' + Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64');

let dir = '';
let web: HttpRecorder;
let server: Serve;
let sipPort = 0;
let httpPort = 0;
let speechWav = '';
let speech: Int16Array;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'streamfork-record-el-'));
  const raw = join(dir, 'speech-raw.wav');
  speechWav = join(dir, 'speech-ulaw.wav');
  execFileSync('espeak-ng', ['-w', raw, 'Please record this message. My number is five five five, one two.']);
  execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-e', 'u-law', '-b', '8', speechWav]);
  const wav = parseWav(readFileSync(speechWav));
  assert.ok(wav.ok);
  speech = wav.value.samples;
  web = await startHttpRecorder();
  // The action's XML keeps the call up until sipp hangs up.
  web.serve('/recorded', '<Response><Wait length="60"/></Response>');
  sipPort = await freeUdpPort();
  httpPort = await freeTcpPort();
  server = await startServe(
    serveArgs({ dataDir: join(dir, 'data'), sipPort, httpPort, answerUrl: web.url('/answer') }),
  );
});

after(async () => {
  killChildren();
  server.child.kill('SIGTERM');
  await server.exited;
  await web.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(caseName: string, media: string, holdMs: number): Promise<void> {
  const scenario = fillScenario('uac-stream-audio.xml', dir, {
    CASE: caseName,
    MEDIA: media,
    HOLD_MS: String(holdMs),
  });
  const run = await runTool(
    'sipp',
    [
      '-sf',
      scenario,
      ...sippArgs(`${HOST}:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 60),
      '-m',
      '1',
    ],
    70_000,
    dir,
  );
  assert.equal(run.code, 0, run.output.slice(-3000));
  assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 });
}

async function download(url: string): Promise<Int16Array> {
  const res = await fetch(url, { headers: { authorization: auth } });
  assert.equal(res.status, 200, url);
  const parsed = parseWav(new Uint8Array(await res.arrayBuffer()));
  assert.ok(parsed.ok);
  assert.equal(parsed.value.channels, 1);
  assert.equal(parsed.value.sampleRateHz, 8000);
  return parsed.value.samples;
}

const speechMs = (): number => Math.round(speech.length / 8);

test('<Record finishOnKey="#"> with action: # ends it, the action gets Digits and the recording; the WAV holds the caller', async (t) => {
  web.serve(
    '/answer',
    `<Response><Record action="${web.url('/recorded')}" finishOnKey="#" timeout="20" maxLength="60" playBeep="true"/></Response>`,
  );
  const media = [
    `  <pause milliseconds="600"/>`,
    `  <nop><action><exec rtp_stream="${speechWav},1,0"/></action></nop>`,
    `  <pause milliseconds="${speechMs() + 600}"/>`,
    `  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_pound.pcap"/></action></nop>`,
  ].join('\n');
  await call('record-key', media, 2500);
  const action = await web.waitFor((r) => r.path === '/recorded', 10_000, 'the Record action');
  assert.equal(action.param('Digits'), '#');
  assert.equal(action.param('RecordingStatus'), 'completed');
  const durationMs = Number(action.param('RecordingDurationMs'));
  const startMs = Number(action.param('RecordingStartMs'));
  assert.equal(Number(action.param('RecordingEndMs')), startMs + durationMs);
  assert.equal(action.param('RecordingDuration'), String(Math.round(durationMs / 1000)));
  t.diagnostic(`recorded ${durationMs} ms for ${speechMs()} ms of speech`);
  // Beep (250 ms) then speech starting ~600 ms after the answer, then # about 600 ms after it ends.
  assert.ok(durationMs >= speechMs() && durationMs <= speechMs() + 2500, `${durationMs} ms`);
  const url = action.param('RecordUrl') ?? '';
  assert.match(url, new RegExp(`/v1/Account/${AUTH_ID}/Recording/${action.param('RecordingID')}\\.wav$`));
  const pcm = await download(url);
  assert.equal(pcm.length, durationMs * 8, 'one frame per tick');
  const caller = segmentMatch(speech, pcm, { maxLagSamples: 16_000 });
  t.diagnostic(describeMatch('caller', caller));
  assert.ok(caller.matched >= caller.segments * 0.8, describeMatch('caller', caller));
});

test('<Record timeout="2">: the recording ends after 2 s of silence; the action gets an empty Digits', async (t) => {
  web.serve(
    '/answer',
    `<Response><Record action="${web.url('/recorded2')}" finishOnKey="none" timeout="2" playBeep="false"/></Response>`,
  );
  web.serve('/recorded2', '<Response><Wait length="60"/></Response>');
  const media = [
    `  <pause milliseconds="500"/>`,
    `  <nop><action><exec rtp_stream="${speechWav},1,0"/></action></nop>`,
  ].join('\n');
  const callStart = Date.now();
  await call('record-silence', media, speechMs() + 5000);
  const action = await web.waitFor((r) => r.path === '/recorded2', 10_000, 'the Record action');
  const actionAfterMs = action.atMs - callStart;
  assert.equal(action.param('Digits'), '');
  const durationMs = Number(action.param('RecordingDurationMs'));
  t.diagnostic(
    `recorded ${durationMs} ms for ${speechMs()} ms of speech; action ${actionAfterMs} ms after INVITE`,
  );
  // Silence is counted from the start, so the speech (from 500 ms) keeps it going; it ends 2 s after
  // the last loud frame.
  assert.ok(durationMs >= speechMs() + 2000 && durationMs <= speechMs() + 3500, `${durationMs} ms`);
  const pcm = await download(action.param('RecordUrl') ?? '');
  assert.equal(pcm.length, durationMs * 8);
  const caller = segmentMatch(speech, pcm, { maxLagSamples: 16_000 });
  t.diagnostic(describeMatch('caller', caller));
  assert.ok(caller.matched >= caller.segments * 0.8, describeMatch('caller', caller));
});
