/**
 * `<PreAnswer>` against the official `plivo` npm package's builder (compatibility §11.1): the same calls
 * on our `Response` and on `new plivo.Response()` give the same bytes, and our parser accepts them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import plivo from 'plivo';

import { Response } from '../../src/protocol/plivo-xml/builder.js';
import { parsePlivoXml } from '../../src/protocol/plivo-xml/parse.js';

const sdk = plivo as unknown as { Response: new () => Response };

const cases: readonly { name: string; build: (r: Response) => void }[] = [
  { name: 'empty PreAnswer', build: (r) => r.addPreAnswer() },
  {
    name: 'PreAnswer with Speak, Play, Wait, then the answered part',
    build: (r) => {
      const pre = r.addPreAnswer();
      pre.addSpeak('Your call is important to us', { voice: 'WOMAN', language: 'en-GB', loop: 2 });
      pre.addPlay('https://cdn.example.com/ring.mp3?x=1&y=2', { loop: 1 });
      pre.addWait({ length: 3 });
      r.addSpeak('Connected');
      r.addStream('wss://app.example.com/ws', { bidirectional: true });
    },
  },
  {
    name: 'PreAnswer with GetDigits and DTMF',
    build: (r) => {
      const pre = r.addPreAnswer();
      const g = pre.addGetDigits({ numDigits: 1, timeout: 5, action: 'https://app.example.com/d' });
      g.addSpeak('Press 1 for sales');
      g.addWait({ length: 1 });
      pre.addDTMF('1w2', { async: false });
      r.addHangup({ reason: 'rejected' });
    },
  },
];

for (const c of cases) {
  test(`plivo SDK interop: ${c.name}`, () => {
    const theirs = new sdk.Response();
    c.build(theirs);
    const ours = new Response();
    c.build(ours);
    const sdkXml = theirs.toXML();
    assert.equal(ours.toXML(), sdkXml);
    const parsed = parsePlivoXml(sdkXml);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.warnings, []);
  });
}

test('the SDK lets a PreAnswer come second; our parser refuses it (ERR_XML_NOT_FIRST)', () => {
  const theirs = new sdk.Response();
  theirs.addSpeak('Hi');
  theirs.addPreAnswer();
  const parsed = parsePlivoXml(theirs.toXML());
  assert.ok(!parsed.ok);
  assert.deepEqual(
    parsed.errors.map((e) => e.code),
    ['ERR_XML_NOT_FIRST'],
  );
});
