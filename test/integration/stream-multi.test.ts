/**
 * Several streams on one call (compatibility §2.5, §3.3, §4.2, §6, D3, D5), on real loopback
 * sockets: four concurrent `<Stream>`s, each with its own format and track, each to its own strict
 * reference consumer. The bidirectional one plays a tone back; the caller must hear it, and the
 * streams that fork the outbound track (what the caller hears) must carry that same audio.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';

import { generateTone } from '../../src/media/analysis.js';
import {
  type ConsumerSession,
  type ReferenceConsumer,
  startReferenceConsumer,
} from '../consumer/reference-consumer.js';
import {
  CALLER_HZ,
  CASES,
  PLAYED_HZ,
  assertFourStreamAudio,
  assertMediaShape,
  mulawByte,
} from '../helpers/multi-stream.js';
import { Scenario, runCall } from '../helpers/scenario.js';
import { callerTone, responseXml, streamElement } from '../helpers/stream-call.js';

let scenario = new Scenario();
afterEach(async () => {
  await scenario.close();
  scenario = new Scenario();
});

test('four concurrent streams, each with its own format and track, are all clean; the played tone is heard and forked on the outbound track', async () => {
  const runtime = scenario.runtime();
  const app = await scenario.app();
  const consumers: ReferenceConsumer[] = [];
  for (const c of CASES) {
    consumers.push(scenario.own(await startReferenceConsumer({ path: `/${c.name}` })));
  }
  // Three background streams, then one that keeps the call alive (D3).
  app.serve('/answer', responseXml(...CASES.map((c, i) => streamElement(consumers[i]!.url, c.attrs))));
  const callerAudio = callerTone(3000, CALLER_HZ);
  const call = runCall(runtime, { answerUrl: app.url('/answer'), callerAudio, durationMs: 3500 });

  const sessions: ConsumerSession[] = [];
  for (const consumer of consumers) {
    sessions.push(await consumer.waitForSession(3000));
  }
  const bidi = sessions[3]!;
  await bidi.waitForStart(2000);
  // The app plays 1 s of a 1 kHz tone, μ-law, in 20 ms messages, then a checkpoint.
  const played = generateTone(PLAYED_HZ, 8000, 1000, 6000);
  bidi.playAudio(Uint8Array.from(played, mulawByte), { chunkMs: 20 });
  bidi.checkpoint('tone played');
  await bidi.waitForEvent('playedStream', 3000);
  const result = await call;

  for (const [i, consumer] of consumers.entries()) {
    consumer.assertClean();
    assert.equal(await sessions[i]!.closed, 1000, `${CASES[i]!.name}: closed normally at hang-up`);
  }
  for (const [i, c] of CASES.entries()) {
    assertMediaShape(sessions[i]!, c);
  }
  assert.equal(result.streams.length, 4);
  assert.ok(result.streams.every((s) => s.status === 'completed' && s.endReason === 'Call hangup'));
  assert.equal(result.streams[3]!.stats.playedFrames, 50, 'the whole second played');

  assertFourStreamAudio(sessions, result.heard, callerAudio);
});
