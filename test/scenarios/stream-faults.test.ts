/**
 * Fault scenarios of the stream engine (compatibility D3, D10, D11, D12, D14, §7, §12) on the
 * fake-clock harness, ported from test/integration/stream-faults.test.ts: a call forks audio to a
 * healthy app and to a misbehaving one (keepCallAlive), then to a second healthy app that only gets a
 * connection if the XML went on. Each test checks what the faulty stream did (attempts, end reason,
 * status callbacks, error counters), that the XML continued (D3), that the engine logged no error and
 * that the healthy stream on the same call lost nothing. Timings are exact: the clock is fake.
 * What stays on real sockets (the adapter's own errors): test/integration/stream-faults.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { VirtualCallResult } from '../../src/app/virtual-call.js';
import type { StreamStats } from '../../src/engine/fork/stream-fork.types.js';
import { rms, tonePower } from '../../src/media/analysis.js';
import type { WebRequest } from '../harness/answer-server.js';
import { CallHarness, type HarnessOptions } from '../harness/harness.js';
import type { MemoryApp, MemoryAppOptions } from '../harness/memory-app.js';
import { assertHealthyStream, mediaOf } from '../helpers/scenario.js';
import { callerTone, responseXml, streamElement } from '../helpers/stream-call.js';

const MULAW = 'audio/x-mulaw;rate=8000';
const L16_8K = 'audio/x-l16;rate=8000';
const L16_16K = 'audio/x-l16;rate=16000';

/** The common shape: healthy background stream, the faulty stream, then the next element. */
function faultCall(
  faulty: MemoryAppOptions,
  faultyAttrs: Record<string, string | boolean>,
  opts: HarnessOptions = {},
) {
  const h = new CallHarness(opts);
  const healthy = h.app('/healthy');
  const app = h.app('/faulty', faulty);
  const next = h.app('/next');
  h.web.serve(
    '/answer',
    responseXml(
      streamElement(healthy.url, { contentType: MULAW }),
      streamElement(app.url, {
        keepCallAlive: true,
        statusCallbackUrl: h.web.url('/status'),
        ...faultyAttrs,
      }),
      streamElement(next.url, { keepCallAlive: true, contentType: MULAW }),
    ),
  );
  return { h, healthy, app, next };
}

function callbacksFor(h: CallHarness, serviceUrl: string): WebRequest[] {
  return h.web.requestsTo('/status').filter((r) => r.param('ServiceURL') === serviceUrl);
}

function events(requests: readonly WebRequest[]): (string | undefined)[] {
  return requests.map((r) => r.param('Event'));
}

function streamOf(result: VirtualCallResult, serviceUrl: string): VirtualCallResult['streams'][number] {
  const found = result.streams.find((s) => s.serviceUrl === serviceUrl);
  assert.ok(found, `the call has a stream to ${serviceUrl}`);
  return found;
}

/** The XML went on after the faulty stream, the healthy stream lost nothing, no error was logged. */
async function assertRestOfCallFine(
  h: CallHarness,
  parts: { healthy: MemoryApp; next?: MemoryApp },
  result: VirtualCallResult,
): Promise<void> {
  if (parts.next !== undefined) {
    const session = parts.next.session(0);
    assert.equal(session.start?.start.callId, result.callUuid, 'the element after the faulty <Stream> ran');
    assert.equal(session.closeCode, 1000);
    parts.next.assertClean();
  }
  parts.healthy.assertClean();
  await assertHealthyStream(parts.healthy, parts.healthy.session(0), result, 'healthy stream');
  h.assertNoErrorLogs();
}

/** Fake times (ms into the call) of the faulty stream's failed connects. */
function failures(): { times: number[]; onEvent: (e: { type: string; t: number }) => void } {
  const times: number[] = [];
  return {
    times,
    onEvent: (e) => {
      if (e.type === 'connectFailed') {
        times.push(e.t);
      }
    },
  };
}

describe('stream faults: the app cannot be reached (D10)', () => {
  test('refused: exactly 3 attempts 50 and 100 ms apart, then DroppedStream with Reason/Error, and the XML continues', async () => {
    const { h, healthy, app, next } = faultCall({ connect: 'refuse' }, { contentType: L16_8K });
    const failed = failures();
    const result = await h.run({ callerAudio: callerTone(3500), durationMs: 3500, onEvent: failed.onEvent });

    const faulty = streamOf(result, app.url);
    assert.equal(faulty.stats.connectAttempts, 3, 'three attempts in total');
    assert.equal(app.attempts.length, 3);
    const gaps = failed.times.slice(1).map((t, i) => t - failed.times[i]!);
    assert.deepEqual(gaps, [50, 100], 'back-off 50 ms, then doubled');
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Connection error');
    assert.match(faulty.error ?? '', /ECONNREFUSED/);
    assert.equal(faulty.stats.mediaMessagesSent, 0);
    await h.drainCallbacks();
    const cbs = callbacksFor(h, app.url);
    assert.deepEqual(events(cbs), ['DroppedStream'], 'no StartStream for a stream that never connected');
    assert.equal(cbs[0]?.param('Reason'), 'Connection error');
    assert.match(cbs[0].param('Error') ?? '', /ECONNREFUSED/);
    await assertRestOfCallFine(h, { healthy, next }, result);
  });

  test('reset (TCP accepted and destroyed): exactly 3 attempts, then DroppedStream, and the XML continues', async () => {
    const { h, healthy, app, next } = faultCall({ connect: 'reset' }, { contentType: MULAW });
    const result = await h.run({ callerAudio: callerTone(3500), durationMs: 3500 });

    assert.equal(app.attempts.length, 3, 'the app saw exactly three connection attempts');
    const faulty = streamOf(result, app.url);
    assert.equal(faulty.stats.connectAttempts, 3);
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Connection error');
    assert.ok((faulty.error ?? '') !== '', 'the error says what went wrong');
    await h.drainCallbacks();
    const cbs = callbacksFor(h, app.url);
    assert.deepEqual(events(cbs), ['DroppedStream']);
    assert.equal(cbs[0]?.param('Error'), faulty.error);
    await assertRestOfCallFine(h, { healthy, next }, result);
  });

  test('silent (upgrade never answered): each attempt waits its 300 ms timeout, 3 in total, then DroppedStream', async () => {
    const { h, healthy, app, next } = faultCall(
      { connect: 'silent' },
      { contentType: MULAW },
      { stream: { connectTimeoutMs: 300 } },
    );
    const failed = failures();
    const result = await h.run({ callerAudio: callerTone(3500), durationMs: 3500, onEvent: failed.onEvent });

    assert.equal(app.attempts.length, 3, 'three connections, one per attempt');
    const faulty = streamOf(result, app.url);
    assert.equal(faulty.endReason, 'Connection error');
    assert.match(faulty.error ?? '', /timed out/i);
    assert.deepEqual(failed.times, [300, 650, 1050], 'timeout 300 ms each, back-off 50 then 100 ms between');
    await h.drainCallbacks();
    assert.match(callbacksFor(h, app.url)[0]?.param('Error') ?? '', /timed out/i);
    await assertRestOfCallFine(h, { healthy, next }, result);
  });

  test('refused twice, then accepted: the third attempt connects and the stream runs to the hang-up', async () => {
    const { h, healthy, app } = faultCall(
      { connect: (attempt) => (attempt < 3 ? 'refuse' : 'accept') },
      { contentType: MULAW },
    );
    const result = await h.run({ callerAudio: callerTone(3500), durationMs: 3500 });
    const faulty = streamOf(result, app.url);
    assert.equal(faulty.stats.connectAttempts, 3);
    assert.equal(faulty.status, 'completed');
    assert.equal(faulty.endReason, 'Call hangup');
    // Connected 150 ms into the call (0 + 50 + 100 ms of back-off): about 3350 ms of media.
    const media = mediaOf(app.session(0)).length;
    assert.ok(media >= 166 && media <= 168, `${media} frames after the late connect`);
    await h.drainCallbacks();
    assert.deepEqual(events(callbacksFor(h, app.url)), ['StartStream', 'StopStream']);
    app.assertClean();
    await assertRestOfCallFine(h, { healthy }, result);
  });
});

describe('stream faults: the app closes mid-stream', () => {
  test('a normal close (1000) ends the stream with StopStream and the XML continues', async () => {
    const { h, healthy, app, next } = faultCall({}, { contentType: L16_16K });
    const call = h.start({ callerAudio: callerTone(3500), durationMs: 3500 });
    await h.until(() => app.sessions[0] !== undefined && mediaOf(app.session(0)).length >= 25, 2000, 'media');
    void app.session(0).close(1000, 'bye');
    const result = await call.end();

    const faulty = streamOf(result, app.url);
    assert.equal(faulty.status, 'completed');
    assert.equal(faulty.endReason, 'Closed by app');
    await h.drainCallbacks();
    const cbs = callbacksFor(h, app.url);
    assert.deepEqual(events(cbs), ['StartStream', 'StopStream']);
    assert.equal(cbs[1]?.param('Reason'), 'Closed by app');
    app.assertClean();
    await assertRestOfCallFine(h, { healthy, next }, result);
  });

  test('a drop without a close frame ends the stream with DroppedStream (1006) and the XML continues', async () => {
    const { h, healthy, app, next } = faultCall({}, { contentType: MULAW, audioTrack: 'both' });
    const call = h.start({ callerAudio: callerTone(3500), durationMs: 3500 });
    await h.until(() => app.sessions[0] !== undefined && mediaOf(app.session(0)).length >= 25, 2000, 'media');
    app.session(0).terminate();
    const result = await call.end();

    const faulty = streamOf(result, app.url);
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Connection error');
    assert.match(faulty.error ?? '', /1006/, 'closed without a close frame');
    await h.drainCallbacks();
    const cbs = callbacksFor(h, app.url);
    assert.deepEqual(events(cbs), ['StartStream', 'DroppedStream']);
    assert.equal(cbs[1]?.param('Reason'), 'Connection error');
    assert.match(cbs[1].param('Error') ?? '', /1006/);
    await assertRestOfCallFine(h, { healthy, next }, result);
  });
});

function playAudio(contentType: string, sampleRate: number | string, payload: string): string {
  return JSON.stringify({ event: 'playAudio', media: { contentType, sampleRate, payload } });
}

/** Little-endian L16 (D6) bytes. */
function l16Bytes(samples: Int16Array): Uint8Array {
  const out = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => out.writeInt16LE(v, i * 2));
  return out;
}

describe('stream faults: bad messages from the app (D14, §12)', () => {
  test('each bad message is counted with its ERR_STREAM_* code, the stream stays up and a valid playAudio still plays', async () => {
    // 9 MiB accepted and parsed; the transport refuses frames over maxMessageBytes + 1 MiB (10 MiB).
    const { h, healthy, app } = faultCall(
      {},
      { contentType: L16_8K, bidirectional: true },
      { stream: { maxMessageBytes: 9 * 1024 * 1024 } },
    );
    const call = h.start({ callerAudio: callerTone(4000), durationMs: 5500 });
    await h.until(() => app.sessions[0]?.start !== undefined, 2000, 'start');
    const session = app.session(0);
    const fork = call.session.allStreams.find((f) => f.spec.serviceUrl === app.url);
    assert.ok(fork, 'the faulty stream is live');

    const muLawSecond = Buffer.alloc(8000, 0x2a).toString('base64');
    const bad: { name: string; frame: string | Uint8Array; code: string | undefined }[] = [
      { name: 'non-JSON text', frame: 'this is { not json', code: 'ERR_STREAM_NOT_JSON' },
      { name: 'JSON without event', frame: '{"hello":"world"}', code: 'ERR_STREAM_BAD_MESSAGE' },
      { name: 'an unknown event (ignored, §12)', frame: '{"event":"dance","streamId":"x"}', code: undefined },
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
      {
        name: 'a 10 MB message',
        frame: JSON.stringify({ event: 'playAudio', media: { payload: 'A'.repeat(10_000_000) } }),
        code: 'ERR_STREAM_MESSAGE_TOO_LARGE',
      },
    ];
    for (const message of bad) {
      const before: StreamStats = { ...fork.stats };
      session.sendRaw(message.frame);
      await h.until(() => fork.stats.appMessages === before.appMessages + 1, 100, `${message.name} received`);
      if (message.code === undefined) {
        assert.equal(fork.stats.appErrors, before.appErrors, `${message.name}: not an error`);
      } else {
        assert.equal(fork.stats.appErrors, before.appErrors + 1, `${message.name}: counted`);
        assert.equal(fork.stats.lastAppError, message.code, `${message.name}: code`);
      }
      assert.equal(fork.status, 'in-progress', `${message.name}: the stream is still up`);
      const media = mediaOf(session).length;
      await h.until(() => mediaOf(session).length >= media + 5, 200, `${message.name}: media goes on`);
    }
    assert.equal(fork.stats.playedFrames, 0, 'nothing was played so far');

    // A valid playAudio (0.5 s of 1 kHz, in 100 ms messages) and a checkpoint still work.
    session.playAudio(l16Bytes(callerTone(500, 1000)), { chunkMs: 100 });
    session.checkpoint('after-the-mess');
    await h.until(() => session.playedCheckpoints.length === 1, 1000, 'playedStream');
    const result = await call.end();

    const faulty = streamOf(result, app.url);
    assert.equal(faulty.endReason, 'Call hangup', 'the faulty stream lasted the whole call');
    assert.equal(faulty.stats.appErrors, bad.filter((b) => b.code !== undefined).length);
    assert.equal(faulty.stats.playedFrames, 25, 'exactly the 0.5 s of valid audio played');
    assert.equal(faulty.checkpoints[0]?.name, 'after-the-mess');
    const heard = result.heard;
    const loud: number[] = [];
    for (let i = 0; i + 160 <= heard.length; i += 160) {
      if (heard.subarray(i, i + 160).some((v) => v !== 0)) {
        loud.push(i / 160);
      }
    }
    assert.deepEqual(
      loud,
      Array.from({ length: 25 }, (_v, i) => loud[0]! + i),
      'the caller heard 25 frames (0.5 s) of audio in one piece, and silence otherwise',
    );
    const played = heard.subarray(loud[0]! * 160, (loud[0]! + 25) * 160);
    assert.ok(tonePower(played, 8000, 1000) / rms(played) ** 2 > 0.95, 'what was heard is the 1 kHz tone');
    app.assertClean();
    await assertRestOfCallFine(h, { healthy }, result);
  });

  test('a message beyond the transport cap (maxMessageBytes + 1 MiB) ends only that stream; the call goes on', async () => {
    const { h, healthy, app, next } = faultCall(
      {},
      { contentType: MULAW, bidirectional: true },
      { stream: { maxMessageBytes: 1024 * 1024 } },
    );
    const call = h.start({ callerAudio: callerTone(3500), durationMs: 3500 });
    await h.until(() => app.sessions[0] !== undefined && mediaOf(app.session(0)).length >= 10, 2000, 'media');
    app
      .session(0)
      .sendRaw(JSON.stringify({ event: 'playAudio', media: { payload: 'A'.repeat(3 * 1024 * 1024) } }));
    const result = await call.end();

    assert.equal(app.session(0).closeCode, 1009, 'the app saw the close for a too-big message');
    const faulty = streamOf(result, app.url);
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Connection error');
    assert.equal(faulty.stats.lastAppError, 'ERR_STREAM_MESSAGE_TOO_LARGE');
    await h.drainCallbacks();
    assert.deepEqual(events(callbacksFor(h, app.url)), ['StartStream', 'DroppedStream']);
    await assertRestOfCallFine(h, { healthy, next }, result);
  });
});

describe('stream faults: the app reads slowly or not at all (D11)', () => {
  test('an app that stops reading: DegradedStream at 30, 60 and 90 %, then DroppedStream at 0.6/1.2/1.8/2 s; the buffer stays bounded', async () => {
    const bufferSeconds = 2;
    const { h, healthy, app, next } = faultCall(
      { readBytesPerSec: 0 },
      { audioTrack: 'both', contentType: L16_16K },
      { stream: { bufferSeconds } },
    );
    const result = await h.run({ callerAudio: callerTone(4000), durationMs: 4500 });

    const faulty = streamOf(result, app.url);
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Slow consumer');
    assert.equal(faulty.stats.bufferUsagePercent, 100);
    await h.drainCallbacks();
    const cbs = callbacksFor(h, app.url);
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
    assert.equal(cbs[4]!.param('Reason'), 'Slow consumer');
    assert.match(cbs[4]!.param('Error') ?? '', /did not read 2 s of media/);
    // Both tracks fill 2 s of buffer at one frame each per 20 ms tick: 30/60/90/100 % after 0.6/1.2/1.8/2 s.
    const connectedAt = Number(cbs[0]!.param('Timestamp'));
    const at = cbs.slice(1).map((r) => Number(r.param('Timestamp')) - connectedAt);
    for (const [i, expected] of [600, 1200, 1800, 2000].entries()) {
      assert.ok(Math.abs(at[i]! - expected) <= 40, `callback ${i + 1} at ${at[i]} ms, expected ${expected}`);
    }
    const link = app.links[0]!;
    assert.ok(link.terminatedByEngine, 'the engine dropped the connection (terminate)');
    const perTick = 2 * link.maxFrameBytes;
    const capacity = perTick * 50 * bufferSeconds;
    assert.ok(
      link.maxBufferedSeen >= capacity * 0.95,
      `buffer filled: ${link.maxBufferedSeen} of ${capacity}`,
    );
    assert.ok(
      link.maxBufferedSeen <= capacity + perTick + 64,
      `buffered ${link.maxBufferedSeen} bytes > capacity ${capacity} + one tick ${perTick}`,
    );
    await assertRestOfCallFine(h, { healthy, next }, result);
  });

  test('an app that stalls for 1 s and then reads again: one DegradedStream (30 %), no drop, every frame arrives in order', async () => {
    const { h, healthy, app } = faultCall(
      {},
      { audioTrack: 'both', contentType: L16_16K },
      { stream: { bufferSeconds: 2 } },
    );
    const call = h.start({ callerAudio: callerTone(3500), durationMs: 3500 });
    await h.until(() => app.sessions[0]?.start !== undefined, 1000, 'start');
    app.links[0]!.setReadRate(0);
    await h.advance(1000);
    app.links[0]!.setReadRate(Infinity);
    const result = await call.end();

    const faulty = streamOf(result, app.url);
    assert.equal(faulty.status, 'completed');
    assert.equal(faulty.endReason, 'Call hangup');
    await h.drainCallbacks();
    const cbs = callbacksFor(h, app.url);
    assert.deepEqual(events(cbs), ['StartStream', 'DegradedStream', 'StopStream']);
    assert.equal(cbs[1]?.param('BufferUsage'), '30');
    app.assertClean();
    assert.equal(mediaOf(app.session(0)).length, faulty.stats.mediaMessagesSent, 'nothing lost');
    await assertRestOfCallFine(h, { healthy }, result);
  });
});
