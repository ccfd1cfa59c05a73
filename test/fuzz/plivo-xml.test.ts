/**
 * CI fuzzing of the Plivo XML parser and validator (issue 11). Two kinds of input: havoc mutations of the
 * documents in test/vectors/plivo-xml (good and bad) plus the hostile `<Wait length="99999999"/>`,
 * and documents generated from the element specs themselves (every implemented element, each attribute
 * given a value drawn for its declared type, some valid, most not). Properties: `parsePlivoXml` never
 * throws; a refusal lists catalogued ERR_XML_* errors with positions inside the document; and for a
 * generated element the parser reports on the attribute exactly what `checkValue` says of its value
 * (the documented code when refused, nothing when accepted). The duration maxima of issue 11 item 5
 * are held here too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { errorCatalog } from '../../src/errors/catalog.js';
import { checkValue } from '../../src/protocol/plivo-xml/check.js';
import { parsePlivoXml } from '../../src/protocol/plivo-xml/parse.js';
import { ELEMENT_SPECS } from '../../src/protocol/plivo-xml/spec/index.js';
import type { AttributeSpec, ElementSpec } from '../../src/protocol/plivo-xml/spec/types.js';
import { corpus, havoc, readSeeds, runFuzz } from './harness.js';

const TARGET = 'plivo-xml';
const vectors = new URL('../vectors/plivo-xml/', import.meta.url);
const hostile = [
  '<Response><Wait length="99999999"/></Response>',
  '<Response><Wait length="2147484"/><Hangup schedule="99999999"/></Response>',
  '<Response><Stream streamTimeout="99999999999999999999">wss://a.example/ws</Stream></Response>',
  '<Response><GetDigits timeout="-1" digitTimeout="4294967296"><Speak>x</Speak></GetDigits></Response>',
];
const seeds = [
  ...readSeeds(new URL('good/', vectors), '.xml'),
  ...readSeeds(new URL('bad/', vectors), '.xml').filter((b) => b.length < 4096),
  ...hostile.map((t) => Buffer.from(t)),
];
const dictionary = [
  '<',
  '</',
  '/>',
  '>',
  '"',
  "'",
  '=',
  '&amp;',
  '&lt;',
  '&#0;',
  '&#x1F600;',
  '&bogus;',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<?xml version="1.0"?>',
  '<!DOCTYPE Response [<!ENTITY a "aaaa">]>',
  '<Response>',
  '</Response>',
  '<Stream>wss://a.example/ws</Stream>',
  '<Wait length="99999999"/>',
  '<Speak>hi</Speak>',
  '<GetDigits>',
  ' bidirectional="true"',
  ' audioTrack="both"',
  ' length="0"',
  ' length="-5"',
  ' xmlns="urn:x"',
  ' __proto__="1"',
  '\u0000',
  '\uFFFE',
  '\uD800',
  'é',
  '\r\n',
];

function lineCount(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}

/** The contract on any document. */
function checkDocument(text: string): void {
  const r = parsePlivoXml(text);
  for (const w of r.warnings) {
    assert.ok(errorCatalog.has(w.code) && w.code.startsWith('ERR_XML_'), `warning ${w.code}`);
  }
  if (r.ok) {
    assert.equal(r.value.response.element, 'Response');
    return;
  }
  assert.ok(r.errors.length > 0);
  assert.equal(r.error, r.errors[0]);
  const lines = lineCount(text);
  for (const e of r.errors) {
    assert.equal(e.severity, 'error');
    assert.ok(errorCatalog.has(e.code) && e.code.startsWith('ERR_XML_'), `error ${e.code}`);
    assert.ok(e.line >= 1 && e.line <= lines + 1, `line ${e.line} of ${lines}`);
    assert.ok(e.column >= 1, `column ${e.column}`);
    assert.ok(e.offset >= 0 && e.offset <= text.length, `offset ${e.offset} of ${text.length}`);
  }
}

const mutated = havoc(seeds, dictionary).map((b) => Buffer.from(b).toString('utf8'));

test('fuzz: parsePlivoXml on 12,000 mutated vectors: no throw, catalogued ERR_XML_ issues at real positions', () => {
  runFuzz('mutated-documents', mutated, checkDocument, { target: TARGET, runs: 12_000, ext: 'xml' });
});

/** Writes `value` as an XML attribute value that unescapes to exactly `value` (no normalization). */
function escapeAttribute(value: string): string {
  return value.replace(/[&<>"\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Values to try for one attribute, by its declared type: edges, near misses and noise. */
function valuesFor(spec: AttributeSpec): fc.Arbitrary<string> {
  const noise = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', ' ', 'é', '\u00a0', '日本'));
  switch (spec.type) {
    case 'integer': {
      const min = spec.min ?? -5;
      const max = spec.max ?? 1e9;
      return fc.oneof(
        fc.integer({ min: Math.max(min, -1e6), max: Math.min(max, 1e6) }).map(String),
        fc.constantFrom(min - 1, min, max, max + 1, 99_999_999, 2 ** 31, 2 ** 53).map(String),
        fc.constantFrom('+5', '-0', ' 7 ', '1.5', '1e3', '0x10', '٣', '99999999999999999999'),
        noise,
      );
    }
    case 'boolean':
      return fc.oneof(fc.constantFrom('true', 'false', 'TRUE', ' False ', 'yes', '1', '0'), noise);
    case 'enum':
      return fc.oneof(
        fc.constantFrom(...spec.values),
        fc.constantFrom(...spec.values).map((v) => ` ${v.toUpperCase()} `),
        fc.constantFrom(...Object.keys(spec.legacyAliases ?? { x: '' })),
        noise,
      );
    case 'url':
      return fc.oneof(
        fc.constantFrom(...spec.schemes).map((s) => `${s}://app.example/x?a=1&b=2`),
        fc.constantFrom('file:///etc/passwd', 'http//x', 'javascript:alert(1)', ' https://a.example ', '//a'),
        noise,
      );
    case 'string':
      return fc.oneof(
        noise,
        fc.string({ minLength: (spec.maxBytes ?? 8) - 2, maxLength: (spec.maxBytes ?? 8) + 2 }),
        fc.constantFrom('12#', 'a=1,b=2', 'MAN', '*', 'x'.repeat(600)),
      );
  }
}

/** A body the element accepts (the generator varies attributes, not bodies). */
function bodyFor(spec: ElementSpec): string {
  const body = spec.body;
  if (body === undefined) {
    return '';
  }
  if (body.value.type === 'url') {
    return `${body.value.schemes[0] ?? 'https'}://app.example/b`;
  }
  return ['123', 'Hello'].find((c) => checkValue('body', body.value, c).ok) ?? 'x';
}

const VALUE_CODES = new Set([
  'ERR_XML_BAD_BOOLEAN',
  'ERR_XML_BAD_INTEGER',
  'ERR_XML_OUT_OF_RANGE',
  'ERR_XML_BAD_ENUM',
  'ERR_XML_BAD_URL',
  'ERR_XML_BAD_URL_SCHEME',
  'ERR_XML_BAD_VALUE',
  'ERR_XML_TOO_LONG',
]);

const elements = ELEMENT_SPECS.filter((s) => s.name !== 'Response' && Object.keys(s.attributes).length > 0);

const generated = fc
  .constantFrom(...elements)
  .chain((spec) =>
    fc.tuple(
      fc.constant(spec),
      fc.constantFrom(...Object.keys(spec.attributes)).chain((name) => {
        const attr = spec.attributes[name];
        assert.ok(attr !== undefined);
        return fc.tuple(fc.constant(name), valuesFor(attr));
      }),
    ),
  )
  .map(([spec, [name, value]]) => ({ element: spec.name, name, value }));

type Generated = typeof generated extends fc.Arbitrary<infer G> ? G : never;

function documentOf(g: Generated): string {
  const spec = ELEMENT_SPECS.find((s) => s.name === g.element);
  assert.ok(spec !== undefined);
  const inner =
    spec.name === 'GetDigits'
      ? '<Speak>Enter your PIN</Speak>'
      : spec.name === 'Dial'
        ? '<Number>15551234567</Number>'
        : spec.name === 'User'
          ? 'sip:alice@example.com'
          : bodyFor(spec);
  const element = `<${g.element} ${g.name}="${escapeAttribute(g.value)}">${inner}</${g.element}>`;
  // <Number> and <User> only exist inside <Dial>.
  return spec.name === 'Number' || spec.name === 'User'
    ? `<Response><Dial>${element}</Dial></Response>`
    : `<Response>${element}</Response>`;
}

/** The parser says of the attribute what checkValue says of its value. */
function checkAttribute(g: Generated): void {
  const spec = ELEMENT_SPECS.find((s) => s.name === g.element);
  const attr = spec?.attributes[g.name];
  assert.ok(attr !== undefined);
  const doc = documentOf(g);
  checkDocument(doc);
  const expected = checkValue(g.name, attr, g.value);
  const r = parsePlivoXml(doc);
  const errors = r.ok ? [] : r.errors;
  const onValue = errors.filter((e) => e.attribute === g.name && VALUE_CODES.has(e.code)).map((e) => e.code);
  if (expected.ok) {
    assert.deepEqual(onValue, [], `accepted by checkValue, refused by the parser: ${doc}`);
    if (expected.warning !== undefined) {
      assert.ok(
        r.warnings.some((w) => w.code === expected.warning?.code),
        `warning ${expected.warning.code} missing`,
      );
    }
  } else {
    assert.deepEqual(onValue, [expected.problem.code], doc);
  }
}

test('fuzz: 10,000 documents generated from the element specs: the parser reports exactly the documented value error', () => {
  runFuzz('spec-attributes', generated, checkAttribute, {
    target: TARGET,
    runs: 10_000,
    ext: 'xml',
    toBytes: (g) => Buffer.from(documentOf(g)),
  });
});

/** Issue 11 item 5: every duration has a documented maximum that keeps timers safe, and it is enforced. */
function checkDurationMaxima(): void {
  const durations = ELEMENT_SPECS.flatMap((s) =>
    Object.entries(s.attributes)
      .filter(([, a]) => a.type === 'integer' && a.unit !== undefined)
      .map(([name, a]) => ({ element: s, name, attr: a })),
  );
  assert.ok(durations.length >= 5, `${durations.length} duration attributes`);
  for (const { element, name, attr } of durations) {
    assert.ok(attr.type === 'integer');
    assert.ok(attr.max !== undefined, `${element.name} ${name} has no maximum`);
    const over = String(attr.max + 1);
    const r = parsePlivoXml(documentOf({ element: element.name, name, value: over }));
    assert.ok(!r.ok, `${element.name} ${name}="${over}" accepted`);
    assert.ok(r.errors.some((e) => e.attribute === name && e.code === 'ERR_XML_OUT_OF_RANGE'));
  }
  const wait = parsePlivoXml('<Response><Wait length="99999999"/></Response>');
  assert.ok(!wait.ok, '<Wait length="99999999"/> is accepted');
  assert.equal(wait.error.code, 'ERR_XML_OUT_OF_RANGE');
}

test(
  'issue 11 item 5: every XML duration has a maximum; <Wait length="99999999"/> is refused with ERR_XML_OUT_OF_RANGE',
  checkDurationMaxima,
);

for (const entry of corpus(TARGET)) {
  test(`corpus ${TARGET}/${entry.name}: ${entry.sidecar.note}`, () => {
    checkDocument(entry.bytes.toString('utf8'));
  });
}
