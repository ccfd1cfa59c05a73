/**
 * The operator's endpoints, outside `/v1/Account/` and not in the OpenAPI document (they are not
 * Plivo's): `GET /healthz` (the process answers), `GET /readyz` (it would take a new call: store
 * reachable, SIP bound, not draining, below its limits; 503 with Retry-After otherwise) and
 * `GET /metrics` (Prometheus text; behind the account's credentials when `metrics.requireAuth`).
 * Health and readiness never need credentials and say nothing about calls, numbers or addresses.
 */
import type { FastifyInstance } from 'fastify';

import type { NodeOps } from '../../ports/node-ops.js';
import type { ApiDeps } from '../api.types.js';
import { authorize } from '../auth.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';
export const METRICS_PATH = '/metrics';

export function registerOpsRoutes(app: FastifyInstance, ops: NodeOps, deps: ApiDeps): void {
  app.get(HEALTH_PATH, (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  app.get(READY_PATH, async (_request, reply) => {
    const report = await ops.ready();
    void reply.header('cache-control', 'no-store');
    if (!report.ready) {
      void reply.code(503);
      if (report.retryAfterSec !== undefined) {
        void reply.header('retry-after', String(report.retryAfterSec));
      }
    }
    return {
      status: report.ready ? 'ready' : 'not-ready',
      checks: Object.fromEntries(report.checks.map((c) => [c.name, c.ok ? 'ok' : (c.why ?? 'failed')])),
    };
  });
  const metrics = ops.metrics;
  if (metrics !== undefined) {
    app.get(METRICS_PATH, async (request, reply) => {
      if (ops.metricsRequireAuth) {
        // Throws ERR_API_UNAUTHENTICATED (401 with WWW-Authenticate) through the error handler.
        authorize(request.headers.authorization, deps.authId, deps);
      }
      const { contentType, body } = await metrics();
      return reply.header('cache-control', 'no-store').type(contentType).send(body);
    });
  }
}
