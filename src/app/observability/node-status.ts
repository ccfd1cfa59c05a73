/**
 * The node's readiness as `/readyz` reports it, and the NodeOps port the API serves. Ready when: the
 * record store answers a read within `storeTimeoutMs`, the SIP port is bound, the node is not
 * draining, and it is below its limits (the same gate as INVITE and REST, readiness.ts).
 */
import type { CallStore } from '../../ports/call-store.js';
import type { NodeOps, ReadyCheck, ReadyReport } from '../../ports/node-ops.js';
import type { Timers } from '../../ports/clock.js';
import { NOT_READY_CONDITION, type ReadinessState } from '../sip/readiness.js';

/** A call uuid no call has (the nil UUID): reading it asks the store a question with no answer to leak. */
const PROBE_CALL_UUID = '00000000-0000-0000-0000-000000000000';

export interface NodeStatusDeps {
  readonly store: Pick<CallStore, 'getCall'>;
  readonly sip: { readonly listening: boolean; readiness(): ReadinessState };
  readonly timers: Pick<Timers, 'after'>;
  /** Longest a store read may take before the store counts as unreachable. Default 1000 ms. */
  readonly storeTimeoutMs?: number;
  readonly metrics: (() => Promise<{ readonly contentType: string; readonly body: string }>) | undefined;
  readonly metricsRequireAuth: boolean;
}

export class NodeStatus implements NodeOps {
  readonly #deps: NodeStatusDeps;
  readonly metrics: NodeOps['metrics'];
  readonly metricsRequireAuth: boolean;

  constructor(deps: NodeStatusDeps) {
    this.#deps = deps;
    this.metrics = deps.metrics;
    this.metricsRequireAuth = deps.metricsRequireAuth;
  }

  async ready(): Promise<ReadyReport> {
    const store = await this.#storeCheck();
    const sip: ReadyCheck = this.#deps.sip.listening
      ? { name: 'sip', ok: true }
      : { name: 'sip', ok: false, why: 'not listening' };
    const state = this.#deps.sip.readiness();
    const draining: ReadyCheck =
      !state.ready && state.why === 'draining'
        ? { name: 'draining', ok: false, why: 'draining' }
        : { name: 'draining', ok: true };
    const limits: ReadyCheck =
      !state.ready && state.why !== 'draining'
        ? { name: 'limits', ok: false, why: NOT_READY_CONDITION[state.why] }
        : { name: 'limits', ok: true };
    const checks = [store, sip, draining, limits];
    const ready = checks.every((c) => c.ok);
    return ready
      ? { ready, checks }
      : { ready, checks, retryAfterSec: state.ready ? 5 : state.retryAfterSec };
  }

  async #storeCheck(): Promise<ReadyCheck> {
    const timeoutMs = this.#deps.storeTimeoutMs ?? 1000;
    let cancel: { cancel(): void } | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      cancel = this.#deps.timers.after(timeoutMs, () => {
        resolve('timeout');
      });
    });
    try {
      const result = await Promise.race([
        this.#deps.store.getCall(PROBE_CALL_UUID).then(() => 'ok' as const),
        timedOut,
      ]);
      return result === 'ok' ? { name: 'store', ok: true } : { name: 'store', ok: false, why: 'timed out' };
    } catch {
      return { name: 'store', ok: false, why: 'unreachable' };
    } finally {
      cancel?.cancel();
    }
  }
}
