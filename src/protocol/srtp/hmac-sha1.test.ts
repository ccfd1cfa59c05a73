import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { HmacSha1 } from './hmac-sha1.js';

test('HmacSha1 equals node:crypto createHmac for every length 0-1500, with and without a suffix', () => {
  const key = randomBytes(20);
  const mac = new HmacSha1(key);
  const data = randomBytes(1500);
  const suffix = randomBytes(4);
  for (let len = 0; len <= 1500; len++) {
    const expected = createHmac('sha1', key).update(data.subarray(0, len)).update(suffix).digest();
    assert.deepEqual(Buffer.from(mac.mac(data, len, suffix)), expected, `length ${len}`);
  }
  for (const len of [0, 55, 56, 64, 100]) {
    const expected = createHmac('sha1', key).update(data.subarray(0, len)).digest();
    assert.deepEqual(Buffer.from(mac.mac(data, len)), expected, `length ${len} without suffix`);
  }
});

test('HmacSha1: RFC 2202 test cases 1 and 2', () => {
  const one = new HmacSha1(new Uint8Array(20).fill(0x0b));
  const hi = Buffer.from('Hi There');
  assert.equal(
    Buffer.from(one.mac(hi, hi.length)).toString('hex'),
    'b617318655057264e28bc0b6fb378c8ef146be00',
  );
  const two = new HmacSha1(Buffer.from('Jefe'));
  const msg = Buffer.from('what do ya want for nothing?');
  assert.equal(
    Buffer.from(two.mac(msg, msg.length)).toString('hex'),
    'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79',
  );
});

test('HmacSha1 refuses keys longer than a block and inputs longer than a datagram', () => {
  assert.throws(() => new HmacSha1(new Uint8Array(65)), RangeError);
  assert.throws(() => new HmacSha1(new Uint8Array(20)).mac(new Uint8Array(1600), 1600), RangeError);
});
