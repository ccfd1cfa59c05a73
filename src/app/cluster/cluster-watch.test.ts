import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { NodeInfo, RegistrySnapshot } from '../../ports/cluster-registry.js';
import { watchCluster } from './cluster-watch.js';

function node(nodeId: string): NodeInfo {
  return {
    nodeId,
    apiUrl: `http://${nodeId}`,
    sipAddress: '',
    outboxOwner: `${nodeId}-p`,
    startedAt: 0,
    draining: false,
  };
}

const twoLive: RegistrySnapshot = { live: [node('a'), node('b')], lost: [] };

describe('watchCluster', () => {
  it('does nothing while every member is live', () => {
    const d = watchCluster(twoLive, 'a', 1000, new Map(), 30_000);
    assert.deepEqual(d.effects, []);
    assert.equal(d.tried.size, 0);
  });

  it('takes over a lost node once, then again only after the retry interval', () => {
    const snap: RegistrySnapshot = { live: [node('a')], lost: [{ nodeId: 'b', outboxOwner: 'b-p' }] };
    const first = watchCluster(snap, 'a', 1000, new Map(), 30_000);
    assert.deepEqual(first.effects, [{ type: 'take-over', node: { nodeId: 'b', outboxOwner: 'b-p' } }]);
    const again = watchCluster(snap, 'a', 2000, first.tried, 30_000);
    assert.deepEqual(again.effects, []);
    const retry = watchCluster(snap, 'a', 31_000, again.tried, 30_000);
    assert.equal(retry.effects.length, 1);
    assert.equal(retry.tried.get('b'), 31_000);
  });

  it('forgets a try once the node is no longer lost', () => {
    const lost: RegistrySnapshot = { live: [node('a')], lost: [{ nodeId: 'b', outboxOwner: 'b-p' }] };
    const d = watchCluster(lost, 'a', 1000, new Map(), 30_000);
    assert.equal(watchCluster(twoLive, 'a', 2000, d.tried, 30_000).tried.size, 0);
  });

  it('never takes itself over: a lapsed own heartbeat re-registers instead', () => {
    const snap: RegistrySnapshot = { live: [node('b')], lost: [{ nodeId: 'a', outboxOwner: 'a-p' }] };
    assert.deepEqual(watchCluster(snap, 'a', 1000, new Map(), 30_000).effects, [{ type: 're-register' }]);
  });
});
