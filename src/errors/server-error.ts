import { errorCatalog, isRetryableCategory } from './catalog.js';
import type { ErrorCategory } from './catalog.types.js';

/** The base class of errors the server raises on purpose; `code` is always catalogued. */
export class ServerError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly retryable: boolean;
  /** When to ask again, s (a node at a limit); the REST API answers it as Retry-After. */
  readonly retryAfterSec: number | undefined;

  constructor(code: string, message?: string, options?: { cause?: unknown; retryAfterSec?: number }) {
    const entry = errorCatalog.get(code);
    super(
      message ?? entry?.message ?? code,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.retryAfterSec = options?.retryAfterSec;
    this.name = 'ServerError';
    this.code = code;
    this.category = entry?.category ?? 'server';
    this.retryable = isRetryableCategory(this.category);
  }
}
