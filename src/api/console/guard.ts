/**
 * The console's request checks: a session from the cookie for every /console/api route (401
 * `ERR_API_CONSOLE_SESSION` otherwise), and for every action (POST) an Origin that is this server and
 * the session's CSRF token in `X-CSRF-Token` (403 `ERR_API_CONSOLE_FORBIDDEN` otherwise).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

import { ServerError } from '../../errors/server-error.js';
import {
  type ConsoleSession,
  type ConsoleSessions,
  SESSION_COOKIE,
  cookieValue,
  sameSecret,
} from './sessions.js';

/** `https://host:port` or `http://host:port`, from the socket (TLS or not) and the Host header. */
export function ownOrigin(req: IncomingMessage): string {
  const tls = (req.socket as Partial<TLSSocket>).encrypted === true;
  return `${tls ? 'https' : 'http'}://${req.headers.host ?? ''}`;
}

/** True when the request came over TLS or a proxy in front says it did (only the cookie's Secure flag follows it). */
export function cameOverTls(req: IncomingMessage): boolean {
  const tls = (req.socket as Partial<TLSSocket>).encrypted === true;
  return tls || req.headers['x-forwarded-proto'] === 'https';
}

/** Throws 403 unless the request's Origin header is this server's origin. */
export function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  if (origin === undefined || origin !== ownOrigin(req)) {
    throw new ServerError('ERR_API_CONSOLE_FORBIDDEN', 'the request does not come from this console');
  }
}

/** The request's live session; throws 401 without one. */
export function requireSession(
  req: IncomingMessage,
  sessions: ConsoleSessions,
  nowMs: number,
): ConsoleSession {
  const session = sessions.get(cookieValue(req.headers.cookie, SESSION_COOKIE), nowMs);
  if (session === undefined) {
    throw new ServerError('ERR_API_CONSOLE_SESSION', 'log in to the console first');
  }
  return session;
}

/** For actions: the session, a same-origin request and the session's CSRF token (constant-time compare). */
export function requireAction(
  req: IncomingMessage,
  sessions: ConsoleSessions,
  nowMs: number,
): ConsoleSession {
  const session = requireSession(req, sessions, nowMs);
  checkOrigin(req);
  const given = req.headers['x-csrf-token'];
  if (typeof given !== 'string' || !sameSecret(given, session.csrf)) {
    throw new ServerError('ERR_API_CONSOLE_FORBIDDEN', 'missing or wrong CSRF token');
  }
  return session;
}
