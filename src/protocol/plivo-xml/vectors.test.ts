import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';

import { errorCatalog } from '../../errors/catalog.js';
import { parsePlivoXml } from './parse.js';

const root = new URL('../../../test/vectors/plivo-xml/', import.meta.url);

function vectors(kind: 'bad' | 'good'): string[] {
  return readdirSync(new URL(`${kind}/`, root))
    .filter((f) => f.endsWith('.xml'))
    .map((f) => f.slice(0, -4))
    .sort();
}

interface BadSidecar {
  readonly rule: string;
  readonly clause: string;
  readonly code: string;
  readonly line: number;
  readonly column: number;
}

test('the bad corpus has at least 30 documents, each with a sidecar', () => {
  assert.ok(vectors('bad').length >= 30);
});

for (const name of vectors('bad')) {
  const sidecar = JSON.parse(readFileSync(new URL(`bad/${name}.json`, root), 'utf8')) as BadSidecar;
  test(`${sidecar.clause}: ${sidecar.rule} (bad/${name}) -> ${sidecar.code} at ${sidecar.line}:${sidecar.column}`, () => {
    const result = parsePlivoXml(readFileSync(new URL(`bad/${name}.xml`, root), 'utf8'));
    assert.ok(!result.ok, 'the document must be refused');
    assert.ok(errorCatalog.has(sidecar.code), `${sidecar.code} is catalogued`);
    assert.deepEqual(
      { code: result.error.code, line: result.error.line, column: result.error.column },
      { code: sidecar.code, line: sidecar.line, column: sidecar.column },
    );
    for (const issue of [...result.errors, ...result.warnings]) {
      assert.ok(errorCatalog.has(issue.code), issue.code);
    }
  });
}

for (const name of vectors('good')) {
  const sidecar = JSON.parse(readFileSync(new URL(`good/${name}.json`, root), 'utf8')) as {
    warnings: string[];
  };
  test(`good/${name} is accepted with warnings [${sidecar.warnings.join(', ')}]`, () => {
    const result = parsePlivoXml(readFileSync(new URL(`good/${name}.xml`, root), 'utf8'));
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(
      result.warnings.map((w) => w.code),
      sidecar.warnings,
    );
  });
}
