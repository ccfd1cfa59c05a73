import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { xmlCodes } from '../../errors/codes/xml.js';
import { renderXmlDocs } from './docs.js';
import { ELEMENT_SPECS } from './spec/index.js';

test('docs/xml.md is up to date with the element specs (run scripts/gen-xml-docs.ts)', () => {
  const committed = readFileSync(new URL('../../../docs/xml.md', import.meta.url), 'utf8');
  assert.equal(committed, renderXmlDocs(), 'docs/xml.md is stale: node --import tsx scripts/gen-xml-docs.ts');
});

test('the docs name every element, attribute and xml error code', () => {
  const text = renderXmlDocs();
  for (const spec of ELEMENT_SPECS) {
    assert.ok(text.includes(`## \`<${spec.name}>\``), spec.name);
    for (const name of Object.keys(spec.attributes)) {
      assert.ok(text.includes(`| \`${name}\` |`), `${spec.name} ${name}`);
    }
  }
  for (const name of Object.keys(xmlCodes)) {
    assert.ok(text.includes(`\`${name}\``), name);
  }
});
