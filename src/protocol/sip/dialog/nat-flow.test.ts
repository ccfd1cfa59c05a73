import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseSipMessage } from '../parse-sip-message.js';
import type { SipEndpoint, SipRequest, SipResponse } from '../sip-message.types.js';
import { isPrivateAddress, uacNatFlow, uasNatFlow } from './nat-flow.js';

function parse(text: string): SipRequest | SipResponse {
  const r = parseSipMessage(new TextEncoder().encode(text.replace(/\n/g, '\r\n')));
  assert.ok(r.ok, r.ok ? '' : r.error.detail);
  return r.value;
}

function invite(opts: { via: string; contact: string; recordRoute?: string }): SipRequest {
  return parse(`INVITE sip:svc@198.51.100.1 SIP/2.0
Via: SIP/2.0/${opts.via};branch=z9hG4bKnat1
${opts.recordRoute === undefined ? '' : `Record-Route: ${opts.recordRoute}\n`}Max-Forwards: 70
From: <sip:alice@example.org>;tag=a1
To: <sip:svc@example.com>
Call-ID: nat-1@x
CSeq: 1 INVITE
Contact: ${opts.contact}
Content-Length: 0

`) as SipRequest;
}

const PUBLIC: SipEndpoint = { protocol: 'udp', address: '203.0.113.5', port: 61000 };

test('UAS: a private Contact behind a NAT: in-dialog requests go to the packet source', () => {
  const req = invite({ via: 'UDP 192.168.1.20:5060;rport', contact: '<sip:alice@192.168.1.20:5060>' });
  assert.deepEqual(uasNatFlow(req, PUBLIC), PUBLIC);
  // Without rport too: the Contact's host is not where the request came from.
  const noRport = invite({ via: 'UDP 192.168.1.20:5060', contact: '<sip:alice@192.168.1.20:5060>' });
  assert.deepEqual(uasNatFlow(noRport, PUBLIC), PUBLIC);
});

test('UAS: Contact at the source: RFC 3261 routing (no flow)', () => {
  const req = invite({ via: 'UDP 203.0.113.5:61000;rport', contact: '<sip:alice@203.0.113.5:61000>' });
  assert.equal(uasNatFlow(req, PUBLIC), undefined);
});

test('UAS: same host, another port: a flow only on UDP with rport asked for', () => {
  const contact = '<sip:alice@203.0.113.5:5060>';
  assert.deepEqual(uasNatFlow(invite({ via: 'UDP 203.0.113.5:5060;rport', contact }), PUBLIC), PUBLIC);
  assert.equal(uasNatFlow(invite({ via: 'UDP 203.0.113.5:5060', contact }), PUBLIC), undefined);
  const tcp: SipEndpoint = { ...PUBLIC, protocol: 'tcp' };
  assert.equal(
    uasNatFlow(
      invite({ via: 'TCP 203.0.113.5:5060;rport', contact: `<sip:alice@203.0.113.5:5060;transport=tcp>` }),
      tcp,
    ),
    undefined,
    'a TCP client listens on its Contact port',
  );
});

test('UAS: over TCP from behind a NAT the flow is the connection', () => {
  const tcp: SipEndpoint = { protocol: 'tcp', address: '203.0.113.5', port: 40222 };
  const req = invite({ via: 'TCP 10.1.2.3:5060;rport', contact: '<sip:alice@10.1.2.3:5060;transport=tcp>' });
  assert.deepEqual(uasNatFlow(req, tcp), tcp);
});

test('UAS: a Record-Route means a proxy routes the dialog: no flow', () => {
  const req = invite({
    via: 'UDP 192.168.1.20:5060;rport',
    contact: '<sip:alice@192.168.1.20:5060>',
    recordRoute: '<sip:proxy.example.com;lr>',
  });
  assert.equal(uasNatFlow(req, PUBLIC), undefined);
});

test('UAC: a 2xx with a private Contact from a public destination: the flow is the destination', () => {
  const ok = parse(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKout1;rport=5060;received=198.51.100.1
From: <sip:svc@example.com>;tag=s1
To: <sip:bob@203.0.113.5>;tag=b1
Call-ID: out-1@x
CSeq: 1 INVITE
Contact: <sip:bob@10.0.0.7:5060>
Content-Length: 0

`) as SipResponse;
  assert.deepEqual(uacNatFlow(ok, PUBLIC), PUBLIC);
  assert.equal(uacNatFlow(ok, { ...PUBLIC, address: '10.0.0.7' }), undefined, 'a private destination');
  const rr = parse(
    `SIP/2.0 200 OK\nVia: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKout1\nRecord-Route: <sip:edge.example.com;lr>\nFrom: <sip:svc@example.com>;tag=s1\nTo: <sip:bob@203.0.113.5>;tag=b1\nCall-ID: out-1@x\nCSeq: 1 INVITE\nContact: <sip:bob@10.0.0.7:5060>\nContent-Length: 0\n\n`,
  ) as SipResponse;
  assert.equal(uacNatFlow(rr, PUBLIC), undefined, 'a route set');
});

test('private address ranges', () => {
  for (const a of [
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '100.64.0.1',
    '169.254.1.1',
    'fd00::1',
    'fe80::1',
  ]) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of [
    '172.32.0.1',
    '8.8.8.8',
    '100.128.0.1',
    '203.0.113.5',
    '2001:db8::1',
    'example.com',
    '127.0.0.1',
  ]) {
    assert.equal(isPrivateAddress(a), false, a);
  }
});
