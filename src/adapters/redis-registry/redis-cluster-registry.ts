/**
 * The `ClusterRegistry` on Redis 7 (ioredis). Keys, under a prefix (default `streamfork:`):
 *
 * - `node:<id>`: the node's heartbeat record (JSON), `SET … PX ttl` every beat;
 * - `members`: hash node id → outbox owner of its last heartbeat (`HSET` every beat); a member without
 *   a `node:<id>` key is lost until a survivor takes it over and removes it;
 * - `call:<uuid>`: the owning node id, `SET … PX ttl` at call start, `DEL` at call end; the TTL
 *   (the longest a call may last) is the safety net for a node that dies without cleaning up;
 * - `calls:<id>`: set of the node's call uuids, so a survivor can delete them (`forgetNode`);
 * - `lock:<name>`: `SET … NX PX` locks (takeover election).
 *
 * Operations: a call costs 3 at start (SET, SADD, PEXPIRE in one MULTI round trip) and 2 at end (DEL,
 * SREM); a forwarded command 1 (GET); a node 2 per heartbeat (SET, HSET) and 2 per membership read
 * (HGETALL, MGET). Commands fail at once while disconnected (no offline queue), so a call never
 * waits on Redis; ioredis reconnects by itself and the caller re-registers what failed.
 */
import { Redis } from 'ioredis';

import type { ClusterRegistry, LostNode, NodeInfo, RegistrySnapshot } from '../../ports/cluster-registry.js';

export interface RedisRegistryOptions {
  /** `redis://host:port/db`. */
  readonly url: string;
  /** Key prefix. Default `streamfork:`. */
  readonly prefix?: string;
  /** A command with no answer by then rejects. Default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** Called on connection errors (the adapter logs nothing itself). */
  readonly onError?: (err: Error) => void;
}

/** Deletes a lost node's call entries that still point at it, its call set and its membership. */
const FORGET_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local calls = redis.call('SMEMBERS', KEYS[2])
local n = 0
for _, uuid in ipairs(calls) do
  local key = ARGV[2] .. 'call:' .. uuid
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key); n = n + 1 end
end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[3], ARGV[1])
return n
`;

function isNodeInfo(value: unknown): value is NodeInfo {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const v = value as Record<string, unknown>;
  return (
    typeof v['nodeId'] === 'string' &&
    typeof v['apiUrl'] === 'string' &&
    typeof v['outboxOwner'] === 'string' &&
    typeof v['draining'] === 'boolean'
  );
}

function parseNode(json: string | null): NodeInfo | undefined {
  if (json === null) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(json);
    return isNodeInfo(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export class RedisClusterRegistry implements ClusterRegistry {
  readonly #redis: Redis;
  readonly #p: string;
  #closed = false;

  constructor(opts: RedisRegistryOptions) {
    this.#p = opts.prefix ?? 'streamfork:';
    this.#redis = new Redis(opts.url, {
      enableOfflineQueue: false,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      commandTimeout: opts.commandTimeoutMs ?? 1000,
      // Reconnect forever, at most every second.
      retryStrategy: (times) => Math.min(1000, 50 * times),
    });
    this.#redis.on('error', (err: Error) => {
      opts.onError?.(err);
    });
  }

  /** Connects (the constructor does not) and resolves once ready; rejects after `timeoutMs`. */
  async ready(timeoutMs = 5000): Promise<void> {
    if (this.#redis.status === 'ready') {
      return;
    }
    if (this.#redis.status === 'wait') {
      this.#redis.connect().catch(() => undefined); // errors reach onError; ioredis keeps retrying
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Redis did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = (): void => {
        cleanup();
        resolve();
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#redis.off('ready', onReady);
      };
      this.#redis.on('ready', onReady);
    });
  }

  async heartbeat(node: NodeInfo, ttlMs: number): Promise<void> {
    await this.#redis
      .multi()
      .set(`${this.#p}node:${node.nodeId}`, JSON.stringify(node), 'PX', ttlMs)
      .hset(`${this.#p}members`, node.nodeId, node.outboxOwner)
      .exec();
  }

  async registerCall(callUuid: string, nodeId: string, ttlMs: number): Promise<void> {
    const set = `${this.#p}calls:${nodeId}`;
    await this.#redis
      .multi()
      .set(`${this.#p}call:${callUuid}`, nodeId, 'PX', ttlMs)
      .sadd(set, callUuid)
      .pexpire(set, ttlMs)
      .exec();
  }

  async unregisterCall(callUuid: string, nodeId: string): Promise<void> {
    await this.#redis
      .multi()
      .del(`${this.#p}call:${callUuid}`)
      .srem(`${this.#p}calls:${nodeId}`, callUuid)
      .exec();
  }

  async ownerOf(callUuid: string): Promise<string | undefined> {
    return (await this.#redis.get(`${this.#p}call:${callUuid}`)) ?? undefined;
  }

  async nodeInfo(nodeId: string): Promise<NodeInfo | undefined> {
    return parseNode(await this.#redis.get(`${this.#p}node:${nodeId}`));
  }

  async snapshot(): Promise<RegistrySnapshot> {
    const members = await this.#redis.hgetall(`${this.#p}members`);
    const ids = Object.keys(members).sort();
    if (ids.length === 0) {
      return { live: [], lost: [] };
    }
    const records = await this.#redis.mget(ids.map((id) => `${this.#p}node:${id}`));
    const live: NodeInfo[] = [];
    const lost: LostNode[] = [];
    ids.forEach((nodeId, i) => {
      const info = parseNode(records[i] ?? null);
      if (info === undefined) {
        lost.push({ nodeId, outboxOwner: members[nodeId] ?? '' });
      } else {
        live.push(info);
      }
    });
    return { live, lost };
  }

  async tryLock(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(`${this.#p}lock:${name}`, holder, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async forgetNode(nodeId: string): Promise<void> {
    const p = this.#p;
    await this.#redis.eval(
      FORGET_SCRIPT,
      3,
      `${p}node:${nodeId}`,
      `${p}calls:${nodeId}`,
      `${p}members`,
      nodeId,
      p,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    if (this.#redis.status !== 'ready') {
      this.#redis.disconnect();
      return;
    }
    await this.#redis.quit().catch(() => {
      this.#redis.disconnect();
    });
  }
}
