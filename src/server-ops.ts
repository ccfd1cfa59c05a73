/**
 * The operator's side of the full server (issue 15), built by the composition root: the event-loop
 * lag monitor behind `limits.maxEventLoopLagMs`, the Prometheus metrics (`metrics.*`), the admission
 * gate the REST commands share with SIP, and the NodeOps port behind `/healthz`, `/readyz` and
 * `/metrics`.
 */
import { EventLoopLagMonitor } from './adapters/system-clock/event-loop-lag.js';
import type { Admission } from './app/call-commands.js';
import { NodeMetrics } from './app/observability/node-metrics.js';
import { NodeStatus } from './app/observability/node-status.js';
import type { SipServer } from './app/sip/sip-server.js';
import type { Runtime } from './compose.js';
import type { Config } from './config/schema.js';
import type { CallStore } from './ports/call-store.js';
import type { NodeOps } from './ports/node-ops.js';
import type { ApiDeps } from './api/api.types.js';

/** Started before the SIP server (its admission reads the lag). */
export function startLagMonitor(): EventLoopLagMonitor {
  const lag = new EventLoopLagMonitor();
  lag.start();
  return lag;
}

export interface OpsParts {
  readonly admission: Admission;
  readonly ops: NodeOps;
  /** What the REST API serves of it: health, readiness, metrics and the SIP registrations' state. */
  readonly api: Pick<ApiDeps, 'ops' | 'registrations'>;
  /** Stops the metrics' event subscription and the lag monitor. */
  close(): void;
}

export function composeOps(
  config: Config,
  runtime: Runtime,
  sip: SipServer,
  store: CallStore,
  lag: EventLoopLagMonitor,
): OpsParts {
  const metrics = config.metrics.enabled
    ? new NodeMetrics({ engine: runtime.engine, sip, mediaClock: runtime.driver })
    : undefined;
  if (metrics !== undefined) {
    lag.onWindow((w) => {
      metrics.observeEventLoopLag(w.maxMs);
    });
  }
  const ops = new NodeStatus({
    store,
    sip,
    timers: runtime.ports.timers,
    metrics: metrics === undefined ? undefined : () => metrics.render(),
    metricsRequireAuth: config.metrics.requireAuth,
  });
  return {
    admission: {
      call: () => sip.readiness(),
      stream: () => sip.streamReadiness(),
      countRefusal: (state) => {
        sip.countRefusal(state);
      },
    },
    ops,
    api: { ops, registrations: { registrations: () => sip.registrations() } },
    close() {
      metrics?.close();
      lag.stop();
    },
  };
}
