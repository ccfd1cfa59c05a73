/**
 * Structured logging. Phone numbers, SIP user parts, DTMF digits, tokens and extra headers go under a
 * `pii` key, which the adapter redacts unless redaction is switched off (observability/redact.ts).
 */
export interface Logger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
  child(bindings: object): Logger;
}

/** A logger that drops everything; for tests and library use. */
export const nullLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
};
