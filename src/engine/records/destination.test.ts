import assert from 'node:assert/strict';
import { test } from 'node:test';

import { destinationKind, parseDestinationList } from './destination.js';

test('Plivo Call create: numbers with or without +, at most 15 digits (E.164)', () => {
  for (const n of ['14157654321', '+14157654321', '1', '123456789012345', '+123456789012345']) {
    assert.equal(destinationKind(n), 'number', n);
  }
  for (const n of ['', '+', '1234567890123456', '+1 415', '1-415', '++1', 'abc', '1415x']) {
    assert.equal(destinationKind(n), undefined, n);
  }
});

test('RFC 3261 §19.1: sip:/sips: URIs through the SIP URI parser', () => {
  for (const u of ['sip:john1234@phone.plivo.com', 'SIPS:bob@[::1]:5061;transport=tls', 'sip:127.0.0.1']) {
    assert.equal(destinationKind(u), 'sip-uri', u);
  }
  for (const u of ['sip:', 'sip:bob@', 'sip:bob@bad host', 'sip:a@b>', 'tel:+1415', 'http://x/']) {
    assert.equal(destinationKind(u), undefined, u);
  }
});

test('bulk to: "<"-joined, trimmed, first bad position named, count limited', () => {
  assert.deepEqual(parseDestinationList('14157654321< 14153464321 <sip:john@phone.plivo.com', 10), {
    ok: true,
    destinations: ['14157654321', '14153464321', 'sip:john@phone.plivo.com'],
  });
  assert.deepEqual(parseDestinationList('1<<2', 10), { ok: false, position: 2, reason: 'empty' });
  assert.deepEqual(parseDestinationList('1<2<x y', 10), { ok: false, position: 3, reason: 'invalid' });
  assert.deepEqual(parseDestinationList('1<2<3', 2), { ok: false, position: 0, reason: 'too-many' });
});
