import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Value } from 'typebox/value';

import { StreamStartBody } from './schemas/stream.js';
import { DEFAULT_NOISE_CANCELLATION_LEVEL, streamSpecFromRest } from './stream-spec.js';

const WS = 'wss://app.example.com/ws';

test('REST noise_cancellation: off by default; on with level 85 unless noise_cancellation_level says otherwise', () => {
  assert.equal(streamSpecFromRest({ service_url: WS }).noiseCancellationLevel, undefined);
  assert.equal(
    streamSpecFromRest({ service_url: WS, noise_cancellation: false, noise_cancellation_level: 90 })
      .noiseCancellationLevel,
    undefined,
  );
  assert.equal(
    streamSpecFromRest({ service_url: WS, noise_cancellation: true }).noiseCancellationLevel,
    DEFAULT_NOISE_CANCELLATION_LEVEL,
  );
  assert.equal(DEFAULT_NOISE_CANCELLATION_LEVEL, 85);
  assert.equal(
    streamSpecFromRest({ service_url: WS, noise_cancellation: true, noise_cancellation_level: 60 })
      .noiseCancellationLevel,
    60,
  );
});

test('REST noise_cancellation_level is an integer from 60 to 100 (as <Stream noiseCancellationLevel>)', () => {
  for (const level of [60, 85, 100]) {
    assert.ok(
      Value.Check(StreamStartBody, {
        service_url: WS,
        noise_cancellation: true,
        noise_cancellation_level: level,
      }),
    );
  }
  for (const level of [59, 101, 70.5]) {
    assert.ok(
      !Value.Check(StreamStartBody, {
        service_url: WS,
        noise_cancellation: true,
        noise_cancellation_level: level,
      }),
      String(level),
    );
  }
});
