import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { decodeBase64Range, decodeBase64Strict } from './base64.js';

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

test('property: decodeBase64Range (bytes, no re-encoding) agrees with decodeBase64Strict on every text', () => {
  // Characters Node's decoder treats specially: the URL-safe pair, whitespace it skips, `=` where it
  // stops, bytes above 0x7f (two UTF-8 bytes each, skipped), and JSON structure.
  const char = fc.constantFrom(
    ...'AQgw+/=-_ \n\t*"\\:,{}é\u0144'.split(''),
    'A',
    'B',
    'Z',
    'a',
    'z',
    '0',
    '9',
  );
  const messy = fc.array(char, { maxLength: 24 }).map((a) => a.join(''));
  const real = fc
    .tuple(
      fc.uint8Array({ maxLength: 64 }),
      fc.nat(3),
      fc.nat(64),
      fc.constantFrom('', '-', '_', '=', ' ', 'B'),
    )
    .map(([bytes, strip, at, insert]) => {
      let text = Buffer.from(bytes).toString('base64');
      text = text.slice(0, text.length - Math.min(strip, text.length - text.replace(/=+$/, '').length));
      const k = Math.min(at, text.length);
      return text.slice(0, k) + insert + text.slice(k);
    });
  fc.assert(
    fc.property(fc.oneof(messy, real), fc.nat(5), fc.nat(5), (text, before, after) => {
      // Inside a larger frame, as the fast path sees it.
      const frame = Buffer.from('x'.repeat(before) + text + 'y'.repeat(after), 'utf8');
      const start = before;
      const end = frame.length - after;
      const fromBytes = decodeBase64Range(frame, start, end);
      const fromText = decodeBase64Strict(frame.toString('utf8', start, end));
      if (typeof fromText === 'string') {
        assert.equal(fromBytes, undefined, JSON.stringify(text));
      } else {
        assert.deepEqual(fromBytes, fromText, JSON.stringify(text));
      }
    }),
    { numRuns: 20_000 },
  );
});
