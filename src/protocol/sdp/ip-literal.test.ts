import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ipLiteralFamily, isMulticastLiteral } from './ip-literal.js';

test('RFC 4291 §2.2 / dotted quad: IP literals and their family', () => {
  const table: [string, 4 | 6 | undefined][] = [
    ['127.0.0.1', 4],
    ['0.0.0.0', 4],
    ['255.255.255.255', 4],
    ['999.1.1.1', undefined],
    ['256.0.0.1', undefined],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['01.2.3.4', undefined],
    ['1.2.3.4/24', undefined],
    ['', undefined],
    ['example.com', undefined],
    ['::', 6],
    ['::1', 6],
    ['1::', 6],
    ['2001:db8::1', 6],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', 6],
    ['::ffff:192.0.2.1', 6],
    ['64:ff9b::192.0.2.33', 6],
    ['1:2:3:4:5:6:192.0.2.1', 6],
    ['1:2:3:4:5:6:7:8', 6],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4:5:6:7', undefined],
    ['1::2::3', undefined],
    [':::', undefined],
    [':1', undefined],
    ['12345::1', undefined],
    ['::ffff:999.0.2.1', undefined],
    ['fe80::1%eth0', undefined],
    ['[::1]', undefined],
    ['1:2:3:4:5:6:7::192.0.2.1', undefined],
  ];
  for (const [text, family] of table) {
    assert.equal(ipLiteralFamily(text), family, text);
  }
});

test('multicast literals: 224.0.0.0/4 and ff00::/8', () => {
  assert.equal(isMulticastLiteral('224.0.0.1'), true);
  assert.equal(isMulticastLiteral('239.255.255.255'), true);
  assert.equal(isMulticastLiteral('240.0.0.1'), false);
  assert.equal(isMulticastLiteral('223.255.255.255'), false);
  assert.equal(isMulticastLiteral('ff02::1'), true);
  assert.equal(isMulticastLiteral('fe80::1'), false);
});
