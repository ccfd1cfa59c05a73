/**
 * Maps the validated server config onto the settings objects the engine and adapters take.
 */
import { hostname } from 'node:os';

import { TargetGuard } from './adapters/net/target-guard.js';
import type { Config } from './config/schema.js';
import { ServerError } from './errors/server-error.js';
import { parseTargetPolicy } from './protocol/net/target-policy.js';
import type { StreamSettings } from './engine/fork/stream-fork.types.js';

export function streamSettingsFrom(config: Config, authToken: string): StreamSettings {
  const s = config.stream;
  return {
    accountId: config.auth.authId,
    authToken,
    extraHeadersMode: s.extraHeadersMode,
    l16LittleEndian: s.l16ByteOrder === 'little',
    sendStop: s.sendStop,
    connectAttempts: s.connectAttempts,
    connectTimeoutMs: s.connectTimeoutMs,
    connectBackoffMs: s.connectBackoffMs,
    bufferSeconds: s.bufferSeconds,
    maxMessageBytes: s.wsMaxPayloadBytes,
    maxPlayoutQueueMs: config.tuning.maxPlayoutQueueMs,
    signWebSocketUrlAs: s.signWebSocketUrlAs,
  };
}

/** The outbound target policy of `http.allowedTargets`/`http.deniedTargets` (validated at config load). */
export function targetGuardFrom(config: Config): TargetGuard {
  const policy = parseTargetPolicy({
    allowed: config.http.allowedTargets,
    denied: config.http.deniedTargets,
  });
  if (!policy.ok) {
    throw new ServerError('ERR_CONFIG_INVALID', `invalid configuration:\n  ${policy.errors.join('\n  ')}`);
  }
  return new TargetGuard(policy.value);
}

/** Store drivers several nodes share (a cluster): each node then recovers and refreshes only its own calls. */
const SHARED_STORE_DRIVERS: ReadonlySet<string> = new Set(['postgres']);

/** Who this node is, and whether it shares its record store with other nodes. */
export interface NodeIdentity {
  /** `cluster.nodeId`, or when empty the host name and the SIP port (`host:5060`). */
  readonly nodeId: string;
  /**
   * True on a shared store: start-up recovery and the last-seen refresh take only this node's calls,
   * and the callback outbox rows are owned by the node id. False (SQLite, memory): one node owns every
   * record, as before nodes were recorded.
   */
  readonly clustered: boolean;
}

export function nodeIdentityFrom(config: Config): NodeIdentity {
  const configured = config.cluster.nodeId.trim();
  return {
    nodeId: configured === '' ? `${hostname()}:${config.sip.port}` : configured,
    clustered: SHARED_STORE_DRIVERS.has(config.storage.driver) || config.cluster.redisUrl !== null,
  };
}
