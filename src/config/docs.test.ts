import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { renderConfigMarkdown, renderEnvExample } from './docs.js';
import { configLeaves } from './schema.js';

const root = new URL('../../', import.meta.url);
const regenerate = 'run `node --import tsx scripts/gen-config-docs.ts` and commit the result';

test('docs/config.md is generated from the schema and up to date', () => {
  const committed = readFileSync(new URL('docs/config.md', root), 'utf8');
  assert.equal(committed, renderConfigMarkdown(), `docs/config.md is stale: ${regenerate}`);
});

test('.env.example is generated from the schema and up to date', () => {
  const committed = readFileSync(new URL('.env.example', root), 'utf8');
  assert.equal(committed, renderEnvExample(), `.env.example is stale: ${regenerate}`);
});

test('every key appears in both generated files', () => {
  const md = renderConfigMarkdown();
  const env = renderEnvExample();
  for (const leaf of configLeaves()) {
    assert.ok(md.includes(`\`${leaf.path.join('.')}\``), leaf.path.join('.'));
    assert.ok(env.includes(leaf.env), leaf.env);
  }
});
