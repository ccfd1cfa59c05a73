/**
 * The OpenAPI document is generated from the route schemas: the committed docs/openapi.json must be
 * what the server serves (run `node --import tsx scripts/gen-openapi.ts` after changing a route).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';

import { OPENAPI_PATH, renderOpenApi } from '../../src/api/server.js';
import { apiFixture } from '../interop/plivo-sdk/api-fixture.js';

const fx = apiFixture();
after(() => fx.close());

test('docs/openapi.json matches the route schemas (regenerate with scripts/gen-openapi.ts)', async () => {
  const committed = readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8');
  assert.equal(committed, await renderOpenApi());
});

test('the server serves the same document at /v1/openapi.json without credentials', async () => {
  const res = await fx.app.inject({ method: 'GET', url: OPENAPI_PATH });
  assert.equal(res.statusCode, 200);
  const served = JSON.parse(res.body) as unknown;
  assert.deepEqual(served, JSON.parse(await renderOpenApi()) as unknown);
});

test('every operation of compatibility §8 and §9 is documented with its success status', async () => {
  const doc = JSON.parse(await renderOpenApi()) as {
    paths: Record<
      string,
      Record<
        string,
        { responses: Record<string, unknown>; requestBody?: { content: Record<string, unknown> } }
      >
    >;
  };
  const base = '/v1/Account/{auth_id}/Call/';
  const expected: [string, string, string][] = [
    [base, 'post', '201'],
    [base, 'get', '200'],
    [`${base}{call_uuid}/`, 'get', '200'],
    [`${base}{call_uuid}/`, 'post', '202'],
    [`${base}{call_uuid}/`, 'delete', '204'],
    [`${base}{call_uuid}/DTMF/`, 'post', '202'],
    [`${base}{call_uuid}/Stream/`, 'post', '202'],
    [`${base}{call_uuid}/Stream/`, 'get', '200'],
    [`${base}{call_uuid}/Stream/`, 'delete', '204'],
    [`${base}{call_uuid}/Stream/{stream_id}/`, 'get', '200'],
    [`${base}{call_uuid}/Stream/{stream_id}/`, 'delete', '204'],
    // Call recording and the Recording resource (issue 14).
    [`${base}{call_uuid}/Record/`, 'post', '202'],
    [`${base}{call_uuid}/Record/`, 'delete', '204'],
    ['/v1/Account/{auth_id}/Recording/', 'get', '200'],
    ['/v1/Account/{auth_id}/Recording/{recording_id}/', 'get', '200'],
    ['/v1/Account/{auth_id}/Recording/{recording_id}/', 'delete', '204'],
    ['/v1/Account/{auth_id}/Recording/{recording_id}.wav', 'get', '200'],
    // Not Plivo's: the outbound SIP registrations (issue 13).
    ['/v1/Account/{auth_id}/Registration/', 'get', '200'],
  ];
  for (const [path, method, status] of expected) {
    const op = doc.paths[path]?.[method];
    assert.ok(op, `${method.toUpperCase()} ${path} documented`);
    assert.ok(status in op.responses, `${method.toUpperCase()} ${path} → ${status}`);
    assert.ok('400' in op.responses && '401' in op.responses && '404' in op.responses);
    if (method === 'post') {
      assert.deepEqual(Object.keys(op.requestBody?.content ?? {}), [
        'application/json',
        'application/x-www-form-urlencoded',
      ]);
    }
  }
  const ops = Object.values(doc.paths).flatMap((p) => Object.keys(p));
  assert.equal(ops.length, expected.length, 'no 405 guards or HEAD routes in the document');
});
