import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parsePlivoXml } from './parse.js';
import type { PlivoXmlResult, ResponseChildNode } from './types.js';

const WS = 'wss://app.example.com/ws';

function only(result: PlivoXmlResult): ResponseChildNode {
  assert.ok(result.ok, JSON.stringify(result));
  const [first] = result.value.response.children;
  assert.ok(first !== undefined);
  return first;
}

function codes(result: PlivoXmlResult): string[] {
  return result.ok ? [] : result.errors.map((e) => e.code);
}

test('Plivo <Stream> §2.2: defaults are applied and units appear in the field names', () => {
  const node = only(parsePlivoXml(`<Response><Stream>${WS}</Stream></Response>`));
  assert.deepEqual(node, {
    element: 'Stream',
    path: 'Response/Stream[1]',
    position: { line: 1, column: 11, offset: 10 },
    url: WS,
    bidirectional: false,
    audioTrack: 'inbound',
    streamTimeoutSec: 86400,
    statusCallbackMethod: 'POST',
    contentType: 'audio/x-l16;rate=8000',
    keepCallAlive: false,
    resumeTimeoutSec: 0,
    playbackExtras: false,
    noiseCancellation: false,
    noiseCancellationLevel: 85,
  });
});

test('Plivo <Stream> §2.1: the body is trimmed and XML-unescaped', () => {
  const node = only(parsePlivoXml(`<Response><Stream>\n   ${WS}?a=1&amp;b=2\n  </Stream></Response>`));
  assert.ok(node.element === 'Stream');
  assert.equal(node.url, `${WS}?a=1&b=2`);
});

test('Plivo <Stream> §2.3: booleans are case-insensitive; methods too', () => {
  const node = only(
    parsePlivoXml(
      `<Response><Stream bidirectional="True" keepCallAlive=" FALSE " statusCallbackMethod="get">${WS}</Stream></Response>`,
    ),
  );
  assert.ok(node.element === 'Stream');
  assert.equal(node.bidirectional, true);
  assert.equal(node.keepCallAlive, false);
  assert.equal(node.statusCallbackMethod, 'GET');
});

test('D9: bidirectional="true" with audioTrack other than inbound is an error at audioTrack', () => {
  for (const track of ['outbound', 'both']) {
    const r = parsePlivoXml(
      `<Response><Stream bidirectional="true" audioTrack="${track}">${WS}</Stream></Response>`,
    );
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'ERR_XML_STREAM_BIDIRECTIONAL_TRACK');
    assert.equal(r.error.attribute, 'audioTrack');
    assert.equal(r.error.path, 'Response/Stream[1]');
  }
});

test('D9: unknown attributes are warnings and the document still runs', () => {
  const r = parsePlivoXml(`<Response><Stream maxRetries="3">${WS}</Stream></Response>`);
  assert.ok(r.ok);
  assert.deepEqual(
    r.warnings.map((w) => [w.code, w.attribute, w.line, w.column]),
    [['ERR_XML_UNKNOWN_ATTRIBUTE', 'maxRetries', 1, 19]],
  );
});

test('D9: every error is reported, in document order, not just the first', () => {
  const r = parsePlivoXml(
    '<Response>\n<Stream streamTimeout="x" audioTrack="up">http://a</Stream>\n<Wait length="-2"/>\n<Nope/>\n</Response>',
  );
  assert.deepEqual(codes(r), [
    'ERR_XML_BAD_INTEGER',
    'ERR_XML_BAD_ENUM',
    'ERR_XML_BAD_URL_SCHEME',
    'ERR_XML_OUT_OF_RANGE',
    'ERR_XML_UNKNOWN_ELEMENT',
  ]);
  assert.ok(!r.ok);
  assert.deepEqual(
    r.errors.map((e) => `${e.line}:${e.column} ${e.path}`),
    [
      '2:9 Response/Stream[1]',
      '2:27 Response/Stream[1]',
      '2:43 Response/Stream[1]',
      '3:7 Response/Wait[1]',
      '4:1 Response/Nope[1]',
    ],
  );
});

test('D16: contentType="raw" is read as audio/x-l16;rate=8000 with a warning', () => {
  const r = parsePlivoXml(`<Response><Stream contentType="raw">${WS}</Stream></Response>`);
  const node = only(r);
  assert.ok(node.element === 'Stream' && r.ok);
  assert.equal(node.contentType, 'audio/x-l16;rate=8000');
  assert.deepEqual(
    r.warnings.map((w) => w.code),
    ['ERR_XML_LEGACY_VALUE'],
  );
});

test('Plivo <Stream> §2.3: whitespace around ";" in contentType is normalised', () => {
  const node = only(
    parsePlivoXml(`<Response><Stream contentType="audio/x-mulaw ; rate=8000">${WS}</Stream></Response>`),
  );
  assert.ok(node.element === 'Stream');
  assert.equal(node.contentType, 'audio/x-mulaw;rate=8000');
});

test('Plivo <Stream> §2.5: extraHeaders may be 512 bytes, not 513', () => {
  const at = (n: number): PlivoXmlResult =>
    parsePlivoXml(`<Response><Stream extraHeaders="k=${'v'.repeat(n - 2)}">${WS}</Stream></Response>`);
  assert.ok(at(512).ok);
  assert.deepEqual(codes(at(513)), ['ERR_XML_TOO_LONG']);
});

test('noiseCancellationLevel without noiseCancellation="true" is a warning', () => {
  const r = parsePlivoXml(`<Response><Stream noiseCancellationLevel="90">${WS}</Stream></Response>`);
  assert.ok(r.ok);
  assert.deepEqual(
    r.warnings.map((w) => w.code),
    ['ERR_XML_ATTRIBUTE_IGNORED'],
  );
});

test('Plivo <GetDigits>: nested prompts are typed children with paths', () => {
  const r = parsePlivoXml(
    '<Response><GetDigits numDigits="4"><Speak>one</Speak><Wait/><Speak loop="2">two</Speak></GetDigits></Response>',
  );
  const node = only(r);
  assert.ok(node.element === 'GetDigits');
  assert.equal(node.numDigits, 4);
  assert.equal(node.timeoutSec, 5);
  assert.deepEqual(
    node.children.map((c) => c.path),
    ['Response/GetDigits[1]/Speak[1]', 'Response/GetDigits[1]/Wait[1]', 'Response/GetDigits[1]/Speak[2]'],
  );
});

test('Plivo <Speak>: SSML children are passed through as raw markup', () => {
  const node = only(parsePlivoXml('<Response><Speak>Hi <break time="1s"/>there</Speak></Response>'));
  assert.ok(node.element === 'Speak');
  assert.equal(node.text, 'Hi there');
  assert.equal(node.ssml, 'Hi <break time="1s"/>there');
});

test('Plivo <Hangup> and <Wait>: optional attributes stay absent when not given', () => {
  const r = parsePlivoXml('<Response><Hangup/></Response>');
  const node = only(r);
  assert.deepEqual(Object.keys(node), ['element', 'path', 'position']);
});

test('safety: the 100 KB limit is checked before parsing (compatibility §2.5)', () => {
  const r = parsePlivoXml(`<Response>${' '.repeat(100 * 1024)}</Response>`);
  assert.deepEqual(codes(r), ['ERR_XML_TOO_LARGE']);
  const multibyte = parsePlivoXml(`<Response><Speak>${'é'.repeat(52000)}</Speak></Response>`);
  assert.deepEqual(codes(multibyte), ['ERR_XML_TOO_LARGE']);
});

test('safety: a DOCTYPE is refused and entities are never expanded', () => {
  const r = parsePlivoXml('<!DOCTYPE r [<!ENTITY a "aaaa">]><Response><Speak>&a;</Speak></Response>');
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'ERR_XML_DOCTYPE');
});

test('a CR LF document reports lines and columns as an editor shows them', () => {
  const r = parsePlivoXml('<Response>\r\n  <Stream audioTrack="x">wss://a</Stream>\r\n</Response>');
  assert.ok(!r.ok);
  assert.deepEqual([r.error.line, r.error.column], [2, 11]);
});

test('parsePlivoXml never throws, even on a non-string', () => {
  const r = parsePlivoXml(42 as unknown as string);
  assert.deepEqual(codes(r), ['ERR_XML_MALFORMED']);
});
