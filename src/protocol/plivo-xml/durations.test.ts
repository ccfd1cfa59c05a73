/**
 * Issue 11 item 5: every duration in the Plivo XML schema has a documented maximum, and a value above it
 * is a D9 error naming the attribute and the range (so `<Wait length="99999999"/>` is refused instead of
 * being scheduled as a timer that Node would fire at once).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parsePlivoXml } from './parse.js';
import { ELEMENT_SPECS } from './spec/index.js';
import { MAX_DURATION_MS, MAX_DURATION_SEC } from './spec/types.js';

const WS = 'wss://app.example.com/ws';

/** Every attribute with a time unit, as `[element, attribute, max, unit]`. */
const durations = ELEMENT_SPECS.flatMap((spec) =>
  Object.entries(spec.attributes).flatMap(([name, attr]) =>
    attr.type === 'integer' && attr.unit !== undefined
      ? [[spec.name, name, attr.max, attr.unit] as const]
      : [],
  ),
);

function documentWith(element: string, attribute: string, value: string): string {
  switch (element) {
    case 'Stream':
      return `<Response><Stream ${attribute}="${value}">${WS}</Stream></Response>`;
    case 'Wait':
      return `<Response><Wait silence="true" ${attribute}="${value}"/></Response>`;
    case 'Dial':
      return `<Response><Dial ${attribute}="${value}"><Number>15551234567</Number></Dial></Response>`;
    default:
      return `<Response><${element} ${attribute}="${value}"/></Response>`;
  }
}

test('every XML duration attribute has a maximum of at most 24 h', () => {
  assert.ok(durations.length >= 6, `found ${durations.length} duration attributes`);
  for (const [element, attribute, max, unit] of durations) {
    assert.notEqual(max, undefined, `${element} ${attribute} has no maximum`);
    const limit = unit === 'seconds' ? MAX_DURATION_SEC : MAX_DURATION_MS;
    assert.ok(max !== undefined && max <= limit, `${element} ${attribute}: max ${max} over ${limit}`);
  }
});

test('D9: <Wait length="99999999"/> is refused with ERR_XML_OUT_OF_RANGE naming length and its range', () => {
  const r = parsePlivoXml('<Response><Wait length="99999999"/></Response>');
  assert.ok(!r.ok);
  assert.equal(r.errors.length, 1);
  const [e] = r.errors;
  assert.ok(e !== undefined);
  assert.equal(e.code, 'ERR_XML_OUT_OF_RANGE');
  assert.equal(e.attribute, 'length');
  assert.equal(e.path, 'Response/Wait[1]');
  assert.match(e.detail, /length must be between 1 and 86400, got 99999999/);
});

test('D9: each duration is accepted at its maximum and refused one above it', () => {
  for (const [element, attribute, max] of durations) {
    assert.ok(max !== undefined);
    const at = parsePlivoXml(documentWith(element, attribute, String(max)));
    assert.ok(at.ok, `${element} ${attribute}=${max}: ${JSON.stringify(at)}`);
    const over = parsePlivoXml(documentWith(element, attribute, String(max + 1)));
    assert.ok(!over.ok, `${element} ${attribute}=${max + 1} accepted`);
    assert.deepEqual(
      over.errors.map((e) => [e.code, e.attribute]),
      [['ERR_XML_OUT_OF_RANGE', attribute]],
      `${element} ${attribute}`,
    );
    assert.match(over.errors[0]?.detail ?? '', new RegExp(`and ${max}, got ${max + 1}`));
  }
});
