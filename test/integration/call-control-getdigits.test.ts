/**
 * `<GetDigits>` through CallControl on virtual calls: digits pressed during the prompt (barge-in),
 * finishOnKey, numDigits, the digit timeout, no input (the next element runs), validDigits with
 * invalidDigitsSound and retries. The action receives `Digits` with the call's parameters, signed, and
 * the XML it returns runs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { serializeWav } from '../../src/media/wav.js';
import { generateTone } from '../../src/media/analysis.js';
import { plivoAccepts, signedRequestOf } from '../helpers/signatures.js';
import {
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
  // The action's XML: a distinctive end, so the test can tell that it ran.
  h.app.route('/action', { body: xml('<Hangup reason="busy"/>') });
});

after(async () => {
  await h.close();
});

function actionRequests(tag: string): ReturnType<Harness['app']['requestsTo']> {
  return h.app.requestsTo('/action').filter((r) => r.query.some(([k, v]) => k === 't' && v === tag));
}

test('digits pressed during the <Speak> prompt count and stop it; numDigits ends input; the action XML runs', async () => {
  const speech =
    'Please enter your three digit code now. I will keep talking for quite a while so that you can interrupt me.';
  h.app.route('/gd1', {
    body: xml(
      `<GetDigits action="${h.app.url('/action?t=1')}" numDigits="3" timeout="5"><Speak>${speech}</Speak></GetDigits>`,
    ),
  });
  const placed = h.place({
    answerPath: '/gd1',
    dtmf: [
      { digit: '1', atMs: 700 },
      { digit: '2', atMs: 800 },
      { digit: '3', atMs: 900 },
    ],
  });
  const hangup = await within(placed.ended, 15000, 'the call');
  assert.equal(hangup.cause, 'USER_BUSY', 'the XML returned by the action ran');
  const [req] = actionRequests('1');
  assert.ok(req !== undefined);
  assert.equal(req.method, 'POST');
  assert.equal(req.param('Digits'), '123');
  assert.equal(req.param('CallUUID'), placed.call.callUuid);
  assert.ok(plivoAccepts(signedRequestOf(req), TEST_AUTH_TOKEN));
  const heardMs = audibleMs(placed.leg.recorded());
  assert.ok(
    heardMs > 0 && heardMs < 2000,
    `the prompt stopped at the first digit (heard ${heardMs} ms of it)`,
  );
});

test('finishOnKey ends input and is not part of Digits (GET action)', async () => {
  h.app.route('/gd2', {
    body: xml(
      `<GetDigits action="${h.app.url('/action?t=2')}" method="GET" finishOnKey="#"><Wait length="1"/></GetDigits>`,
    ),
  });
  const placed = h.place({
    answerPath: '/gd2',
    dtmf: [
      { digit: '4', atMs: 1300 },
      { digit: '2', atMs: 1400 },
      { digit: '#', atMs: 1500 },
    ],
  });
  await within(placed.ended, 10000, 'the call');
  const [req] = actionRequests('2');
  assert.ok(req !== undefined);
  assert.equal(req.method, 'GET');
  assert.equal(req.param('Digits'), '42');
  assert.ok(plivoAccepts(signedRequestOf(req), TEST_AUTH_TOKEN));
});

test('digitTimeout after the last digit ends input', async () => {
  h.app.route('/gd3', {
    body: xml(
      `<GetDigits action="${h.app.url('/action?t=3')}" digitTimeout="1" timeout="3"><Wait length="1"/></GetDigits>`,
    ),
  });
  const placed = h.place({ answerPath: '/gd3', dtmf: [{ digit: '7', atMs: 1200 }] });
  const started = Date.now();
  await within(placed.ended, 10000, 'the call');
  const [req] = actionRequests('3');
  assert.equal(req?.param('Digits'), '7');
  assert.ok(Date.now() - started < 4000, 'input ended at the digit timeout, not the first-digit timeout');
});

test('no input after every attempt: the prompts run 1 + retries times, then the next element runs', async () => {
  h.app.route('/gd4', {
    body: xml(
      `<GetDigits action="${h.app.url('/action?t=4')}" timeout="1" retries="1"><Speak>Press a key.</Speak></GetDigits>`,
      '<Hangup reason="rejected"/>',
    ),
  });
  const placed = h.place({ answerPath: '/gd4' });
  const hangup = await within(placed.ended, 15000, 'the call');
  assert.equal(hangup.cause, 'CALL_REJECTED', 'the element after <GetDigits> ran');
  assert.equal(actionRequests('4').length, 0, 'no action request without input');
  const attempts = h.runtime.logs.filter(
    (l) =>
      l.fields['callUuid'] === placed.call.callUuid && l.msg === '<GetDigits> attempt without valid input',
  );
  assert.equal(attempts.length, 2);
});

test('a key outside validDigits plays invalidDigitsSound, then a retry accepts a valid key', async () => {
  const beep = serializeWav(generateTone(600, 16000, 300, 8000), 16000);
  h.app.route('/invalid.wav', { body: beep, contentType: 'audio/wav' });
  h.app.route('/gd5', {
    body: xml(
      `<GetDigits action="${h.app.url('/action?t=5')}" validDigits="12" numDigits="1" retries="2" ` +
        `invalidDigitsSound="${h.app.url('/invalid.wav')}"><Wait length="1"/></GetDigits>`,
    ),
  });
  const placed = h.place({
    answerPath: '/gd5',
    dtmf: [
      { digit: '9', atMs: 1200 },
      { digit: '1', atMs: 2800 },
    ],
  });
  await within(placed.ended, 10000, 'the call');
  assert.equal(h.app.requestsTo('/invalid.wav').length, 1, 'invalidDigitsSound was fetched');
  const [req] = actionRequests('5');
  assert.equal(req?.param('Digits'), '1');
  const heardMs = audibleMs(placed.leg.recorded());
  assert.ok(heardMs >= 240 && heardMs <= 400, `invalidDigitsSound heard for ${heardMs} ms`);
});
