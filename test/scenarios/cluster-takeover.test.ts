/**
 * Node-loss takeover on a fake clock (issue 12 item 5): three `ClusterNode`s on one in-memory registry
 * and one memory store; one stops beating (a crash). Within the TTL and a beat, exactly one survivor
 * (the lock) ends the lost node's live calls and streams with `Node Lost`, claims its pending outbox
 * rows once, and removes its registry entries; the other nodes' calls are untouched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MemoryClusterRegistry } from '../../src/adapters/memory-registry/memory-cluster-registry.js';
import { hangupCallbackId } from '../../src/ports/callback-outbox.js';
import { MemoryCallStore } from '../../src/adapters/memory-store/memory-call-store.js';
import { ClusterNode, type TakeoverReport } from '../../src/app/cluster/cluster-node.js';
import { NODE_LOST_CAUSE, NODE_LOST_CAUSE_CODE } from '../../src/ports/cluster-registry.js';
import { nullLogger } from '../../src/ports/logger.js';
import { liveCall, streamOf } from '../contracts/call-store.contract.js';
import { FakeClock } from '../fakes/fake-clock.js';

const TIMING = { heartbeatMs: 1000, nodeTtlMs: 3000, callTtlMs: 4 * 3600_000, takeoverLockMs: 30_000 };

/** Runs the fake clock for `ms`, letting promise continuations settle between timers. */
async function run(clock: FakeClock, ms: number): Promise<void> {
  const target = clock.monotonicMs() + ms;
  const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
  await settle();
  while (clock.runNext(target)) {
    await settle();
  }
  await settle();
}

describe('cluster takeover (fake clock, memory registry and store)', () => {
  it('one survivor ends a lost node’s calls and streams, claims its callbacks, forgets it', async () => {
    const clock = new FakeClock();
    const registry = new MemoryClusterRegistry(clock);
    const store = new MemoryCallStore();
    const onB = [
      liveCall(1, { nodeId: 'b', lastSeenAt: null }),
      liveCall(2, { nodeId: 'b', lastSeenAt: null }),
    ];
    const onA = liveCall(3, { nodeId: 'a', lastSeenAt: null });
    for (const c of [...onB, onA]) {
      await store.insertCall({ ...c, startedAt: clock.epochMs(), answeredAt: clock.epochMs() });
    }
    const bStream = streamOf(onB[0]!, 1, { status: 'in-progress', endedAt: null, stopReason: null });
    await store.insertStream(bStream);
    await store.enqueueCallback({
      id: 'cb-1',
      lane: `stream:${bStream.streamId}`,
      callUuid: bStream.callUuid,
      url: 'http://127.0.0.1:9/cb',
      method: 'POST',
      params: [['Event', 'StreamStopped']],
      owner: 'b',
      createdAt: clock.epochMs(),
    });
    const claimed: string[] = [];
    const reports: (TakeoverReport & { by: string })[] = [];
    const nodes = ['a', 'b', 'c'].map((id) => {
      const node = new ClusterNode({
        registry,
        clock,
        timers: clock,
        logger: nullLogger,
        nodeId: id,
        timing: TIMING,
        liveCalls: () => (id === 'b' ? onB.map((c) => c.callUuid) : id === 'a' ? [onA.callUuid] : []),
        closeRecords: (lost, nowMs) =>
          store.markLiveAsAbnormal(nowMs, NODE_LOST_CAUSE, NODE_LOST_CAUSE_CODE, lost),
        deliverCallbacks: async (from) => {
          const rows = await store.claimCallbacks({ owner: id, from, limit: 100 });
          claimed.push(...rows.map((r) => `${r.id}->${id}`));
          return rows.length;
        },
      });
      node.onTakeover((r) => reports.push({ ...r, by: id }));
      return node;
    });
    for (const n of nodes) {
      await n.start({
        nodeId: n.nodeId,
        apiUrl: `http://${n.nodeId}`,
        sipAddress: '',
        outboxOwner: n.nodeId,
        startedAt: 0,
        draining: false,
      });
      for (const c of n.nodeId === 'b' ? onB : n.nodeId === 'a' ? [onA] : []) {
        n.callStarted(c.callUuid);
      }
    }
    await run(clock, 2000);
    assert.equal(await registry.ownerOf(onB[0]!.callUuid), 'b');
    assert.equal(reports.length, 0, 'no takeover while every node beats');

    const crashedAt = clock.epochMs();
    nodes[1]!.halt();
    await run(clock, 10_000);

    assert.equal(reports.length, 1, 'exactly one survivor took the lost node over');
    const report = reports[0]!;
    assert.equal(report.nodeId, 'b');
    assert.notEqual(report.by, 'b');
    // The callbacks: the stream's pending one, and the hangup callback recovery wrote for each call.
    assert.deepEqual(
      {
        calls: report.calls,
        streams: report.streams,
        hangupCallbacks: report.hangupCallbacks,
        callbacks: report.callbacks,
      },
      { calls: 2, streams: 1, hangupCallbacks: 2, callbacks: 3 },
    );
    assert.deepEqual(
      claimed,
      [`cb-1`, ...onB.map((c) => hangupCallbackId(c.callUuid))].map((id) => `${id}->${report.by}`),
      'each pending callback was claimed once',
    );
    for (const c of onB) {
      const rec = await store.getCall(c.callUuid);
      assert.ok(rec !== undefined);
      assert.deepEqual(
        [rec.hangupCause, rec.hangupCauseCode, rec.endedAbnormally],
        [NODE_LOST_CAUSE, NODE_LOST_CAUSE_CODE, true],
      );
      assert.ok((rec.endedAt ?? Infinity) <= crashedAt + 10_000);
    }
    assert.equal((await store.getStream(bStream.callUuid, bStream.streamId))?.stopReason, NODE_LOST_CAUSE);
    assert.equal(
      (await store.getCall(onA.callUuid))?.status,
      'in-progress',
      'a survivor’s call is untouched',
    );
    assert.equal(await registry.ownerOf(onB[0]!.callUuid), undefined, 'the lost node’s entries are removed');
    assert.equal(await registry.ownerOf(onA.callUuid), 'a');
    const snap = await registry.snapshot();
    assert.deepEqual(snap.live.map((n) => n.nodeId).sort(), ['a', 'c']);
    assert.deepEqual(snap.lost, []);
    for (const n of nodes) {
      n.halt();
    }
  });

  it('calls registered while the registry is down are registered at the next good beat', async () => {
    const clock = new FakeClock();
    const registry = new MemoryClusterRegistry(clock);
    const live: string[] = [];
    const node = new ClusterNode({
      registry,
      clock,
      timers: clock,
      logger: nullLogger,
      nodeId: 'a',
      timing: TIMING,
      liveCalls: () => live,
      closeRecords: () => Promise.resolve({ calls: 0, streams: 0, hangupCallbacks: 0 }),
      deliverCallbacks: () => Promise.resolve(0),
    });
    await node.start({
      nodeId: 'a',
      apiUrl: 'http://a',
      sipAddress: '',
      outboxOwner: 'a',
      startedAt: 0,
      draining: false,
    });
    registry.down = true;
    live.push('c1');
    node.callStarted('c1');
    await run(clock, 1000);
    registry.down = false;
    assert.equal(await registry.ownerOf('c1'), undefined);
    await run(clock, 1000);
    assert.equal(await registry.ownerOf('c1'), 'a');
    node.halt();
  });
});
