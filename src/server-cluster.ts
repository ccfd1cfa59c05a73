/**
 * The cluster part of the server's composition root (with server.ts): with `cluster.redisUrl`, the
 * Redis registry, this node's `ClusterNode` (heartbeat, call registrations, node-loss takeover) and
 * the `ClusterCallCommands` the REST API uses; without it, nothing (a single node needs no Redis).
 * docs/cluster.md, "Live registry and forwarding".
 */
import { UndiciHttpClient } from './adapters/http-client/undici-http-client.js';
import { TargetGuard } from './adapters/net/target-guard.js';
import { RedisClusterRegistry } from './adapters/redis-registry/redis-cluster-registry.js';
import { ClusterCallCommands } from './app/cluster/cluster-call-commands.js';
import { ClusterNode } from './app/cluster/cluster-node.js';
import type { Config } from './config/schema.js';
import type { Engine } from './engine/engine.js';
import { ServerError } from './errors/server-error.js';
import type { CallCommands } from './ports/call-commands.js';
import type { CallStore } from './ports/call-store.js';
import { NODE_LOST_CAUSE, NODE_LOST_CAUSE_CODE } from './ports/cluster-registry.js';
import type { Logger } from './ports/logger.js';

/** A takeover lock outlives a takeover by far; a survivor that dies holding it is replaced after it. */
const TAKEOVER_LOCK_MS = 30_000;

export interface ClusterParts {
  readonly node: ClusterNode;
  readonly commands: CallCommands;
  /** Starts heartbeats once the API listens (its URL is what other nodes forward to). */
  start(apiAddress: string): Promise<void>;
  /** Stops heartbeats (after the calls ended), releases Redis and the forwarding client. */
  close(): Promise<void>;
}

export interface ClusterInputs {
  readonly config: Config;
  readonly nodeId: string;
  readonly engine: Engine;
  readonly store: CallStore;
  readonly local: CallCommands;
  readonly logger: Logger;
  readonly sipPort: number;
}

function checkTiming(config: Config): void {
  const { heartbeatMs, nodeTtlMs } = config.cluster;
  if (nodeTtlMs < 2 * heartbeatMs) {
    throw new ServerError(
      'ERR_CONFIG_INVALID',
      `cluster.nodeTtlMs (${nodeTtlMs}) must be at least twice cluster.heartbeatMs (${heartbeatMs}): one late beat would lose the node`,
    );
  }
}

/** The cluster parts, or undefined without `cluster.redisUrl`. */
export function composeCluster(inputs: ClusterInputs): ClusterParts | undefined {
  const { config, nodeId, engine, store, logger } = inputs;
  const url = config.cluster.redisUrl;
  if (url === null) {
    return undefined;
  }
  checkTiming(config);
  const log = logger.child({ component: 'cluster' });
  const registry = new RedisClusterRegistry({
    url,
    onError: (err) => {
      log.warn({ err: err.message }, 'Redis connection error');
    },
  });
  const node = new ClusterNode({
    registry,
    clock: engine.deps.clock,
    timers: engine.deps.timers,
    logger: log,
    nodeId,
    timing: {
      heartbeatMs: config.cluster.heartbeatMs,
      nodeTtlMs: config.cluster.nodeTtlMs,
      callTtlMs: config.tuning.maxCallDurationSec * 1000 + config.cluster.nodeTtlMs,
      takeoverLockMs: TAKEOVER_LOCK_MS,
    },
    liveCalls: () => engine.calls.keys(),
    closeRecords: (lost, nowMs) =>
      store.markLiveAsAbnormal(nowMs, NODE_LOST_CAUSE, NODE_LOST_CAUSE_CODE, lost),
    deliverCallbacks: (fromOwner) => engine.callbacks.recover(undefined, fromOwner),
  });
  engine.watchCalls((callUuid, event) => {
    if (event === 'added') {
      node.callStarted(callUuid);
    } else {
      node.callEnded(callUuid);
    }
  });
  // Peers are the operator's own nodes, found in the registry: no outbound target policy applies.
  const http = new UndiciHttpClient({ guard: new TargetGuard({ addressRules: [], nameRules: [] }) });
  const commands = new ClusterCallCommands({
    local: inputs.local,
    owners: node,
    http,
    nodeId,
    authId: config.auth.authId,
    authToken: config.auth.authToken,
    timeoutMs: config.cluster.forwardTimeoutMs,
    logger: log,
    isLocal: (callUuid) => engine.getCall(callUuid) !== undefined,
  });
  return {
    node,
    commands,
    async start(apiAddress) {
      await registry.ready().catch((err: unknown) => {
        log.warn({ err }, 'Redis not reachable at start; the node runs and joins when it answers');
      });
      await node.start({
        nodeId,
        apiUrl: config.cluster.advertiseApiUrl ?? apiAddress,
        sipAddress: `${config.sip.host}:${inputs.sipPort}`,
        outboxOwner: engine.callbacks.owner,
        startedAt: engine.deps.clock.epochMs(),
        draining: false,
      });
    },
    async close() {
      await node.stop();
      await registry.close();
      await http.close();
    },
  };
}
