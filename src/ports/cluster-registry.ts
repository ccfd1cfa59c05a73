/**
 * The live cluster registry (issue 12 item 2): which nodes are alive and which node owns each live
 * call. Adapters: `adapters/redis-registry` (a cluster), `adapters/memory-registry` (tests and the single
 * node, where it is the only member). The durable records stay in the shared `CallStore`; the registry
 * holds only what expires with a node.
 *
 * A stream belongs to its call's node: every REST stream path names the call, so the registry keeps
 * calls only (no Redis operation per stream).
 *
 * Every method may reject when the backend is unreachable; callers log and carry on (a call never
 * waits for the registry). Every time is epoch milliseconds.
 */

/** The hangup cause (and stream stop reason) of the calls of a node lost from the cluster. */
export const NODE_LOST_CAUSE = 'Node Lost';

/** Its code (streamfork's own, engine/records/hangup-causes.ts; next to `Server Restart`). */
export const NODE_LOST_CAUSE_CODE = 5060;

/** What a node says about itself in each heartbeat. */
export interface NodeInfo {
  /** `cluster.nodeId`. */
  readonly nodeId: string;
  /** Where the other nodes reach this node's REST API (`cluster.advertiseApiUrl`). */
  readonly apiUrl: string;
  /** This node's SIP address (`host:port`), for a proxy in front of the nodes. */
  readonly sipAddress: string;
  /** The callback outbox owner of this process: a survivor claims the rows it left from this name. */
  readonly outboxOwner: string;
  readonly startedAt: number;
  /** True once the node stopped taking new calls (shutting down). */
  readonly draining: boolean;
}

/** A node that was a member and whose heartbeat has expired, as the registry last knew it. */
export interface LostNode {
  readonly nodeId: string;
  /** The outbox owner of its last process (from its last heartbeat). */
  readonly outboxOwner: string;
}

/** The membership as one read sees it. */
export interface RegistrySnapshot {
  /** Members with a live heartbeat. */
  readonly live: readonly NodeInfo[];
  /** Members whose heartbeat has expired and that nobody has taken over yet. */
  readonly lost: readonly LostNode[];
}

export interface ClusterRegistry {
  /** Writes (or refreshes) this node's record, live for `ttlMs`, and keeps its call index alive as long. */
  heartbeat(node: NodeInfo, ttlMs: number): Promise<void>;
  /** Records that `nodeId` owns the call; the entry lapses after `ttlMs` even if never removed. */
  registerCall(callUuid: string, nodeId: string, ttlMs: number): Promise<void>;
  /** Removes the call's entry (the call ended). */
  unregisterCall(callUuid: string, nodeId: string): Promise<void>;
  /** The node that owns the call, if an entry exists (the node may have died since). */
  ownerOf(callUuid: string): Promise<string | undefined>;
  /** A node's record while its heartbeat is live. */
  nodeInfo(nodeId: string): Promise<NodeInfo | undefined>;
  /** Live and lost members. */
  snapshot(): Promise<RegistrySnapshot>;
  /** `SET key NX PX`: true when `holder` now holds the lock `name` for `ttlMs` (nobody else held it). */
  tryLock(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Removes a lost node: its call entries and its membership (after its calls were closed). */
  forgetNode(nodeId: string): Promise<void>;
  /** Releases the connection. Idempotent. */
  close(): Promise<void>;
}
