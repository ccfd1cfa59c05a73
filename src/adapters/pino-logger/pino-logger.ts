/**
 * The Logger port over pino, with redaction on by default (observability/redact.ts): PII and token
 * keys are censored, and every URL that reaches a log line (in fields, child bindings, the message,
 * an error's message and stack) keeps its scheme, host and path but loses userinfo, query values and
 * fragment, where callback and stream URLs carry their tokens.
 */
import {
  pino,
  stdSerializers,
  type DestinationStream,
  type Logger as PinoLogger,
  type LoggerOptions,
} from 'pino';

import type { Logger } from '../../ports/logger.js';
import { REDACTED, redactUrlsDeep, redactUrlsInText, redactedPaths } from '../../observability/redact.js';

export interface PinoLoggerOptions {
  readonly level?: string;
  /** Default true. Switch off only for local debugging. */
  readonly redact?: boolean;
  readonly destination?: DestinationStream;
  /** Write to standard error instead of standard output (CLI tools whose stdout is data). */
  readonly toStderr?: boolean;
}

/** The pino options that redact: censored keys, and URLs rewritten wherever they appear. */
const redacting: LoggerOptions = {
  redact: { paths: [...redactedPaths], censor: REDACTED },
  formatters: {
    log: (fields) => redactUrlsDeep(fields) as Record<string, unknown>,
  },
  serializers: { err: (err: Error) => redactUrlsDeep(stdSerializers.err(err)) },
  hooks: {
    logMethod(args, method) {
      const redacted = args.map((a: unknown) => (typeof a === 'string' ? redactUrlsInText(a) : a));
      method.apply(this, redacted as Parameters<typeof method>);
    },
  },
};

/**
 * The port over a pino logger whose children's bindings are redacted first: pino applies no formatter
 * to a child's bindings, and a child bound to `{ url }` would otherwise log it verbatim on every line.
 */
function redactingPort(inner: PinoLogger): Logger {
  return {
    debug: (fields, msg) => {
      inner.debug(fields, msg);
    },
    info: (fields, msg) => {
      inner.info(fields, msg);
    },
    warn: (fields, msg) => {
      inner.warn(fields, msg);
    },
    error: (fields, msg) => {
      inner.error(fields, msg);
    },
    child: (bindings) => redactingPort(inner.child(redactUrlsDeep(bindings) as object)),
  };
}

export function createPinoLogger(opts: PinoLoggerOptions = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { name: 'streamfork' },
    ...(opts.redact === false ? {} : redacting),
  };
  const destination = opts.destination ?? (opts.toStderr === true ? pino.destination(2) : undefined);
  const logger = destination === undefined ? pino(options) : pino(options, destination);
  return opts.redact === false ? logger : redactingPort(logger);
}
