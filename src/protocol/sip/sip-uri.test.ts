import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseNameAddr, serializeNameAddr, tagOf } from './name-addr.js';
import { parseSipUri, serializeSipUri, uriParam } from './sip-uri.js';
import { uriEndpoint } from './uri-endpoint.js';
import { parseVia, serializeVia, stampVia, viaRport } from './via.js';

test('RFC 3261 §19.1.1: sip/sips URIs with user, password, port, params and headers parse and round-trip', () => {
  const cases = [
    'sip:alice@example.com',
    'sip:alice:secret@example.com:5070;transport=tcp;lr?subject=project&priority=urgent',
    'sips:bob@[2001:db8::1]:5061;maddr=10.0.0.1',
    'sip:+1-212-555-1212:1234@gateway.com;user=phone',
    'sip:%61lice;par=1@example.net',
    'sip:192.0.2.4',
  ];
  for (const text of cases) {
    const r = parseSipUri(text);
    assert.ok(r.ok, text);
    assert.equal(serializeSipUri(r.value), text);
  }
  const u = parseSipUri('SIP:alice@Example.COM:5070;Transport=TCP;lr');
  assert.ok(u.ok);
  assert.equal(u.value.scheme, 'sip');
  assert.equal(u.value.port, 5070);
  assert.equal(uriParam(u.value, 'transport'), 'TCP');
  assert.equal(uriParam(u.value, 'LR'), '');
});

test('RFC 3261 §25.1: malformed URIs are ERR_SIP_BAD_URI', () => {
  for (const text of [
    'sip:',
    'sip:@host',
    'sip:a@',
    'sip:a@[::1',
    'sip:a@host:99999',
    'sip:a@host:x',
    'http://x',
    'sip:a b@c',
    'sip:a@host;=x',
  ]) {
    const r = parseSipUri(text);
    assert.equal(r.ok ? 'ok' : r.error.code, 'ERR_SIP_BAD_URI', text);
  }
});

test('RFC 3261 §20.10: name-addr and addr-spec forms; in addr-spec the params belong to the header', () => {
  const a = parseNameAddr('"Bob \\"B\\"" <sip:bob@example.com;transport=udp>;tag=xyz;expires=60');
  assert.ok(a.ok);
  assert.equal(a.value.displayName, 'Bob "B"');
  assert.equal(a.value.uri, 'sip:bob@example.com;transport=udp');
  assert.equal(tagOf(a.value), 'xyz');
  assert.equal(
    serializeNameAddr(a.value),
    '"Bob \\"B\\"" <sip:bob@example.com;transport=udp>;tag=xyz;expires=60',
  );
  const b = parseNameAddr('sip:bob@example.com;tag=abc');
  assert.ok(b.ok);
  assert.equal(b.value.uri, 'sip:bob@example.com');
  assert.equal(tagOf(b.value), 'abc');
  const c = parseNameAddr('Anonymous <tel:+14155550100>');
  assert.ok(c.ok);
  assert.equal(c.value.displayName, 'Anonymous');
});

test('RFC 3261 §20.42 / RFC 3581: Via with IPv6, received and rport; stamping fills rport and received', () => {
  const v = parseVia('SIP/2.0/udp [2001:db8::9]:5080 ; branch=z9hG4bKx ;rport');
  assert.ok(v.ok);
  assert.equal(v.value.transport, 'UDP');
  assert.equal(v.value.host, '[2001:db8::9]');
  assert.equal(viaRport(v.value), true);
  const stamped = stampVia(v.value, '2001:db8::10', 40000);
  assert.equal(
    serializeVia(stamped),
    'SIP/2.0/UDP [2001:db8::9]:5080;branch=z9hG4bKx;rport=40000;received=2001:db8::10',
  );
  const same = parseVia('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKy');
  assert.ok(same.ok);
  assert.equal(
    serializeVia(stampVia(same.value, '127.0.0.1', 5060)),
    'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKy',
  );
});

test('RFC 3263 §4 (no DNS): uriEndpoint reads maddr, port defaults and the transport parameter', () => {
  assert.deepEqual(uriEndpoint('sip:a@192.0.2.1'), { protocol: 'udp', address: '192.0.2.1', port: 5060 });
  // RFC 3261 §26.2.2: sips: is TLS whatever the default; transport=tls too (RFC 5630 §3.1.3).
  assert.deepEqual(uriEndpoint('sips:a@[::1]'), { protocol: 'tls', address: '::1', port: 5061 });
  assert.deepEqual(uriEndpoint('sip:a@h.example:5071;transport=TLS'), {
    protocol: 'tls',
    address: 'h.example',
    port: 5071,
  });
  assert.deepEqual(uriEndpoint('sip:a@h:5070;transport=TCP;maddr=10.1.1.1'), {
    protocol: 'tcp',
    address: '10.1.1.1',
    port: 5070,
  });
  assert.equal(uriEndpoint('tel:+1'), undefined);
});
