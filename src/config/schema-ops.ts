/**
 * The operator's sections of the configuration schema (issue 15): `limits` (overload protection) and
 * `metrics` (Prometheus). Same conventions as schema.ts, which assembles them.
 */
import { Type } from 'typebox';

const Limits = Type.Object(
  {
    maxCalls: Type.Integer({
      minimum: 0,
      maximum: 100000,
      default: 0,
      description:
        'Most calls (inbound being set up or live, and outbound) a node takes at once; at the limit new INVITEs and OPTIONS get 503 with Retry-After 5 (a proxy sends the call to another node) and REST Call create gets 503. 0: no limit but the RTP port range (and tuning.maxCalls).',
    }),
    maxStreams: Type.Integer({
      minimum: 0,
      maximum: 1000000,
      default: 0,
      description:
        'Most live streams on the node, over all calls; at the limit new INVITEs, REST Call create and REST Stream start get 503 with Retry-After. A call already admitted still runs the <Stream> elements of its XML (up to stream.maxStreamsPerCall). 0: no limit.',
    }),
    maxEventLoopLagMs: Type.Integer({
      minimum: 0,
      maximum: 60000,
      default: 0,
      description:
        'Refuse new calls and REST stream starts (503, Retry-After 5) while the event loop lagged more than this over the last second (99th percentile): the calls already up keep their audio. 0: off. 50 suits a node sized for its load; see docs/metrics.md.',
      unit: 'ms',
    }),
  },
  { additionalProperties: false },
);

const Metrics = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        'Serve Prometheus metrics at GET /metrics on the API port (no call or stream ids, numbers or tokens in them; docs/metrics.md).',
    }),
    requireAuth: Type.Boolean({
      default: false,
      description:
        'Ask for the account credentials (HTTP Basic, as the REST API) on GET /metrics. /healthz and /readyz never need them.',
    }),
  },
  { additionalProperties: false },
);

export const LimitsSection = Type.Object(Limits.properties, {
  additionalProperties: false,
  default: {},
  description:
    'Overload protection: past a limit new work gets 503 so the calls already up keep clean audio.',
});

export const MetricsSection = Type.Object(Metrics.properties, {
  additionalProperties: false,
  default: {},
  description: 'Prometheus metrics.',
});

/** The answer webhook's dialect key, kept outside schema.ts (its size budget). */
export { webhookDialect } from './dialect-keys.js';

/** `tuning.maxCalls`: the older name of limits.maxCalls. */
export const legacyMaxCalls = Type.Integer({
  minimum: 0,
  maximum: 100000,
  default: 0,
  description:
    'The older name of limits.maxCalls, still honoured when limits.maxCalls is 0 (limits.maxCalls wins when both are set).',
});
