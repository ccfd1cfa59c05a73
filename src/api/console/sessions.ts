/**
 * The console's login sessions, in memory: a random 256-bit id (the cookie) and a random CSRF token
 * per session, an absolute expiry, and a cap on how many exist (the oldest go first). Pure apart from
 * the random bytes; "now" is given.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ConsoleSession {
  readonly id: string;
  readonly csrf: string;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

/** Cookie name of the session id. */
export const SESSION_COOKIE = 'sf_console';

/** Most sessions at once; a new login past it ends the oldest session. */
export const MAX_SESSIONS = 1000;

const token = (): string => randomBytes(32).toString('base64url');

/** Equal-length digests compared with `timingSafeEqual`, as the REST API's Basic auth does. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export class ConsoleSessions {
  readonly #ttlMs: number;
  /** Insertion order is creation order. */
  readonly #byId = new Map<string, ConsoleSession>();

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get size(): number {
    return this.#byId.size;
  }

  create(nowMs: number): ConsoleSession {
    for (const [id, s] of this.#byId) {
      if (s.expiresAtMs <= nowMs) {
        this.#byId.delete(id);
      }
    }
    while (this.#byId.size >= MAX_SESSIONS) {
      const oldest = this.#byId.keys().next();
      if (oldest.done === true) {
        break;
      }
      this.#byId.delete(oldest.value);
    }
    const session = { id: token(), csrf: token(), createdAtMs: nowMs, expiresAtMs: nowMs + this.#ttlMs };
    this.#byId.set(session.id, session);
    return session;
  }

  /** The live session with this id, or undefined (unknown, ended or expired). */
  get(id: string | undefined, nowMs: number): ConsoleSession | undefined {
    if (id === undefined || id === '') {
      return undefined;
    }
    const s = this.#byId.get(id);
    if (s === undefined) {
      return undefined;
    }
    if (s.expiresAtMs <= nowMs) {
      this.#byId.delete(id);
      return undefined;
    }
    return s;
  }

  end(id: string): void {
    this.#byId.delete(id);
  }
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** The Set-Cookie header of a session (or, with `maxAgeSec` 0, the one that clears it). */
export function sessionCookie(value: string, maxAgeSec: number, secure: boolean): string {
  const attrs = [
    `${SESSION_COOKIE}=${value}`,
    'Path=/console',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSec}`,
  ];
  if (secure) {
    attrs.push('Secure');
  }
  return attrs.join('; ');
}
