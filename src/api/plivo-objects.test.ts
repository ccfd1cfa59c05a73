import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { CallRecord, StreamRecord } from '../ports/call-store.js';
import { plivoSessionTime, plivoTime, plivoTimeMicros } from '../protocol/plivo-time.js';
import {
  roundToBillingInterval,
  toPlivoCall,
  toPlivoListMeta,
  toPlivoLiveCall,
  toPlivoStream,
} from './plivo-objects.js';

const AUTH = 'MAY2RJNZKZNJMWXXXXXX';
const t = (iso: string): number => Date.parse(iso);

const stream: StreamRecord = {
  streamId: '4543157e-60d3-4c3a-b9d8-189c47686bf0',
  callUuid: '816e0b22-6913-4b43-88a9-6d3054b77df9',
  serviceUrl: 'ws://13.127.140.35:19088/ws',
  bidirectional: false,
  audioTrack: 'both',
  streamTimeoutSec: 86400,
  statusCallbackUrl: null,
  statusCallbackMethod: 'POST',
  contentType: 'audio/x-l16;rate=8000',
  extraHeaders: null,
  status: 'completed',
  createdAt: t('2023-06-26T02:44:50.617Z'),
  startedAt: t('2023-06-26T02:44:29.000Z'),
  endedAt: t('2023-06-26T02:44:50.000Z'),
  stopReason: 'Call hangup',
  error: null,
};

const call: CallRecord = {
  callUuid: stream.callUuid,
  direction: 'inbound',
  from: '14155551234',
  to: 'sip:agent@127.0.0.1',
  status: 'completed',
  answerUrl: 'http://127.0.0.1/answer',
  requestUuid: null,
  parentCallUuid: null,
  startedAt: t('2023-06-26T02:44:20.250Z'),
  answeredAt: t('2023-06-26T02:44:21.000Z'),
  endedAt: t('2023-06-26T02:46:00.000Z'),
  hangupCause: 'Normal Hangup',
  hangupCauseCode: 4000,
  hangupSource: 'Caller',
  durationSec: 100,
  billDurationSec: 99,
  error: null,
  sipCallId: 'abc@127.0.0.1',
  endedAbnormally: false,
  lastSeenAt: null,
  nodeId: null,
  hangupCallback: null,
};

test('time formats: Plivo spellings in UTC, microseconds zero-padded', () => {
  const ms = t('2024-01-05T03:04:05.007Z');
  assert.equal(plivoTime(ms), '2024-01-05 03:04:05+00:00');
  assert.equal(plivoTimeMicros(ms), '2024-01-05 03:04:05.007000+00:00');
  assert.equal(plivoSessionTime(ms), '2024-01-05 03:04:05.007000');
  assert.equal(plivoTimeMicros(t('2023-06-26T02:44:50.617Z')), '2023-06-26 02:44:50.617000+00:00');
});

test('billing rounding: up to whole minutes, zero stays zero', () => {
  assert.equal(roundToBillingInterval(0), 0);
  assert.equal(roundToBillingInterval(1), 60);
  assert.equal(roundToBillingInterval(60), 60);
  assert.equal(roundToBillingInterval(61), 120);
});

test('compatibility §8: an ended stream formats as the Stream object', () => {
  assert.deepEqual(toPlivoStream(stream, { authId: AUTH, nowMs: 0 }), {
    audio_track: 'both',
    bidirectional: false,
    bill_duration: 21,
    billed_amount: '0.00000',
    call_uuid: '816e0b22-6913-4b43-88a9-6d3054b77df9',
    created_at: '2023-06-26 02:44:50.617000+00:00',
    end_time: '2023-06-26 02:44:50+00:00',
    plivo_auth_id: AUTH,
    resource_uri: `/v1/Account/${AUTH}/Call/816e0b22-6913-4b43-88a9-6d3054b77df9/Stream/4543157e-60d3-4c3a-b9d8-189c47686bf0/`,
    rounded_bill_duration: 60,
    service_url: 'ws://13.127.140.35:19088/ws',
    start_time: '2023-06-26 02:44:29+00:00',
    status: 'completed',
    status_callback_url: '',
    stream_id: '4543157e-60d3-4c3a-b9d8-189c47686bf0',
  });
});

test('compatibility §8: start_time/end_time are null until set; a live stream bills up to now', () => {
  const initiated = toPlivoStream(
    { ...stream, status: 'initiated', startedAt: null, endedAt: null },
    { authId: AUTH, nowMs: 0 },
  );
  assert.equal(initiated.start_time, null);
  assert.equal(initiated.end_time, null);
  assert.equal(initiated.bill_duration, 0);
  assert.equal(initiated.rounded_bill_duration, 0);
  const running = toPlivoStream(
    { ...stream, status: 'in-progress', endedAt: null, statusCallbackUrl: 'http://cb' },
    { authId: AUTH, nowMs: t('2023-06-26T02:46:00.500Z') },
  );
  assert.equal(running.end_time, null);
  assert.equal(running.bill_duration, 92);
  assert.equal(running.rounded_bill_duration, 120);
  assert.equal(running.status_callback_url, 'http://cb');
});

test('GET Call: an ended call formats as the call detail record with our error field', () => {
  const validation = { code: 'ERR_XML_INVALID', errors: [{ element: 'Stream', line: 2, column: 5 }] };
  const cdr = toPlivoCall({ ...call, error: validation }, { authId: AUTH, nowMs: 0 });
  assert.deepEqual(cdr, {
    answer_time: '2023-06-26 02:44:21+00:00',
    bill_duration: 99,
    billed_duration: 120,
    call_direction: 'inbound',
    call_duration: 100,
    call_status: 'completed',
    call_uuid: call.callUuid,
    conference_uuid: null,
    end_time: '2023-06-26 02:46:00+00:00',
    from_number: '14155551234',
    hangup_cause_code: 4000,
    hangup_cause_name: 'Normal Hangup',
    hangup_source: 'Caller',
    initiation_time: '2023-06-26 02:44:20+00:00',
    parent_call_uuid: null,
    request_uuid: null,
    resource_uri: `/v1/Account/${AUTH}/Call/${call.callUuid}/`,
    stir_verification: 'Not Applicable',
    to_number: 'sip:agent@127.0.0.1',
    total_amount: '0.00000',
    total_rate: '0.00000',
    error: validation,
    ended_abnormally: false,
  });
});

test('GET Call: durations a crashed call lacks are measured from its times', () => {
  const crashed = {
    ...call,
    durationSec: null,
    billDurationSec: null,
    endedAbnormally: true,
    hangupCause: 'Server Restart',
  };
  const cdr = toPlivoCall(crashed, { authId: AUTH, nowMs: 0 });
  assert.equal(cdr.call_duration, 100);
  assert.equal(cdr.bill_duration, 99);
  const neverAnswered = toPlivoCall(
    { ...crashed, answeredAt: null, status: 'failed' },
    { authId: AUTH, nowMs: 0 },
  );
  assert.equal(neverAnswered.bill_duration, 0);
  assert.equal(neverAnswered.answer_time, null);
});

test('GET Call ?status=live: the live-call shape', () => {
  assert.deepEqual(toPlivoLiveCall({ ...call, status: 'in-progress', requestUuid: 'r-1' }), {
    call_status: 'in-progress',
    call_uuid: call.callUuid,
    caller_name: '',
    direction: 'inbound',
    from: '14155551234',
    parent_call_uuid: null,
    request_uuid: 'r-1',
    session_start: '2023-06-26 02:44:20.250000',
    stir_verification: 'Not Applicable',
    to: 'sip:agent@127.0.0.1',
  });
});

test('D13: list meta carries total_count and count, with next/previous links', () => {
  const path = `/v1/Account/${AUTH}/Call/x/Stream/`;
  assert.deepEqual(toPlivoListMeta({ total: 45, limit: 20, offset: 20, path }), {
    count: 45,
    total_count: 45,
    limit: 20,
    offset: 20,
    next: `${path}?limit=20&offset=40`,
    previous: `${path}?limit=20&offset=0`,
  });
  const only = toPlivoListMeta({ total: 1, limit: 20, offset: 0, path });
  assert.equal(only.next, null);
  assert.equal(only.previous, null);
});
