/**
 * The Plivo-compatible REST API (compatibility §8, §9, D13) on fastify: HTTP Basic auth, JSON and form
 * bodies, one plugin per resource under `/v1/Account/{auth_id}/`, one error handler, and an OpenAPI
 * document generated from the route schemas at GET /v1/openapi.json.
 *
 * Request handling order: route → onRequest (api_id, auth; nothing is read before auth passes) →
 * body parsing (bodies on DELETE are ignored) → schema validation → handler.
 *
 * Auth comes first for every path under `/v1/Account/`: a request without valid credentials gets 401
 * whatever else is wrong with it (unknown resource, wrong method, bad percent-encoding, an over-long
 * ID, a bad Content-Type, a malformed or too-large body), so it learns nothing about the routes. With
 * valid credentials, another account's path is 404, and then the request's own faults are answered.
 * Paths outside `/v1/Account/` (the OpenAPI document, `/healthz`, `/readyz`, anything unknown) are
 * not authenticated; unknown ones are 404. `/metrics` asks for credentials when `metrics.requireAuth`
 * (routes/ops.ts). The OpenAPI document is public by choice: it describes Plivo's published API, nothing
 * about any account. What Node's HTTP parser refuses (headers over maxHeaderSize → 431, not HTTP → 400)
 * never reaches routing or auth. Every answer, fastify's own included, is `{"api_id","error"}` with
 * the code's catalogued status.
 */
import { randomUUID } from 'node:crypto';

import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';

import { ServerError } from '../errors/server-error.js';
import type { CallCommands } from '../ports/call-commands.js';
import type { CallStore } from '../ports/call-store.js';
import { nullLogger } from '../ports/logger.js';
import type { ApiDeps } from './api.types.js';
import { accountOfPath, authorize } from './auth.js';
import { registerConsole } from './console/register.js';
import {
  apiIdOf,
  makeClientErrorHandler,
  makeErrorHandler,
  sendError,
  toServerError,
} from './error-handler.js';
import { type DocumentedRoute, buildOpenApiDocument, documentedRoutes } from './openapi.js';
import { RecordsView } from './records-view.js';
import { callRoutes } from './routes/calls.js';
import { registerInternalRoutes } from './routes/internal.js';
import { registerOpsRoutes } from './routes/ops.js';
import { recordingRoutes } from './routes/recordings.js';
import { registrationRoutes } from './routes/registrations.js';
import type { ApiApp, RouteContext } from './routes/context.js';
import { streamRoutes } from './routes/streams.js';
import { EXPECTED_KEYWORD } from './schemas/common.js';

export type { ApiDeps, DialRequest, HttpMethod } from './api.types.js';

/** Default request body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** `info.version` of the OpenAPI document. */
export const API_DOC_VERSION = '1.0.0';

/** Path of the generated OpenAPI document (no authentication). */
export const OPENAPI_PATH = '/v1/openapi.json';

const ACCOUNT_PREFIX = '/v1/Account/:auth_id';

export interface ApiServerOptions {
  readonly https?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

function serverOptions(deps: ApiDeps, opts: ApiServerOptions, mint: () => string): FastifyServerOptions {
  return {
    logger: false,
    // Fastify's own answers (malformed URL encoding, an over-long path segment, what Node's HTTP parser
    // refuses) go through our handlers too: same body shape, catalogued status, auth first.
    frameworkErrors: (err, request, reply) => {
      const apiId = apiIdOf(request, mint);
      try {
        checkAuth(request, deps);
      } catch (authErr) {
        void sendError(reply, toServerError(authErr), apiId);
        return;
      }
      void sendError(reply, toServerError(err), apiId);
    },
    clientErrorHandler: makeClientErrorHandler(mint),
    bodyLimit: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // D13: with and without the trailing slash.
    routerOptions: { ignoreTrailingSlash: true },
    ajv: {
      customOptions: {
        // `verbose` puts the failing schema on each error, so the handler can quote `x-expected`.
        verbose: true,
        keywords: [EXPECTED_KEYWORD],
        // Form bodies and query strings are all text; booleans accept "true"/"false" (D13).
        coerceTypes: true,
        allErrors: false,
      },
    },
    ...(opts.https === undefined ? {} : { https: { key: opts.https.key, cert: opts.https.cert } }),
  };
}

/**
 * Body parsers: JSON (fastify's own, with prototype-poisoning protection) and forms; anything else is
 * 415. On DELETE every body is ignored, even malformed (plivo-python sends one; D13).
 */
function installParsers(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  // Drops fastify's text/plain parser too: text bodies are 415, not strings that fail validation.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (request.method === 'DELETE') {
      done(null, undefined);
      return;
    }
    void json(request, typeof body === 'string' ? body : body.toString('utf8'), done);
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, _body, done) => {
    if (request.method === 'DELETE') {
      done(null, undefined);
      return;
    }
    done(
      new ServerError(
        'ERR_API_UNSUPPORTED_MEDIA_TYPE',
        'unsupported Content-Type; send application/json or application/x-www-form-urlencoded',
      ),
    );
  });
}

function checkAuth(request: FastifyRequest, deps: ApiDeps): void {
  const account = accountOfPath(request.url);
  if (account !== undefined) {
    authorize(request.headers.authorization, account, deps);
  }
}

/**
 * Builds the API server (not listening). `opts.https` serves TLS, as Plivo's own API does; the plivo
 * SDK interop test uses it with a certificate for api.plivo.com.
 */
export function buildApiServer(deps: ApiDeps, opts: ApiServerOptions = {}): FastifyInstance {
  // The instance is HTTP or HTTPS depending on `opts`; callers use only what both share.
  const mint = (): string => deps.uuid();
  const app = Fastify(serverOptions(deps, opts, mint)) as unknown as FastifyInstance;
  const routes: DocumentedRoute[] = [];

  app.decorateRequest('apiId', '');
  app.addHook('onRoute', (route) => {
    routes.push(...documentedRoutes(route));
  });
  app.addHook('onRequest', (request, _reply, done) => {
    request.apiId = mint();
    try {
      checkAuth(request, deps);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  });
  app.setErrorHandler(makeErrorHandler(deps.logger, mint));
  app.setNotFoundHandler((request, reply) => {
    // Unknown paths under an account are still authenticated first, so they reveal nothing.
    checkAuth(request, deps);
    return sendError(
      reply,
      new ServerError('ERR_API_NOT_FOUND', 'resource not found'),
      apiIdOf(request, mint),
    );
  });
  void app.register(formbody);
  installParsers(app);

  let document: unknown;
  app.get(OPENAPI_PATH, () => (document ??= buildOpenApiDocument(routes, API_DOC_VERSION)));

  const ctx: RouteContext = { deps, view: new RecordsView(deps.store, deps.clock) };
  const typed = app as unknown as ApiApp;
  void typed.register(callRoutes, { ...ctx, prefix: ACCOUNT_PREFIX });
  void typed.register(streamRoutes, { ...ctx, prefix: ACCOUNT_PREFIX });
  void typed.register(recordingRoutes, { ...ctx, prefix: ACCOUNT_PREFIX });
  void typed.register(registrationRoutes, { ...ctx, prefix: ACCOUNT_PREFIX });
  if (deps.localCommands !== undefined) {
    registerInternalRoutes(typed, ACCOUNT_PREFIX, deps.localCommands);
  }
  if (deps.ops !== undefined) {
    registerOpsRoutes(app, deps.ops, deps);
  }
  if (deps.console !== undefined) {
    registerConsole(app, deps, deps.console);
  }
  return app;
}

/** A store or commands object every method of which throws: nothing is read or changed. */
function inert(what: string): object {
  return new Proxy(
    {},
    {
      get: (_target, name) => () => {
        throw new TypeError(`renderOpenApi: ${what}.${String(name)} is not used`);
      },
    },
  );
}

/**
 * The OpenAPI document, rendered from the route table of a server built with no engine, store or
 * commands behind it (no handler runs; only the document route is asked). Used by
 * scripts/gen-openapi.ts and its test.
 */
export async function renderOpenApi(): Promise<string> {
  const deps: ApiDeps = {
    store: inert('store') as CallStore,
    commands: inert('commands') as CallCommands,
    clock: { epochMs: () => 0 },
    uuid: randomUUID,
    logger: nullLogger,
    authId: 'MAXXXXXXXXXXXXXXXXXX',
    authToken: 'unused',
  };
  const app = buildApiServer(deps);
  try {
    const res = await app.inject({ method: 'GET', url: OPENAPI_PATH });
    return `${JSON.stringify(JSON.parse(res.body), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
