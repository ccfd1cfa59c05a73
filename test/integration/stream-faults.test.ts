/**
 * Fault acceptance tests of the stream engine (compatibility D3, D10, D11, D12, D14, §7, §12), on
 * real loopback sockets: a virtual call whose answer XML forks audio to a healthy reference consumer
 * and to a misbehaving app. Each test checks what the misbehaving stream did (attempts, end reason,
 * status callbacks, error counters), that the XML went on where keepCallAlive says so (D3: the next
 * element is a `<Stream>` to a second healthy consumer, which must receive `start`), that the process
 * logged no error, and that the healthy stream on the same call was not disturbed at all.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';

import { rms, tonePower } from '../../src/media/analysis.js';
import type { VirtualCallResult } from '../../src/app/virtual-call.js';
import type { StreamStats } from '../../src/engine/fork/stream-fork.types.js';
import { type ReferenceConsumer, startReferenceConsumer } from '../../src/testing/reference-consumer.js';
import {
  captureClientSockets,
  closedPortUrl,
  startDestroyingServer,
  startSilentServer,
  startStalledServer,
} from '../helpers/fault-peers.js';
import type { HttpRecorder, RecordedRequest } from '../helpers/http-recorder.js';
import { Scenario, assertHealthyStream, moreMedia, runCall } from '../helpers/scenario.js';
import {
  type LogEntry,
  callerTone,
  probeConnections,
  responseXml,
  streamElement,
  until,
  within,
} from '../helpers/stream-call.js';

const MULAW = 'audio/x-mulaw;rate=8000';
const L16_8K = 'audio/x-l16;rate=8000';
const L16_16K = 'audio/x-l16;rate=16000';

let scenario = new Scenario();
afterEach(async () => {
  await scenario.close();
  scenario = new Scenario();
});

/** Status callbacks received for one service URL, in order. */
function callbacksFor(app: HttpRecorder, serviceUrl: string): RecordedRequest[] {
  return app.requestsTo('/status').filter((r) => r.param('ServiceURL') === serviceUrl);
}

function events(requests: readonly RecordedRequest[]): (string | undefined)[] {
  return requests.map((r) => r.param('Event'));
}

function assertNoErrorLogs(logs: readonly LogEntry[]): void {
  const errors = logs.filter((l) => l.level === 'error');
  assert.deepEqual(errors, [], 'the engine logged no error');
}

function streamOf(result: VirtualCallResult, serviceUrl: string): VirtualCallResult['streams'][number] {
  const found = result.streams.find((s) => s.serviceUrl === serviceUrl);
  assert.ok(found, `the call has a stream to ${serviceUrl}`);
  return found;
}

/**
 * The common shape: a background stream to a healthy consumer, the faulty stream (keepCallAlive) and
 * then a second healthy stream that only starts if the XML continues after the faulty one ended.
 */
async function faultCall(
  faultyUrl: string,
  faultyAttrs: Record<string, string | boolean>,
  durationMs = 3500,
) {
  const app = await scenario.app();
  const healthy = scenario.own(await startReferenceConsumer({ path: '/healthy' }));
  const next = scenario.own(await startReferenceConsumer({ path: '/next' }));
  app.serve(
    '/answer',
    responseXml(
      streamElement(healthy.url, { contentType: MULAW }),
      streamElement(faultyUrl, {
        keepCallAlive: true,
        statusCallbackUrl: app.url('/status'),
        ...faultyAttrs,
      }),
      streamElement(next.url, { keepCallAlive: true, contentType: MULAW }),
    ),
  );
  return { app, healthy, next, durationMs, callerAudio: callerTone(Math.min(durationMs, 4000)) };
}

async function assertNextElementRan(
  next: ReferenceConsumer,
  result: VirtualCallResult,
  label: string,
): Promise<void> {
  const session = next.sessions[0];
  assert.ok(session, `${label}: the element after the faulty <Stream> ran (its app got a connection)`);
  const start = await session.waitForStart(100);
  assert.equal(start.start.callId, result.callUuid);
  await session.closed;
  next.assertClean();
}

describe('stream faults: the app cannot be reached (D10)', () => {
  test('a closed port: exactly 3 attempts, then DroppedStream with Reason/Error, and the XML continues', async (t) => {
    const runtime = scenario.runtime();
    const refused = await closedPortUrl('/refused');
    const { app, healthy, next, durationMs, callerAudio } = await faultCall(refused, { contentType: L16_8K });
    const connectFailures: number[] = [];
    const result = await runCall(runtime, {
      answerUrl: app.url('/answer'),
      callerAudio,
      durationMs,
      onEvent: (e) => {
        if (e.type === 'connectFailed') {
          connectFailures.push(e.t);
        }
      },
    });

    const faulty = streamOf(result, refused);
    assert.equal(faulty.stats.connectAttempts, 3, 'three attempts in total');
    assert.equal(connectFailures.length, 3);
    // Back-off 50 ms then 100 ms between the attempts (settings), so the gaps grow.
    const gaps = connectFailures.slice(1).map((t, i) => t - (connectFailures[i] ?? 0));
    assert.ok(
      gaps.every((g) => g >= 40),
      `gaps between attempts: ${gaps.join(', ')} ms`,
    );
    t.diagnostic(
      `attempts failed at ${connectFailures.join('/')} ms into the call; error "${faulty.error ?? ''}"`,
    );
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Connection error');
    assert.match(faulty.error ?? '', /ECONNREFUSED/);
    assert.equal(faulty.stats.mediaMessagesSent, 0);

    const cbs = await app.waitFor((r) => r.param('Event') === 'DroppedStream', 3000, 'DroppedStream');
    assert.deepEqual(
      events(callbacksFor(app, refused)),
      ['DroppedStream'],
      'no StartStream for a stream that never connected',
    );
    assert.equal(cbs.param('Reason'), 'Connection error');
    assert.match(cbs.param('Error') ?? '', /ECONNREFUSED/);

    await assertNextElementRan(next, result, 'closed port');
    await assertHealthyStream(healthy, healthy.sessions[0]!, result, 'healthy stream');
    assertNoErrorLogs(runtime.logs);
  });

  test('a TCP server that accepts and destroys: exactly 3 connections, then DroppedStream, and the XML continues', async () => {
    const runtime = scenario.runtime();
    const destroying = scenario.own(await startDestroyingServer('/destroyed'));
    const { app, healthy, next, durationMs, callerAudio } = await faultCall(destroying.url, {
      contentType: MULAW,
    });
    const result = await runCall(runtime, { answerUrl: app.url('/answer'), callerAudio, durationMs });

    assert.equal(destroying.connections, 3, 'the app saw exactly three connection attempts');
    const faulty = streamOf(result, destroying.url);
    assert.equal(faulty.stats.connectAttempts, 3);
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Connection error');
    assert.ok((faulty.error ?? '') !== '', 'the error says what went wrong');
    const dropped = await app.waitFor((r) => r.param('Event') === 'DroppedStream', 3000, 'DroppedStream');
    assert.equal(dropped.param('Reason'), 'Connection error');
    assert.equal(dropped.param('Error'), faulty.error);
    assert.deepEqual(events(callbacksFor(app, destroying.url)), ['DroppedStream']);

    await assertNextElementRan(next, result, 'destroying server');
    await assertHealthyStream(healthy, healthy.sessions[0]!, result, 'healthy stream');
    assertNoErrorLogs(runtime.logs);
  });
  test('a server that never answers the upgrade: each attempt times out, 3 in total, then DroppedStream', async (t) => {
    const runtime = scenario.runtime({ connectTimeoutMs: 300 });
    const silent = scenario.own(await startSilentServer('/silent'));
    const { app, healthy, next, durationMs, callerAudio } = await faultCall(silent.url, {
      contentType: MULAW,
    });
    const failures: number[] = [];
    const result = await runCall(runtime, {
      answerUrl: app.url('/answer'),
      callerAudio,
      durationMs,
      onEvent: (e) => {
        if (e.type === 'connectFailed') {
          failures.push(e.t);
        }
      },
    });

    assert.equal(silent.connections, 3, 'three connections, one per attempt');
    const faulty = streamOf(result, silent.url);
    assert.equal(faulty.stats.connectAttempts, 3);
    assert.equal(faulty.endReason, 'Connection error');
    assert.match(faulty.error ?? '', /timed out/i);
    // Each attempt waits its 300 ms timeout; back-off 50 then 100 ms in between.
    const gaps = failures.slice(1).map((t, i) => t - (failures[i] ?? 0));
    assert.ok(
      gaps.length === 2 && gaps[0]! >= 330 && gaps[1]! >= 380,
      `gaps between failed attempts: ${gaps.join(', ')} ms`,
    );
    const dropped = await app.waitFor((r) => r.param('Event') === 'DroppedStream', 3000, 'DroppedStream');
    assert.match(dropped.param('Error') ?? '', /timed out/i);
    t.diagnostic(`attempts failed at ${failures.join('/')} ms into the call; error "${faulty.error ?? ''}"`);

    await assertNextElementRan(next, result, 'silent server');
    await assertHealthyStream(healthy, healthy.sessions[0]!, result, 'healthy stream');
    assertNoErrorLogs(runtime.logs);
  });
});

describe('stream faults: the app closes mid-stream', () => {
  test('a normal close (1000) ends the stream with StopStream and the XML continues', async () => {
    const runtime = scenario.runtime();
    const faultyApp = scenario.own(await startReferenceConsumer({ path: '/closing' }));
    const { app, healthy, next, durationMs, callerAudio } = await faultCall(faultyApp.url, {
      contentType: L16_16K,
    });
    const call = runCall(runtime, { answerUrl: app.url('/answer'), callerAudio, durationMs });
    const session = await faultyApp.waitForSession(3000);
    await session.waitForStart(2000);
    await moreMedia(session, 25);
    await session.close(1000, 'bye');
    const result = await call;

    const faulty = streamOf(result, faultyApp.url);
    assert.equal(faulty.status, 'completed');
    assert.equal(faulty.endReason, 'Closed by app');
    await app.waitFor(
      (r) => r.param('ServiceURL') === faultyApp.url && r.param('Event') === 'StopStream',
      3000,
      'StopStream',
    );
    const cbs = callbacksFor(app, faultyApp.url);
    assert.deepEqual(events(cbs), ['StartStream', 'StopStream']);
    assert.equal(cbs[1]?.param('Reason'), 'Closed by app');
    faultyApp.assertClean();

    await assertNextElementRan(next, result, 'normal close');
    await assertHealthyStream(healthy, healthy.sessions[0]!, result, 'healthy stream');
    assertNoErrorLogs(runtime.logs);
  });

  test('an abrupt socket destroy ends the stream with DroppedStream and the XML continues', async () => {
    const runtime = scenario.runtime();
    const faultyApp = scenario.own(await startReferenceConsumer({ path: '/vanishing' }));
    const { app, healthy, next, durationMs, callerAudio } = await faultCall(faultyApp.url, {
      contentType: MULAW,
      audioTrack: 'both',
    });
    const call = runCall(runtime, { answerUrl: app.url('/answer'), callerAudio, durationMs });
    const session = await faultyApp.waitForSession(3000);
    await moreMedia(session, 25);
    session.terminate();
    const result = await call;

    const faulty = streamOf(result, faultyApp.url);
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Connection error');
    assert.match(faulty.error ?? '', /1006/, 'closed without a close frame');
    await app.waitFor(
      (r) => r.param('ServiceURL') === faultyApp.url && r.param('Event') === 'DroppedStream',
      3000,
      'DroppedStream',
    );
    const cbs = callbacksFor(app, faultyApp.url);
    assert.deepEqual(events(cbs), ['StartStream', 'DroppedStream']);
    const dropped = cbs[1]!;
    assert.equal(dropped.param('Reason'), 'Connection error');
    assert.match(dropped.param('Error') ?? '', /1006/);

    await assertNextElementRan(next, result, 'abrupt close');
    await assertHealthyStream(healthy, healthy.sessions[0]!, result, 'healthy stream');
    assertNoErrorLogs(runtime.logs);
  });
});

interface BadMessage {
  readonly name: string;
  readonly frame: string | Uint8Array;
  /** The ERR_STREAM_* code expected, or undefined for a message that is ignored without an error. */
  readonly code: string | undefined;
}

function playAudio(contentType: string, sampleRate: number | string, payload: string): string {
  return JSON.stringify({ event: 'playAudio', media: { contentType, sampleRate, payload } });
}

/** 1 kHz tone as little-endian L16 (D6) bytes. */
function l16Bytes(samples: Int16Array): Uint8Array {
  const out = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => out.writeInt16LE(v, i * 2));
  return out;
}

describe('stream faults: bad messages from the app (D14, §12)', () => {
  test('each bad message is counted with its ERR_STREAM_* code, the stream stays up and a valid playAudio still plays', async () => {
    // 9 MiB accepted and parsed; ws itself refuses frames over maxMessageBytes + 1 MiB (10 MiB).
    const runtime = scenario.runtime({ maxMessageBytes: 9 * 1024 * 1024 });
    const faultyApp = scenario.own(await startReferenceConsumer({ path: '/rude' }));
    const { app, healthy, durationMs, callerAudio } = await faultCall(
      faultyApp.url,
      { contentType: L16_8K, bidirectional: true },
      5500,
    );
    const call = runCall(runtime, { answerUrl: app.url('/answer'), callerAudio, durationMs });
    const session = await faultyApp.waitForSession(3000);
    await session.waitForStart(2000);
    const fork = [...runtime.engine.calls.values()][0]?.allStreams.find(
      (f) => f.spec.serviceUrl === faultyApp.url,
    );
    assert.ok(fork, 'the faulty stream is live');

    const muLawSecond = Buffer.alloc(8000, 0x2a).toString('base64');
    const tenMegabytes = JSON.stringify({ event: 'playAudio', media: { payload: 'A'.repeat(10_000_000) } });
    const bad: BadMessage[] = [
      { name: 'non-JSON text', frame: 'this is { not json', code: 'ERR_STREAM_NOT_JSON' },
      { name: 'JSON without event', frame: '{"hello":"world"}', code: 'ERR_STREAM_BAD_MESSAGE' },
      {
        name: 'an unknown event (ignored, compatibility §12)',
        frame: '{"event":"dance","streamId":"x"}',
        code: undefined,
      },
      {
        name: 'bad base64',
        frame: playAudio('audio/x-l16', 8000, '@@not*base64@@'),
        code: 'ERR_STREAM_BAD_BASE64',
      },
      {
        name: 'an odd number of L16 bytes',
        frame: playAudio('audio/x-l16', 8000, Buffer.from([1, 2, 3]).toString('base64')),
        code: 'ERR_STREAM_PARTIAL_SAMPLE',
      },
      {
        name: 'μ-law playAudio on an L16 stream',
        frame: playAudio('audio/x-mulaw', 8000, muLawSecond),
        code: 'ERR_STREAM_FORMAT_MISMATCH',
      },
      {
        name: 'a wrong sample rate',
        frame: playAudio('audio/x-l16', '16000', Buffer.alloc(640).toString('base64')),
        code: 'ERR_STREAM_FORMAT_MISMATCH',
      },
      {
        name: 'a binary frame',
        frame: new Uint8Array([0x7b, 0x7d, 0, 1, 2]),
        code: 'ERR_STREAM_BINARY_FRAME',
      },
      { name: 'a 10 MB message', frame: tenMegabytes, code: 'ERR_STREAM_MESSAGE_TOO_LARGE' },
    ];
    for (const message of bad) {
      const before: StreamStats = { ...fork.stats };
      session.sendRaw(message.frame);
      await until(
        () => fork.stats.appMessages === before.appMessages + 1,
        3000,
        `${message.name} to be received`,
      );
      if (message.code === undefined) {
        assert.equal(fork.stats.appErrors, before.appErrors, `${message.name}: not an error`);
      } else {
        assert.equal(fork.stats.appErrors, before.appErrors + 1, `${message.name}: counted`);
        assert.equal(fork.stats.lastAppError, message.code, `${message.name}: code`);
      }
      assert.equal(fork.status, 'in-progress', `${message.name}: the stream is still up`);
      await moreMedia(session, 5).catch((err: unknown) => {
        throw new Error(`${message.name}: media stopped arriving: ${String(err)}`);
      });
    }
    assert.equal(fork.stats.playedFrames, 0, 'nothing was played so far');

    // A valid playAudio (0.5 s of 1 kHz, in 100 ms messages) and a checkpoint still work.
    const tone = callerTone(500, 1000);
    session.playAudio(l16Bytes(tone), { chunkMs: 100 });
    session.checkpoint('after-the-mess');
    await session.waitForEvent('playedStream', 3000);
    await moreMedia(session, 5);
    const result = await call;

    const faulty = streamOf(result, faultyApp.url);
    assert.equal(faulty.endReason, 'Call hangup', 'the faulty stream lasted the whole call');
    assert.equal(faulty.stats.appErrors, bad.filter((b) => b.code !== undefined).length);
    assert.equal(
      faulty.stats.playedFrames,
      25,
      'exactly the 0.5 s of valid audio played; the rejected μ-law second did not',
    );
    assert.equal(faulty.checkpoints[0]?.name, 'after-the-mess');
    const heard = result.heard;
    const loudFrames: number[] = [];
    for (let i = 0; i + 160 <= heard.length; i += 160) {
      if (heard.subarray(i, i + 160).some((v) => v !== 0)) {
        loudFrames.push(i / 160);
      }
    }
    assert.equal(loudFrames.length, 25, 'the caller heard 25 frames (0.5 s) of audio and silence otherwise');
    const first = loudFrames[0]!;
    assert.deepEqual(
      loudFrames,
      Array.from({ length: 25 }, (_v, i) => first + i),
      'in one piece',
    );
    const played = heard.subarray(first * 160, (first + 25) * 160);
    assert.ok(tonePower(played, 8000, 1000) / rms(played) ** 2 > 0.95, 'what was heard is the 1 kHz tone');
    faultyApp.assertClean();
    await assertHealthyStream(healthy, healthy.sessions[0]!, result, 'healthy stream');
    assertNoErrorLogs(runtime.logs);
  });

  test('a message beyond the transport cap (maxMessageBytes + 1 MiB) ends only that stream; the call goes on', async (t) => {
    const runtime = scenario.runtime({ maxMessageBytes: 1024 * 1024 });
    const faultyApp = scenario.own(await startReferenceConsumer({ path: '/huge' }));
    const { app, healthy, next, durationMs, callerAudio } = await faultCall(faultyApp.url, {
      contentType: MULAW,
      bidirectional: true,
    });
    const call = runCall(runtime, { answerUrl: app.url('/answer'), callerAudio, durationMs });
    const session = await faultyApp.waitForSession(3000);
    await moreMedia(session, 10);
    session.sendRaw(JSON.stringify({ event: 'playAudio', media: { payload: 'A'.repeat(3 * 1024 * 1024) } }));
    const appSawClose = await within(session.closed, 3000, 'the app side close');
    const result = await call;

    const faulty = streamOf(result, faultyApp.url);
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Connection error');
    await app.waitFor(
      (r) => r.param('ServiceURL') === faultyApp.url && r.param('Event') === 'DroppedStream',
      3000,
      'DroppedStream',
    );
    await assertNextElementRan(next, result, 'oversized frame');
    await assertHealthyStream(healthy, healthy.sessions[0]!, result, 'healthy stream');
    assertNoErrorLogs(runtime.logs);
    t.diagnostic(
      `app saw close ${appSawClose}; stream error "${faulty.error ?? ''}"; appErrors ${faulty.stats.appErrors}`,
    );

    await t.test('the drop says why (1009 / ERR_STREAM_MESSAGE_TOO_LARGE)', () => {
      assert.match(
        `${faulty.error ?? ''} ${faulty.stats.lastAppError ?? ''}`,
        /1009|MESSAGE_TOO_LARGE|too big|Max payload/i,
      );
    });
  });
});

describe('stream faults: the app stops reading (D11)', () => {
  test('DegradedStream at 30, 60 and 90 %, then DroppedStream (slow consumer); buffered bytes stay bounded; the call goes on', async (t) => {
    const bufferSeconds = 2;
    const runtime = scenario.runtime({ bufferSeconds });
    const probes = probeConnections(runtime);
    const stalled = scenario.own(await startStalledServer('/stalled'));
    const port = Number(new URL(stalled.url).port);
    const capture = captureClientSockets(port);
    scenario.own({
      close: () => {
        capture.restore();
        return Promise.resolve();
      },
    });
    // Linux loopback absorbs about 4 MB (send buffer autotuned to tcp_wmem max, plus the receive
    // window) before a writer's user-space buffer grows: 40 s of this 104 KB/s stream. Once the app
    // has paused its socket, cork the engine's side so every later frame stays in user space, which is
    // exactly the state after the kernel buffers filled. The engine code is unchanged. The same path
    // with real kernel buffers, shrunk in a network namespace: slow-consumer-netns.test.ts.
    let corkedAtMs = 0;
    stalled.onConnection = () => {
      for (const socket of capture.sockets) {
        socket.cork();
      }
      corkedAtMs = Date.now();
    };
    const { app, healthy, next, durationMs, callerAudio } = await faultCall(
      stalled.url,
      { audioTrack: 'both', contentType: L16_16K },
      4500,
    );
    const rssBefore = process.memoryUsage().rss;
    const result = await runCall(runtime, { answerUrl: app.url('/answer'), callerAudio, durationMs });
    const rssAfter = process.memoryUsage().rss;

    assert.equal(stalled.connections, 1);
    assert.equal(capture.sockets.length, 1, 'the engine opened one socket to the stalled app');
    const faulty = streamOf(result, stalled.url);
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Slow consumer');
    assert.equal(faulty.stats.bufferUsagePercent, 100);

    await app.waitFor(
      (r) => r.param('ServiceURL') === stalled.url && r.param('Event') === 'DroppedStream',
      3000,
      'DroppedStream',
    );
    const cbs = callbacksFor(app, stalled.url);
    assert.deepEqual(events(cbs), [
      'StartStream',
      'DegradedStream',
      'DegradedStream',
      'DegradedStream',
      'DroppedStream',
    ]);
    assert.deepEqual(
      cbs.slice(1, 4).map((r) => r.param('BufferUsage')),
      ['30', '60', '90'],
    );
    const dropped = cbs[4]!;
    assert.equal(dropped.param('Reason'), 'Slow consumer');
    assert.match(dropped.param('Error') ?? '', /did not read 2 s of media/);
    // Timing: at one 20 ms tick of both tracks per frame, 30/60/90/100 % of 2 s fill after ~0.6/1.2/1.8/2 s.
    const at = cbs.slice(1).map((r) => Number(r.param('Timestamp')) - corkedAtMs);
    for (const [i, expected] of [600, 1200, 1800, 2000].entries()) {
      const t = at[i]!;
      assert.ok(
        Math.abs(t - expected) < 400,
        `callback ${i + 1} at ${t} ms after the app stopped reading, expected ~${expected}`,
      );
    }

    // Memory stays bounded: the engine never let more than its capacity plus one tick pile up.
    const probe = probes.find((p) => p.url === stalled.url);
    assert.ok(probe, 'the stalled connection was probed');
    assert.ok(probe.terminated, 'the engine dropped the connection (terminate)');
    const perTick = 2 * probe.maxFrameBytes;
    const capacity = perTick * 50 * bufferSeconds;
    assert.ok(
      probe.maxBufferedSeen >= capacity * 0.95,
      `buffer filled: ${probe.maxBufferedSeen} of ${capacity}`,
    );
    assert.ok(
      probe.maxBufferedSeen <= capacity + perTick + 64,
      `buffered ${probe.maxBufferedSeen} bytes > capacity ${capacity} + one tick ${perTick}`,
    );
    assert.ok(
      rssAfter - rssBefore < 64 * 1024 * 1024,
      `RSS grew by ${((rssAfter - rssBefore) / 1e6).toFixed(1)} MB`,
    );

    await assertNextElementRan(next, result, 'slow consumer');
    await assertHealthyStream(healthy, healthy.sessions[0]!, result, 'healthy stream');
    assertNoErrorLogs(runtime.logs);
    // Reported figures (visible with --test-reporter=spec): capacity, peak and callback times.
    t.diagnostic(
      `capacity ${capacity} B, peak buffered ${probe.maxBufferedSeen} B, callbacks at ${at.join('/')} ms after the stall`,
    );
  });
});
