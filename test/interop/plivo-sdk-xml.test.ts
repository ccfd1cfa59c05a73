/**
 * Interop with the official `plivo` npm package's XML builder (compatibility §11.1, dependencies.md §6a).
 *
 * Each case is one function of a Response-shaped builder, run twice: on our `Response` and on
 * `new plivo.Response()`. Our `toXML()` must equal the SDK's byte for byte, and our parser must accept
 * what the SDK wrote. Where the SDK lets through a value our validator refuses (D9), the case names the
 * code: our builder throws it and our parser reports it on the SDK's output.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import plivo from 'plivo';

import type { XmlCode } from '../../src/errors/codes/xml.js';
import { PlivoXmlBuilderError, Response } from '../../src/protocol/plivo-xml/builder.js';
import { parsePlivoXml } from '../../src/protocol/plivo-xml/parse.js';

const sdk = plivo as unknown as { Response: new () => Response };

interface Case {
  readonly name: string;
  readonly build: (r: Response) => void;
  /** The SDK accepts this, we do not: our builder throws `builder`, our parser reports `parser`. */
  readonly refused?: { readonly builder: XmlCode; readonly parser: XmlCode };
  /** Warnings our parser reports on the output. */
  readonly warnings?: readonly XmlCode[];
}

const WS = 'wss://yourstream.websocket.io/audiostream';
const CB = 'https://app.example.com/stream-status';

const streamAlone: Case[] = [
  { name: 'Stream: URL only', build: (r) => r.addStream(WS) },
  { name: 'Stream: ws:// URL', build: (r) => r.addStream('ws://10.0.0.1:8080/ws') },
  { name: 'Stream: bidirectional=true', build: (r) => r.addStream(WS, { bidirectional: true }) },
  { name: 'Stream: bidirectional=false', build: (r) => r.addStream(WS, { bidirectional: false }) },
  { name: 'Stream: audioTrack=inbound', build: (r) => r.addStream(WS, { audioTrack: 'inbound' }) },
  { name: 'Stream: audioTrack=outbound', build: (r) => r.addStream(WS, { audioTrack: 'outbound' }) },
  { name: 'Stream: audioTrack=both', build: (r) => r.addStream(WS, { audioTrack: 'both' }) },
  { name: 'Stream: streamTimeout=120', build: (r) => r.addStream(WS, { streamTimeout: 120 }) },
  { name: 'Stream: statusCallbackUrl', build: (r) => r.addStream(WS, { statusCallbackUrl: CB }) },
  {
    name: 'Stream: statusCallbackMethod=GET',
    build: (r) => r.addStream(WS, { statusCallbackMethod: 'GET' }),
  },
  {
    name: 'Stream: statusCallbackMethod=POST',
    build: (r) => r.addStream(WS, { statusCallbackMethod: 'POST' }),
  },
  {
    name: 'Stream: contentType L16 8k',
    build: (r) => r.addStream(WS, { contentType: 'audio/x-l16;rate=8000' }),
  },
  {
    name: 'Stream: contentType L16 16k',
    build: (r) => r.addStream(WS, { contentType: 'audio/x-l16;rate=16000' }),
  },
  {
    name: 'Stream: contentType mu-law',
    build: (r) => r.addStream(WS, { contentType: 'audio/x-mulaw;rate=8000' }),
  },
  { name: 'Stream: extraHeaders', build: (r) => r.addStream(WS, { extraHeaders: 'a=1,b=2' }) },
  { name: 'Stream: keepCallAlive=true', build: (r) => r.addStream(WS, { keepCallAlive: true }) },
  { name: 'Stream: keepCallAlive=false', build: (r) => r.addStream(WS, { keepCallAlive: false }) },
  { name: 'Stream: boolean given as a string', build: (r) => r.addStream(WS, { keepCallAlive: 'true' }) },
  {
    name: 'Stream: extraHeaders of exactly 512 bytes (compatibility §2.5)',
    build: (r) => r.addStream(WS, { extraHeaders: `k=${'v'.repeat(510)}` }),
  },
];

const streamCombined: Case[] = [
  {
    name: 'Stream: every SDK attribute, dependencies.md §6a order',
    build: (r) =>
      r.addStream('wss://app.example/ws', {
        bidirectional: true,
        keepCallAlive: true,
        contentType: 'audio/x-mulaw;rate=8000',
        audioTrack: 'inbound',
        streamTimeout: 120,
        statusCallbackUrl: 'http://127.0.0.1/cb',
        statusCallbackMethod: 'POST',
        extraHeaders: 'a=1,b=2',
      }),
  },
  {
    name: 'Stream: every SDK attribute, spec table order',
    build: (r) =>
      r.addStream(WS, {
        bidirectional: false,
        audioTrack: 'both',
        streamTimeout: 86400,
        statusCallbackUrl: CB,
        statusCallbackMethod: 'GET',
        contentType: 'audio/x-l16;rate=16000',
        extraHeaders: 'callId=abc,tenant=acme',
        keepCallAlive: false,
      }),
  },
  {
    name: 'Stream then Speak and Hangup (dependencies.md §6a)',
    build: (r) => {
      r.addStream('wss://app.example/ws', { bidirectional: true, keepCallAlive: true });
      r.addSpeak('after stream');
      r.addHangup();
    },
  },
  {
    name: 'Stream: two streams in one document',
    build: (r) => {
      r.addStream('wss://a.example/in', { audioTrack: 'inbound' });
      r.addStream('wss://b.example/out', { audioTrack: 'outbound', keepCallAlive: true });
    },
  },
  {
    // D9: the SDK accepts bidirectional with a track other than inbound; we refuse it.
    name: 'Stream: bidirectional with audioTrack=both is refused (D9)',
    build: (r) => r.addStream(WS, { bidirectional: true, audioTrack: 'both' }),
    refused: { builder: 'ERR_XML_STREAM_BIDIRECTIONAL_TRACK', parser: 'ERR_XML_STREAM_BIDIRECTIONAL_TRACK' },
  },
  {
    // D9: same with outbound.
    name: 'Stream: bidirectional with audioTrack=outbound is refused (D9)',
    build: (r) => r.addStream(WS, { audioTrack: 'outbound', bidirectional: 'true' }),
    refused: { builder: 'ERR_XML_STREAM_BIDIRECTIONAL_TRACK', parser: 'ERR_XML_STREAM_BIDIRECTIONAL_TRACK' },
  },
  {
    // The SDK checks no URL scheme; D9 requires ws/wss.
    name: 'Stream: an https body is refused (D9)',
    build: (r) => r.addStream('https://not-a-websocket.example/'),
    refused: { builder: 'ERR_XML_BAD_URL_SCHEME', parser: 'ERR_XML_BAD_URL_SCHEME' },
  },
  {
    // The SDK checks no length; compatibility §2.5 caps extraHeaders at 512 bytes.
    name: 'Stream: extraHeaders of 513 bytes is refused',
    build: (r) => r.addStream(WS, { extraHeaders: `k=${'v'.repeat(511)}` }),
    refused: { builder: 'ERR_XML_TOO_LONG', parser: 'ERR_XML_TOO_LONG' },
  },
  {
    // The SDK checks no range; streamTimeout must be positive.
    name: 'Stream: streamTimeout=0 is refused',
    build: (r) => r.addStream(WS, { streamTimeout: 0 }),
    refused: { builder: 'ERR_XML_OUT_OF_RANGE', parser: 'ERR_XML_OUT_OF_RANGE' },
  },
];

// The seed page's samples (Node, Python, Ruby, PHP, Java, .NET, Go), each written with this builder.
const seedSamples: Case[] = [
  {
    name: 'seed Node sample, placeholder filled in',
    build: (r) =>
      r.addStream(WS, {
        bidirectional: 'false',
        audioTrack: 'both',
        contentType: 'audio/x-l16;rate=8000',
        streamTimeout: 120,
        statusCallbackUrl: 'https://yourdomain.com/events/',
        statusCallbackMethod: 'POST',
        extraHeaders: 'Test1=Test2,Test3=Test4',
      }),
  },
  {
    // As printed, the callback URL still holds `<yourdomain>`: escaped fine, but not a URL.
    name: 'seed Node sample as printed: the <yourdomain> placeholder is not a valid URL',
    build: (r) =>
      r.addStream(WS, {
        bidirectional: 'false',
        audioTrack: 'both',
        statusCallbackUrl: 'https://<yourdomain>.com/events/',
      }),
    refused: { builder: 'ERR_XML_BAD_URL', parser: 'ERR_XML_BAD_URL' },
  },
  {
    name: 'seed Python sample (keyword order kept)',
    build: (r) =>
      r.addStream(WS, {
        bidirectional: 'false',
        audioTrack: 'both',
        streamTimeout: 120,
        statusCallbackMethod: 'POST',
        statusCallbackUrl: 'https://yourdomain.com/events/',
        contentType: 'audio/x-l16;rate=8000',
        extraHeaders: 'Test1=Test2,Test3=Test4',
      }),
  },
  {
    name: 'seed Ruby sample: URL on its own line, placeholder filled in',
    build: (r) =>
      r.addStream(`\n${WS}`, {
        bidirectional: 'false',
        audioTrack: 'both',
        contentType: 'audio/x-l16;rate=8000',
        streamTimeout: 120,
        statusCallbackUrl: 'https://yourdomain.com/events/',
        statusCallbackMethod: 'POST',
        extraHeaders: 'Test1=Test2,Test3=Test4',
      }),
  },
  {
    // The PHP sample spells some keys in snake_case; the XML attribute names are camelCase.
    name: 'seed PHP sample, attribute names in their XML spelling',
    build: (r) =>
      r.addStream(`\n${WS}`, {
        bidirectional: false,
        audioTrack: 'both',
        streamTimeout: 120,
        contentType: 'audio/x-l16;rate=8000',
        statusCallbackUrl: 'https://yourdomain.com/events/',
        statusCallbackMethod: 'POST',
        extraHeaders: 'Test1=Test2,Test3=Test4',
      }),
  },
  {
    name: 'seed Java sample with a real callback URL',
    build: (r) =>
      r.addStream(`\n${WS}\n`, {
        bidirectional: false,
        streamTimeout: 120,
        audioTrack: 'both',
        contentType: 'audio/x-l16;rate=8000',
        statusCallbackUrl: 'https://yourdomain.com/callback',
        statusCallbackMethod: 'POST',
        extraHeaders: 'Test1=Test2,Test3=Test4',
      }),
  },
  {
    // As printed, statusCallbackUrl is "callback-url", a relative reference.
    name: 'seed Java sample as printed: "callback-url" is not an absolute URL',
    build: (r) => r.addStream(`\n${WS}\n`, { bidirectional: false, statusCallbackUrl: 'callback-url' }),
    refused: { builder: 'ERR_XML_BAD_URL', parser: 'ERR_XML_BAD_URL' },
  },
  {
    name: 'seed .NET sample (16 kHz), placeholder filled in',
    build: (r) =>
      r.addStream(`\n${WS}`, {
        bidirectional: false,
        audioTrack: 'both',
        streamTimeout: 120,
        statusCallbackUrl: 'https://yourdomain.com/confevents/',
        statusCallbackMethod: 'POST',
        contentType: 'audio/x-l16;rate=16000',
        extraHeaders: 'Test1=Test2,Test3=Test4',
      }),
  },
  {
    name: 'seed Go sample (setter order)',
    build: (r) =>
      r.addStream('wss://www.example.com/socketserver', {
        audioTrack: 'both',
        contentType: 'audio/x-l16;rate=16000',
        bidirectional: false,
        statusCallbackMethod: 'GET',
        statusCallbackUrl: 'https://yourdomain.com/events',
        streamTimeout: 120,
        extraHeaders: 'Test1=Test2,Test3=Test4',
      }),
  },
];

const escaping: Case[] = [
  { name: 'escaping: & in the Stream URL query', build: (r) => r.addStream('wss://a.example/ws?x=1&y=2') },
  { name: 'escaping: &, <, > in Speak text', build: (r) => r.addSpeak('Tom & Jerry <3 > all') },
  { name: 'escaping: double and single quotes in text', build: (r) => r.addSpeak(`Say "yes" or 'no'`) },
  { name: 'escaping: CR in text', build: (r) => r.addSpeak('line one\r\nline two') },
  {
    name: 'escaping: & and < in an attribute URL',
    build: (r) => r.addStream(WS, { statusCallbackUrl: 'https://a.example/cb?a=1&b=<2>' }),
  },
  {
    name: 'escaping: single quote in an attribute',
    build: (r) => r.addStream(WS, { extraHeaders: "name='x'" }),
  },
  {
    name: 'escaping: TAB and LF in an attribute',
    build: (r) => r.addStream(WS, { extraHeaders: 'a=1,\tb=2\n' }),
  },
  {
    // The SDK writes `"` back unescaped inside the attribute value: malformed XML. We refuse it.
    name: 'escaping: a double quote in an attribute is refused (the SDK emits malformed XML)',
    build: (r) => r.addStream(WS, { extraHeaders: 'a="1"' }),
    refused: { builder: 'ERR_XML_BAD_VALUE', parser: 'ERR_XML_MALFORMED' },
  },
];

const otherElements: Case[] = [
  { name: 'empty Response', build: () => undefined },
  { name: 'Speak: text only', build: (r) => r.addSpeak('Hello') },
  {
    name: 'Speak: voice, language, loop',
    build: (r) => r.addSpeak('Hola', { voice: 'MAN', language: 'es-ES', loop: 2 }),
  },
  { name: 'Speak: a Polly voice', build: (r) => r.addSpeak('Hi', { voice: 'Polly.Joanna' }) },
  { name: 'Play: URL and loop', build: (r) => r.addPlay('https://cdn.example.com/a.mp3', { loop: 3 }) },
  { name: 'Wait: no attributes', build: (r) => r.addWait() },
  {
    name: 'Wait: every attribute',
    build: (r) => r.addWait({ length: 10, silence: true, minSilence: 3000, beep: false }),
  },
  { name: 'Hangup: no attributes', build: (r) => r.addHangup() },
  { name: 'Hangup: reason and schedule', build: (r) => r.addHangup({ reason: 'busy', schedule: 30 }) },
  {
    name: 'Redirect: method GET',
    build: (r) => r.addRedirect('https://app.example.com/next', { method: 'GET' }),
  },
  { name: 'DTMF: digits with waits, async=false', build: (r) => r.addDTMF('12w34W#', { async: false }) },
  {
    name: 'GetDigits: every attribute and nested Speak, Play, Wait',
    build: (r) => {
      const g = r.addGetDigits({
        action: 'https://app.example.com/digits?step=1&lang=en',
        method: 'POST',
        timeout: 10,
        digitTimeout: 3,
        finishOnKey: '*',
        numDigits: 4,
        retries: 2,
        redirect: true,
        playBeep: true,
        validDigits: '0123456789',
        invalidDigitsSound: 'https://cdn.example.com/invalid.mp3',
        log: false,
      });
      g.addSpeak('Enter your PIN', { language: 'en-GB' });
      g.addWait({ length: 2 });
      g.addPlay('https://cdn.example.com/beep.wav');
    },
  },
  {
    name: 'a full answer document',
    build: (r) => {
      r.addSpeak('Connecting you now.');
      r.addStream('wss://agent.example.com/ws?call=1', {
        bidirectional: true,
        keepCallAlive: true,
        contentType: 'audio/x-mulaw;rate=8000',
      });
      r.addRedirect('https://app.example.com/after-stream');
    },
  },
];

const recordCases: Case[] = [
  { name: 'Record: no attributes', build: (r) => r.addRecord() },
  {
    name: 'Record: action, method, maxLength, timeout, finishOnKey, playBeep',
    build: (r) =>
      r.addRecord({
        action: 'https://app.example.com/recorded?x=1&y=2',
        method: 'GET',
        maxLength: 30,
        timeout: 5,
        finishOnKey: '#',
        playBeep: false,
      }),
  },
  {
    name: 'Record: recordSession with callbackUrl, stereo, wav',
    build: (r) =>
      r.addRecord({
        recordSession: true,
        redirect: false,
        fileFormat: 'wav',
        recordChannelType: 'stereo',
        callbackUrl: 'https://app.example.com/recording-done',
        callbackMethod: 'POST',
      }),
  },
  {
    name: 'Record: startOnDialAnswer',
    build: (r) => r.addRecord({ startOnDialAnswer: true, recordSession: true }),
  },
  {
    name: 'Record: transcription attributes (accepted, warned)',
    build: (r) => r.addRecord({ transcriptionType: 'auto', transcriptionUrl: 'https://app.example.com/t' }),
    warnings: ['ERR_XML_ATTRIBUTE_IGNORED', 'ERR_XML_ATTRIBUTE_IGNORED'],
  },
  {
    name: 'Record: fileFormat mp3 (no maintained encoder)',
    // untyped JavaScript can pass it
    build: (r) => r.addRecord({ fileFormat: 'mp3' as 'wav' }),
    refused: { builder: 'ERR_XML_BAD_ENUM', parser: 'ERR_XML_BAD_ENUM' },
  },
  {
    name: 'Record: finishOnKey none',
    build: (r) => r.addRecord({ finishOnKey: 'none', maxLength: 3600 }),
  },
];

const cases: readonly Case[] = [
  ...streamAlone,
  ...streamCombined,
  ...seedSamples,
  ...escaping,
  ...otherElements,
  ...recordCases,
];

test('the interop table has at least 40 cases', () => {
  assert.ok(cases.length >= 40, `${cases.length} cases`);
});

for (const c of cases) {
  test(`plivo SDK interop: ${c.name}`, () => {
    const theirs = new sdk.Response();
    c.build(theirs);
    const sdkXml = theirs.toXML();
    const parsed = parsePlivoXml(sdkXml);
    if (c.refused !== undefined) {
      const refused = c.refused;
      assert.throws(
        () => {
          c.build(new Response());
        },
        (err: unknown) => err instanceof PlivoXmlBuilderError && err.code === refused.builder,
      );
      assert.ok(!parsed.ok, sdkXml);
      assert.ok(
        parsed.errors.some((e) => e.code === refused.parser),
        JSON.stringify(parsed),
      );
      return;
    }
    const ours = new Response();
    c.build(ours);
    assert.equal(ours.toXML(), sdkXml);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(
      parsed.warnings.map((w) => w.code),
      c.warnings ?? [],
    );
  });
}

test('noiseCancellation (no SDK accepts it; compatibility §2.2): output matches the hand-written form', () => {
  const r = new Response();
  r.addStream(WS, { noiseCancellation: true, noiseCancellationLevel: 70 });
  const expected = `<Response><Stream noiseCancellation="true" noiseCancellationLevel="70">${WS}</Stream></Response>`;
  assert.equal(r.toXML(), expected);
  assert.throws(() => {
    new sdk.Response().addStream(WS, { noiseCancellation: true });
  }, /Not a valid attribute/);
  const parsed = parsePlivoXml(expected);
  assert.ok(parsed.ok);
  const stream = parsed.value.response.children[0];
  assert.ok(stream?.element === 'Stream');
  assert.ok(stream.noiseCancellation);
  assert.equal(stream.noiseCancellationLevel, 70);
});

test('noiseCancellation alone defaults the level to 85', () => {
  const r = new Response();
  r.addStream(WS, { noiseCancellation: 'false' });
  assert.equal(r.toXML(), `<Response><Stream noiseCancellation="false">${WS}</Stream></Response>`);
  const parsed = parsePlivoXml(r.toXML());
  assert.ok(parsed.ok);
  const stream = parsed.value.response.children[0];
  assert.ok(
    stream?.element === 'Stream' && !stream.noiseCancellation && stream.noiseCancellationLevel === 85,
  );
});

test('noiseCancellationLevel outside 60-100 is refused', () => {
  assert.throws(
    () => new Response().addStream(WS, { noiseCancellation: true, noiseCancellationLevel: 101 }),
    {
      code: 'ERR_XML_OUT_OF_RANGE',
    },
  );
  const r = parsePlivoXml(
    `<Response><Stream noiseCancellation="true" noiseCancellationLevel="59">${WS}</Stream></Response>`,
  );
  assert.ok(
    !r.ok && r.error.code === 'ERR_XML_OUT_OF_RANGE' && r.error.attribute === 'noiseCancellationLevel',
  );
});

test('the SDK writing bidirectional="False" (the .NET sample spelling) is accepted case-insensitively', () => {
  const theirs = new sdk.Response();
  theirs.addStream(WS, { bidirectional: 'False' as 'false', audioTrack: 'both' });
  const parsed = parsePlivoXml(theirs.toXML());
  assert.ok(parsed.ok);
  const stream = parsed.value.response.children[0];
  assert.ok(stream?.element === 'Stream' && !stream.bidirectional);
});

const SEED_XML = `<Response>
\t<Stream bidirectional="false" streamTimeout="120" audioTrack="both" statusCallbackUrl="https://<yourdomain>.com/events/" statusCallbackMethod="POST" contentType="raw">wss://yourstream.websocket.io/audiostream</Stream>
</Response>`;

test('seed XML example as printed: the < inside an attribute value is malformed, with its position', () => {
  const r = parsePlivoXml(SEED_XML);
  assert.ok(!r.ok);
  const line2 = SEED_XML.split('\n')[1]!;
  assert.equal(r.error.code, 'ERR_XML_MALFORMED');
  assert.equal(r.error.line, 2);
  assert.equal(r.error.column, line2.indexOf('<yourdomain>') + 1);
});

test('seed XML example with the placeholder filled in is accepted; contentType="raw" warns (D16)', () => {
  const r = parsePlivoXml(SEED_XML.replace('<yourdomain>', 'yourdomain'));
  assert.ok(r.ok, JSON.stringify(r));
  assert.deepEqual(
    r.warnings.map((w) => [w.code, w.path, w.attribute]),
    [['ERR_XML_LEGACY_VALUE', 'Response/Stream[1]', 'contentType']],
  );
  const stream = r.value.response.children[0];
  assert.ok(stream?.element === 'Stream');
  assert.equal(stream.contentType, 'audio/x-l16;rate=8000');
  assert.equal(stream.audioTrack, 'both');
  assert.equal(stream.streamTimeoutSec, 120);
  assert.equal(stream.url, 'wss://yourstream.websocket.io/audiostream');
});

test("the SDK's builder refuses streamfork's playbackExtras attribute: SDK users ask for it over REST (playback_extras)", () => {
  const r = new sdk.Response() as unknown as { addStream(url: string, attrs: object): unknown };
  assert.throws(() => r.addStream(WS, { bidirectional: true, playbackExtras: true }), /playbackExtras/);
});
