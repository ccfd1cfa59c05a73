/**
 * Interop with the official `plivo` npm package's XML builder for `<Dial>`, `<Number>` and `<User>`
 * (issue 14 item 5), the same way as plivo-sdk-xml.test.ts: each case runs on our `Response` and on
 * `new plivo.Response()`; the XML must be byte for byte the same and our parser must accept the SDK's.
 * Where the SDK lets through what our validator refuses, the case names both codes.
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
  readonly refused?: { readonly builder: XmlCode; readonly parser: XmlCode };
}

const ACTION = 'https://app.example.com/dial-done?step=2&lang=en';

const cases: readonly Case[] = [
  { name: 'Dial: one Number', build: (r) => r.addDial().addNumber('15551234567') },
  { name: 'Dial: one User', build: (r) => r.addDial().addUser('sip:alice@phone.example.com') },
  {
    name: 'Dial: a User with a port and parameters',
    build: (r) => r.addDial().addUser('sip:1001@10.0.0.5:5070;transport=udp'),
  },
  {
    name: 'Dial: Numbers and Users in parallel',
    build: (r) => {
      const d = r.addDial({ timeout: 20 });
      d.addNumber('+15551230001');
      d.addUser('sip:agent1@pbx.example.com');
      d.addNumber('15551230002', { sendDigits: 'ww12#' });
    },
  },
  {
    name: 'Dial: core attributes in the SDK order',
    build: (r) =>
      r
        .addDial({
          action: ACTION,
          method: 'GET',
          timeout: 30,
          hangupOnStar: true,
          timeLimit: 600,
          callerId: '15550001111',
          callerName: 'Support Line',
          redirect: false,
          callbackUrl: 'https://app.example.com/dial-events',
          callbackMethod: 'POST',
        })
        .addUser('sip:agent@pbx.example.com'),
  },
  {
    name: 'Dial: every other attribute',
    build: (r) =>
      r
        .addDial({
          confirmSound: 'https://app.example.com/confirm.xml',
          dialMusic: 'real',
          confirmKey: '5',
          digitsMatch: '123,*9',
          digitsMatchBLeg: '#1',
          sipHeaders: 'team=sales,priority=1',
          confirmTimeout: 5,
        })
        .addNumber('15551234567'),
  },
  {
    name: 'Dial: dialMusic URL',
    build: (r) => r.addDial({ dialMusic: 'https://cdn.example.com/hold.xml' }).addNumber('1555'),
  },
  {
    name: 'Dial: boolean given as a string',
    build: (r) => r.addDial({ hangupOnStar: 'true' }).addNumber('1555'),
  },
  {
    name: 'Number: every attribute',
    build: (r) =>
      r.addDial().addNumber('15551234567', {
        sendDigits: '1w2W3',
        sendOnPreanswer: false,
        sendDigitsMode: 'rfc2833',
        callerId: '15550002222',
        callerName: 'Sales',
      }),
  },
  {
    name: 'User: every attribute',
    build: (r) =>
      r.addDial().addUser('sips:bob@secure.example.com', {
        sendDigits: '9#',
        sendOnPreanswer: true,
        sipHeaders: 'ticket=42',
        callerId: 'frontdesk',
        callerName: 'Front Desk',
      }),
  },
  {
    name: 'Speak, Dial, then Hangup',
    build: (r) => {
      r.addSpeak('Transferring you to an agent.');
      r.addDial({ action: ACTION }).addUser('sip:agent@pbx.example.com');
      r.addHangup();
    },
  },
  {
    name: 'Number: not a telephone number',
    build: (r) => r.addDial().addNumber('555-1234'),
    refused: { builder: 'ERR_XML_BAD_VALUE', parser: 'ERR_XML_BAD_VALUE' },
  },
  {
    name: 'User: not a SIP URI',
    build: (r) => r.addDial().addUser('https://pbx.example.com/alice'),
    refused: { builder: 'ERR_XML_BAD_VALUE', parser: 'ERR_XML_BAD_VALUE' },
  },
  {
    name: 'Dial: timeout of 0',
    build: (r) => r.addDial({ timeout: 0 }).addNumber('1555'),
    refused: { builder: 'ERR_XML_OUT_OF_RANGE', parser: 'ERR_XML_OUT_OF_RANGE' },
  },
  {
    name: 'Dial: sipHeaders without a value separator',
    build: (r) => r.addDial({ sipHeaders: 'justaname' }).addNumber('1555'),
    refused: { builder: 'ERR_XML_BAD_VALUE', parser: 'ERR_XML_BAD_VALUE' },
  },
  {
    name: 'Dial: a relative action URL',
    build: (r) => r.addDial({ action: '/dial-done' }).addNumber('1555'),
    refused: { builder: 'ERR_XML_BAD_URL', parser: 'ERR_XML_BAD_URL' },
  },
];

for (const c of cases) {
  test(`plivo SDK interop (Dial): ${c.name}`, () => {
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
    assert.deepEqual(parsed.warnings, []);
  });
}

test('a Dial without Number or User: both builders write <Dial/>, our parser refuses it', () => {
  const theirs = new sdk.Response();
  theirs.addDial({ action: ACTION });
  const ours = new Response();
  ours.addDial({ action: ACTION });
  assert.equal(ours.toXML(), theirs.toXML());
  const parsed = parsePlivoXml(ours.toXML());
  assert.ok(!parsed.ok);
  assert.equal(parsed.error.code, 'ERR_XML_CHILD_REQUIRED');
  assert.equal(parsed.error.path, 'Response/Dial[1]');
  assert.match(parsed.error.detail, /needs at least one of <Number>, <User>/);
});

test('the SDK refuses Number and User outside Dial, and so does our parser', () => {
  assert.throws(() => {
    (new sdk.Response() as unknown as { addNumber(n: string): void }).addNumber('1555');
  }, /cannot be nested/);
  const parsed = parsePlivoXml('<Response><Number>1555</Number></Response>');
  assert.ok(!parsed.ok);
  assert.equal(parsed.error.code, 'ERR_XML_CHILD_NOT_ALLOWED');
});
