/**
 * Several streams on one call (compatibility §2.5, §3.3, §4.2, §6, D3, D5) on the fake-clock harness:
 * the four-stream case of test/integration/stream-multi.test.ts (which keeps it on real sockets), and
 * what only a fake clock can check exactly: two apps playing at once are mixed, and the stream limit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { generateTone, rms, tonePower } from '../../src/media/analysis.js';
import { CallHarness } from '../harness/harness.js';
import {
  CALLER_HZ,
  CASES,
  PLAYED_HZ,
  assertFourStreamAudio,
  assertMediaShape,
  mulawByte,
} from '../helpers/multi-stream.js';
import { mediaOf } from '../helpers/scenario.js';
import { callerTone, responseXml, streamElement } from '../helpers/stream-call.js';

test('four concurrent streams, each with its own format and track, are all clean; the played tone is heard and forked on the outbound track', async () => {
  const h = new CallHarness();
  const apps = CASES.map((c) => h.app(`/${c.name}`));
  // Three background streams, then one that keeps the call alive (D3).
  h.web.serve('/answer', responseXml(...CASES.map((c, i) => streamElement(apps[i]!.url, c.attrs))));
  const callerAudio = callerTone(3000, CALLER_HZ);
  const call = h.start({ callerAudio, durationMs: 3500 });
  const bidiApp = apps[3]!;
  await h.until(() => bidiApp.sessions[0]?.start !== undefined, 2000, 'the bidirectional stream to start');
  const bidi = bidiApp.session(0);
  // The app plays 1 s of a 1 kHz tone, μ-law, in 20 ms messages, then a checkpoint.
  const played = generateTone(PLAYED_HZ, 8000, 1000, 6000);
  bidi.playAudio(Uint8Array.from(played, mulawByte), { chunkMs: 20 });
  bidi.checkpoint('tone played');
  await h.until(() => bidi.playedCheckpoints.length === 1, 2000, 'playedStream');
  const result = await call.end();

  const sessions = apps.map((a) => a.session(0));
  for (const [i, app] of apps.entries()) {
    app.assertClean();
    assert.equal(sessions[i]!.closeCode, 1000, `${CASES[i]!.name}: closed normally at hang-up`);
  }
  for (const [i, c] of CASES.entries()) {
    assertMediaShape(sessions[i]!, c);
  }
  assert.equal(result.streams.length, 4);
  assert.ok(result.streams.every((s) => s.status === 'completed' && s.endReason === 'Call hangup'));
  assert.equal(result.streams[3]!.stats.playedFrames, 50, 'the whole second played');
  assertFourStreamAudio(sessions, result.heard, callerAudio);
});

test('two bidirectional streams playing at once: the caller hears both tones, mixed, for as long as both play', async () => {
  const h = new CallHarness();
  const low = h.app('/low');
  const high = h.app('/high');
  const attrs = { bidirectional: true, keepCallAlive: true, contentType: 'audio/x-mulaw;rate=8000' };
  h.web.serve(
    '/answer',
    responseXml(streamElement(low.url, { ...attrs, keepCallAlive: false }), streamElement(high.url, attrs)),
  );
  const call = h.start({ durationMs: 3000 });
  await h.until(
    () => low.sessions[0]?.start !== undefined && high.sessions[0]?.start !== undefined,
    1000,
    'both started',
  );
  low.session(0).playAudio(Uint8Array.from(generateTone(440, 8000, 1000, 4000), mulawByte));
  high.session(0).playAudio(Uint8Array.from(generateTone(1000, 8000, 1000, 4000), mulawByte));
  const result = await call.end();

  assert.deepEqual(
    result.streams.map((s) => s.stats.playedFrames),
    [50, 50],
  );
  const loudFrames = [];
  for (let f = 0; f * 160 < result.heard.length; f++) {
    const frame = result.heard.subarray(f * 160, (f + 1) * 160);
    if (rms(frame) > 100) {
      loudFrames.push(frame);
    }
  }
  assert.equal(loudFrames.length, 50, 'one second of mixed audio');
  const mixed = Int16Array.from(loudFrames.flatMap((f) => [...f]));
  const total = rms(mixed) ** 2;
  const share440 = tonePower(mixed, 8000, 440) / total;
  const share1000 = tonePower(mixed, 8000, 1000) / total;
  assert.ok(
    share440 > 0.4 && share1000 > 0.4,
    `both tones heard (440 Hz ${share440.toFixed(2)}, 1 kHz ${share1000.toFixed(2)})`,
  );
  low.assertClean();
  high.assertClean();
});

test('maxStreamsPerCall: a <Stream> beyond the limit is refused with a warning and the XML goes on', async () => {
  const h = new CallHarness({ maxStreamsPerCall: 2 });
  const apps = ['/a', '/b', '/c'].map((p) => h.app(p));
  h.web.serve('/answer', responseXml(...apps.map((a) => streamElement(a.url)), '<Wait length="1"/>'));
  const result = await h.run({ durationMs: 5000 });
  assert.equal(apps[2]!.attempts.length, 0, 'the third stream never connected');
  assert.equal(result.streams.length, 2);
  assert.ok(
    h.logs.some((l) => l.level === 'warn' && String(l.fields['detail']).includes('at most 2 live streams')),
    'the refusal is logged with its reason',
  );
  assert.equal(result.hangupCause, 'End Of XML Instructions');
  assert.equal(result.durationMs, 1000, 'the <Wait> after the refused stream ran');
  for (const app of apps.slice(0, 2)) {
    app.assertClean();
    assert.ok(mediaOf(app.session(0)).length >= 49, 'the two streams carried the whole second');
  }
});
