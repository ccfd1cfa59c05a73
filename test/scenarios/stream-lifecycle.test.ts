/**
 * Stream lifecycle on the fake-clock harness: streamTimeout, keepCallAlive true/false (D3),
 * extra_headers (D4), DTMF both ways, the optional stop message (D7), and a 60 s call.
 * Ported from the real-socket test/integration/stream-lifecycle.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CallHarness } from '../harness/harness.js';
import { mediaOf } from '../helpers/scenario.js';
import { callerTone, responseXml, streamElement } from '../helpers/stream-call.js';

const caller = callerTone(3000);

test('<Stream streamTimeout="1" keepCallAlive="true">: the stream stops after 1 s of media and the XML continues (D3)', async () => {
  const h = new CallHarness();
  const app = h.app('/first');
  const next = h.app('/next');
  h.web.serve(
    '/answer',
    responseXml(
      streamElement(app.url, { streamTimeout: 1, keepCallAlive: true }),
      streamElement(next.url, { keepCallAlive: true }),
    ),
  );
  const result = await h.run({ callerAudio: caller, durationMs: 2500 });
  const [first, second] = result.streams;
  assert.equal(first?.endReason, 'Stream timeout');
  // The timeout runs 1000 ms after the connect, which lands just after a tick: 49 or 50 frames, never
  // fewer (on the fake clock no frame is lost to scheduling).
  const media = mediaOf(app.session(0)).length;
  assert.ok(media >= 49 && media <= 50, `1 s of media before the timeout (${media} frames)`);
  assert.equal(second?.status, 'completed', 'the next element ran after the timeout');
  assert.equal(mediaOf(next.session(0)).length, 75, 'the next stream carried the remaining 1.5 s');
  app.assertClean();
  next.assertClean();
});

test('<Stream keepCallAlive="false"> as the only element: the XML ends at once and so does the call (D3)', async () => {
  const h = new CallHarness();
  const app = h.app('/only');
  h.web.serve('/answer', responseXml(streamElement(app.url)));
  const result = await h.run({ callerAudio: caller, durationMs: 5000 });
  assert.equal(result.hangupCause, 'End Of XML Instructions');
  assert.equal(result.durationMs, 0, 'the call ended without waiting for media time');
  assert.equal(result.streams[0]?.endReason, 'Call hangup');
});

test('D4: extra_headers re-joined with ";" on start, media and dtmf; DTMF forwarded; sendDTMF plays to the caller', async () => {
  const h = new CallHarness();
  const app = h.app('/dtmf', {
    onSession: (session) => {
      void session
        .waitFor((m) => m.event === 'dtmf', 60_000)
        .then(() => {
          session.sendDTMF('12#');
        });
    },
  });
  h.web.serve(
    '/answer',
    responseXml(
      streamElement(app.url, {
        bidirectional: true,
        keepCallAlive: true,
        extraHeaders: 'userId=12345,session=abc',
      }),
    ),
  );
  const result = await h.run({ callerAudio: caller, durationMs: 1500, dtmf: [{ digit: '5', atMs: 500 }] });
  const s = app.session(0);
  app.assertClean();
  assert.equal(s.start?.extra_headers, 'userId=12345;session=abc');
  const tagged = s.messages.filter((x) => x.event === 'media' || x.event === 'dtmf');
  assert.ok(tagged.length > 50);
  for (const m of tagged) {
    assert.equal(m['extra_headers'], 'userId=12345;session=abc');
  }
  assert.equal(s.dtmfDigits, '5');
  assert.deepEqual(result.sentDtmf, ['12#']);
});

test('D7: with sendStop the app gets {"event":"stop"} just before the close with 1000', async () => {
  const h = new CallHarness({ stream: { sendStop: true } });
  const app = h.app('/stop', { allowStop: true });
  h.web.serve('/answer', responseXml(streamElement(app.url, { keepCallAlive: true })));
  await h.run({ callerAudio: caller, durationMs: 1000 });
  const s = app.session(0);
  await h.until(() => s.closeCode !== undefined, 1000, 'the app side close');
  assert.equal(s.closeCode, 1000);
  assert.equal(s.messages.at(-1)?.event, 'stop');
  app.assertClean();
});

test('a 60 s call with a stream on both tracks: 3000 frames a track, gap-free, media timestamps 20 ms apart, StartStream and StopStream', async (t) => {
  const h = new CallHarness();
  const app = h.app('/long');
  h.web.serve(
    '/answer',
    responseXml(
      streamElement(app.url, {
        keepCallAlive: true,
        audioTrack: 'both',
        statusCallbackUrl: h.web.url('/status'),
      }),
    ),
  );
  const started = performance.now();
  const result = await h.run({ callerAudio: callerTone(60_000), durationMs: 60_000 });
  const wallMs = performance.now() - started;
  await h.drainCallbacks();
  app.assertClean();
  assert.equal(result.durationMs, 60_000);
  const s = app.session(0);
  assert.equal(s.closeCode, 1000);
  for (const track of ['inbound', 'outbound'] as const) {
    const media = mediaOf(s, track);
    // The stream connects within the first sub-tick of the call, so it misses at most one frame.
    assert.ok(media.length >= 2999 && media.length <= 3000, `${track}: ${media.length} frames`);
    const ts = media.map((m) => Number(m.timestamp));
    assert.ok(
      ts.slice(1).every((t, i) => t - (ts[i] ?? 0) === 20),
      `${track}: timestamps 20 ms apart`,
    );
  }
  assert.deepEqual(
    h.web.requestsTo('/status').map((r) => r.param('Event')),
    ['StartStream', 'StopStream'],
  );
  assert.equal(h.clock.pendingTimers, 0, 'no timer left behind');
  t.diagnostic(`a 60 s call in ${wallMs.toFixed(0)} ms of wall time`);
  assert.ok(wallMs < 20_000, `a 60 s call in ${wallMs.toFixed(0)} ms of wall time`);
});

test('a slow web app (answer in 800 ms) and a 30 ms network: the stream connects once the XML is in; a checkpoint is acknowledged one second of audio later, plus the round trip', async () => {
  const h = new CallHarness({ httpDelayMs: 800, wsLatencyMs: 30 });
  const app = h.app('/bot');
  h.web.serve(
    '/answer',
    responseXml(
      streamElement(app.url, {
        bidirectional: true,
        keepCallAlive: true,
        contentType: 'audio/x-mulaw;rate=8000',
      }),
    ),
  );
  const call = h.start({ durationMs: 4000 });
  await h.until(() => app.sessions[0]?.start !== undefined, 2000, 'start');
  assert.equal(app.attempts[0]?.atMs, 800, 'connected right after the answer XML arrived');
  assert.equal(h.now, 860, 'start arrived after the connect and one trip');
  const session = app.session(0);
  const sentAt = h.now;
  session.playAudio(new Uint8Array(8000).fill(0x2a)); // 1 s of μ-law
  session.checkpoint('one-second');
  await h.until(() => session.playedCheckpoints.length === 1, 2000, 'playedStream');
  const seenAfter = h.now - sentAt;
  // 30 ms to us, up to one 20 ms frame to the next tick, then 50 frames: the ack goes out in the tick
  // that mixes the 50th (980 ms after the first), and 30 ms back.
  assert.ok(seenAfter >= 1040 && seenAfter <= 1060, `the app saw playedStream ${seenAfter} ms after sending`);
  const result = await call.end();
  const latency = result.streams[0]?.checkpoints[0]?.latencyMs ?? -1;
  assert.ok(latency >= 980 && latency <= 1000, `the engine acknowledged ${latency} ms after the checkpoint`);
  app.assertClean();
});
