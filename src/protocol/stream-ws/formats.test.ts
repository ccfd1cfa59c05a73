import assert from 'node:assert/strict';
import { test } from 'node:test';

import { extraHeadersWire } from './extra-headers.js';
import { contentTypeOf, ContentTypes, mediaFormatOf, parseContentType, parseMediaType } from './formats.js';

test('Plivo stream §3.3: frame sizes and encodings of the three content types', () => {
  const table = ContentTypes.map((ct) => {
    const f = mediaFormatOf(ct);
    return [ct, f.encoding, f.sampleRateHz, f.bytesPerSample, f.frameBytes];
  });
  assert.deepEqual(table, [
    ['audio/x-l16;rate=8000', 'audio/x-l16', 8000, 2, 320],
    ['audio/x-l16;rate=16000', 'audio/x-l16', 16000, 2, 640],
    ['audio/x-mulaw;rate=8000', 'audio/x-mulaw', 8000, 1, 160],
  ]);
  assert.ok(Object.isFrozen(mediaFormatOf('audio/x-l16;rate=8000')));
  assert.equal(mediaFormatOf('audio/x-l16;rate=8000'), mediaFormatOf('audio/x-l16;rate=8000'));
});

test('parseContentType is lenient about spelling and strict about the three formats (D16)', () => {
  const cases: [string, string | undefined][] = [
    ['audio/x-mulaw', 'audio/x-mulaw;rate=8000'],
    ['audio/x-mulaw;rate=8000', 'audio/x-mulaw;rate=8000'],
    ['AUDIO/X-MULAW; RATE=8000', 'audio/x-mulaw;rate=8000'],
    ['audio/x-l16;rate=16000', 'audio/x-l16;rate=16000'],
    [' audio/x-l16 ; rate=8000 ', 'audio/x-l16;rate=8000'],
    ['audio/x-l16 ; rate = 16000', 'audio/x-l16;rate=16000'],
    ['audio/x-l16', 'audio/x-l16;rate=8000'],
    ['raw', 'audio/x-l16;rate=8000'],
    ['audio/x-l16;charset=x;rate=16000', 'audio/x-l16;rate=16000'],
    ['audio/x-mulaw;rate=16000', undefined],
    ['audio/x-l16;rate=44100', undefined],
    ['audio/x-l16;rate=abc', undefined],
    ['wav', undefined],
    ['audio/mpeg', undefined],
    ['', undefined],
  ];
  for (const [text, expected] of cases) {
    assert.equal(parseContentType(text), expected, JSON.stringify(text));
  }
});

test('parseMediaType keeps the rate only when given, and recognises legacy raw/wav', () => {
  assert.deepEqual(parseMediaType('audio/x-l16'), { kind: 'audio/x-l16' });
  assert.deepEqual(parseMediaType('audio/x-l16;rate=16000'), { kind: 'audio/x-l16', rateHz: 16000 });
  assert.deepEqual(parseMediaType('WAV'), { kind: 'wav' });
  assert.equal(parseMediaType('video/mp4'), undefined);
  assert.equal(contentTypeOf('audio/x-mulaw', 16000), undefined);
});

test('D4: extra_headers re-joined with ";" in order, or verbatim', () => {
  assert.equal(extraHeadersWire(undefined, 'semicolon'), '');
  assert.equal(extraHeadersWire('', 'verbatim'), '');
  assert.equal(extraHeadersWire('test1=12,test2=123', 'semicolon'), 'test1=12;test2=123');
  assert.equal(extraHeadersWire('b=2, a=1 ,,c=3', 'semicolon'), 'b=2;a=1;c=3');
  assert.equal(
    extraHeadersWire('from=+14155550100,to=+14155550101', 'semicolon'),
    'from=+14155550100;to=+14155550101',
  );
  assert.equal(extraHeadersWire('userId=12345;sessionId=abc', 'semicolon'), 'userId=12345;sessionId=abc');
  assert.equal(extraHeadersWire('test1=12,test2=123', 'verbatim'), 'test1=12,test2=123');
});
