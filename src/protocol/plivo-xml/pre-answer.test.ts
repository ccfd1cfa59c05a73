/** `<PreAnswer>` (early media): what the parser accepts, what it refuses, and the builder's output. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PlivoXmlBuilderError, Response } from './builder.js';
import { parsePlivoXml } from './parse.js';
import type { PlivoXmlResult } from './types.js';

function errors(result: PlivoXmlResult): { code: string; path: string; detail: string }[] {
  return result.ok ? [] : result.errors.map((e) => ({ code: e.code, path: e.path, detail: e.detail }));
}

test('Plivo <PreAnswer>: Speak, Play, Wait, GetDigits and DTMF children, in order, then the rest', () => {
  const result = parsePlivoXml(
    '<Response><PreAnswer><Speak>Please hold</Speak><Play>https://cdn.example.com/a.wav</Play>' +
      '<Wait length="2"/><GetDigits numDigits="1"><Speak>Press 1</Speak></GetDigits><DTMF>12</DTMF>' +
      '</PreAnswer><Speak>Answered</Speak></Response>',
  );
  assert.ok(result.ok, JSON.stringify(result));
  const [pre, after] = result.value.response.children;
  assert.ok(pre?.element === 'PreAnswer');
  assert.equal(pre.path, 'Response/PreAnswer[1]');
  assert.deepEqual(
    pre.children.map((c) => [c.element, c.path]),
    [
      ['Speak', 'Response/PreAnswer[1]/Speak[1]'],
      ['Play', 'Response/PreAnswer[1]/Play[1]'],
      ['Wait', 'Response/PreAnswer[1]/Wait[1]'],
      ['GetDigits', 'Response/PreAnswer[1]/GetDigits[1]'],
      ['DTMF', 'Response/PreAnswer[1]/DTMF[1]'],
    ],
  );
  const wait = pre.children[2];
  assert.ok(wait?.element === 'Wait');
  assert.equal(wait.lengthSec, 2);
  assert.equal(after?.element, 'Speak');
  assert.deepEqual(result.warnings, []);
});

test('Plivo <PreAnswer>: an empty one is accepted (answers at once)', () => {
  const result = parsePlivoXml('<Response><PreAnswer/><Speak>Hi</Speak></Response>');
  assert.ok(result.ok, JSON.stringify(result));
  const [pre] = result.value.response.children;
  assert.ok(pre?.element === 'PreAnswer');
  assert.deepEqual(pre.children, []);
});

test('Plivo <PreAnswer>: must be the first element (ERR_XML_NOT_FIRST), at its own position', () => {
  const result = parsePlivoXml(
    '<Response><Speak>Hi</Speak><PreAnswer><Speak>x</Speak></PreAnswer></Response>',
  );
  assert.deepEqual(errors(result), [
    {
      code: 'ERR_XML_NOT_FIRST',
      path: 'Response/PreAnswer[1]',
      detail: '<PreAnswer> must be the first element in <Response>',
    },
  ]);
  assert.ok(!result.ok);
  assert.equal(result.error.column, 28);
});

test('Plivo <PreAnswer>: a second one is refused (ERR_XML_NOT_FIRST)', () => {
  const result = parsePlivoXml('<Response><PreAnswer/><PreAnswer/></Response>');
  assert.deepEqual(
    errors(result).map((e) => [e.code, e.path]),
    [['ERR_XML_NOT_FIRST', 'Response/PreAnswer[2]']],
  );
});

test('Plivo <PreAnswer>: a Stream, Redirect, Hangup or nested PreAnswer inside is refused (D9)', () => {
  const result = parsePlivoXml(
    '<Response><PreAnswer><Stream>wss://a.example.com/ws</Stream><Redirect>https://a.example.com/x</Redirect>' +
      '<Hangup/><PreAnswer/></PreAnswer></Response>',
  );
  assert.deepEqual(
    errors(result).map((e) => [e.code, e.path]),
    [
      ['ERR_XML_CHILD_NOT_ALLOWED', 'Response/PreAnswer[1]/Stream[1]'],
      ['ERR_XML_CHILD_NOT_ALLOWED', 'Response/PreAnswer[1]/Redirect[1]'],
      ['ERR_XML_CHILD_NOT_ALLOWED', 'Response/PreAnswer[1]/Hangup[1]'],
      ['ERR_XML_CHILD_NOT_ALLOWED', 'Response/PreAnswer[1]/PreAnswer[1]'],
    ],
  );
});

test('Plivo <PreAnswer>: Message (Plivo allows it) is unsupported; text and attributes are reported', () => {
  const result = parsePlivoXml(
    '<Response><PreAnswer loop="2">hello<Message>x</Message></PreAnswer></Response>',
  );
  assert.deepEqual(
    errors(result).map((e) => e.code),
    ['ERR_XML_UNEXPECTED_TEXT', 'ERR_XML_UNSUPPORTED_ELEMENT'],
  );
  assert.deepEqual(
    result.warnings.map((w) => [w.code, w.attribute]),
    [['ERR_XML_UNKNOWN_ATTRIBUTE', 'loop']],
  );
});

test('Plivo <PreAnswer> cannot be nested in GetDigits', () => {
  const result = parsePlivoXml('<Response><GetDigits><PreAnswer/></GetDigits></Response>');
  assert.deepEqual(
    errors(result).map((e) => [e.code, e.path]),
    [['ERR_XML_CHILD_NOT_ALLOWED', 'Response/GetDigits[1]/PreAnswer[1]']],
  );
});

test('builder: addPreAnswer returns an element taking Speak, Play, Wait, GetDigits, DTMF', () => {
  const r = new Response();
  const pre = r.addPreAnswer();
  pre.addSpeak('Please hold');
  pre.addPlay('https://cdn.example.com/a.wav');
  pre.addWait({ length: 1 });
  pre.addGetDigits({ numDigits: 1 }).addSpeak('Press 1');
  pre.addDTMF('1');
  r.addSpeak('Answered');
  const xml = r.toXML();
  assert.equal(
    xml,
    '<Response><PreAnswer><Speak>Please hold</Speak><Play>https://cdn.example.com/a.wav</Play>' +
      '<Wait length="1"/><GetDigits numDigits="1"><Speak>Press 1</Speak></GetDigits><DTMF>1</DTMF>' +
      '</PreAnswer><Speak>Answered</Speak></Response>',
  );
  assert.ok(parsePlivoXml(xml).ok);
});

test('builder: addPreAnswer after another element throws ERR_XML_NOT_FIRST and adds nothing', () => {
  const r = new Response();
  r.addSpeak('Hi');
  assert.throws(
    () => r.addPreAnswer(),
    (err: unknown) =>
      err instanceof PlivoXmlBuilderError &&
      err.code === 'ERR_XML_NOT_FIRST' &&
      err.message === 'Invalid <PreAnswer>: it must be the first element of the document',
  );
  assert.equal(r.toXML(), '<Response><Speak>Hi</Speak></Response>');
});
