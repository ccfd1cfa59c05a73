import assert from 'node:assert/strict';
import { test } from 'node:test';

import { hangupCallbackId } from '../ports/callback-outbox.js';
import { hangupCallbackParams } from './plivo-hangup.js';

const T0 = Date.UTC(2026, 11, 3, 10, 0, 0);

test('hangupCallbackParams: the base (minus Event), then how the call ended, durations rounded up', () => {
  const base = [
    ['CallUUID', 'c1'],
    ['Event', 'StartApp'],
    ['CallStatus', 'completed'],
  ] as const;
  const end = { cause: 'NORMAL_CLEARING', causeCode: 4000, sourceName: 'Caller', startedAtMs: T0 };
  assert.deepEqual(hangupCallbackParams(base, { ...end, answeredAtMs: T0 + 1500, endedAtMs: T0 + 61_501 }), [
    ['CallUUID', 'c1'],
    ['CallStatus', 'completed'],
    ['Event', 'Hangup'],
    ['HangupCause', 'NORMAL_CLEARING'],
    ['HangupCauseCode', '4000'],
    ['HangupSource', 'Caller'],
    ['Duration', '62'],
    ['BillDuration', '61'],
    ['StartTime', '2026-12-03 10:00:00+00:00'],
    ['AnswerTime', '2026-12-03 10:00:01+00:00'],
    ['EndTime', '2026-12-03 10:01:01+00:00'],
  ]);
  // Never answered: no AnswerTime, zero durations; an unknown cause has no code.
  const unanswered = hangupCallbackParams(base, {
    ...end,
    causeCode: null,
    answeredAtMs: null,
    endedAtMs: T0 + 9000,
  });
  assert.deepEqual(
    unanswered.filter(([k]) => ['Duration', 'BillDuration', 'AnswerTime', 'HangupCauseCode'].includes(k)),
    [
      ['Duration', '0'],
      ['BillDuration', '0'],
    ],
  );
});

test('hangupCallbackId: a version-5 UUID, the same for one call, different for another', () => {
  const a = hangupCallbackId('3f9c1e2a-0000-4000-8000-000000000001');
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(hangupCallbackId('3f9c1e2a-0000-4000-8000-000000000001'), a);
  assert.notEqual(hangupCallbackId('3f9c1e2a-0000-4000-8000-000000000002'), a);
});
