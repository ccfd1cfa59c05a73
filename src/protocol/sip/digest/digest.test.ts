import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseSipMessage } from '../parse-sip-message.js';
import type { SipRequest, SipResponse } from '../sip-message.types.js';
import { DigestClient } from './digest-client.js';
import { computeDigestResponse, parseDigestParams } from './digest-params.js';
import { DigestServer } from './digest-server.js';

test('RFC 2617 §3.5: the example request-digest for Mufasa is 6629fae49393a05397450978507c4ef1', () => {
  const response = computeDigestResponse({
    algorithm: 'MD5',
    username: 'Mufasa',
    realm: 'testrealm@host.com',
    password: 'Circle Of Life',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    method: 'GET',
    uri: '/dir/index.html',
    qop: { nc: '00000001', cnonce: '0a4f113b' },
  });
  assert.equal(response, '6629fae49393a05397450978507c4ef1');
});

test('RFC 2617 §3.5: DigestClient answers the example challenge with the example credentials', () => {
  const client = new DigestClient({ username: 'Mufasa', password: 'Circle Of Life' }, () => '0a4f113b');
  const challenge =
    'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"';
  const r = client.answer(challenge, 'GET', '/dir/index.html');
  assert.ok(r.ok);
  const p = parseDigestParams(r.value)!;
  assert.equal(p.get('response'), '6629fae49393a05397450978507c4ef1');
  assert.equal(p.get('nc'), '00000001');
  assert.equal(p.get('qop'), 'auth');
  assert.equal(p.get('opaque'), '5ccc069c403ebaf9f0171e9517f40e41');
  assert.match(r.value, /nc=00000001/);
  // The nonce count increments for the same nonce (RFC 2617 §3.2.2).
  const again = client.answer(challenge, 'GET', '/dir/index.html');
  assert.ok(again.ok);
  assert.equal(parseDigestParams(again.value)?.get('nc'), '00000002');
});

test('RFC 2617 §3.2.2.1 / RFC 2069: without qop the digest is KD(H(A1), nonce:H(A2)) and carries no nc', () => {
  const client = new DigestClient({ username: 'alice', password: 'secret' }, () => 'unused');
  const r = client.answer('Digest realm="sip.example", nonce="abc"', 'REGISTER', 'sip:sip.example');
  assert.ok(r.ok);
  const p = parseDigestParams(r.value)!;
  assert.equal(p.has('nc'), false);
  assert.equal(
    p.get('response'),
    computeDigestResponse({
      algorithm: 'MD5',
      username: 'alice',
      realm: 'sip.example',
      password: 'secret',
      nonce: 'abc',
      method: 'REGISTER',
      uri: 'sip:sip.example',
    }),
  );
});

test('RFC 7616 §3.3: auth-int only and unknown algorithms are refused with ERR_SIP_AUTH_UNSUPPORTED', () => {
  const client = new DigestClient({ username: 'a', password: 'b' }, () => 'c');
  const intOnly = client.answer('Digest realm="r", nonce="n", qop="auth-int"', 'INVITE', 'sip:x');
  assert.equal(intOnly.ok ? '' : intOnly.error.code, 'ERR_SIP_AUTH_UNSUPPORTED');
  const algo = client.answer('Digest realm="r", nonce="n", algorithm=SHA-512-256', 'INVITE', 'sip:x');
  assert.equal(algo.ok ? '' : algo.error.code, 'ERR_SIP_AUTH_UNSUPPORTED');
  const bad = client.answer('Basic realm="r"', 'INVITE', 'sip:x');
  assert.equal(bad.ok ? '' : bad.error.code, 'ERR_SIP_AUTH_BAD_CHALLENGE');
});

function parse(text: string): SipRequest | SipResponse {
  const r = parseSipMessage(new TextEncoder().encode(text));
  assert.ok(r.ok, r.ok ? '' : r.error.detail);
  return r.value;
}

test('RFC 3261 §22.2 / §22.4: a 401 challenge from DigestServer is answered by DigestClient and verifies; nonces go stale', () => {
  const server = new DigestServer({ realm: 'streamfork', secret: 'k3y', nonceTtlMs: 60000 });
  const random = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const challenge = server.challenge(1000, random);
  const hdr =
    'Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\n';
  const request = parse(
    `REGISTER sip:streamfork SIP/2.0\r\n${hdr}CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n`,
  ) as SipRequest;
  const r401 = parse(
    `SIP/2.0 401 Unauthorized\r\n${hdr}CSeq: 1 REGISTER\r\nWWW-Authenticate: ${challenge}\r\nContent-Length: 0\r\n\r\n`,
  ) as SipResponse;
  const client = new DigestClient({ username: 'alice', password: 'pw' }, () => 'c0ffee');
  const header = client.authorize(request, r401);
  assert.ok(header.ok);
  assert.equal(header.value.name, 'Authorization');
  const users = (u: string): string | undefined => (u === 'alice' ? 'pw' : undefined);
  const verified = server.verify(header.value.value, 'REGISTER', users, 2000);
  assert.ok(verified.ok, verified.ok ? '' : verified.error.code);
  assert.equal(verified.value.username, 'alice');
  const wrongPw = server.verify(header.value.value, 'REGISTER', () => 'nope', 2000);
  assert.equal(wrongPw.ok ? '' : wrongPw.error.code, 'ERR_SIP_AUTH_FAILED');
  const stale = server.verify(header.value.value, 'REGISTER', users, 1000 + 60001);
  assert.equal(stale.ok ? '' : stale.error.code, 'ERR_SIP_AUTH_STALE_NONCE');
  assert.match(server.challenge(70000, random, true), /stale=true/);
  const forged = header.value.value.replace(/nonce="[^"]*"/, 'nonce="0.00.0000"');
  assert.equal(server.verify(forged, 'REGISTER', users, 2000).ok, false);
});

test('RFC 3261 §22.3: a 407 is answered with Proxy-Authorization', () => {
  const client = new DigestClient({ username: 'a', password: 'b' }, () => 'cn');
  const hdr =
    'Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n';
  const request = parse(`INVITE sip:c@d SIP/2.0\r\n${hdr}Content-Length: 0\r\n\r\n`) as SipRequest;
  const r407 = parse(
    `SIP/2.0 407 Proxy Authentication Required\r\n${hdr}Proxy-Authenticate: Digest realm="p", nonce="n1", qop="auth"\r\nContent-Length: 0\r\n\r\n`,
  ) as SipResponse;
  const header = client.authorize(request, r407);
  assert.ok(header.ok);
  assert.equal(header.value.name, 'Proxy-Authorization');
  assert.match(header.value.value, /uri="sip:c@d"/);
});
