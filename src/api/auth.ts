/**
 * HTTP Basic authentication with the configured auth_id/auth_token (compatibility §8: "Auth is HTTP Basic
 * `auth_id:auth_token`"), compared in constant time, and the path's `{auth_id}` check.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import { ServerError } from '../errors/server-error.js';

/** `/v1/Account/{auth_id}` at the start of a path (the rest, if any, follows a `/` or `?`). */
const ACCOUNT_PATH = /^\/v1\/Account\/([^/?#]*)/;

/** The `{auth_id}` segment of an account path, or undefined for paths outside `/v1/Account/`. */
export function accountOfPath(url: string): string | undefined {
  const m = ACCOUNT_PATH.exec(url);
  if (m === null) {
    return undefined;
  }
  try {
    return decodeURIComponent(m[1] ?? '');
  } catch {
    return m[1] ?? '';
  }
}

/**
 * Equal-length digests of both sides, compared with `timingSafeEqual`: the time taken does not depend
 * on where the strings differ, nor (beyond hashing) on their lengths.
 */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Splits an `Authorization: Basic …` header into user and password, or undefined when malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  if (header === undefined) {
    return undefined;
  }
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (m === null) {
    return undefined;
  }
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return undefined;
  }
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface Credentials {
  readonly authId: string;
  readonly authToken: string;
}

/**
 * Throws ServerError unless the request may use the account in its path: no or malformed credentials,
 * or a wrong auth_id/auth_token → ERR_API_UNAUTHENTICATED (401); valid credentials but another
 * account's path → ERR_API_ACCOUNT_NOT_FOUND (404, as for any resource you cannot see).
 */
export function authorize(authorization: string | undefined, pathAccount: string, creds: Credentials): void {
  const given = parseBasicAuth(authorization);
  if (given === undefined) {
    throw new ServerError('ERR_API_UNAUTHENTICATED', 'authentication credentials were not provided');
  }
  // Both comparisons always run, so a wrong user and a wrong token take the same time.
  const userOk = sameSecret(given.user, creds.authId);
  const tokenOk = sameSecret(given.password, creds.authToken);
  if (!userOk || !tokenOk) {
    throw new ServerError('ERR_API_UNAUTHENTICATED', 'invalid auth_id or auth_token');
  }
  if (pathAccount !== creds.authId) {
    throw new ServerError('ERR_API_ACCOUNT_NOT_FOUND', 'account not found');
  }
}
