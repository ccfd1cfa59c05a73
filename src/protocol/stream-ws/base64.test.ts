import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { decodeBase64Strict } from './base64.js';

const canonical = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

test('property: any bytes round-trip, padded or with the padding stripped', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, strip) => {
      let text = Buffer.from(bytes).toString('base64');
      if (strip) {
        text = text.replace(/=+$/, '');
      }
      assert.deepEqual(decodeBase64Strict(text), Uint8Array.from(bytes));
    }),
    { numRuns: 2000 },
  );
});

test('property: text is accepted only when it is canonical base64 of the standard alphabet', () => {
  const char = fc.constantFrom(...'AQgw+/=-_ \n*é'.split(''), 'A', 'Z', 'a', 'z', '0', '9');
  fc.assert(
    fc.property(
      fc.array(char, { maxLength: 16 }).map((a) => a.join('')),
      (text) => {
        const r = decodeBase64Strict(text);
        if (typeof r !== 'string') {
          const padded = text.length % 4 === 0 ? text : text + '='.repeat(4 - (text.length % 4));
          assert.match(padded, canonical);
          assert.equal(Buffer.from(r).toString('base64'), padded);
        } else {
          assert.ok(r.length > 0);
        }
      },
    ),
    { numRuns: 5000 },
  );
});
