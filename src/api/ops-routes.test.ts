/**
 * /healthz, /readyz and /metrics on the API server with a fake NodeOps (no engine): no credentials for
 * health and readiness, Retry-After on a 503, metrics behind the account's credentials only when asked,
 * and the REST commands' "unavailable" refusal answered 503 with Retry-After.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';

import { NodeStatus } from '../app/observability/node-status.js';
import { MemoryCallStore } from '../adapters/memory-store/memory-call-store.js';
import type { CallCommands } from '../ports/call-commands.js';
import type { CallStore } from '../ports/call-store.js';
import { nullLogger } from '../ports/logger.js';
import type { NodeOps, ReadyReport } from '../ports/node-ops.js';
import { buildApiServer } from './server.js';

const AUTH_ID = 'MAOPSUNITOPSUNIT0000';
const AUTH_TOKEN = 'ops-token';
const basic = (user: string, pass: string): string =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

function serverWith(ops: NodeOps, commands: Partial<CallCommands> = {}) {
  return buildApiServer({
    store: new MemoryCallStore(),
    commands: commands as CallCommands,
    clock: { epochMs: () => 0 },
    uuid: randomUUID,
    logger: nullLogger,
    authId: AUTH_ID,
    authToken: AUTH_TOKEN,
    ops,
  });
}

const metricsText =
  '# HELP streamfork_calls_active Live calls.\n# TYPE streamfork_calls_active gauge\nstreamfork_calls_active 3\n';

function fakeOps(report: ReadyReport, requireAuth: boolean): NodeOps {
  return {
    ready: () => Promise.resolve(report),
    metrics: () =>
      Promise.resolve({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: metricsText }),
    metricsRequireAuth: requireAuth,
  };
}

test('/healthz and /readyz need no credentials; a node not ready answers 503 with Retry-After and the failed check', async () => {
  const app = serverWith(
    fakeOps(
      {
        ready: false,
        retryAfterSec: 30,
        checks: [
          { name: 'store', ok: true },
          { name: 'sip', ok: true },
          { name: 'draining', ok: false, why: 'draining' },
          { name: 'limits', ok: true },
        ],
      },
      false,
    ),
  );
  try {
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.headers['retry-after'], '30');
    assert.equal(ready.headers['cache-control'], 'no-store');
    assert.deepEqual(ready.json(), {
      status: 'not-ready',
      checks: { store: 'ok', sip: 'ok', draining: 'draining', limits: 'ok' },
    });
    const open = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(open.statusCode, 200);
    assert.equal(open.body, metricsText);
    assert.match(String(open.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  } finally {
    await app.close();
  }
});

test('metrics.requireAuth: /metrics is 401 without or with wrong credentials, 200 with the account’s', async () => {
  const app = serverWith(fakeOps({ ready: true, checks: [] }, true));
  try {
    const none = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(none.statusCode, 401);
    assert.match(String(none.headers['www-authenticate']), /^Basic/);
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: '/metrics',
          headers: { authorization: basic(AUTH_ID, 'nope') },
        })
      ).statusCode,
      401,
    );
    const ok = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: basic(AUTH_ID, AUTH_TOKEN) },
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, metricsText);
    // Readiness stays open even then.
    assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  } finally {
    await app.close();
  }
});

test('a REST create refused as unavailable is 503 with Retry-After and the reason', async () => {
  const app = serverWith(fakeOps({ ready: true, checks: [] }, false), {
    createCall: () =>
      Promise.resolve({
        ok: false,
        reason: 'failed',
        code: 'ERR_API_UNAVAILABLE',
        message: 'Service Unavailable (at limits.maxCalls)',
        retryAfterSec: 5,
      }),
  });
  try {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/Account/${AUTH_ID}/Call/`,
      headers: { authorization: basic(AUTH_ID, AUTH_TOKEN), 'content-type': 'application/json' },
      payload: { from: '+15550001111', to: '+15550002222', answer_url: 'http://127.0.0.1:9/a' },
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '5');
    assert.match(res.json<{ error: string }>().error, /limits\.maxCalls/);
  } finally {
    await app.close();
  }
});

test('NodeStatus: a store that fails or hangs makes the node not ready; SIP not listening too', async () => {
  const timers = {
    after(ms: number, fn: () => void) {
      const t = setTimeout(fn, ms);
      return {
        cancel: () => {
          clearTimeout(t);
        },
      };
    },
  };
  const sipUp = { listening: true, readiness: () => ({ ready: true }) as const };
  const failing = { getCall: () => Promise.reject(new Error('disk gone')) } as unknown as CallStore;
  const hanging = { getCall: () => new Promise<undefined>(() => undefined) } as unknown as CallStore;
  const ok = new MemoryCallStore();
  const status = (store: CallStore, sip = sipUp) =>
    new NodeStatus({
      store,
      sip,
      timers,
      storeTimeoutMs: 50,
      metrics: undefined,
      metricsRequireAuth: false,
    }).ready();

  assert.deepEqual(await status(ok), {
    ready: true,
    checks: [
      { name: 'store', ok: true },
      { name: 'sip', ok: true },
      { name: 'draining', ok: true },
      { name: 'limits', ok: true },
    ],
  });
  const failed = await status(failing);
  assert.equal(failed.ready, false);
  assert.deepEqual(failed.checks[0], { name: 'store', ok: false, why: 'unreachable' });
  const slow = await status(hanging);
  assert.deepEqual(slow.checks[0], { name: 'store', ok: false, why: 'timed out' });
  const full = await status(ok, {
    listening: false,
    readiness: () => ({
      ready: false,
      why: 'full',
      reason: 'Service Unavailable (at limits.maxCalls)',
      retryAfterSec: 5,
    }),
  } as never);
  assert.equal(full.ready, false);
  assert.equal(full.retryAfterSec, 5);
  assert.deepEqual(full.checks.slice(1), [
    { name: 'sip', ok: false, why: 'not listening' },
    { name: 'draining', ok: true },
    { name: 'limits', ok: false, why: 'at limits.maxCalls' },
  ]);
});
