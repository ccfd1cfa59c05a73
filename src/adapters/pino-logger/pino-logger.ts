/** The Logger port over pino, with PII redaction on by default (observability/redact.ts). */
import { pino, type DestinationStream } from 'pino';

import type { Logger } from '../../ports/logger.js';
import { REDACTED, redactedPaths } from '../../observability/redact.js';

export interface PinoLoggerOptions {
  readonly level?: string;
  /** Default true. Switch off only for local debugging. */
  readonly redact?: boolean;
  readonly destination?: DestinationStream;
  /** Write to standard error instead of standard output (CLI tools whose stdout is data). */
  readonly toStderr?: boolean;
}

export function createPinoLogger(opts: PinoLoggerOptions = {}): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { name: 'streamfork' },
    ...(opts.redact === false ? {} : { redact: { paths: [...redactedPaths], censor: REDACTED } }),
  };
  const destination = opts.destination ?? (opts.toStderr === true ? pino.destination(2) : undefined);
  const logger = destination === undefined ? pino(options) : pino(options, destination);
  return logger;
}
