/**
 * Fault tests of the stream engine on real loopback sockets, for what the WebSocket adapter itself
 * reports and the in-memory harness only imitates: a refused connect (ECONNREFUSED), the upgrade that
 * times out (ws's handshake timeout), a frame over the transport cap (ws's maxPayload: 1009 to the app,
 * "Max payload size exceeded" to us) and a reader that stops (ws's own `bufferedAmount`). Each checks
 * the faulty stream, that the XML went on where keepCallAlive says so (D3), that no error was logged
 * and that the healthy stream on the same call was not disturbed. The other fault scenarios (reset
 * connects, app close and drop, bad messages, recovery) run on the fake clock:
 * test/scenarios/stream-faults.test.ts.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';

import type { VirtualCallResult } from '../../src/app/virtual-call.js';
import { type ReferenceConsumer, startReferenceConsumer } from '../consumer/reference-consumer.js';
import {
  captureClientSockets,
  closedPortUrl,
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

describe('stream faults: the transport cap (D14)', () => {
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
