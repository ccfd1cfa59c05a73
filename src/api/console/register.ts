/**
 * The live web console under /console (issue 15 items 4–5; docs/console.md): the login form and the
 * session cookie, the page and its files, the event feed (SSE), a call's timeline, the history of
 * ended calls from the store, listen-in (WebSocket), and two actions through `CallCommands` (hang up,
 * stop a stream). It sees calls only through the `CallEventFeed` and `CallAudioTap` ports.
 *
 * Everything under /console/api needs the session cookie (401 otherwise); actions (POST) also need
 * this server's Origin and the session's CSRF token in `X-CSRF-Token` (403 otherwise). The page and
 * its files carry a Content-Security-Policy that allows only this server: nothing is loaded from
 * anywhere else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { ServerError } from '../../errors/server-error.js';
import type { ApiDeps } from '../api.types.js';
import { refusalError } from '../routes/context.js';
import type { ConsoleAsset, ConsoleDeps } from './console.types.js';
import { openEventStream } from './event-stream.js';
import { cameOverTls, checkOrigin, requireAction, requireSession } from './guard.js';
import { ListenServer, audioPathCall } from './listen-socket.js';
import { ConsoleSessions, SESSION_COOKIE, cookieValue, sameSecret, sessionCookie } from './sessions.js';

export const DEFAULT_SESSION_TTL_MS = 8 * 3600_000;

/** The hangup cause of a call hung up from the console (as the REST API's: `Normal Hangup`). */
export const CONSOLE_HANGUP_CAUSE = 'Normal Hangup';

/** The stop reason of a stream stopped from the console. */
export const CONSOLE_STOP_REASON = 'Stopped from the console';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CALL_CODES = {
  'not-found': 'ERR_API_CALL_NOT_FOUND',
  'not-live': 'ERR_API_CALL_NOT_FOUND',
  refused: 'ERR_API_CALL_NOT_FOUND',
  failed: 'ERR_API_CALL_NOT_FOUND',
} as const;

const STREAM_CODES = {
  'not-found': 'ERR_API_STREAM_NOT_FOUND',
  'not-live': 'ERR_API_NO_ACTIVE_STREAM',
  refused: 'ERR_API_STREAM_REFUSED',
  failed: 'ERR_API_STREAM_NOT_FOUND',
} as const;

interface Ctx {
  readonly deps: ApiDeps;
  readonly console: ConsoleDeps;
  readonly sessions: ConsoleSessions;
  now(): number;
}

function sendAsset(reply: FastifyReply, asset: ConsoleAsset | undefined, status = 200): FastifyReply {
  if (asset === undefined) {
    throw new ServerError('ERR_API_NOT_FOUND', 'no such console file');
  }
  return reply
    .code(status)
    .header('content-type', asset.type)
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-cache')
    .send(asset.body);
}

/** The login page, with the failure line when `failed`. */
function loginPage(ctx: Ctx, failed: boolean): ConsoleAsset | undefined {
  const page = ctx.console.assets.get('login.html');
  if (page === undefined || !failed) {
    return page;
  }
  const text = page.body
    .toString('utf8')
    .replace('<!--error-->', '<p class="error" role="alert">Wrong auth ID or auth token.</p>');
  return { type: page.type, body: Buffer.from(text, 'utf8') };
}

function registerPages(app: FastifyInstance, ctx: Ctx): void {
  app.get('/console', (request, reply) => {
    if (ctx.sessions.get(sessionIdOf(request), ctx.now()) === undefined) {
      return reply.code(303).header('location', '/console/login').send();
    }
    return sendAsset(reply, ctx.console.assets.get('index.html'));
  });
  app.get('/console/login', (_request, reply) => sendAsset(reply, loginPage(ctx, false)));
  app.get<{ Params: { name: string } }>('/console/assets/:name', (request, reply) =>
    sendAsset(reply, ctx.console.assets.get(request.params.name)),
  );
  app.post<{ Body: Record<string, unknown> | undefined }>('/console/login', (request, reply) => {
    // A login form posted from another site could log the operator into an attacker's session.
    checkOrigin(request.raw);
    const body = request.body ?? {};
    const authId = typeof body['auth_id'] === 'string' ? body['auth_id'] : '';
    const authToken = typeof body['auth_token'] === 'string' ? body['auth_token'] : '';
    // Both comparisons always run (as in auth.ts).
    const idOk = sameSecret(authId, ctx.deps.authId);
    const tokenOk = sameSecret(authToken, ctx.deps.authToken);
    if (!idOk || !tokenOk) {
      ctx.deps.logger.warn({ remote: request.ip }, 'console login refused');
      return sendAsset(reply, loginPage(ctx, true), 401);
    }
    const session = ctx.sessions.create(ctx.now());
    const secure = ctx.console.secureCookie === true || cameOverTls(request.raw);
    const maxAge = Math.ceil((session.expiresAtMs - session.createdAtMs) / 1000);
    ctx.deps.logger.info({ remote: request.ip }, 'console login');
    return reply
      .code(303)
      .header('set-cookie', sessionCookie(session.id, maxAge, secure))
      .header('location', '/console')
      .send();
  });
  app.post('/console/api/logout', (request, reply) => {
    const session = requireAction(request.raw, ctx.sessions, ctx.now());
    ctx.sessions.end(session.id);
    const secure = ctx.console.secureCookie === true || cameOverTls(request.raw);
    return reply
      .code(204)
      .header('set-cookie', sessionCookie('', 0, secure))
      .send();
  });
}

function sessionIdOf(request: FastifyRequest): string | undefined {
  return cookieValue(request.headers.cookie, SESSION_COOKIE);
}

function registerReads(app: FastifyInstance, ctx: Ctx, feeds: Set<ServerResponse>): void {
  const noStore = (reply: FastifyReply): FastifyReply => reply.header('cache-control', 'no-store');
  app.get('/console/api/session', (request, reply) => {
    const s = requireSession(request.raw, ctx.sessions, ctx.now());
    return noStore(reply).send({ authId: ctx.deps.authId, csrfToken: s.csrf, expiresAtMs: s.expiresAtMs });
  });
  app.get('/console/api/events', (request, reply) => {
    const s = requireSession(request.raw, ctx.sessions, ctx.now());
    void reply.hijack();
    const res = reply.raw;
    feeds.add(res);
    res.on('close', () => feeds.delete(res));
    openEventStream(res, {
      feed: ctx.console.feed,
      heartbeatMs: ctx.console.heartbeatMs ?? 15_000,
      maxBufferBytes: ctx.console.maxFeedBufferBytes ?? 1024 * 1024,
      logger: ctx.deps.logger,
      stillAllowed: () => ctx.sessions.get(s.id, ctx.now()) !== undefined,
    });
  });
  app.get<{ Params: { callUuid: string } }>('/console/api/calls/:callUuid/timeline', (request, reply) => {
    requireSession(request.raw, ctx.sessions, ctx.now());
    const events = ctx.console.feed.timeline(request.params.callUuid);
    if (events === undefined) {
      throw new ServerError('ERR_API_CALL_NOT_FOUND', 'no timeline for this call on this node');
    }
    return noStore(reply).send({ callUuid: request.params.callUuid, events });
  });
  app.get<{ Querystring: { limit?: string } }>('/console/api/history', async (request, reply) => {
    requireSession(request.raw, ctx.sessions, ctx.now());
    const limit = Math.min(100, Math.max(1, Number(request.query.limit ?? 20) || 20));
    const page = await ctx.deps.store.listCalls({ status: 'completed', limit, offset: 0 });
    const calls = page.items.map((c) => ({
      callUuid: c.callUuid,
      direction: c.direction,
      from: c.from,
      to: c.to,
      startedAtMs: c.startedAt,
      answeredAtMs: c.answeredAt,
      endedAtMs: c.endedAt,
      durationSec: c.durationSec,
      hangupCause: c.hangupCause,
      hangupCauseCode: c.hangupCauseCode,
      hangupSource: c.hangupSource,
      endedAbnormally: c.endedAbnormally,
    }));
    return noStore(reply).send({ total: page.total, calls });
  });
}

function registerActions(app: FastifyInstance, ctx: Ctx): void {
  app.post<{ Params: { callUuid: string } }>(
    '/console/api/calls/:callUuid/hangup',
    async (request, reply) => {
      requireAction(request.raw, ctx.sessions, ctx.now());
      const res = await ctx.deps.commands.hangup(request.params.callUuid, CONSOLE_HANGUP_CAUSE);
      if (!res.ok) {
        throw refusalError(res, CALL_CODES);
      }
      ctx.deps.logger.info({ callUuid: request.params.callUuid }, 'call hung up from the console');
      return reply.code(204).send();
    },
  );
  app.post<{ Params: { callUuid: string; streamId: string } }>(
    '/console/api/calls/:callUuid/streams/:streamId/stop',
    async (request, reply) => {
      requireAction(request.raw, ctx.sessions, ctx.now());
      const { callUuid, streamId } = request.params;
      const res = await ctx.deps.commands.stopStream(callUuid, streamId, CONSOLE_STOP_REASON);
      if (!res.ok) {
        throw refusalError(res, STREAM_CODES);
      }
      ctx.deps.logger.info({ callUuid, streamId }, 'stream stopped from the console');
      return reply.code(204).send();
    },
  );
}

/** Answers a refused upgrade with a plain HTTP status and closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function registerListen(app: FastifyInstance, ctx: Ctx): ListenServer {
  const listen = new ListenServer({
    tap: ctx.console.tap,
    maxBufferBytes: ctx.console.maxAudioBufferBytes ?? 16 * 1024,
    logger: ctx.deps.logger,
  });
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const callUuid = audioPathCall(req.url);
    if (callUuid === undefined) {
      // Not ours; with no other upgrade handler nobody would answer it.
      if (app.server.listenerCount('upgrade') === 1) {
        refuseUpgrade(socket, 404, 'Not Found');
      }
      return;
    }
    try {
      requireSession(req, ctx.sessions, ctx.now());
      // A WebSocket is not covered by CORS: refuse a page of another origin (cross-site hijacking).
      checkOrigin(req);
    } catch (err) {
      const status = err instanceof ServerError && err.code === 'ERR_API_CONSOLE_SESSION' ? 401 : 403;
      refuseUpgrade(socket, status, status === 401 ? 'Unauthorized' : 'Forbidden');
      return;
    }
    listen.accept(req, socket, head, callUuid);
  });
  return listen;
}

/** Registers the console's routes on the API server (called by `buildApiServer` when `deps.console` is set). */
export function registerConsole(app: FastifyInstance, deps: ApiDeps, consoleDeps: ConsoleDeps): void {
  const ctx: Ctx = {
    deps,
    console: consoleDeps,
    sessions: new ConsoleSessions(consoleDeps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS),
    now: () => deps.clock.epochMs(),
  };
  const feeds = new Set<ServerResponse>();
  registerPages(app, ctx);
  registerReads(app, ctx, feeds);
  registerActions(app, ctx);
  const listen = registerListen(app, ctx);
  // Open feeds and listen-in sockets would hold the server's close: end them first.
  app.addHook('preClose', (done) => {
    for (const res of feeds) {
      res.destroy();
    }
    listen.close();
    done();
  });
}
