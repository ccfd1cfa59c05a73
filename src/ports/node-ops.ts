/**
 * What the node tells operators over HTTP (issue 15): liveness, readiness and Prometheus metrics. The
 * API serves it (`/healthz`, `/readyz`, `/metrics`); the composition root builds it from the store, the
 * SIP server and the metrics registry.
 */

/** One readiness check: its name and whether it passed (no numbers, addresses or ids). */
export interface ReadyCheck {
  readonly name: 'store' | 'sip' | 'draining' | 'limits';
  readonly ok: boolean;
  /** Why it failed, in words that reveal nothing sensitive (e.g. "at limits.maxCalls"). */
  readonly why?: string;
}

export interface ReadyReport {
  readonly ready: boolean;
  readonly checks: readonly ReadyCheck[];
  /** When not ready: seconds a caller should wait before asking again. */
  readonly retryAfterSec?: number;
}

export interface NodeOps {
  /** Runs the readiness checks (the store is asked, bounded by a timeout). */
  ready(): Promise<ReadyReport>;
  /** The Prometheus exposition; absent when `metrics.enabled` is false. */
  readonly metrics: (() => Promise<{ readonly contentType: string; readonly body: string }>) | undefined;
  /** Whether GET /metrics asks for the account's credentials (`metrics.requireAuth`). */
  readonly metricsRequireAuth: boolean;
}
