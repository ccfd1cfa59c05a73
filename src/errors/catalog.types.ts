/** Error categories (pipecat ErrorCategory); retryability derives from the category. */
export const ErrorCategories = [
  'invalid_request',
  'authentication',
  'authorization',
  'not_found',
  'conflict',
  'rate_limit',
  'connectivity',
  'timeout',
  'server',
  'protocol',
] as const;
export type ErrorCategory = (typeof ErrorCategories)[number];

/** One entry of the error catalogue. */
export interface CatalogEntry {
  /** Human-readable description of the condition, used in docs and as the default message. */
  readonly message: string;
  readonly category: ErrorCategory;
  /** HTTP status at the REST boundary (defaults from the category when absent). */
  readonly httpStatus?: number;
  /** SIP final response status at the SIP boundary, where one applies. */
  readonly sipStatus?: number;
  /** WebSocket close code at the stream boundary, where one applies. */
  readonly wsCloseCode?: number;
}

export type CatalogSection = Readonly<Record<string, CatalogEntry>>;
