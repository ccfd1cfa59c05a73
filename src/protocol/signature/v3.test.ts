import assert from 'node:assert/strict';
import { test } from 'node:test';

import plivo from 'plivo';

import { canonicalV3Url, signatureHeaders, signV3, verifyV3, wsSigningUrl } from './v3.js';

type Params = Record<string, string | string[]>;

const plivoValidate = (
  plivo as unknown as {
    validateV3Signature: (
      method: string,
      uri: string,
      nonce: string,
      token: string,
      signature: string,
      params?: Params,
    ) => boolean;
  }
).validateV3Signature;

// Spec §10.3: the verified vectors from plivo-go utils_test.go.
const uuid = '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36';
const goParams: Params = {
  Direction: 'outbound',
  From: '19792014278',
  ALegUUID: uuid,
  CallStatus: 'in-progress',
  BillRate: '0.002',
  ParentAuthID: 'MANWVLYTK4ZWU1YTY4QA',
  To: 'sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com',
  ALegRequestUUID: uuid,
  CallUUID: uuid,
  RequestUUID: uuid,
  'SIP-H-To': '<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1',
  SessionStart: '2020-04-08 11:34:33.238707',
  Event: 'StartApp',
};
const goToken = 'Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4';
const goNonce = '31627761595286130198';
const withQuery = 'https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml/?a=b&c=d';
const withoutQuery = 'https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml';

const vectors = [
  { url: withQuery, method: 'POST', expected: 'k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c=' },
  { url: withQuery, method: 'GET', expected: 'UBq8jAtd32wR8EK9VgxbBn4n5rpI/l1H9iN4WfSEHFQ=' },
  { url: withoutQuery, method: 'POST', expected: 'iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0=' },
  { url: withoutQuery, method: 'GET', expected: 'i/MQsaQSAd6fiKhOh2qeeeLHZ9faldADSb3/7+Akfbc=' },
] as const;

for (const v of vectors) {
  test(`Plivo V3 §10.3 verified vector: ${v.method} ${v.url === withQuery ? 'with' : 'without'} query`, () => {
    const sig = signV3({
      method: v.method,
      url: v.url,
      params: goParams,
      nonce: goNonce,
      authToken: goToken,
    });
    assert.equal(sig, v.expected);
    assert.ok(plivoValidate(v.method, v.url, goNonce, goToken, sig, { ...goParams }));
  });
}

test('Plivo V3 §10.3: POST canonical string with a query ends the query with "." then key+value pairs', () => {
  const canon = canonicalV3Url('POST', withQuery, goParams);
  assert.ok(canon.startsWith(`${withoutQuery}/?a=b&c=d.ALegRequestUUID${uuid}ALegUUID${uuid}BillRate0.002`));
  // Code-unit order: SIP-H-To sorts between RequestUUID and SessionStart.
  assert.ok(
    canon.indexOf('RequestUUID') < canon.indexOf('SIP-H-To') &&
      canon.indexOf('SIP-H-To') < canon.indexOf('SessionStart'),
  );
});

const cases: { name: string; method: 'GET' | 'POST'; url: string; params?: Params }[] = [
  { name: 'GET no query no params', method: 'GET', url: 'https://app.example.com/answer' },
  { name: 'GET bare host', method: 'GET', url: 'https://answer.url' },
  { name: 'GET query only', method: 'GET', url: 'https://app.example.com/answer?b=2&a=1' },
  {
    name: 'GET query and params',
    method: 'GET',
    url: 'https://app.example.com/answer?z=9&a=1',
    params: { From: '123', To: '456' },
  },
  { name: 'GET repeated query key', method: 'GET', url: 'https://app.example.com/x?k=2&k=1&k=3' },
  {
    name: 'GET repeated key in query and params',
    method: 'GET',
    url: 'https://app.example.com/x?k=b',
    params: { k: ['c', 'a'] },
  },
  { name: 'GET encoded query', method: 'GET', url: 'https://app.example.com/x?name=J%C3%B8rn+B&e=a%2Bb%3Dc' },
  { name: 'GET port and trailing slash', method: 'GET', url: 'http://10.0.0.1:8080/ws/?session=abc' },
  { name: 'POST no params no query', method: 'POST', url: 'https://app.example.com/cb' },
  {
    name: 'POST params no query',
    method: 'POST',
    url: 'https://app.example.com/cb',
    params: { Event: 'StartStream', StreamID: 'x' },
  },
  { name: 'POST query no params', method: 'POST', url: 'https://app.example.com/cb?x=1' },
  {
    name: 'POST query and params',
    method: 'POST',
    url: 'https://app.example.com/cb?y=2&x=1',
    params: { B: '2', A: '1', a: '0' },
  },
  {
    name: 'POST repeated body key',
    method: 'POST',
    url: 'https://app.example.com/cb',
    params: { k: ['z', 'y', 'x'], j: 'w' },
  },
  {
    name: 'POST values with spaces and symbols',
    method: 'POST',
    url: 'https://app.example.com/cb?q=a+b',
    params: { Reason: 'Connection error', Url: 'wss://h/p?a=1&b=2' },
  },
];

for (const c of cases) {
  test(`Plivo V3 agrees with plivo.validateV3Signature: ${c.name}`, () => {
    const nonce = '05429567804466091622';
    const authToken = 'MjA2ZmQ4NmE3ZGJiYzQ0NzYwMGNlYzU0YTA5MTQx';
    const sig = signV3({
      method: c.method,
      url: c.url,
      ...(c.params ? { params: c.params } : {}),
      nonce,
      authToken,
    });
    assert.ok(
      plivoValidate(c.method, c.url, nonce, authToken, sig, structuredClone(c.params ?? {})),
      canonicalV3Url(c.method, c.url, c.params),
    );
    assert.ok(!plivoValidate(c.method, c.url, nonce, `${authToken}x`, sig, structuredClone(c.params ?? {})));
    assert.ok(
      verifyV3({
        method: c.method,
        url: c.url,
        ...(c.params ? { params: c.params } : {}),
        nonce,
        authToken,
        signature: `bogus,${sig}`,
      }),
    );
  });
}

test('D8: wsSigningUrl maps ws->http and wss->https and keeps the query', () => {
  assert.equal(
    wsSigningUrl('wss://app.example.com/ws?session=abc&x=1'),
    'https://app.example.com/ws?session=abc&x=1',
  );
  assert.equal(wsSigningUrl('ws://13.127.140.35:19088/ws'), 'http://13.127.140.35:19088/ws');
  assert.equal(wsSigningUrl('  WSS://Host/p  '), 'https://Host/p');
  assert.equal(wsSigningUrl('https://already/http'), 'https://already/http');
});

test('D8: the WebSocket upgrade signature is what the Node stream SDK checks (GET, no params, http(s) URL)', () => {
  const serviceUrl = 'wss://app.example.com/ws?body=eyJhIjoxfQ%3D%3D';
  const headers = signatureHeaders({
    method: 'GET',
    url: wsSigningUrl(serviceUrl),
    nonce: '123',
    authToken: 'tok',
  });
  assert.ok(
    plivoValidate(
      'GET',
      'https://app.example.com/ws?body=eyJhIjoxfQ%3D%3D',
      '123',
      'tok',
      headers['X-Plivo-Signature-V3'] ?? '',
    ),
  );
});

test('signatureHeaders: V3, nonce and Ma-V3 (main account token, or the auth token for a main account)', () => {
  const base = {
    method: 'POST' as const,
    url: 'https://a.example/cb',
    params: { Event: 'StopStream' },
    nonce: '42',
    authToken: 'sub',
  };
  const own = signatureHeaders(base);
  assert.deepEqual(Object.keys(own).sort(), [
    'X-Plivo-Signature-Ma-V3',
    'X-Plivo-Signature-V3',
    'X-Plivo-Signature-V3-Nonce',
  ]);
  assert.equal(own['X-Plivo-Signature-V3-Nonce'], '42');
  assert.equal(own['X-Plivo-Signature-Ma-V3'], own['X-Plivo-Signature-V3']);
  const sub = signatureHeaders({ ...base, mainAccountToken: 'main' });
  assert.equal(sub['X-Plivo-Signature-V3'], own['X-Plivo-Signature-V3']);
  assert.equal(sub['X-Plivo-Signature-Ma-V3'], signV3({ ...base, authToken: 'main' }));
  assert.notEqual(sub['X-Plivo-Signature-Ma-V3'], sub['X-Plivo-Signature-V3']);
});
