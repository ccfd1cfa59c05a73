/**
 * What the use cases in `app/` need from a composed runtime: the engine and the logger. The composition
 * root (src/compose.ts) builds the runtime and its adapters; `app/` sees only this shape.
 */
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../ports/logger.js';

export interface AppRuntime {
  readonly engine: Engine;
  readonly logger: Logger;
}
