import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  formEncode,
  signingParamsOf,
  streamCallbackParams,
  type StreamCallbackInfo,
} from './status-callback.js';

const info: StreamCallbackInfo = {
  streamId: '20170ada-f610-433b-8758-c02a2aab3662',
  callUuid: '5f1c1a9e-5e4b-4b1a-9c52-3b8c1f0f2a11',
  accountId: 'MAXXXXXXXXXXXXXXXXXX',
  serviceUrl: 'wss://app.example.com/ws?x=1',
  timestampMs: 1705312200000,
  attributes: {
    bidirectional: true,
    audioTrack: 'inbound',
    streamTimeoutSec: 86400,
    statusCallbackUrl: 'https://app.example.com/status',
    statusCallbackMethod: 'POST',
    contentType: 'audio/x-mulaw;rate=8000',
    extraHeaders: 'a=1,b=2',
    keepCallAlive: true,
  },
  name: 'greeting',
  reason: 'Connection error',
  error: 'ECONNREFUSED',
  bufferUsagePercent: 60,
};

const common = [
  ['StreamID', info.streamId],
  ['CallUUID', info.callUuid],
  ['AccountID', info.accountId],
  ['ServiceURL', info.serviceUrl],
  ['Timestamp', '1705312200000'],
];
const attributes = [
  ['bidirectional', 'true'],
  ['audioTrack', 'inbound'],
  ['streamTimeout', '86400'],
  ['statusCallbackUrl', 'https://app.example.com/status'],
  ['statusCallbackMethod', 'POST'],
  ['contentType', 'audio/x-mulaw;rate=8000'],
  ['extraHeaders', 'a=1,b=2'],
  ['keepCallAlive', 'true'],
];

test('D12: each event carries the common fields, its own extras and the attributes in camelCase', () => {
  assert.deepEqual(streamCallbackParams('StartStream', info), [
    ['Event', 'StartStream'],
    ...common,
    ...attributes,
  ]);
  assert.deepEqual(streamCallbackParams('PlayedStream', info), [
    ['Event', 'PlayedStream'],
    ...common,
    ['Name', 'greeting'],
    ...attributes,
  ]);
  assert.deepEqual(streamCallbackParams('ClearedAudio', info), [
    ['Event', 'ClearedAudio'],
    ...common,
    ...attributes,
  ]);
  assert.deepEqual(streamCallbackParams('DegradedStream', info), [
    ['Event', 'DegradedStream'],
    ...common,
    ['BufferUsage', '60'],
    ...attributes,
  ]);
  for (const event of ['StopStream', 'DroppedStream'] as const) {
    assert.deepEqual(streamCallbackParams(event, info), [
      ['Event', event],
      ...common,
      ['Reason', 'Connection error'],
      ['Error', 'ECONNREFUSED'],
      ...attributes,
    ]);
  }
});

test('D12: unset optional attributes are left out; datetime-utc timestamps on request', () => {
  const rest: StreamCallbackInfo = {
    ...info,
    timestampStyle: 'datetime-utc',
    attributes: {
      bidirectional: false,
      audioTrack: 'both',
      streamTimeoutSec: 60,
      statusCallbackUrl: undefined,
      statusCallbackMethod: 'GET',
      contentType: 'audio/x-l16;rate=8000',
    },
  };
  const pairs = streamCallbackParams('StopStream', { ...rest, error: undefined });
  assert.deepEqual(pairs.slice(5), [
    ['Timestamp', '2024-01-15 09:50:00'],
    ['Reason', 'Connection error'],
    ['bidirectional', 'false'],
    ['audioTrack', 'both'],
    ['streamTimeout', '60'],
    ['statusCallbackMethod', 'GET'],
    ['contentType', 'audio/x-l16;rate=8000'],
  ]);
});

test('form encoding and signing params of the pairs', () => {
  const pairs = streamCallbackParams('PlayedStream', info);
  const form = formEncode(pairs);
  assert.deepEqual([...new URLSearchParams(form)], pairs);
  assert.ok(form.includes('ServiceURL=wss%3A%2F%2Fapp.example.com%2Fws%3Fx%3D1'));
  assert.deepEqual(
    signingParamsOf([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
    ]),
    { a: ['1', '3'], b: ['2'] },
  );
});
