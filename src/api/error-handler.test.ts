import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeClientErrorHandler } from './error-handler.js';

function answerTo(code: string | undefined): { text: string; destroyed: boolean } {
  const out = { text: '', destroyed: false };
  const socket = {
    destroyed: false,
    writable: true,
    write: (data: string) => (out.text += data),
    destroy: () => (out.destroyed = true),
  };
  const err = Object.assign(new Error('client error'), code === undefined ? {} : { code });
  makeClientErrorHandler(() => '00000000-0000-4000-8000-000000000001')(err, socket);
  return out;
}

test('client errors: one {api_id, error} answer with the catalogued status, then the connection closes', () => {
  for (const [code, status, error] of [
    ['HPE_HEADER_OVERFLOW', 431, 'request line and headers too large'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'request timed out'],
    ['HPE_INVALID_METHOD', 400, 'malformed HTTP request'],
  ] as const) {
    const out = answerTo(code);
    assert.match(out.text, new RegExp(`^HTTP/1\\.1 ${status} `));
    const body = JSON.parse(out.text.slice(out.text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    assert.deepEqual(body, { api_id: '00000000-0000-4000-8000-000000000001', error });
    assert.ok(out.destroyed);
  }
  assert.equal(answerTo('ECONNRESET').text, '', 'nothing is written to a reset connection');
});
