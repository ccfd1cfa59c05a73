import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { renderErrorsDoc } from './render-docs.js';

test('docs/errors.md matches the error catalogue (run `npm run gen:docs` after changing a code)', () => {
  const committed = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  assert.equal(committed, renderErrorsDoc());
});
