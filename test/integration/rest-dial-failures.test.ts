/**
 * Issue 11 item 4: a REST call that is accepted (201) and fails afterwards has a call record with its
 * status, cause, cause code and source, in GET Call and in the list, and hangup_url hears of it. Runs
 * the full server (startServer) on loopback with no trunk: a number cannot be dialled
 * (INVALID_NUMBER_FORMAT), and a sip: URI reaches a raw UDP peer that answers 486 Busy Here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { configForTesting } from '../../src/config/load.js';
import { startServer, type StreamforkServer } from '../../src/server.js';
import { startAppServer, type AppServer } from './call-control-harness.js';
import { freeUdpPort } from '../interop/helpers/sipp.js';
import { startBusySipPeer, type BusySipPeer } from '../helpers/raw-sip-peer.js';
import { until } from '../helpers/stream-call.js';

const HOST = '127.0.0.1';
const AUTH_ID = 'MARESTDIALTEST000000';
const TOKEN = 'rest-dial-token';
const NODE_ID = 'node-rest-dial';
const auth = `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`;

let server: StreamforkServer;
let app: AppServer;
let peer: BusySipPeer;

before(async () => {
  app = await startAppServer();
  app.route('/hangup', { body: '' });
  peer = await startBusySipPeer(HOST);
  const config = configForTesting({
    auth: { authId: AUTH_ID, authToken: TOKEN },
    sip: { host: HOST, port: await freeUdpPort(), transports: ['udp'] },
    http: { host: HOST, port: await freeUdpPort() },
    cluster: { nodeId: NODE_ID },
  });
  server = await startServer(config);
});

after(async () => {
  await server.stop();
  peer.socket.close();
  await app.close();
});

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`http://${HOST}:${server.httpPort}/v1/Account/${AUTH_ID}${path}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  return { status: res.status, ...json };
}

/** Places a call and waits until its record has ended; returns the CDR from GET Call. */
async function failedCall(to: string): Promise<Record<string, unknown>> {
  const created = await api('POST', '/Call/', {
    from: '+14155550100',
    to,
    answer_url: app.url('/answer'),
    hangup_url: app.url('/hangup'),
  });
  assert.equal(created['status'], 201, JSON.stringify(created));
  const requestUuid = created['request_uuid'];
  let cdr: Record<string, unknown> | undefined;
  await until(
    async () => {
      const page = await server.store.listCalls({ status: 'completed', limit: 100, offset: 0 });
      const rec = page.items.find((c) => c.requestUuid === requestUuid);
      if (rec !== undefined) {
        cdr = { call_uuid: rec.callUuid };
      }
      return rec !== undefined;
    },
    10_000,
    'the failed call record',
  );
  const got = await api('GET', `/Call/${String(cdr?.['call_uuid'])}/`);
  assert.equal(got['status'], 200, JSON.stringify(got));
  assert.equal(got['request_uuid'], requestUuid);
  const list = await api('GET', '/Call/');
  const objects = list['objects'] as Record<string, unknown>[];
  assert.ok(
    objects.some((o) => o['call_uuid'] === got['call_uuid']),
    'the failed call is in the list',
  );
  const cb = await app.waitFor(
    (r) => r.path === '/hangup' && r.param('CallUUID') === got['call_uuid'],
    5000,
    'hangup_url',
  );
  assert.equal(cb.param('HangupCause'), got['hangup_cause_name']);
  assert.equal(cb.param('CallStatus'), got['call_status']);
  return got;
}

test('a number with no trunk: 201, then a failed record with INVALID_NUMBER_FORMAT (2000)', async () => {
  const cdr = await failedCall('14155550199');
  assert.equal(cdr['call_status'], 'failed');
  assert.equal(cdr['hangup_cause_name'], 'INVALID_NUMBER_FORMAT');
  assert.equal(cdr['hangup_cause_code'], 2000);
  assert.equal(cdr['hangup_source'], 'Error');
  assert.equal(cdr['answer_time'], null);
  assert.equal(cdr['bill_duration'], 0);
  assert.equal(cdr['to_number'], '14155550199');
  assert.deepEqual(cdr['error'], { messages: ['outbound call failed: INVALID_NUMBER_FORMAT'] });
  const rec = await server.store.getCall(String(cdr['call_uuid']));
  assert.equal(rec?.nodeId, NODE_ID, 'the REST dialer writes cluster.nodeId on the record');
});

test('the far end answers 486: a busy record with USER_BUSY (3010) from the call recipient', async () => {
  const cdr = await failedCall(`sip:bot@${HOST}:${peer.port}`);
  assert.equal(peer.invites.length, 1, 'one INVITE reached the peer');
  assert.equal(cdr['call_status'], 'busy');
  assert.equal(cdr['hangup_cause_name'], 'USER_BUSY');
  assert.equal(cdr['hangup_cause_code'], 3010);
  assert.equal(cdr['hangup_source'], 'Call recipient');
  assert.ok(typeof cdr['end_time'] === 'string');
});
