import assert from 'node:assert/strict';
import { test } from 'node:test';

import { errorCatalog, httpStatusFor } from './catalog.js';
import { ServerError } from './server-error.js';

test('every catalogued code is ERR_ upper snake case with a message', () => {
  for (const [code, entry] of errorCatalog) {
    assert.match(code, /^ERR_[A-Z0-9_]+$/);
    assert.ok(entry.message.length > 0, code);
  }
});

test('ServerError takes category and retryability from the catalogue', () => {
  const err = new ServerError('ERR_INTERNAL');
  assert.equal(err.category, 'server');
  assert.equal(err.retryable, true);
  assert.equal(httpStatusFor('ERR_STATE_INVALID'), 409);
  assert.equal(httpStatusFor('ERR_NOT_A_CODE'), 500);
});
