import assert from 'node:assert/strict';
import { test } from 'node:test';

import { redactUrl, redactUrlsDeep, redactUrlsInText } from './redact.js';

test('redactUrl: userinfo, query values and fragment go; scheme, host, port and path stay', () => {
  const cases: [string, string][] = [
    ['http://app.example/a', 'http://app.example/a'],
    ['http://app.example/a?', 'http://app.example/a?'],
    ['https://u:p@h:8443/p?x=1&y=&z#f', 'https://[redacted]@h:8443/p?x=[redacted]&y=&[redacted]#[redacted]'],
    ['wss://h/ws?t=1', 'wss://h/ws?t=[redacted]'],
    ['http://h/a@b', 'http://h/a@b'],
    ['/v1/x?auth=1', '/v1/x?auth=[redacted]'],
  ];
  for (const [input, want] of cases) {
    assert.equal(redactUrl(input), want, input);
    assert.equal(redactUrl(want), want, `idempotent: ${want}`);
  }
});

test('redactUrlsInText and redactUrlsDeep: URLs in text and objects; nothing else changes', () => {
  assert.equal(
    redactUrlsInText('GET http://h/a?k=v: HTTP 500 (see https://h/b?t=1).'),
    'GET http://h/a?k=[redacted]: HTTP 500 (see https://h/b?t=[redacted]).',
  );
  assert.equal(
    redactUrlsInText('bad trunk URI sip:trunk:pa55@gw.example:5060; to sip:bob@h and sip:h'),
    'bad trunk URI sip:trunk:[redacted]@gw.example:5060; to sip:bob@h and sip:h',
  );
  const plain = { a: 1, b: ['x', { c: 'http://h/p' }] };
  assert.equal(redactUrlsDeep(plain), plain, 'same object when nothing to redact');
  assert.deepEqual(redactUrlsDeep({ list: [{ href: '/p?q=1' }], n: null }), {
    list: [{ href: '/p?q=[redacted]' }],
    n: null,
  });
});
