// fast-check properties of the SIP parser (STYLE.md 5.6): never throws on any input, every failure code is
// catalogued, and serialize(parse(x)) is a fixed point for canonical messages (RFC 3261 §7).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { errorCatalog } from '../../errors/catalog.js';
import { frameSipStream } from './frame-sip-stream.js';
import { parseSipMessage } from './parse-sip-message.js';
import { serializeSipMessage } from './serialize-sip-message.js';
import type { SipMessage } from './sip-message.types.js';

const enc = new TextEncoder();
const seedMessage = enc.encode(
  'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport\r\nMax-Forwards: 70\r\n' +
    'To: Bob <sip:bob@example.com>\r\nFrom: "Alice" <sip:alice@example.org>;tag=1928301774\r\nCall-ID: a84b4c76e66710@pc33\r\n' +
    'CSeq: 314159 INVITE\r\nContact: <sip:alice@192.0.2.10>\r\nContent-Type: application/sdp\r\nContent-Length: 28\r\n\r\n' +
    'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n',
);

function checkTotal(bytes: Uint8Array): void {
  const r = parseSipMessage(bytes);
  if (!r.ok) {
    assert.ok(errorCatalog.has(r.error.code), `uncatalogued ${r.error.code}`);
  }
  const f = frameSipStream(bytes);
  if (f.error !== undefined) {
    assert.ok(errorCatalog.has(f.error.code));
  }
}

const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('flip', 'insert', 'delete', 'truncate', 'dup-line'),
  byte: fc.integer({ min: 0, max: 255 }),
});

function mutate(base: Uint8Array, ms: readonly { at: number; op: string; byte: number }[]): Uint8Array {
  let b = Array.from(base);
  for (const m of ms) {
    const i = b.length === 0 ? 0 : m.at % b.length;
    if (m.op === 'flip') {
      b[i] = m.byte;
    } else if (m.op === 'insert') {
      b.splice(i, 0, m.byte);
    } else if (m.op === 'delete') {
      b.splice(i, 1);
    } else if (m.op === 'truncate') {
      b = b.slice(0, i);
    } else {
      const end = b.indexOf(10, i);
      b.splice(i, 0, ...b.slice(i, end < 0 ? b.length : end + 1));
    }
  }
  return new Uint8Array(b);
}

test('property: parseSipMessage never throws on 5,000 random byte strings and only returns catalogued codes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      checkTotal(bytes);
    }),
    { numRuns: 5000, seed: 4475 },
  );
});

test('property: parseSipMessage never throws on 6,000 mutations of a valid INVITE (RFC 4475 style)', () => {
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (ms) => {
      checkTotal(mutate(seedMessage, ms));
    }),
    { numRuns: 6000, seed: 3261 },
  );
});

const token = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.\-_]{0,11}$/);
const host = fc.oneof(
  fc.constantFrom('example.com', '192.0.2.1', '[2001:db8::1]', 'a.b.c'),
  fc.stringMatching(/^[a-z0-9]{1,10}$/).map((t) => `${t}.test`),
);
const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);

const canonical: fc.Arbitrary<SipMessage> = fc
  .record({
    isRequest: fc.boolean(),
    method: fc.constantFrom('INVITE', 'ACK', 'BYE', 'OPTIONS', 'REGISTER', 'NEWMETHOD'),
    status: fc.integer({ min: 100, max: 699 }),
    user: token,
    host,
    branch: token,
    tag: token,
    callId: token,
    seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    extra: fc.array(
      fc.tuple(fc.constantFrom('Subject', 'User-Agent', 'X-Custom', 'Allow', 'Supported'), headerValue),
      { maxLength: 4 },
    ),
    body: fc.uint8Array({ maxLength: 200 }),
  })
  .map((r) => {
    const headers = [
      { name: 'Via', value: `SIP/2.0/UDP ${r.host}:5060;branch=z9hG4bK${r.branch}` },
      { name: 'From', value: `<sip:${r.user}@${r.host}>;tag=${r.tag}` },
      { name: 'To', value: `<sip:${r.user}@${r.host}>` },
      { name: 'Call-ID', value: r.callId },
      { name: 'CSeq', value: `${r.seq} ${r.method}` },
      ...r.extra.map(([name, value]) => ({ name, value })),
      { name: 'Content-Length', value: String(r.body.length) },
    ];
    return r.isRequest
      ? { kind: 'request' as const, method: r.method, uri: `sip:${r.user}@${r.host}`, headers, body: r.body }
      : { kind: 'response' as const, status: r.status, reason: 'Some Reason', headers, body: r.body };
  });

test('property: serialize(parse(serialize(m))) is byte-identical for 2,000 canonical messages (RFC 3261 §7)', () => {
  fc.assert(
    fc.property(canonical, (m) => {
      const wire = serializeSipMessage(m);
      const parsed = parseSipMessage(wire);
      assert.ok(parsed.ok, parsed.ok ? '' : `${parsed.error.code}: ${parsed.error.detail}`);
      assert.deepEqual(serializeSipMessage(parsed.value), wire);
      assert.deepEqual(parsed.value.headers, m.headers);
      assert.deepEqual(parsed.value.body, m.body);
    }),
    { numRuns: 2000, seed: 7 },
  );
});
