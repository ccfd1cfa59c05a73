/**
 * What a cluster node does after each read of the registry (sans-I/O: a function of the snapshot, the
 * node's id, the time and what it already tried). Every node runs it; the takeover lock
 * (`ClusterRegistry.tryLock`) then lets exactly one survivor act on each lost node.
 */
import type { LostNode, RegistrySnapshot } from '../../ports/cluster-registry.js';

export type ClusterEffect =
  /** Try to take over a lost node: win its lock, close its records, deliver its callbacks, forget it. */
  | { readonly type: 'take-over'; readonly node: LostNode }
  /** This node's own heartbeat had lapsed (a registry outage): register its live calls again. */
  | { readonly type: 're-register' };

export interface WatchDecision {
  readonly effects: readonly ClusterEffect[];
  /** Lost node id → when this node last tried it; pass back in the next call. */
  readonly tried: ReadonlyMap<string, number>;
}

/**
 * @param tried lost nodes this node already tried, and when (a try is repeated after `retryMs`, the
 *   takeover lock's lifetime, in case the survivor that won it died before it finished)
 */
export function watchCluster(
  snapshot: RegistrySnapshot,
  selfId: string,
  nowMs: number,
  tried: ReadonlyMap<string, number>,
  retryMs: number,
): WatchDecision {
  const effects: ClusterEffect[] = [];
  const next = new Map<string, number>();
  if (!snapshot.live.some((n) => n.nodeId === selfId)) {
    effects.push({ type: 're-register' });
  }
  for (const node of snapshot.lost) {
    if (node.nodeId === selfId) {
      continue; // our own heartbeat lapsed: we are not dead, we re-register
    }
    const last = tried.get(node.nodeId);
    if (last === undefined || nowMs - last >= retryMs) {
      effects.push({ type: 'take-over', node });
      next.set(node.nodeId, nowMs);
    } else {
      next.set(node.nodeId, last);
    }
  }
  return { effects, tried: next };
}
