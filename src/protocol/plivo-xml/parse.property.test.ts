/**
 * Property tests (STYLE.md 5.6): whatever the input, parsePlivoXml returns (never throws) either a
 * document or errors, and every code it reports is in the catalogue. 10,000 inputs per run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { errorCatalog } from '../../errors/catalog.js';
import { Response } from './builder.js';
import { parsePlivoXml } from './parse.js';

function assertWellBehaved(input: string): void {
  let result;
  try {
    result = parsePlivoXml(input);
  } catch (err) {
    assert.fail(`parsePlivoXml threw ${String(err)} on ${JSON.stringify(input.slice(0, 200))}`);
  }
  if (result.ok) {
    assert.equal(result.value.response.element, 'Response');
  } else {
    assert.ok(result.errors.length > 0);
    assert.equal(result.error, result.errors[0]);
    for (const e of result.errors) {
      assert.ok(errorCatalog.has(e.code), e.code);
      assert.ok(e.line >= 1 && e.column >= 1, `${e.line}:${e.column}`);
    }
  }
  for (const w of result.warnings) {
    assert.ok(errorCatalog.has(w.code), w.code);
  }
}

const xmlish = fc.string({
  unit: fc.constantFrom(
    '<',
    '>',
    '/',
    '=',
    '"',
    "'",
    '&',
    ';',
    ' ',
    '\n',
    '\r',
    '\t',
    '!',
    '?',
    '[',
    ']',
    '-',
    '#',
    'x',
    '1',
    'Response',
    'Stream',
    'Speak',
    'GetDigits',
    'PreAnswer',
    'Wait',
    '&amp;',
    '&lt;',
    '&#65;',
    '<!--',
    '-->',
    '<![CDATA[',
    ']]>',
    '<!DOCTYPE',
    '<?xml ',
    '?>',
    'wss://a.example/ws',
    'bidirectional="true"',
    '\u0000',
    '\uD800',
    'é',
  ),
  maxLength: 60,
});

test('property: random strings never throw (3,000 runs)', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), xmlish), (input) => {
      assertWellBehaved(input);
    }),
    { numRuns: 3000 },
  );
});

function validDocuments(): string[] {
  const a = new Response();
  a.addSpeak('Hello & welcome <caller>');
  a.addStream('wss://app.example.com/ws?a=1&b=2', {
    bidirectional: true,
    keepCallAlive: true,
    contentType: 'audio/x-mulaw;rate=8000',
    statusCallbackUrl: 'https://app.example.com/cb',
    extraHeaders: 'a=1,b=2',
  });
  const g = a.addGetDigits({ action: 'https://app.example.com/d', numDigits: 4 });
  g.addSpeak('PIN please', { voice: 'MAN' });
  g.addWait({ length: 2 });
  a.addHangup({ reason: 'busy' });
  const b = new Response();
  b.addPlay('https://cdn.example.com/a.mp3', { loop: 2 });
  b.addDTMF('12w#', { async: false });
  b.addRedirect('https://app.example.com/next', { method: 'GET' });
  return [
    a.toXML(),
    b.toXML(),
    '<?xml version="1.0"?>\n<Response>\n  <Speak>Hi <break time="1s"/> there</Speak>\n  <Stream noiseCancellation="true">\n    wss://x.example/ws\n  </Stream>\n</Response>\n',
  ];
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: xmlish }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    text: fc.string({ unit: 'binary', maxLength: 3 }),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(doc: string, steps: readonly Mutation[]): string {
  let out = doc;
  for (const step of steps) {
    const at = out.length === 0 ? 0 : step.at % out.length;
    switch (step.kind) {
      case 'delete': {
        out = out.slice(0, at) + out.slice(at + step.length);
        break;
      }
      case 'insert': {
        out = out.slice(0, at) + step.text + out.slice(at);
        break;
      }
      case 'duplicate': {
        out = out.slice(0, at + step.length) + out.slice(at, at + step.length) + out.slice(at + step.length);
        break;
      }
      case 'replace': {
        out = out.slice(0, at) + step.text + out.slice(at + step.text.length);
        break;
      }
    }
  }
  return out;
}

test('property: mutated valid documents never throw (4,000 runs)', () => {
  const docs = validDocuments();
  for (const doc of docs) {
    assert.ok(parsePlivoXml(doc).ok, doc);
  }
  fc.assert(
    fc.property(
      fc.constantFrom(...docs),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (doc, steps) => {
        assertWellBehaved(mutate(doc, steps));
      },
    ),
    { numRuns: 4000 },
  );
});

interface Tree {
  readonly name: string;
  readonly attributes: readonly (readonly [string, string])[];
  readonly text: string;
  readonly children: readonly Tree[];
}

const names = fc.constantFrom(
  'Response',
  'Stream',
  'Speak',
  'Play',
  'Wait',
  'Hangup',
  'Redirect',
  'GetDigits',
  'DTMF',
  'PreAnswer',
  'Dial',
  'break',
  's',
  'Foo',
);
const attrNames = fc.constantFrom(
  'bidirectional',
  'audioTrack',
  'streamTimeout',
  'statusCallbackUrl',
  'statusCallbackMethod',
  'contentType',
  'extraHeaders',
  'keepCallAlive',
  'noiseCancellation',
  'noiseCancellationLevel',
  'loop',
  'length',
  'voice',
  'method',
  'reason',
  'numDigits',
  'finishOnKey',
  'async',
  'unknownThing',
  '__proto__',
  'constructor',
);
const attrValues = fc.oneof(
  fc.constantFrom(
    'true',
    'FALSE',
    'inbound',
    'both',
    '120',
    '-1',
    '0',
    '85',
    'raw',
    'GET',
    'busy',
    '#',
    'https://a.example/x',
    'wss://a',
  ),
  fc.string({ maxLength: 8 }),
);
const texts = fc.oneof(
  fc.constantFrom('', 'wss://a.example/ws', 'https://a.example/a.mp3', '12#', 'Hello'),
  fc.string({ maxLength: 10 }),
);

function treeOf(depth: number): fc.Arbitrary<Tree> {
  return fc.record({
    name: names,
    attributes: fc.uniqueArray(fc.tuple(attrNames, attrValues), { maxLength: 4, selector: ([n]) => n }),
    text: texts,
    children: depth === 0 ? fc.constant([]) : fc.array(treeOf(depth - 1), { maxLength: 3 }),
  });
}

const tree = treeOf(3);

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function serialize(node: Tree): string {
  const attrs = node.attributes.map(([n, v]) => ` ${n}="${escape(v)}"`).join('');
  return `<${node.name}${attrs}>${escape(node.text)}${node.children.map(serialize).join('')}</${node.name}>`;
}

test('property: random element trees never throw (3,000 runs)', () => {
  fc.assert(
    fc.property(tree, fc.boolean(), (t, rooted) => {
      const body = serialize(t);
      assertWellBehaved(rooted ? `<Response>${body}</Response>` : body);
    }),
    { numRuns: 3000 },
  );
});
