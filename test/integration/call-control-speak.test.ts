/**
 * CallControl + `<Speak>` with the real espeak-ng: audible speech, the synthesis cache, the missing-
 * engine path (ERR_TTS_UNAVAILABLE on the call's errors and record, the element skipped), and the
 * hangup_url (signed; checked with the official plivo SDK).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { toPlivoCall } from '../../src/api/plivo-objects.js';
import { plivoAccepts, signedRequestOf } from '../helpers/signatures.js';
import {
  TEST_ACCOUNT_ID,
  TEST_AUTH_TOKEN,
  audibleMs,
  startHarness,
  within,
  xml,
  type Harness,
} from './call-control-harness.js';

let h: Harness;

before(async () => {
  h = await startHarness();
});

after(async () => {
  await h.close();
});

test('<Speak> with espeak-ng is heard, then End Of XML Instructions; record and hangup_url are right', async () => {
  h.app.route('/speak', { body: xml('<Speak>Welcome to streamfork. This is a test.</Speak>') });
  h.app.route('/hangup', { body: '' });
  const placed = h.place({ answerPath: '/speak', hangupPath: '/hangup' });
  const hangup = await within(placed.ended, 15000, 'the call');
  assert.equal(hangup.cause, 'End Of XML Instructions');
  const heard = placed.leg.recorded();
  const speechMs = audibleMs(heard);
  assert.ok(speechMs >= 800, `expected at least 800 ms of speech, heard ${speechMs} ms`);
  await within(h.control.idle(), 5000, 'records and callbacks');

  const rec = await h.store.getCall(placed.call.callUuid);
  assert.ok(rec !== undefined);
  assert.equal(rec.status, 'completed');
  assert.equal(rec.hangupCause, 'End Of XML Instructions');
  assert.equal(rec.hangupCauseCode, 4010);
  assert.equal(rec.hangupSource, 'Plivo');
  assert.equal(rec.error, null);
  assert.ok(rec.durationSec !== null && rec.durationSec >= 1);

  const cb = await h.app.waitFor((r) => r.path === '/hangup', 3000, 'hangup_url');
  assert.equal(cb.method, 'POST');
  assert.equal(cb.param('CallUUID'), placed.call.callUuid);
  assert.equal(cb.param('HangupCause'), 'End Of XML Instructions');
  assert.equal(cb.param('CallStatus'), 'completed');
  assert.equal(cb.param('Event'), 'Hangup');
  assert.equal(cb.param('Duration'), String(rec.durationSec));
  assert.equal(cb.param('BillDuration'), String(rec.billDurationSec));
  for (const name of ['StartTime', 'AnswerTime', 'EndTime', 'From', 'To', 'Direction', 'HangupSource']) {
    assert.ok((cb.param(name) ?? '') !== '', `hangup_url lacks ${name}`);
  }
  assert.ok(
    plivoAccepts(signedRequestOf(cb), TEST_AUTH_TOKEN),
    'the plivo SDK rejects the hangup_url signature',
  );
  const shape = toPlivoCall(rec, { authId: TEST_ACCOUNT_ID, nowMs: Date.now() });
  assert.equal(shape.hangup_cause_name, 'End Of XML Instructions');
  assert.equal(shape.call_status, 'completed');
});

test('espeak-ng results are cached by (text, voice, language)', async () => {
  const tts = h.espeak;
  assert.ok(tts !== undefined);
  const before = { ...tts.stats };
  h.app.route('/twice', {
    body: xml(
      '<Speak voice="MAN">Cache me if you can.</Speak>',
      '<Speak voice="MAN">Cache me if you can.</Speak>',
    ),
  });
  const placed = h.place({ answerPath: '/twice' });
  await within(placed.ended, 15000, 'the call');
  assert.equal(tts.stats.syntheses - before.syntheses, 1, 'one synthesis for two identical <Speak>');
  assert.equal(tts.stats.hits - before.hits, 1, 'the second <Speak> is a cache hit');
  assert.ok(tts.stats.lastSynthMs < 2000, `synthesis took ${tts.stats.lastSynthMs} ms`);
});

test('a missing TTS engine gives ERR_TTS_UNAVAILABLE ("install espeak-ng"), the element is skipped and the call goes on', async () => {
  const broken = await startHarness({ espeak: { command: '/nonexistent/espeak-ng' } });
  try {
    broken.app.route('/answer', { body: xml('<Speak>Nobody hears this.</Speak>', '<Wait length="1"/>') });
    const placed = broken.place({ answerPath: '/answer' });
    const hangup = await within(placed.ended, 10000, 'the call');
    assert.equal(hangup.cause, 'End Of XML Instructions', 'the rest of the XML ran');
    assert.equal(audibleMs(placed.leg.recorded()), 0);
    const err = placed.call.errors.find((e) => e.code === 'ERR_TTS_UNAVAILABLE');
    assert.ok(err !== undefined, `errors: ${placed.call.errors.map((e) => e.message).join(' | ')}`);
    assert.match(err.message, /install espeak-ng/);
    await within(broken.control.idle(), 5000, 'records');
    const rec = await broken.store.getCall(placed.call.callUuid);
    assert.match(JSON.stringify(rec?.error), /ERR_TTS_UNAVAILABLE/);
    assert.ok(
      broken.runtime.logs.some((l) => l.fields['code'] === 'ERR_TTS_UNAVAILABLE'),
      'the failure is logged',
    );
  } finally {
    await broken.close();
  }
});
