// test-runner: exclusive (judges recorded audio by correlation; see scripts/run-tests.mjs)
/**
 * Acceptance (issue 14 item 3): REST call recording of a real call. sipp calls `streamfork serve`
 * and streams espeak-ng speech over RTP; the answer URL runs a bidirectional `<Stream>` whose bot (the
 * reference consumer) plays other speech back with `playAudio`. The test records the call in stereo
 * through the REST API, downloads the WAV with the account's credentials and checks:
 * - the left channel is the caller (correlates with the file sipp sent), the right one the bot's
 *   audio as the caller heard it (correlates with what the bot sent), each not the other;
 * - its length is the recording's `recording_duration_ms` exactly (one frame per media tick) and the
 *   wall-clock time from the start answer to the caller's BYE within a few frames;
 * - after the server is stopped and started again on the same data directory (SQLite), the record
 *   and the file are still served, unchanged.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { alignedCorrelation } from '../../src/media/analysis.js';
import { describeMatch, segmentMatch } from './helpers/recording-audio.js';
import { parseWav } from '../../src/media/wav.js';
import { mulawEncode } from '../../src/media/codecs/g711.js';
import { startReferenceConsumer } from '../consumer/reference-consumer.js';
import { startHttpRecorder } from '../helpers/http-recorder.js';
import {
  AUTH_ID,
  TOKEN,
  apiGet,
  freeTcpPort,
  serveArgs,
  startServe,
  waitUntil,
  type Serve,
} from './helpers/serve.js';
import {
  children as sippChildren,
  fillScenario,
  freeUdpPort,
  HOST,
  killChildren,
  runTool,
  sippArgs,
  sippTotals,
} from './helpers/sipp.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  killChildren();
  for (const c of cleanups.reverse()) {
    await c();
  }
});

const auth = 'Basic ' + Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64');

function speechOf(dir: string, name: string, text: string, voice: string): { wav: string; pcm: Int16Array } {
  const raw = join(dir, `${name}-raw.wav`);
  const wav = join(dir, `${name}-ulaw.wav`);
  execFileSync('espeak-ng', ['-v', voice, '-w', raw, text]);
  execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-e', 'u-law', '-b', '8', wav]);
  const parsed = parseWav(readFileSync(wav));
  assert.ok(parsed.ok, 'sox wrote a u-law WAV we can read');
  return { wav, pcm: parsed.value.samples };
}

/** The two channels of a 16-bit stereo WAV written by the recorder (canonical 44-byte header). */
function splitStereo(bytes: Uint8Array): {
  left: Int16Array;
  right: Int16Array;
  rate: number;
  channels: number;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const channels = view.getUint16(22, true);
  const rate = view.getUint32(24, true);
  const dataBytes = view.getUint32(40, true);
  assert.equal(dataBytes, bytes.length - 44, 'the header holds the final data size');
  const frames = dataBytes / 4;
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = view.getInt16(44 + 4 * i, true);
    right[i] = view.getInt16(44 + 4 * i + 2, true);
  }
  return { left, right, rate, channels };
}

async function api(
  httpPort: number,
  method: string,
  path: string,
  body?: object,
): Promise<{ status: number; json: Record<string, unknown> | undefined; bytes: Uint8Array }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/Account/${AUTH_ID}/${path}`, {
    method,
    headers: {
      authorization: auth,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let json: Record<string, unknown> | undefined;
  if ((res.headers.get('content-type') ?? '').includes('json')) {
    json = JSON.parse(Buffer.from(bytes).toString()) as Record<string, unknown>;
  }
  return { status: res.status, json, bytes };
}

test(
  'sipp → serve with a bidirectional bot: REST stereo recording holds the caller left and the bot right, as long as the call; it survives a restart',
  { timeout: 120_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfork-rec-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
    const caller = speechOf(
      dir,
      'caller',
      'This is the caller speaking. I would like to check my order, number four two seven.',
      'en-us',
    );
    const bot = speechOf(
      dir,
      'bot',
      'Hello, I am the bot. Your order ships tomorrow morning. Anything else?',
      'en-gb',
    );
    const consumer = await startReferenceConsumer();
    cleanups.push(() => consumer.close());
    const web = await startHttpRecorder();
    cleanups.push(() => web.close());
    web.serve(
      '/answer',
      `<Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000">${consumer.url}</Stream></Response>`,
    );
    const dataDir = join(dir, 'data');
    const sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    const args = serveArgs({ dataDir, sipPort, httpPort, answerUrl: web.url('/answer') });
    let server: Serve = await startServe(args);
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });

    // The bot: once the stream starts, record the call in stereo and play its speech.
    let recordingId = '';
    let recordAnsweredAt = 0;
    const botScript = consumer.waitForSession(20_000).then(async (session) => {
      await session.waitFor((m) => m.event === 'start', 5000);
      const callUuid = session.start?.start.callId ?? '';
      const started = await api(httpPort, 'POST', `Call/${callUuid}/Record/`, {
        channel: 'stereo',
        time_limit: 120,
        callback_url: web.url('/recorded'),
      });
      recordAnsweredAt = Date.now();
      assert.equal(started.status, 202, JSON.stringify(started.json));
      assert.equal(started.json?.['message'], 'call recording started');
      recordingId = String(started.json['recording_id']);
      const encoded = new Uint8Array(bot.pcm.length);
      mulawEncode(bot.pcm, encoded);
      session.playAudio(encoded, { chunkMs: 200 });
      return { session, callUuid };
    });

    const holdMs = Math.round(Math.max(caller.pcm.length, bot.pcm.length) / 8) + 1500;
    const media = `  <pause milliseconds="800"/>\n  <nop><action><exec rtp_stream="${caller.wav},1,0"/></action></nop>`;
    const scenario = fillScenario('uac-stream-audio.xml', dir, {
      CASE: 'record',
      MEDIA: media,
      HOLD_MS: String(holdMs),
    });
    const sipp = await runTool(
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
    const byeAt = Date.now();
    assert.equal(sipp.code, 0, sipp.output.slice(-3000));
    assert.deepEqual(sippTotals(sipp.output), { successful: 1, failed: 0 });
    const { callUuid } = await botScript;

    // The recording ends with the call; its callback tells the app.
    const callback = await web.waitFor((r) => r.path === '/recorded', 10_000, 'the recording callback');
    assert.equal(callback.param('RecordingID'), recordingId);
    assert.equal(callback.param('CallUUID'), callUuid);
    const got = await apiGet(httpPort, `Recording/${recordingId}/`);
    assert.equal(got['recording_state'], 'completed', JSON.stringify(got));
    assert.equal(got['call_uuid'], callUuid);
    assert.equal(got['recording_channels'], 2);
    assert.equal(got['recording_format'], 'wav');
    assert.equal(
      got['recording_url'],
      `http://127.0.0.1:${httpPort}/v1/Account/${AUTH_ID}/Recording/${recordingId}.wav`,
    );
    assert.equal(callback.param('RecordUrl'), got['recording_url']);
    const durationMs = Number(got['recording_duration_ms']);
    const list = await apiGet(httpPort, `Recording/?call_uuid=${callUuid}`);
    assert.equal((list['meta'] as { total_count: number }).total_count, 1);

    // The file, with the account's credentials only.
    const anonymous = await fetch(got['recording_url']);
    assert.equal(anonymous.status, 401);
    const file = await api(httpPort, 'GET', `Recording/${recordingId}.wav`);
    assert.equal(file.status, 200);
    assert.equal(file.bytes.length, Number(got['file_size']));
    const { left, right, rate, channels } = splitStereo(file.bytes);
    assert.equal(rate, 8000);
    assert.equal(channels, 2);
    assert.equal(left.length, (durationMs / 20) * 160, 'one frame per tick of the recording');
    const wallMs = byeAt - recordAnsweredAt;
    t.diagnostic(`recording ${durationMs} ms; POST answer → sipp exit ${wallMs} ms`);
    assert.ok(
      durationMs <= wallMs + 60 && durationMs >= wallMs - 400,
      `recording ${durationMs} ms, call ${wallMs} ms`,
    );

    const callerOnLeft = segmentMatch(caller.pcm, left, { maxLagSamples: 24_000 });
    const botOnRight = segmentMatch(bot.pcm, right, { maxLagSamples: 8_000 });
    const botOnLeft = alignedCorrelation(bot.pcm, left, 8_000);
    const callerOnRight = alignedCorrelation(caller.pcm, right, 24_000);
    t.diagnostic(describeMatch('caller on the left', callerOnLeft));
    t.diagnostic(describeMatch('bot on the right', botOnRight));
    t.diagnostic(
      `bot on the left ${botOnLeft.correlation.toFixed(3)}, caller on the right ${callerOnRight.correlation.toFixed(3)}`,
    );
    assert.ok(callerOnLeft.matched >= callerOnLeft.segments * 0.8, describeMatch('caller', callerOnLeft));
    assert.ok(botOnRight.matched >= botOnRight.segments * 0.8, describeMatch('bot', botOnRight));
    assert.ok(botOnLeft.correlation < 0.3, `no bot on the left: ${botOnLeft.correlation.toFixed(3)}`);
    assert.ok(
      callerOnRight.correlation < 0.3,
      `no caller on the right: ${callerOnRight.correlation.toFixed(3)}`,
    );

    // Unknown ids and ended calls get clear answers.
    const unknown = await api(httpPort, 'GET', 'Recording/00000000-0000-4000-8000-000000000000/');
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.json?.['error']), /recording not found/);
    const ended = await api(httpPort, 'POST', `Call/${callUuid}/Record/`, {});
    assert.equal(ended.status, 409, JSON.stringify(ended.json));
    const mp3 = await api(httpPort, 'POST', `Call/${callUuid}/Record/`, { file_format: 'mp3' });
    assert.equal(mp3.status, 400);
    assert.match(String(mp3.json?.['error']), /mp3 is not supported/);

    // Restart on the same data directory: the record and the file are still there.
    server.child.kill('SIGTERM');
    await server.exited;
    server = await startServe(args);
    const again = await apiGet(httpPort, `Recording/${recordingId}/`);
    assert.equal(again['recording_state'], 'completed');
    assert.equal(again['recording_duration_ms'], durationMs);
    const fileAgain = await api(httpPort, 'GET', `Recording/${recordingId}.wav`);
    assert.deepEqual(fileAgain.bytes, file.bytes);

    // Delete removes both.
    const del = await api(httpPort, 'DELETE', `Recording/${recordingId}/`);
    assert.equal(del.status, 204);
    assert.equal((await api(httpPort, 'GET', `Recording/${recordingId}/`)).status, 404);
    assert.equal(existsSync(join(dataDir, 'recordings', `${recordingId}.wav`)), false);
  },
);

test(
  'a server killed (SIGKILL) during <Record recordSession>: after the restart the recording is failed with "Server Restart", the audio that reached the disk kept in a repaired WAV',
  { timeout: 90_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfork-rec-kill-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
    const web = await startHttpRecorder();
    cleanups.push(() => web.close());
    web.serve('/answer', '<Response><Record recordSession="true"/><Wait length="60"/></Response>');
    const dataDir = join(dir, 'data');
    const sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    const args = serveArgs({ dataDir, sipPort, httpPort, answerUrl: web.url('/answer') });
    let server = await startServe(args);
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    const scenario = fillScenario('uac-stream-audio.xml', dir, { CASE: 'kill', MEDIA: '', HOLD_MS: '30000' });
    const sipp = runTool(
      'sipp',
      [
        '-sf',
        scenario,
        ...sippArgs(`${HOST}:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 40),
        '-m',
        '1',
      ],
      50_000,
      dir,
    );
    let recordingId = '';
    await waitUntil(
      'a recording in progress',
      async () => {
        const list = await apiGet(httpPort, 'Recording/');
        const first = (list['objects'] as { recording_id: string; recording_state: string }[])[0];
        recordingId = first?.recording_id ?? '';
        return first?.recording_state === 'recording';
      },
      15_000,
    );
    // Past the first second, so some audio has reached the file.
    await new Promise((r) => setTimeout(r, 2500));
    server.child.kill('SIGKILL');
    await server.exited;
    // The caller goes away too (killed by PID: sipp is this test's child).
    for (const child of sippChildren) {
      if (child.spawnfile === 'sipp') {
        child.kill('SIGKILL');
      }
    }
    await sipp;
    server = await startServe(args);
    const after = await apiGet(httpPort, `Recording/${recordingId}/`);
    assert.equal(after['recording_state'], 'failed');
    assert.equal(after['failure_reason'], 'Server Restart');
    assert.equal(after['recording_source'], 'session');
    // The audio that reached the disk is kept: the header is repaired to its size.
    const durationMs = Number(after['recording_duration_ms']);
    assert.ok(durationMs >= 1000, `${durationMs} ms kept`);
    assert.equal(Number(after['recording_end_ms']), Number(after['recording_start_ms']) + durationMs);
    const file = await api(httpPort, 'GET', `Recording/${recordingId}.wav`);
    assert.equal(file.status, 200);
    assert.equal(file.bytes.length, Number(after['file_size']));
    const view = new DataView(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength);
    assert.equal(view.getUint32(40, true), file.bytes.length - 44, 'the data size in the header');
    assert.equal(view.getUint32(4, true), file.bytes.length - 8, 'the RIFF size in the header');
    assert.equal((file.bytes.length - 44) / 2, (durationMs / 1000) * 8000);
  },
);
