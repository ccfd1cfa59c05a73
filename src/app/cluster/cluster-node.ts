/**
 * One node's part in the cluster (issue 12 items 2 and 5): it heartbeats its record into the
 * registry, registers each call it runs (and removes it at the end), answers who owns a call for
 * `ClusterCallCommands`, and watches the membership: when another node's heartbeat has expired, the
 * survivor that wins the takeover lock ends that node's live call and stream records (`Node Lost`),
 * delivers the callbacks it left in the outbox, and removes its registry entries.
 *
 * The registry is never on a call's path: registrations run in the background, a failure is logged
 * and remembered, and every call is registered again at the next heartbeat that succeeds (a Redis
 * restart loses nothing for long). All waiting goes through the `Timers` port, so tests drive it on a
 * fake clock.
 */
import type { AbnormalEndCounts } from '../../ports/call-store.js';
import type { Clock, TimerHandle, Timers } from '../../ports/clock.js';
import type { ClusterRegistry, LostNode, NodeInfo } from '../../ports/cluster-registry.js';
import type { Logger } from '../../ports/logger.js';
import type { OwnerLookup } from './cluster-call-commands.js';
import { watchCluster } from './cluster-watch.js';

export interface ClusterTiming {
  /** Heartbeat and membership read interval (`cluster.heartbeatMs`). */
  readonly heartbeatMs: number;
  /** A node whose heartbeat is older than this is lost (`cluster.nodeTtlMs`). */
  readonly nodeTtlMs: number;
  /** Lifetime of a call's registry entry, the safety net if it is never removed (the longest call). */
  readonly callTtlMs: number;
  /** Lifetime of a takeover lock; a takeover not finished by then may be tried by another survivor. */
  readonly takeoverLockMs: number;
}

export interface ClusterNodeDeps {
  readonly registry: ClusterRegistry;
  readonly clock: Pick<Clock, 'epochMs'>;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly nodeId: string;
  readonly timing: ClusterTiming;
  /** The calls this node runs now. */
  liveCalls(): Iterable<string>;
  /** Ends a lost node's live call and stream records (`markLiveAsAbnormal(now, Node Lost, code, node)`). */
  closeRecords(nodeId: string, nowMs: number): Promise<AbnormalEndCounts>;
  /** Claims a lost process's pending outbox rows and delivers them; resolves to how many. */
  deliverCallbacks(fromOwner: string): Promise<number>;
}

/** What a finished takeover did (logged, and reported to `onTakeover` listeners in tests). */
export interface TakeoverReport {
  readonly nodeId: string;
  readonly calls: number;
  readonly streams: number;
  /** Hangup callbacks written for the ended calls (they are among `callbacks`). */
  readonly hangupCallbacks: number;
  /** Pending callbacks of the lost node claimed and resumed. */
  readonly callbacks: number;
  /** From the first beat that saw the node lost to the records being closed. */
  readonly tookMs: number;
}

export class ClusterNode implements OwnerLookup {
  readonly #deps: ClusterNodeDeps;
  #self: NodeInfo | undefined;
  /** Live peers by id, from the last membership read. */
  #peers = new Map<string, NodeInfo>();
  #tried: ReadonlyMap<string, number> = new Map();
  #timer: TimerHandle | undefined;
  /** A registration failed (or our heartbeat lapsed): register every live call at the next good beat. */
  #dirty = false;
  #beating = false;
  #stopped = false;
  readonly #takeovers: ((r: TakeoverReport) => void)[] = [];

  constructor(deps: ClusterNodeDeps) {
    this.#deps = deps;
  }

  get nodeId(): string {
    return this.#deps.nodeId;
  }

  /** Calls `fn` after each takeover this node carried out. */
  onTakeover(fn: (r: TakeoverReport) => void): void {
    this.#takeovers.push(fn);
  }

  /**
   * With this node's record (sent with every heartbeat; `draining` is set by `stop`): the first
   * heartbeat and membership read (awaited, failures logged), then one every beat.
   */
  async start(self: NodeInfo): Promise<void> {
    this.#self = self;
    await this.#beat();
    this.#schedule();
  }

  /** Registers a call this node now runs (in the background). */
  callStarted(callUuid: string): void {
    const { registry, timing } = this.#deps;
    if (this.#stopped) {
      return;
    }
    registry.registerCall(callUuid, this.nodeId, timing.callTtlMs).catch((err: unknown) => {
      this.#dirty = true;
      this.#deps.logger.warn({ err, callUuid }, 'could not register the call in the cluster registry');
    });
  }

  /** Removes an ended call's entry (in the background; its TTL covers a failure). */
  callEnded(callUuid: string): void {
    if (this.#stopped) {
      return;
    }
    this.#deps.registry.unregisterCall(callUuid, this.nodeId).catch((err: unknown) => {
      this.#deps.logger.warn({ err, callUuid }, 'could not remove the call from the cluster registry');
    });
  }

  async remoteOwnerOf(callUuid: string): Promise<{ nodeId: string; apiUrl: string } | undefined> {
    const owner = await this.#deps.registry.ownerOf(callUuid);
    if (owner === undefined || owner === this.nodeId) {
      return undefined;
    }
    let peer = this.#peers.get(owner);
    if (peer === undefined) {
      // A node that joined after our last membership read; kept until the next read replaces the map.
      peer = await this.#deps.registry.nodeInfo(owner);
      if (peer !== undefined) {
        this.#peers.set(owner, peer);
      }
    }
    return peer === undefined ? undefined : { nodeId: peer.nodeId, apiUrl: peer.apiUrl };
  }

  /** Stops beating; a last heartbeat says the node is draining. Its record then expires by itself. */
  async stop(): Promise<void> {
    const self = this.#self;
    this.halt();
    if (self !== undefined) {
      this.#self = { ...self, draining: true };
      await this.#deps.registry.heartbeat(this.#self, this.#deps.timing.nodeTtlMs).catch(() => undefined);
    }
  }

  /** Stops at once and writes nothing more to the registry (as a crash would; tests). */
  halt(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  #schedule(): void {
    if (this.#stopped) {
      return;
    }
    this.#timer = this.#deps.timers.after(this.#deps.timing.heartbeatMs, () => {
      void this.#beat().finally(() => {
        this.#schedule();
      });
    });
  }

  async #beat(): Promise<void> {
    if (this.#beating || this.#stopped) {
      return;
    }
    this.#beating = true;
    try {
      await this.#heartbeatAndWatch();
    } catch (err) {
      this.#dirty = true;
      this.#deps.logger.warn({ err }, 'cluster registry unreachable; calls go on, re-registering later');
    } finally {
      this.#beating = false;
    }
  }

  async #heartbeatAndWatch(): Promise<void> {
    const { registry, timing, clock } = this.#deps;
    if (this.#self === undefined) {
      return;
    }
    const snapshot = await registry.snapshot();
    const decision = watchCluster(snapshot, this.nodeId, clock.epochMs(), this.#tried, timing.takeoverLockMs);
    this.#tried = decision.tried;
    await registry.heartbeat(this.#self, timing.nodeTtlMs);
    this.#peers = new Map(snapshot.live.map((n) => [n.nodeId, n]));
    const reRegister = this.#dirty || decision.effects.some((e) => e.type === 're-register');
    if (reRegister) {
      this.#dirty = false;
      await this.#registerAll();
    }
    for (const effect of decision.effects) {
      if (effect.type === 'take-over') {
        void this.#takeOver(effect.node);
      }
    }
  }

  async #registerAll(): Promise<void> {
    const { registry, timing } = this.#deps;
    const calls = [...this.#deps.liveCalls()];
    await Promise.all(calls.map((c) => registry.registerCall(c, this.nodeId, timing.callTtlMs)));
    if (calls.length > 0) {
      this.#deps.logger.info({ calls: calls.length }, 'live calls registered again in the cluster registry');
    }
  }

  async #takeOver(node: LostNode): Promise<void> {
    const { registry, timing, clock, logger } = this.#deps;
    const seenAt = clock.epochMs();
    try {
      if (!(await registry.tryLock(`takeover:${node.nodeId}`, this.nodeId, timing.takeoverLockMs))) {
        return; // another survivor has it
      }
      const closed = await this.#deps.closeRecords(node.nodeId, clock.epochMs());
      const tookMs = clock.epochMs() - seenAt;
      const callbacks = node.outboxOwner === '' ? 0 : await this.#deps.deliverCallbacks(node.outboxOwner);
      await registry.forgetNode(node.nodeId);
      const report: TakeoverReport = { nodeId: node.nodeId, ...closed, callbacks, tookMs };
      logger.warn(report, 'took over a lost cluster node: its live records ended, its callbacks resumed');
      for (const fn of this.#takeovers) {
        fn(report);
      }
    } catch (err) {
      logger.error({ err, lostNode: node.nodeId }, 'takeover of a lost node failed; retried later');
    }
  }
}
