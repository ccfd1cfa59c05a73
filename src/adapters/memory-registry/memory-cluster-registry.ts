/**
 * An in-memory `ClusterRegistry`: the single node (no `cluster.redisUrl`), and tests, where several
 * in-process nodes may share one instance. Expiry is read from the given clock, so a fake clock drives
 * heartbeats and TTLs in tests; the semantics match the Redis adapter.
 */
import type { Clock } from '../../ports/clock.js';
import type { ClusterRegistry, LostNode, NodeInfo, RegistrySnapshot } from '../../ports/cluster-registry.js';

interface Expiring<T> {
  readonly value: T;
  readonly expiresAt: number;
}

export class MemoryClusterRegistry implements ClusterRegistry {
  readonly #clock: Pick<Clock, 'epochMs'>;
  /** Heartbeat records by node id. */
  readonly #nodes = new Map<string, Expiring<NodeInfo>>();
  /** Members (never expire; removed by `forgetNode`): node id → outbox owner of its last heartbeat. */
  readonly #members = new Map<string, string>();
  readonly #calls = new Map<string, Expiring<string>>();
  readonly #locks = new Map<string, Expiring<string>>();
  /** When true every method rejects (tests of a registry outage). */
  down = false;

  constructor(clock: Pick<Clock, 'epochMs'>) {
    this.#clock = clock;
  }

  /** Runs `fn` as a registry call: rejects while `down`. */
  #run<T>(fn: () => T): Promise<T> {
    if (this.down) {
      return Promise.reject(new Error('registry unreachable'));
    }
    return Promise.resolve(fn());
  }

  #live<T>(entry: Expiring<T> | undefined): T | undefined {
    return entry !== undefined && entry.expiresAt > this.#clock.epochMs() ? entry.value : undefined;
  }

  heartbeat(node: NodeInfo, ttlMs: number): Promise<void> {
    return this.#run(() => {
      this.#nodes.set(node.nodeId, { value: node, expiresAt: this.#clock.epochMs() + ttlMs });
      this.#members.set(node.nodeId, node.outboxOwner);
    });
  }

  registerCall(callUuid: string, nodeId: string, ttlMs: number): Promise<void> {
    return this.#run(() => {
      this.#calls.set(callUuid, { value: nodeId, expiresAt: this.#clock.epochMs() + ttlMs });
    });
  }

  unregisterCall(callUuid: string, nodeId: string): Promise<void> {
    return this.#run(() => {
      if (this.#calls.get(callUuid)?.value === nodeId) {
        this.#calls.delete(callUuid);
      }
    });
  }

  ownerOf(callUuid: string): Promise<string | undefined> {
    return this.#run(() => {
      return this.#live(this.#calls.get(callUuid));
    });
  }

  nodeInfo(nodeId: string): Promise<NodeInfo | undefined> {
    return this.#run(() => {
      return this.#live(this.#nodes.get(nodeId));
    });
  }

  snapshot(): Promise<RegistrySnapshot> {
    return this.#run(() => {
      const live: NodeInfo[] = [];
      const lost: LostNode[] = [];
      for (const [nodeId, outboxOwner] of this.#members) {
        const info = this.#live(this.#nodes.get(nodeId));
        if (info === undefined) {
          lost.push({ nodeId, outboxOwner });
        } else {
          live.push(info);
        }
      }
      return { live, lost };
    });
  }

  tryLock(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#run(() => {
      if (this.#live(this.#locks.get(name)) !== undefined) {
        return false;
      }
      this.#locks.set(name, { value: holder, expiresAt: this.#clock.epochMs() + ttlMs });
      return true;
    });
  }

  forgetNode(nodeId: string): Promise<void> {
    return this.#run(() => {
      if (this.#live(this.#nodes.get(nodeId)) !== undefined) {
        return; // it came back: nothing to forget
      }
      this.#members.delete(nodeId);
      for (const [callUuid, entry] of this.#calls) {
        if (entry.value === nodeId) {
          this.#calls.delete(callUuid);
        }
      }
    });
  }

  async close(): Promise<void> {
    // Nothing to release.
  }
}
