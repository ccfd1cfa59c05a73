/**
 * Broken answers (issue 5 acceptance, D9): 404, a server that never answers (short timeout), a body
 * that is not XML, and invalid `<Stream>` attributes. Each call ends with the documented cause, the
 * error is on the call record (checked in the store and in the GET Call shape), hangup_url still
 * fires, and nothing crashes: a good call runs afterwards on the same CallControl.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { toPlivoCall } from '../../src/engine/records/plivo-objects.js';
import type { CallRecord } from '../../src/ports/call-store.js';
import { streamElement } from '../helpers/stream-call.js';
import {
  TEST_ACCOUNT_ID,
  startHarness,
  within,
  xml,
  type Harness,
  type PlaceCallOptions,
} from './call-control-harness.js';

let h: Harness;

before(async () => {
  h = await startHarness();
  h.app.route('/hangup', { body: '' });
});

after(async () => {
  await h.close();
});

async function runBroken(opts: PlaceCallOptions): Promise<{ record: CallRecord; errorText: string }> {
  const placed = h.place({ hangupPath: '/hangup', ...opts });
  await within(placed.ended, 10000, 'the call');
  await within(h.control.idle(), 5000, 'records');
  const record = h.store.getCall(placed.call.callUuid);
  assert.ok(record !== undefined);
  assert.equal(record.status, 'completed');
  assert.equal(record.hangupSource, 'Error');
  const shape = toPlivoCall(record, { authId: TEST_ACCOUNT_ID, nowMs: Date.now() });
  assert.equal(shape.hangup_cause_name, record.hangupCause);
  assert.deepEqual(shape.error, record.error);
  const cb = await h.app.waitFor(
    (r) => r.path === '/hangup' && r.param('CallUUID') === placed.call.callUuid,
    3000,
    'hangup_url',
  );
  assert.equal(cb.param('HangupCause'), record.hangupCause);
  // Issue 11: error causes carry their Plivo code too (7011 answer URL errors, 8011 invalid XML).
  const code = record.hangupCause === 'Invalid Answer XML' ? 8011 : 7011;
  assert.equal(record.hangupCauseCode, code);
  assert.equal(shape.hangup_cause_code, code);
  assert.equal(cb.param('HangupCauseCode'), String(code));
  return { record, errorText: JSON.stringify(record.error) };
}

test('answer URL 404: cause "Answer URL Error", HTTP 404 on the record, no retry', async () => {
  const { record, errorText } = await runBroken({ answerPath: '/nowhere' });
  assert.equal(record.hangupCause, 'Answer URL Error');
  assert.match(errorText, /HTTP 404/);
  assert.equal(h.app.requestsTo('/nowhere').length, 1, '4xx is not retried');
});

test('answer URL that never answers: cause "Answer URL Unreachable" after 3 tries of the short timeout', async () => {
  h.app.route('/stall', { stall: true });
  const started = Date.now();
  const { record, errorText } = await runBroken({ answerPath: '/stall', timeoutMs: 300 });
  assert.equal(record.hangupCause, 'Answer URL Unreachable');
  assert.match(errorText, /timeout/);
  assert.equal(h.app.requestsTo('/stall').length, 3);
  assert.ok(Date.now() - started < 5000);
});

test('answer that is not XML: cause "Invalid Answer XML" with line:column and code on the record', async () => {
  h.app.route('/text', { body: 'Hello! I am not XML.', contentType: 'text/plain' });
  const { record } = await runBroken({ answerPath: '/text' });
  assert.equal(record.hangupCause, 'Invalid Answer XML');
  const error = record.error as {
    messages: string[];
    validation: { url: string; errors: { line: number; column: number; code: string }[] };
  };
  assert.ok(error.validation.errors.length >= 1);
  const [first] = error.validation.errors;
  assert.ok(first !== undefined && first.line >= 1 && first.column >= 1);
  assert.match(first.code, /^ERR_XML_/);
  assert.match(error.messages.join(' '), /Invalid Answer XML/);
});

test('invalid <Stream> attributes: the document is not run (D9); every error is recorded with element and position', async () => {
  h.app.route('/badstream', {
    body: xml(
      '<Speak>This must not be spoken.</Speak>',
      streamElement('ws://127.0.0.1:9/never', { bidirectional: true, audioTrack: 'both', streamTimeout: -5 }),
    ),
  });
  const before = h.espeak?.stats.misses ?? 0;
  const { record } = await runBroken({ answerPath: '/badstream' });
  assert.equal(record.hangupCause, 'Invalid Answer XML');
  const error = record.error as {
    validation: {
      errors: { line: number; column: number; code: string; element: string; attribute: string | null }[];
    };
  };
  const streamErrors = error.validation.errors.filter((e) => e.element === 'Response/Stream[1]');
  assert.ok(streamErrors.length >= 2, JSON.stringify(error.validation.errors));
  assert.ok(streamErrors.some((e) => e.attribute === 'streamTimeout'));
  assert.ok(streamErrors.every((e) => e.line === 1 && e.column > 1));
  assert.equal(h.espeak?.stats.misses ?? 0, before, 'no element of the invalid document ran');
  assert.equal(h.store.listStreams(record.callUuid, { limit: 10, offset: 0 }).total, 0);
  assert.ok(
    h.runtime.logs.some(
      (l) => l.fields['callUuid'] === record.callUuid && l.fields['cause'] === 'Invalid Answer XML',
    ),
    'the validation errors are logged',
  );
});

test('answer 500 three times, then the fallback URL runs', async () => {
  h.app.route('/err500', { status: 500, body: 'boom' });
  h.app.route('/fallback', { body: xml('<Hangup/>') });
  const placed = h.place({ answerPath: '/err500', fallbackPath: '/fallback' });
  const hangup = await within(placed.ended, 10000, 'the call');
  assert.equal(hangup.cause, 'NORMAL_CLEARING');
  assert.equal(h.app.requestsTo('/err500').length, 3);
  await within(h.control.idle(), 5000, 'records');
  assert.equal(h.store.getCall(placed.call.callUuid)?.hangupSource, 'Answer XML');
});

test('nothing crashed: a good call still runs on the same server', async () => {
  h.app.route('/good', { body: xml('<Wait length="1"/>') });
  const placed = h.place({ answerPath: '/good' });
  const hangup = await within(placed.ended, 10000, 'the call');
  assert.equal(hangup.cause, 'End Of XML Instructions');
});
