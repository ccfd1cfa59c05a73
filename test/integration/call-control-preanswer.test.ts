/**
 * `<PreAnswer>` on a call that is already answered (a virtual call, as `streamfork call` places; an
 * outbound REST call is the same): its Speak is simply played, then the rest of the document, and the
 * record is the ordinary answered one.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { audibleMs, startHarness, within, xml, type Harness } from './call-control-harness.js';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h.close();
});

test('a virtual call plays <PreAnswer> as plain playback, then the rest of the document', async () => {
  h.app.route('/pre', {
    body: xml('<PreAnswer><Speak>Please hold.</Speak></PreAnswer><Speak>Now you are connected.</Speak>'),
  });
  const placed = h.place({ answerPath: '/pre' });
  const hangup = await within(placed.ended, 20_000, 'the call');
  assert.equal(hangup.cause, 'End Of XML Instructions');
  const speechMs = audibleMs(placed.leg.recorded());
  assert.ok(speechMs >= 1500, `both Speaks are heard (${speechMs} ms of speech)`);
  await within(h.control.idle(), 5000, 'records');
  const rec = await h.store.getCall(placed.call.callUuid);
  assert.ok(rec !== undefined);
  assert.equal(rec.status, 'completed');
  assert.ok(rec.answeredAt !== null);
  assert.equal(rec.error, null);
});
