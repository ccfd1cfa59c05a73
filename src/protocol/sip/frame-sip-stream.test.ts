import assert from 'node:assert/strict';
import { test } from 'node:test';

import { frameSipStream } from './frame-sip-stream.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const OPTIONS = 'OPTIONS sip:a@h SIP/2.0\r\nContent-Length: 0\r\n\r\n';

test('RFC 5626 §3.5.1: double-CRLF pings between messages are skipped and counted', () => {
  assert.equal(frameSipStream(bytes('\r\n\r\n')).pings, 1);
  assert.equal(frameSipStream(bytes('\r\n\r\n\r\n\r\n')).pings, 2);
  const mixed = frameSipStream(bytes(`\r\n\r\n${OPTIONS}\r\n\r\nOPT`));
  assert.equal(mixed.messages.length, 1);
  assert.equal(mixed.pings, 2);
  assert.equal(new TextDecoder().decode(mixed.rest), 'OPT');
  // A single CRLF (a pong, or the tail of a message) is no ping; a plain message has none.
  assert.equal(frameSipStream(bytes('\r\n')).pings, undefined);
  assert.equal(frameSipStream(bytes(OPTIONS)).pings, undefined);
});
