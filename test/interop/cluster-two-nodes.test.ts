/**
 * Issue 12 items 2 and 5, end to end: two nodes share one record store (one SQLite file in WAL mode,
 * opened by both processes) and a real Redis. Node A runs in this process (`startServer`), node B is a
 * `streamfork serve` child. A call on B (REST dial to sipp's UAS) is listed, streamed, stopped, sent
 * DTMF and hung up through node A's REST API; an unknown call is 404 as on one node. Then B is killed
 * with SIGKILL while a call and a stream are live and a stream callback is pending: within 10 s node A
 * ends them with `Node Lost` (5060) and delivers the pending callback once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { configForTesting } from '../../src/config/load.js';
import { CALLBACK_ID_HEADER } from '../../src/engine/callbacks/callback-delivery.js';
import { NODE_LOST_CAUSE, NODE_LOST_CAUSE_CODE } from '../../src/ports/cluster-registry.js';
import { startServer, type StreamforkServer } from '../../src/server.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { startAppServer, type AppServer } from '../integration/call-control-harness.js';
import { AUTH_ID, TOKEN, freeTcpPort, startServe, waitUntil, type Serve } from './helpers/serve.js';
import { freeUdpPort, HOST, killChildren, runTool, sippArgs, waitForUdpListener } from './helpers/sipp.js';

const auth = `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`;

let dir: string;
let redis: TestRedis;
let app: AppServer;
let consumer: ReferenceConsumer;
let nodeA: StreamforkServer;
let nodeB: Serve;
let bHttpPort: number;

async function api(
  port: number,
  method: string,
  path: string,
  body?: object,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`http://${HOST}:${port}/v1/Account/${AUTH_ID}/${path}`, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Places a call from node B to a fresh sipp UAS; resolves to its call uuid once A sees it live. */
async function callOnB(): Promise<string> {
  const sippPort = await freeUdpPort();
  void runTool(
    'sipp',
    [...sippArgs('', sippPort, await freeUdpPort(true), 60).slice(1), '-sn', 'uas', '-m', '1'],
    70_000,
    dir,
  );
  await waitForUdpListener(sippPort, 10_000);
  const before = new Set(await liveOnA());
  const created = await api(bHttpPort, 'POST', 'Call/', {
    from: '+14155550100',
    to: `sip:bot@${HOST}:${sippPort}`,
    answer_url: app.url('/answer'),
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  let uuid = '';
  await waitUntil(
    'the call on B, live, listed by A',
    async () => {
      uuid = (await liveOnA()).find((u) => !before.has(u)) ?? '';
      return uuid !== '' && (await nodeA.store.getCall(uuid))?.status === 'in-progress';
    },
    15_000,
  );
  return uuid;
}

/** Live call uuids as node A's REST API lists them. */
async function liveOnA(): Promise<string[]> {
  const res = await api(nodeA.httpPort, 'GET', 'Call/?status=live');
  assert.equal(res.status, 200);
  return (res.json['calls'] as string[] | undefined) ?? [];
}

describe('two nodes, one store, one Redis', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sf-cluster-'));
    redis = await startRedis();
    app = await startAppServer();
    app.route('/answer', { body: '<Response><Wait length="120"/></Response>' });
    app.route('/stream-status', { body: '' });
    consumer = await startReferenceConsumer();
    const cluster = { redisUrl: redis.url, heartbeatMs: 1000, nodeTtlMs: 3000 };
    nodeA = await startServer(
      configForTesting({
        auth: { authId: AUTH_ID, authToken: TOKEN },
        storage: { driver: 'sqlite', dataDir: dir },
        cluster: { ...cluster, nodeId: 'node-a' },
        sip: { host: HOST, port: await freeUdpPort(), transports: ['udp'] },
        http: { host: HOST, port: await freeTcpPort() },
        tuning: { callbackAttempts: 20, callbackMaxBackoffMs: 500 },
      }),
    );
    bHttpPort = await freeTcpPort();
    const args = [
      '--data-dir',
      dir,
      '--sip-port',
      String(await freeUdpPort()),
      '--http-port',
      String(bHttpPort),
    ];
    nodeB = await startServe([...args, '--auth-id', AUTH_ID, '--auth-token', TOKEN, '--log-level', 'warn'], {
      STREAMFORK_CLUSTER_REDIS_URL: redis.url,
      STREAMFORK_CLUSTER_NODE_ID: 'node-b',
      STREAMFORK_TUNING_CALLBACK_ATTEMPTS: '20',
      STREAMFORK_TUNING_CALLBACK_MAX_BACKOFF_MS: '500',
    });
    await waitUntil('node B in the registry', () => nodeA.cluster !== undefined, 5000);
  });

  after(async () => {
    nodeB.child.kill('SIGKILL');
    killChildren();
    await nodeA.stop();
    await consumer.close();
    await app.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('node A lists, streams, stops, sends DTMF to and hangs up a call on node B', async () => {
    const uuid = await callOnB();
    assert.equal(nodeA.cluster === undefined ? 'no cluster' : 'ok', 'ok');

    const started = await api(nodeA.httpPort, 'POST', `Call/${uuid}/Stream/`, {
      service_url: consumer.url,
      status_callback_url: app.url('/stream-status'),
    });
    assert.equal(started.status, 202, JSON.stringify(started.json));
    const streamId = String(started.json['stream_id']);
    await consumer.waitForSession(10_000); // B opened the stream A asked for (else this rejects)
    const stopped = await api(nodeA.httpPort, 'DELETE', `Call/${uuid}/Stream/${streamId}/`);
    assert.equal(stopped.status, 204, JSON.stringify(stopped.json));
    assert.equal((await nodeA.store.getStream(uuid, streamId))?.status, 'completed');
    const again = await api(nodeA.httpPort, 'DELETE', `Call/${uuid}/Stream/${streamId}/`);
    const oneNodeAgain = await api(bHttpPort, 'DELETE', `Call/${uuid}/Stream/${streamId}/`);
    assert.deepEqual([again.status, again.json['error']], [oneNodeAgain.status, oneNodeAgain.json['error']]);

    const dtmf = await api(nodeA.httpPort, 'POST', `Call/${uuid}/DTMF/`, { digits: '12' });
    assert.equal(dtmf.status, 202, JSON.stringify(dtmf.json));

    const hung = await api(nodeA.httpPort, 'DELETE', `Call/${uuid}/`);
    assert.equal(hung.status, 204, JSON.stringify(hung.json));
    const rec = await nodeA.store.getCall(uuid);
    assert.ok(rec !== undefined);
    assert.deepEqual([rec.status, rec.hangupSource, rec.nodeId], ['completed', 'API Request', 'node-b']);

    // An ended call and an unknown one get the answers a single node gives.
    for (const path of [`Call/${uuid}/`, 'Call/00000000-0000-4000-8000-000000000000/']) {
      const onA = await api(nodeA.httpPort, 'DELETE', path);
      const onB = await api(bHttpPort, 'DELETE', path);
      assert.equal(onA.status, 404);
      assert.deepEqual([onA.status, onA.json['error']], [onB.status, onB.json['error']]);
    }
  });

  it('kill -9 of node B: node A ends its call and stream with Node Lost and delivers its pending callback once', async () => {
    const uuid = await callOnB();
    let failing = true;
    app.route('/flaky', () => (failing ? { status: 500, body: 'not yet' } : { status: 200, body: '' }));
    const started = await api(nodeA.httpPort, 'POST', `Call/${uuid}/Stream/`, {
      service_url: consumer.url,
      status_callback_url: app.url('/flaky'),
    });
    assert.equal(started.status, 202, JSON.stringify(started.json));
    const streamId = String(started.json['stream_id']);
    const first = await app.waitFor((r) => r.path === '/flaky', 10_000, 'a stream callback attempt from B');
    const callbackId = String(first.headers[CALLBACK_ID_HEADER.toLowerCase()]);

    nodeB.child.kill('SIGKILL');
    await nodeB.exited;
    const killedAt = Date.now();
    const sentBefore = app.requestsTo('/flaky').length;
    failing = false;

    await waitUntil(
      'node A closing node B’s call',
      async () => (await nodeA.store.getCall(uuid))?.endedAt !== null,
      10_000,
    );
    const tookMs = Date.now() - killedAt;
    const rec = await nodeA.store.getCall(uuid);
    assert.ok(rec !== undefined);
    assert.deepEqual(
      [rec.hangupCause, rec.hangupCauseCode, rec.endedAbnormally],
      [NODE_LOST_CAUSE, NODE_LOST_CAUSE_CODE, true],
    );
    const stream = await nodeA.store.getStream(uuid, streamId);
    assert.deepEqual([stream?.status, stream?.stopReason], ['failed', NODE_LOST_CAUSE]);
    const cdr = await api(nodeA.httpPort, 'GET', `Call/${uuid}/`);
    assert.equal(cdr.json['hangup_cause_name'], NODE_LOST_CAUSE);

    await waitUntil(
      'the pending callback, delivered by A',
      async () => (await nodeA.store.getCallback(callbackId))?.status === 'delivered',
      10_000,
    );
    const after = app.requestsTo('/flaky').slice(sentBefore);
    const delivered = after.filter((r) => r.headers[CALLBACK_ID_HEADER.toLowerCase()] === callbackId);
    assert.equal(delivered.length, 1, 'the pending callback was delivered once after the kill');
    assert.equal((await nodeA.store.getCallback(callbackId))?.owner, 'node-a');
    console.log(`takeover: node B's call closed ${tookMs} ms after kill -9`);
  });
});
