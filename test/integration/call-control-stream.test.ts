/**
 * Issue 5 acceptance on a virtual call: `<Speak>`, then `<Stream keepCallAlive="true">` to the
 * reference consumer, then `<Speak>`. The app sees the stream; when it closes the socket the second
 * `<Speak>` is heard, and hangup_url receives the right HangupCause and Duration, signed (checked
 * with the official plivo SDK). The stream's record goes initiated → in-progress → completed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { plivoAccepts, signedRequestOf } from '../helpers/signatures.js';
import { streamElement } from '../helpers/stream-call.js';
import {
  TEST_AUTH_TOKEN,
  audibleMs,
  startHarness,
  within,
  xml,
  type Harness,
} from './call-control-harness.js';

let h: Harness;
let consumer: ReferenceConsumer;

before(async () => {
  h = await startHarness();
  consumer = await startReferenceConsumer({ path: '/stream', authToken: TEST_AUTH_TOKEN });
});

after(async () => {
  await consumer.close();
  await h.close();
});

test('<Speak>, <Stream keepCallAlive>, <Speak>: the second Speak is heard after the app closes; hangup_url is right', async () => {
  h.app.route('/answer', {
    body: xml(
      '<Speak>Connecting you to the assistant.</Speak>',
      streamElement(consumer.url, { keepCallAlive: true, statusCallbackUrl: h.app.url('/status') }),
      '<Speak>The assistant has left. Goodbye.</Speak>',
    ),
  });
  h.app.route('/status', { body: '' });
  h.app.route('/hangup', { body: '' });
  const t0 = Date.now();
  const placed = h.place({ answerPath: '/answer', hangupPath: '/hangup' });
  const session = await consumer.waitForSession(10000);
  assert.equal(session.start?.start.callId, placed.call.callUuid);
  // The app listens for a second, then hangs up its side.
  await session.waitFor((_m, s) => s.inboundAudio.length >= 8000, 5000);
  const heardBeforeClose = placed.leg.recorded().length;
  assert.ok(audibleMs(placed.leg.recorded()) >= 500, 'the first <Speak> was heard before the stream');
  await session.close(1000);
  const hangup = await within(placed.ended, 15000, 'the call');
  const elapsedMs = Date.now() - t0;
  assert.equal(hangup.cause, 'End Of XML Instructions');
  const after = audibleMs(placed.leg.recorded().subarray(heardBeforeClose));
  assert.ok(after >= 800, `the second <Speak> was heard after the close (${after} ms)`);
  consumer.assertClean();

  await within(h.control.idle(), 5000, 'records and callbacks');
  const rec = await h.store.getCall(placed.call.callUuid);
  assert.ok(rec !== undefined);
  const cb = await h.app.waitFor((r) => r.path === '/hangup', 3000, 'hangup_url');
  assert.equal(cb.param('HangupCause'), 'End Of XML Instructions');
  const duration = Number(cb.param('Duration'));
  assert.equal(duration, rec.durationSec);
  assert.ok(
    Math.abs(duration - elapsedMs / 1000) <= 1.5,
    `Duration ${duration} s vs ${elapsedMs} ms measured`,
  );
  assert.ok(plivoAccepts(signedRequestOf(cb), TEST_AUTH_TOKEN), 'hangup_url signature');

  const streams = (await h.store.listStreams(placed.call.callUuid, { limit: 10, offset: 0 })).items;
  assert.equal(streams.length, 1);
  const [stream] = streams;
  assert.equal(stream?.status, 'completed');
  assert.equal(stream.stopReason, 'Closed by app');
  assert.equal(stream.serviceUrl, consumer.url);
  assert.ok(stream.startedAt !== null && stream.endedAt !== null);
  const events = h.app.requestsTo('/status').map((r) => r.param('Event'));
  assert.deepEqual(events, ['StartStream', 'StopStream']);
});
