/**
 * Playback extras (issue 16 item 4; `<Stream playbackExtras="true">`) on the fake-clock harness: a TTS
 * bot's 24 kHz audio is heard in tune, a checkpoint's `playedStream` and a `clearedAudio` carry the
 * progress, and the cleared checkpoint is named. Without the attribute, every message of the same call
 * keeps exactly Plivo's fields and the strict reference consumer finds nothing wrong. And the app's own
 * `stop` ends the stream, with the reason on the status callback.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { generateTone, tonePower } from '../../src/media/analysis.js';
import { l16Encode } from '../../src/media/codecs/l16.js';
import { CallHarness } from '../harness/harness.js';
import { mediaOf } from '../helpers/scenario.js';
import { responseXml, streamElement } from '../helpers/stream-call.js';

const L16 = 'audio/x-l16;rate=8000';

function l16(hz: number, rate: number, ms: number): Uint8Array {
  const pcm = generateTone(hz, rate, ms, 8000);
  const out = new Uint8Array(pcm.length * 2);
  l16Encode(pcm, out, true);
  return out;
}

/** The keys every playback message may have, by event: Plivo's (the strict SDK schemas). */
const PLIVO_KEYS: Readonly<Record<string, readonly string[]>> = {
  start: ['event', 'sequenceNumber', 'start', 'extra_headers'],
  media: ['event', 'sequenceNumber', 'streamId', 'media', 'extra_headers'],
  playedStream: ['event', 'sequenceNumber', 'streamId', 'name'],
  clearedAudio: ['event', 'sequenceNumber', 'streamId'],
};

/** One call: 1 s of audio and checkpoint `one`, then 3 s and checkpoint `two`, cleared 0.5 s in. */
async function playAndClear(extras: boolean) {
  const h = new CallHarness();
  const app = h.app('/bot');
  h.web.serve(
    '/answer',
    responseXml(
      streamElement(app.url, {
        bidirectional: true,
        keepCallAlive: true,
        contentType: L16,
        statusCallbackUrl: h.web.url('/status'),
        ...(extras ? { playbackExtras: true } : {}),
      }),
    ),
  );
  const call = h.start({ callerAudio: new Int16Array(8000 * 6), durationMs: 6000 });
  await h.until(() => app.sessions[0] !== undefined && mediaOf(app.session(0)).length > 0, 5000, 'media');
  const s = app.session(0);
  const tts = extras ? { contentType: 'audio/x-l16;rate=24000', sampleRate: 24000, chunkMs: 20 } : {};
  s.playAudio(extras ? l16(440, 24000, 1000) : l16(440, 8000, 1000), tts);
  s.checkpoint('one');
  await h.until(() => s.playedCheckpoints.length === 1, 5000, 'playedStream one');
  s.playAudio(extras ? l16(440, 24000, 3000) : l16(440, 8000, 3000), tts);
  s.checkpoint('two');
  await h.advance(500);
  s.clearAudio();
  await h.until(() => s.clearedCount === 1, 5000, 'clearedAudio');
  void s.close(1000);
  const result = await call.end();
  const played = s.messages.find((m) => m.event === 'playedStream');
  const cleared = s.messages.find((m) => m.event === 'clearedAudio');
  assert.ok(played !== undefined && cleared !== undefined);
  return { app, s, result, played, cleared };
}

test('playbackExtras: 24 kHz TTS audio in 20 ms pieces is heard at 440 Hz; playedStream and clearedAudio carry progress and name the cleared checkpoint', async () => {
  const { app, s, result, played, cleared } = await playAndClear(true);
  app.assertClean();
  assert.equal(result.streams[0]?.stats.appErrors, 0);
  assert.equal(played['name'], 'one');
  // The checkpoint came after its second of audio: 1000 ms played (less the resampler's ≤ 5 ms held
  // back, which comes out with the next piece, and a last partial frame padded), nothing queued.
  assert.ok(Math.abs(Number(played['playedMs']) - 1000) <= 20, `playedMs ${String(played['playedMs'])}`);
  assert.equal(played['queuedMs'], 0);
  assert.deepEqual(cleared['clearedCheckpoints'], ['two'], 'the cleared checkpoint, named');
  assert.equal(cleared['queuedMs'], 0);
  const playedAtClear = Number(cleared['playedMs']);
  const clearedMs = Number(cleared['clearedMs']);
  assert.ok(playedAtClear >= 1400 && playedAtClear <= 1600, `playedMs at the clear ${playedAtClear}`);
  assert.ok(
    Math.abs(playedAtClear + clearedMs - 4000) <= 40,
    `played ${playedAtClear} + cleared ${clearedMs} ≈ 4000 ms sent`,
  );
  assert.deepEqual(s.playedCheckpoints, ['one'], 'no playedStream for the cleared checkpoint');
  // What the caller heard during the first second of playback is the tone, in tune (not 3× fast or slow).
  const heard = result.heard;
  let best = -1;
  for (let f = 0; f + 1600 <= heard.length; f += 160) {
    const window = heard.subarray(f, f + 1600);
    if (tonePower(window, 8000, 440) > 0.5 * (8000 ** 2 / 2)) {
      best = f;
      break;
    }
  }
  assert.ok(best >= 0, 'a 200 ms stretch of 440 Hz near full level was heard');
  const stretch = heard.subarray(best, best + 1600);
  assert.ok(tonePower(stretch, 8000, 440) > 100 * tonePower(stretch, 8000, 1320), 'not played 3× fast');
});

test("without playbackExtras the same call's messages have exactly Plivo's fields, and 24 kHz audio is refused", async () => {
  const { app, s, played, cleared } = await playAndClear(false);
  app.assertClean();
  for (const m of [played, cleared, ...s.messages]) {
    const keys = PLIVO_KEYS[m.event];
    assert.ok(keys !== undefined, `unexpected event ${m.event}`);
    assert.deepEqual(Object.keys(m), keys, JSON.stringify(m).slice(0, 120));
  }
  const start = s.messages[0]?.['start'] as Record<string, unknown>;
  assert.deepEqual(Object.keys(start), ['callId', 'streamId', 'accountId', 'tracks', 'mediaFormat']);

  const h = new CallHarness();
  const bot = h.app('/bot');
  h.web.serve(
    '/answer',
    responseXml(streamElement(bot.url, { bidirectional: true, keepCallAlive: true, contentType: L16 })),
  );
  const call = h.start({ callerAudio: new Int16Array(8000 * 2), durationMs: 2000 });
  await h.until(() => bot.sessions[0] !== undefined && mediaOf(bot.session(0)).length > 0, 5000, 'media');
  bot
    .session(0)
    .playAudio(l16(440, 24000, 200), { contentType: 'audio/x-l16;rate=24000', sampleRate: 24000 });
  const result = await call.end();
  assert.equal(result.streams[0]?.stats.lastAppError, 'ERR_STREAM_FORMAT_MISMATCH');
});

test('an app-sent stop ends the stream: StopStream with Reason "Stopped by app", and the XML goes on', async () => {
  const h = new CallHarness();
  const app = h.app('/bot');
  h.web.serve(
    '/answer',
    responseXml(
      streamElement(app.url, {
        bidirectional: true,
        keepCallAlive: true,
        statusCallbackUrl: h.web.url('/status'),
      }),
      '<Wait length="1"/>',
    ),
  );
  const call = h.start({ callerAudio: new Int16Array(8000 * 5), durationMs: 5000 });
  await h.until(() => app.sessions[0] !== undefined && mediaOf(app.session(0)).length >= 10, 5000, 'media');
  app.session(0).sendRaw(JSON.stringify({ event: 'stop', streamId: app.session(0).start?.start.streamId }));
  const result = await call.end();
  const stream = result.streams[0];
  assert.ok(stream !== undefined);
  assert.equal(stream.status, 'completed');
  assert.equal(stream.endReason, 'Stopped by app');
  assert.equal(app.session(0).closeCode, 1000, 'streamfork closed the socket normally');
  assert.equal(result.hangupSource, 'xml-end', 'the stream ended; the XML went on to its end');
  await h.drainCallbacks();
  const stops = h.web.requestsTo('/status').filter((r) => r.param('Event') === 'StopStream');
  assert.equal(stops.length, 1);
  assert.equal(stops[0]?.param('Reason'), 'Stopped by app');
});
