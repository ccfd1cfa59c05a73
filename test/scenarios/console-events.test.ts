/**
 * The timeline events the console shows (issue 15 item 4) on whole virtual calls (fake clock): each
 * XML document fetched with its issues (`call.xml`), the caller's DTMF (`call.dtmf`), the start of a
 * burst of the app's audio (`stream.play`, once per burst, not per message), `clearAudio`
 * (`stream.cleared`) and each checkpoint's play latency; the console feed's view of the same call; and
 * the listen-in tap, which sees both tracks only while someone listens.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConsoleFeed } from '../../src/app/console/console-feed.js';
import { EngineAudioTap } from '../../src/app/console/engine-audio-tap.js';
import type { CallEvent } from '../../src/engine/events/call-events.js';
import { generateTone } from '../../src/media/analysis.js';
import { mulawEncode } from '../../src/media/codecs/g711.js';
import { CallHarness } from '../harness/harness.js';
import { mediaOf } from '../helpers/scenario.js';
import { callerTone } from '../helpers/stream-call.js';

function mulawTone(ms: number): Uint8Array {
  const pcm = generateTone(440, 8000, ms, 8000);
  const out = new Uint8Array(pcm.length);
  mulawEncode(pcm, out);
  return out;
}

test('call.xml (with warnings), call.dtmf, stream.play once per burst, stream.cleared, checkpoint latency; the feed lists and ends the call', async () => {
  const h = new CallHarness();
  const events: CallEvent[] = [];
  h.engine.events.subscribe((e) => events.push(e));
  const feed = new ConsoleFeed({ events: h.engine.events });
  const app = h.app('/bot');
  // An unknown attribute is a warning (the document still runs).
  h.web.serve(
    '/answer',
    `<Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000" madeUp="1">${app.url}</Stream></Response>`,
  );
  const call = h.start({
    answerUrl: h.web.url('/answer'),
    callerAudio: callerTone(6000),
    durationMs: 6000,
    dtmf: [{ digit: '7', atMs: 1500 }],
  });
  await h.until(() => app.sessions[0] !== undefined && mediaOf(app.session(0)).length > 0, 5000, 'media');
  const session = app.session(0);
  // One burst in three messages, then a checkpoint: one stream.play; the checkpoint is heard 600 ms later.
  session.playAudio(mulawTone(200));
  session.playAudio(mulawTone(200));
  session.playAudio(mulawTone(200));
  session.checkpoint('after-600ms');
  await h.until(() => session.playedCheckpoints.length === 1, 5000, 'checkpoint played');
  // A second burst, cleared before it plays out: a second stream.play and one stream.cleared.
  session.playAudio(mulawTone(2000));
  session.checkpoint('never');
  await h.advance(300);
  session.clearAudio();
  await h.until(() => session.clearedCount === 1, 5000, 'cleared');
  await h.advance(1000);
  const live = feed.snapshot().calls;
  await call.end();

  const xml = events.filter((e) => e.type === 'call.xml');
  assert.equal(xml.length, 1);
  assert.equal(xml[0]!.ok, true);
  assert.ok(xml[0]!.issues.length >= 1, 'the unknown attribute is reported as a warning');
  assert.equal(xml[0]!.issues[0]?.severity, 'warning');
  assert.deepEqual(
    events.filter((e) => e.type === 'call.dtmf').map((e) => e.digit),
    ['7'],
  );
  assert.equal(events.filter((e) => e.type === 'stream.play').length, 2, 'one per burst');
  const cleared = events.filter((e) => e.type === 'stream.cleared');
  assert.equal(cleared.length, 1);
  assert.equal(cleared[0]!.droppedCheckpoints, 1);
  assert.ok(cleared[0]!.droppedMs > 1000);
  const cps = events.filter((e) => e.type === 'stream.checkpoint');
  assert.deepEqual(
    cps.map((c) => c.name),
    ['after-600ms'],
  );
  const latency = cps[0]!.latencyMs ?? -1;
  assert.ok(latency >= 600 && latency <= 700, `play latency ${latency} ms`);

  assert.equal(live.length, 1, 'the feed listed the live call');
  assert.equal(live[0]?.streams[0]?.status, 'in-progress');
  assert.equal(feed.snapshot().calls.length, 0, 'and dropped it when it ended');
  const timeline = feed.timeline(live[0].callUuid) ?? [];
  const types = timeline.map((t) => t.event.type);
  for (const type of [
    'call.started',
    'call.answered',
    'call.xml',
    'stream.started',
    'stream.play',
    'stream.checkpoint',
    'stream.cleared',
    'call.dtmf',
    'call.ended',
  ]) {
    assert.ok(types.includes(type), `${type} in the timeline: ${types.join(', ')}`);
  }
  assert.ok(
    timeline.every((t, i) => i === 0 || t.id > (timeline[i - 1]?.id ?? 0)),
    'ids increase',
  );
  feed.close();
});

test('the listen-in tap: both tracks at 50 frames/s each while listened to, nothing installed otherwise, ended() at the end', async () => {
  const h = new CallHarness();
  const tap = new EngineAudioTap({
    engine: h.engine,
    clock: h.runtime.ports.clock,
    logger: h.runtime.logger,
  });
  const app = h.app('/bot');
  h.web.serve(
    '/answer',
    `<Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000">${app.url}</Stream></Response>`,
  );
  const call = h.start({ answerUrl: h.web.url('/answer'), callerAudio: callerTone(5000), durationMs: 5000 });
  await h.until(() => app.sessions[0] !== undefined && mediaOf(app.session(0)).length > 0, 5000, 'media');
  app.session(0).playAudio(mulawTone(3000));
  assert.equal(tap.listen('no-such-call', { frame: () => undefined, ended: () => undefined }), undefined);
  const counts = { inbound: 0, outbound: 0 };
  const energy = { inbound: 0, outbound: 0 };
  let ended = 0;
  const stop = tap.listen(call.session.callUuid, {
    frame: (track, pcm) => {
      counts[track]++;
      for (const v of pcm) {
        energy[track] += Math.abs(v);
      }
    },
    ended: () => {
      ended++;
    },
  });
  assert.ok(stop !== undefined);
  assert.equal(tap.tappedCalls, 1);
  await h.advance(1000);
  assert.ok(counts.inbound >= 48 && counts.inbound <= 52, `inbound ${counts.inbound}`);
  assert.ok(counts.outbound >= 48 && counts.outbound <= 52, `outbound ${counts.outbound}`);
  assert.ok(energy.inbound > 0 && energy.outbound > 0, 'the caller and the bot are both heard');
  stop();
  assert.equal(tap.tappedCalls, 0, 'the last listener removes the tap');
  const before = counts.inbound;
  await h.advance(200);
  assert.equal(counts.inbound, before);
  // Listened to again until the call ends.
  assert.ok(
    tap.listen(call.session.callUuid, { frame: () => undefined, ended: () => ended++ }) !== undefined,
  );
  await call.end();
  assert.equal(ended, 1);
  assert.equal(tap.tappedCalls, 0);
});

test('an app that paces its audio (one 20 ms playAudio per frame for 2 s) makes one stream.play, not 100', async () => {
  const h = new CallHarness();
  const events: CallEvent[] = [];
  h.engine.events.subscribe((e) => events.push(e));
  const app = h.app('/bot');
  h.web.serve(
    '/answer',
    `<Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000">${app.url}</Stream></Response>`,
  );
  const call = h.start({ answerUrl: h.web.url('/answer'), callerAudio: callerTone(4000), durationMs: 4000 });
  await h.until(() => app.sessions[0] !== undefined && mediaOf(app.session(0)).length > 0, 5000, 'media');
  const session = app.session(0);
  const chunk = mulawTone(20);
  for (let i = 0; i < 100; i++) {
    session.playAudio(chunk);
    await h.advance(20);
  }
  // After a pause, a second burst.
  await h.advance(500);
  session.playAudio(chunk);
  await h.advance(100);
  await call.end();
  assert.equal(events.filter((e) => e.type === 'stream.play').length, 2);
});
