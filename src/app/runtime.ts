/**
 * What the use cases in `app/` need from a composed runtime: the engine, the logger and the runtime's
 * ports (clock, timers, random, HTTP). The composition root (src/compose.ts) builds the runtime and its
 * adapters and hands the ports in here; `app/` sees only this shape (the engine keeps its own deps private).
 */
import type { Engine } from '../engine/engine.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { HttpClient } from '../ports/http-client.js';
import type { Logger } from '../ports/logger.js';
import type { Random } from '../ports/random.js';

/** The runtime's ports the use cases use directly (the same ones the engine was built with). */
export interface AppPorts {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly http: HttpClient;
}

export interface AppRuntime {
  readonly engine: Engine;
  readonly logger: Logger;
  readonly ports: AppPorts;
}
