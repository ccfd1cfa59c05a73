/**
 * The Redis `ClusterRegistry` on a real redis-server (Debian `redis-server`): heartbeat and TTL expiry,
 * call ownership, the takeover lock, forgetting a lost node, and a Redis restart (commands fail fast
 * while it is down; a `ClusterNode` registers its calls again once it is back).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { RedisClusterRegistry } from '../../src/adapters/redis-registry/redis-cluster-registry.js';
import { ClusterNode } from '../../src/app/cluster/cluster-node.js';
import type { NodeInfo } from '../../src/ports/cluster-registry.js';
import { nullLogger } from '../../src/ports/logger.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function info(nodeId: string): NodeInfo {
  return {
    nodeId,
    apiUrl: `http://127.0.0.1:1/${nodeId}`,
    sipAddress: '127.0.0.1:5060',
    outboxOwner: nodeId,
    startedAt: 1,
    draining: false,
  };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) {
      assert.fail(`timed out waiting for ${what}`);
    }
    await sleep(25);
  }
}

describe('RedisClusterRegistry (real redis-server)', () => {
  let redis: TestRedis;
  let reg: RedisClusterRegistry;
  let prefixSeq = 0;
  const fresh = async (): Promise<RedisClusterRegistry> => {
    const r = new RedisClusterRegistry({ url: redis.url, prefix: `t${++prefixSeq}:`, commandTimeoutMs: 500 });
    await r.ready();
    return r;
  };

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await reg.close();
    await redis.stop();
  });

  it('a heartbeat makes a node live; it is lost once its TTL expires, and gone once forgotten', async () => {
    reg = await fresh();
    await reg.heartbeat(info('a'), 5000);
    await reg.heartbeat(info('b'), 200);
    let snap = await reg.snapshot();
    assert.deepEqual(
      snap.live.map((n) => n.nodeId),
      ['a', 'b'],
    );
    assert.deepEqual((await reg.nodeInfo('b'))?.apiUrl, info('b').apiUrl);
    await sleep(300);
    snap = await reg.snapshot();
    assert.deepEqual(
      snap.live.map((n) => n.nodeId),
      ['a'],
    );
    assert.deepEqual(snap.lost, [{ nodeId: 'b', outboxOwner: 'b' }]);
    assert.equal(await reg.nodeInfo('b'), undefined);
    await reg.forgetNode('b');
    assert.deepEqual((await reg.snapshot()).lost, []);
  });

  it('registers, answers and removes call owners; an entry lapses after its TTL', async () => {
    await reg.registerCall('call-1', 'a', 5000);
    await reg.registerCall('call-2', 'a', 150);
    assert.equal(await reg.ownerOf('call-1'), 'a');
    assert.equal(await reg.ownerOf('call-2'), 'a');
    assert.equal(await reg.ownerOf('call-x'), undefined);
    await reg.unregisterCall('call-1', 'a');
    assert.equal(await reg.ownerOf('call-1'), undefined);
    await sleep(250);
    assert.equal(await reg.ownerOf('call-2'), undefined);
  });

  it('forgetNode deletes a lost node’s call entries, but not a live node’s', async () => {
    await reg.registerCall('c-a', 'a', 60_000);
    await reg.registerCall('c-gone', 'gone', 60_000);
    await reg.heartbeat(info('gone'), 100);
    await sleep(150);
    await reg.forgetNode('gone');
    assert.equal(await reg.ownerOf('c-gone'), undefined);
    await reg.forgetNode('a'); // live: nothing happens
    assert.equal(await reg.ownerOf('c-a'), 'a');
    assert.ok((await reg.snapshot()).live.some((n) => n.nodeId === 'a'));
  });

  it('the takeover lock has one holder until it expires', async () => {
    assert.equal(await reg.tryLock('takeover:x', 'a', 200), true);
    assert.equal(await reg.tryLock('takeover:x', 'b', 200), false);
    await sleep(250);
    assert.equal(await reg.tryLock('takeover:x', 'b', 200), true);
  });

  it('fails fast while Redis is down; a ClusterNode registers its calls again after the restart', async () => {
    const nodeReg = await fresh();
    const calls = new Set(['live-1', 'live-2']);
    const node = new ClusterNode({
      registry: nodeReg,
      clock: { epochMs: () => Date.now() },
      timers: {
        after: (ms, fn) => {
          const t = setTimeout(fn, ms);
          return {
            cancel: () => {
              clearTimeout(t);
            },
          };
        },
      },
      logger: nullLogger,
      nodeId: 'n1',
      timing: { heartbeatMs: 100, nodeTtlMs: 300, callTtlMs: 60_000, takeoverLockMs: 1000 },
      liveCalls: () => calls,
      closeRecords: () => Promise.resolve({ calls: 0, streams: 0, hangupCallbacks: 0 }),
      deliverCallbacks: () => Promise.resolve(0),
    });
    await node.start(info('n1'));
    node.callStarted('live-1');
    node.callStarted('live-2');
    await until('registration', async () => (await nodeReg.ownerOf('live-2')) === 'n1');

    await redis.kill(); // every key is gone with it (no persistence)
    const t0 = Date.now();
    await assert.rejects(nodeReg.ownerOf('live-1'));
    assert.ok(Date.now() - t0 < 1500, 'a command while Redis is down fails at once, not after a queue');
    calls.add('live-3');
    node.callStarted('live-3'); // fails in the background; the call is not harmed
    await redis.restart();
    await until('re-registration after the restart', async () =>
      (await Promise.all([...calls].map((c) => nodeReg.ownerOf(c)))).every((o) => o === 'n1'),
    );
    node.halt();
    await nodeReg.close();
  });
});
