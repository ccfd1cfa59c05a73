/**
 * The composition root: the only place that creates adapters and hands them to the engine.
 */
import { type PinoLoggerOptions, createPinoLogger } from './adapters/pino-logger/pino-logger.js';
import { UndiciHttpClient } from './adapters/http-client/undici-http-client.js';
import { MediaClockDriver } from './adapters/system-clock/media-clock-driver.js';
import { systemClock, systemTimers } from './adapters/system-clock/system-clock.js';
import { nodeRandom } from './adapters/node-random/node-random.js';
import { NodeWsConnector } from './adapters/ws-client/ws-connector.js';
import type { TargetGuard } from './adapters/net/target-guard.js';
import { Engine } from './engine/engine.js';
import type { StreamSettings } from './engine/fork/stream-fork.types.js';
import type { Logger } from './ports/logger.js';

export interface RuntimeOptions {
  readonly stream: StreamSettings;
  readonly logger?: Logger;
  readonly log?: PinoLoggerOptions;
  readonly maxStreamsPerCall?: number;
  readonly callbackTimeoutMs?: number;
  readonly callbackAttempts?: number;
  /** Sub-ticks per 20 ms frame of the media clock (`tuning.clockPhases`, 1..8). Default 4. */
  readonly clockPhases?: number;
  /** The outbound target policy for every HTTP request and WebSocket (`http.allowedTargets`/`deniedTargets`). Default: the built-in denied targets. */
  readonly targets?: TargetGuard;
}

export interface Runtime {
  readonly engine: Engine;
  readonly driver: MediaClockDriver;
  readonly logger: Logger;
  /** Waits (at most `graceMs`) for queued callbacks, then releases the HTTP pool. */
  close(graceMs?: number): Promise<void>;
}

export function composeRuntime(opts: RuntimeOptions): Runtime {
  const logger = opts.logger ?? createPinoLogger(opts.log);
  const driver = new MediaClockDriver({
    phases: opts.clockPhases ?? 4,
    onError: (err, frameIndex, phase) => {
      logger.error({ err, frameIndex, phase }, 'media clock listener threw');
    },
  });
  const guard = opts.targets === undefined ? {} : { guard: opts.targets };
  const http = new UndiciHttpClient(guard);
  const engine = new Engine(
    {
      ticker: driver,
      ws: new NodeWsConnector(guard),
      http,
      clock: systemClock,
      timers: systemTimers,
      random: nodeRandom,
      logger,
    },
    {
      stream: opts.stream,
      ...(opts.maxStreamsPerCall === undefined ? {} : { maxStreamsPerCall: opts.maxStreamsPerCall }),
      ...(opts.callbackTimeoutMs === undefined ? {} : { callbackTimeoutMs: opts.callbackTimeoutMs }),
      ...(opts.callbackAttempts === undefined ? {} : { callbackAttempts: opts.callbackAttempts }),
    },
  );
  return {
    engine,
    driver,
    logger,
    async close(graceMs = 5000) {
      await Promise.race([engine.callbacks.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      await http.close();
    },
  };
}
