import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PlivoXmlBuilderError, Response } from './builder.js';
import { parsePlivoXml } from './parse.js';

const WS = 'wss://app.example.com/ws';

function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PlivoXmlBuilderError, String(err));
    assert.ok(err instanceof TypeError);
    return { code: err.code, message: err.message };
  }
  assert.fail('expected the builder to refuse');
}

test('builder: addStream returns the Stream element, like the SDK (compatibility §11.1)', () => {
  const r = new Response();
  const stream = r.addStream(WS, { keepCallAlive: true });
  assert.equal(stream.name, 'Stream');
  assert.equal(stream.toXML(), `<Stream keepCallAlive="true">${WS}</Stream>`);
  assert.equal(r.toXML(), `<Response><Stream keepCallAlive="true">${WS}</Stream></Response>`);
});

test('builder: GetDigits returns an element that takes Speak, Play and Wait', () => {
  const r = new Response();
  const g = r.addGetDigits({ numDigits: 1 });
  g.addSpeak('Press 1');
  g.addPlay('https://cdn.example.com/a.wav', { loop: 2 });
  g.addWait({ length: 3 });
  assert.equal(
    r.toXML(),
    '<Response><GetDigits numDigits="1"><Speak>Press 1</Speak><Play loop="2">https://cdn.example.com/a.wav</Play><Wait length="3"/></GetDigits></Response>',
  );
  assert.ok(parsePlivoXml(r.toXML()).ok);
});

const refusals: [string, () => unknown, string, string][] = [
  [
    'D9: bidirectional needs audioTrack inbound',
    () => new Response().addStream(WS, { bidirectional: true, audioTrack: 'outbound' }),
    'ERR_XML_STREAM_BIDIRECTIONAL_TRACK',
    'Invalid <Stream>: bidirectional="true" needs audioTrack="inbound", not "outbound"',
  ],
  [
    'D9: the Stream URL must be ws or wss',
    () => new Response().addStream('http://app.example.com/ws'),
    'ERR_XML_BAD_URL_SCHEME',
    'Invalid <Stream>: url must use ws or wss, not http:',
  ],
  [
    'the Stream URL is required',
    () => new Response().addStream('  '),
    'ERR_XML_BODY_REQUIRED',
    'Invalid <Stream>: the url (element text) is required',
  ],
  [
    'streamTimeout must be positive',
    () => new Response().addStream(WS, { streamTimeout: -1 }),
    'ERR_XML_OUT_OF_RANGE',
    'Invalid <Stream>: streamTimeout must be between 1 and 86400, got -1',
  ],
  [
    'integers must be integers',
    () => new Response().addStream(WS, { streamTimeout: 1.5 }),
    'ERR_XML_BAD_VALUE',
    'Invalid <Stream>: streamTimeout must be an integer, got 1.5',
  ],
  [
    'enums are checked at run time too',
    () => new Response().addStream(WS, { audioTrack: 'left' as 'inbound' }),
    'ERR_XML_BAD_ENUM',
    'Invalid <Stream>: audioTrack must be one of inbound, outbound, both; got "left"',
  ],
  [
    'extraHeaders is at most 512 bytes',
    () => new Response().addStream(WS, { extraHeaders: 'x'.repeat(513) }),
    'ERR_XML_TOO_LONG',
    'Invalid <Stream>: extraHeaders must be at most 512 bytes, got 513',
  ],
  [
    'noiseCancellationLevel is 60 to 100',
    () => new Response().addStream(WS, { noiseCancellationLevel: 50 }),
    'ERR_XML_OUT_OF_RANGE',
    'Invalid <Stream>: noiseCancellationLevel must be between 60 and 100, got 50',
  ],
  [
    'unknown attributes are refused, as the SDK does',
    () => new Response().addStream(WS, { maxRetries: 1 } as never),
    'ERR_XML_UNKNOWN_ATTRIBUTE',
    'Invalid <Stream>: no attribute named "maxRetries"',
  ],
  [
    'a double quote in an attribute would be written unescaped by the SDK, so it is refused',
    () => new Response().addStream(WS, { extraHeaders: 'a="1"' }),
    'ERR_XML_BAD_VALUE',
    'Invalid <Stream>: extraHeaders contains " or a character XML cannot carry',
  ],
  [
    'characters XML cannot carry are refused',
    () => new Response().addSpeak('bell \u0007'),
    'ERR_XML_BAD_VALUE',
    'Invalid <Speak>: the text contains a character XML cannot carry',
  ],
  [
    'booleans are booleans or "true"/"false"',
    () => new Response().addWait({ beep: 'yes' as 'true' }),
    'ERR_XML_BAD_VALUE',
    'Invalid <Wait>: beep must be a boolean, got string',
  ],
  [
    'Speak voice',
    () => new Response().addSpeak('hi', { voice: 'Robot' }),
    'ERR_XML_BAD_VALUE',
    'Invalid <Speak>: voice must be WOMAN, MAN or Polly.<VoiceName>, got "Robot"',
  ],
  [
    'Play needs an http(s) URL',
    () => new Response().addPlay('ftp://cdn.example.com/a.mp3'),
    'ERR_XML_BAD_URL_SCHEME',
    'Invalid <Play>: url must use http or https, not ftp:',
  ],
  [
    'Hangup reason',
    () => new Response().addHangup({ reason: 'later' as 'busy' }),
    'ERR_XML_BAD_ENUM',
    'Invalid <Hangup>: reason must be one of rejected, busy; got "later"',
  ],
  [
    'DTMF digits',
    () => new Response().addDTMF('12x'),
    'ERR_XML_BAD_VALUE',
    'Invalid <DTMF>: digits must be digits 0-9, A-D, * and #, with w/W pauses, got "12x"',
  ],
  [
    'Redirect needs an absolute URL',
    () => new Response().addRedirect('/next'),
    'ERR_XML_BAD_URL',
    'Invalid <Redirect>: url must be an absolute http/https URL, got "/next"',
  ],
  [
    'GetDigits finishOnKey',
    () => new Response().addGetDigits({ finishOnKey: 'ab' }),
    'ERR_XML_BAD_VALUE',
    'Invalid <GetDigits>: finishOnKey must be one of 0-9, * and #, "none", or empty, got "ab"',
  ],
];

for (const [name, fn, code, message] of refusals) {
  test(`builder refuses: ${name}`, () => {
    assert.deepEqual(refusal(fn), { code, message });
  });
}

test('builder: a refused element is not added to the document', () => {
  const r = new Response();
  assert.throws(() => r.addStream('http://nope'));
  assert.equal(r.toXML(), '<Response/>');
});
