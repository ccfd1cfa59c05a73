/**
 * GET /v1/Account/{id}/Registration/ on the API server with a fake RegistrationStatus port: behind the
 * account's credentials, each binding's state in config order, 405 for other methods, an empty list
 * when no SIP server reports any.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';

import { MemoryCallStore } from '../adapters/memory-store/memory-call-store.js';
import type { CallCommands } from '../ports/call-commands.js';
import { nullLogger } from '../ports/logger.js';
import type { RegistrationStatus, RegistrationView } from '../ports/registration-status.js';
import { buildApiServer } from './server.js';

const AUTH_ID = 'MAREGUNITREGUNIT0000';
const AUTH_TOKEN = 'reg-token';
const auth = `Basic ${Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString('base64')}`;
const url = `/v1/Account/${AUTH_ID}/Registration/`;

function serverWith(registrations: RegistrationStatus | undefined) {
  return buildApiServer({
    store: new MemoryCallStore(),
    commands: {} as CallCommands,
    clock: { epochMs: () => 0 },
    uuid: randomUUID,
    logger: nullLogger,
    authId: AUTH_ID,
    authToken: AUTH_TOKEN,
    ...(registrations === undefined ? {} : { registrations }),
  });
}

interface WireRegistration {
  id: string;
  registrar: string;
  transport: string;
  state: string;
  expires_at: string | null;
  granted_sec: number | null;
  failures: number;
  last_error_status: number | null;
}

const views: RegistrationView[] = [
  {
    id: '0',
    registrar: '192.0.2.1:5060',
    transport: 'udp',
    state: 'registered',
    expiresAt: '2026-12-04T02:00:00.000Z',
    grantedSec: 600,
    nextAttemptAt: '2026-12-04T01:55:00.000Z',
    failures: 0,
    lastErrorStatus: null,
    lastErrorReason: null,
  },
  {
    id: '1',
    registrar: 'pbx.example.net:5080',
    transport: 'tcp',
    state: 'retrying',
    expiresAt: null,
    grantedSec: null,
    nextAttemptAt: '2026-12-04T01:50:04.000Z',
    failures: 2,
    lastErrorStatus: 403,
    lastErrorReason: 'Forbidden',
  },
];

test('the registration list: credentials required, every binding in order, snake_case fields', async () => {
  const app = serverWith({ registrations: () => views });
  const denied = await app.inject({ method: 'GET', url });
  assert.equal(denied.statusCode, 401);
  const res = await app.inject({ method: 'GET', url, headers: { authorization: auth } });
  assert.equal(res.statusCode, 200);
  const body = res.json<{ api_id: string; objects: WireRegistration[] }>();
  assert.equal(typeof body.api_id, 'string');
  assert.deepEqual(
    body.objects.map((o) => [o.id, o.registrar, o.state, o.failures, o.last_error_status]),
    [
      ['0', '192.0.2.1:5060', 'registered', 0, null],
      ['1', 'pbx.example.net:5080', 'retrying', 2, 403],
    ],
  );
  assert.equal(body.objects.at(0)?.expires_at, '2026-12-04T02:00:00.000Z');
  assert.equal(body.objects.at(0)?.granted_sec, 600);
  assert.equal(body.objects.at(1)?.transport, 'tcp');
  const post = await app.inject({ method: 'POST', url, headers: { authorization: auth } });
  assert.equal(post.statusCode, 405);
  await app.close();
});

test('no registration port: an empty list', async () => {
  const app = serverWith(undefined);
  const res = await app.inject({ method: 'GET', url, headers: { authorization: auth } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json<{ objects: unknown[] }>().objects, []);
  await app.close();
});
