/**
 * The result of parsing untrusted input. Parsers of network bytes, XML and WebSocket JSON never throw:
 * they return one of these (STYLE.md 5.5).
 */
export type ParseResult<T, E extends ParseFailure = ParseFailure> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

/** Why a parse failed: a catalogued code plus what a person needs to find the problem. */
export interface ParseFailure {
  /** A code from the error catalogue, e.g. `ERR_SIP_BAD_START_LINE`. */
  readonly code: string;
  /** One sentence that says what is wrong with this input. */
  readonly detail: string;
  /** Byte or character offset of the problem, where known. */
  readonly offset?: number;
}

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function fail<E extends ParseFailure>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
