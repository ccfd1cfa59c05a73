/**
 * The stream dialects this server speaks, for the composition root (and tests) to hand to the engine.
 * The engine itself never imports this module or a dialect (eslint.config.mjs).
 */
import type { StreamDialectRegistry } from './stream-dialect.types.js';
import { plivoDialect } from './stream-ws/plivo-dialect.js';
import { twilioDialect } from './twilio/twilio-dialect.js';

/** Every built-in dialect, by the name a stream spec uses. */
export const BUILT_IN_STREAM_DIALECTS: StreamDialectRegistry = Object.freeze({
  plivo: plivoDialect,
  twilio: twilioDialect,
});
