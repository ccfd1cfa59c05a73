/**
 * The OpenAPI 3.1 document, generated from the route table: every route registered with a schema
 * contributes its path, parameters, body and responses. Nothing is kept by hand (STYLE.md 5.11: a
 * hand-kept swagger.yaml is the anti-pattern). Served at GET /v1/openapi.json and committed as
 * docs/openapi.json (a test fails when the committed copy is stale).
 */
import type { RouteOptions } from 'fastify';

/** One documented route, as collected by the `onRoute` hook. */
export interface DocumentedRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: Readonly<Record<string, unknown>>;
}

type JsonObject = Record<string, unknown>;

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** Routes worth documenting: those with a schema (405 guards have none), HEAD left out. */
export function documentedRoutes(route: RouteOptions): DocumentedRoute[] {
  if (route.schema === undefined) {
    return [];
  }
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  return methods
    .filter((m) => m !== 'HEAD')
    .map((method) => ({ method, url: route.url, schema: route.schema as Readonly<Record<string, unknown>> }));
}

/** `/v1/Account/:auth_id/Call/` → `/v1/Account/{auth_id}/Call/`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function asObject(v: unknown): JsonObject | undefined {
  return typeof v === 'object' && v !== null ? (v as JsonObject) : undefined;
}

/** A JSON copy (drops TypeBox's symbol keys and functions). */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}

function parameters(schema: Readonly<Record<string, unknown>>): JsonObject[] {
  const out: JsonObject[] = [];
  for (const [where, key] of [
    ['path', 'params'],
    ['query', 'querystring'],
  ] as const) {
    const s = asObject(schema[key]);
    const props = asObject(s?.['properties']) ?? {};
    const required = new Set(Array.isArray(s?.['required']) ? (s['required'] as unknown[]) : []);
    for (const [name, prop] of Object.entries(props)) {
      const p = asObject(plain(prop)) ?? {};
      const description = p['description'];
      delete p['description'];
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: p,
      });
    }
  }
  return out;
}

function responses(schema: Readonly<Record<string, unknown>>): JsonObject {
  const out: JsonObject = {};
  for (const [status, body] of Object.entries(asObject(schema['response']) ?? {})) {
    const s = asObject(plain(body)) ?? {};
    const description = typeof s['description'] === 'string' ? s['description'] : `HTTP ${status}`;
    out[status] =
      status === '204' ? { description } : { description, content: { [JSON_TYPE]: { schema: s } } };
  }
  return out;
}

function operation(route: DocumentedRoute): JsonObject {
  const s = route.schema;
  const op: JsonObject = {
    operationId: `${route.method.toLowerCase()}${openApiPath(route.url).replace(/[^A-Za-z0-9]+/g, '_')}`,
  };
  for (const key of ['summary', 'description', 'tags'] as const) {
    if (s[key] !== undefined) {
      op[key] = s[key];
    }
  }
  const params = parameters(s);
  if (params.length > 0) {
    op['parameters'] = params;
  }
  if (s['body'] !== undefined) {
    const body = plain(s['body']);
    op['requestBody'] = {
      required: true,
      content: { [JSON_TYPE]: { schema: body }, [FORM]: { schema: body } },
    };
  }
  op['responses'] = responses(s);
  return op;
}

/** Builds the document; `routes` in registration order (the output is deterministic). */
export function buildOpenApiDocument(routes: readonly DocumentedRoute[], version: string): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    const entry = (paths[path] ??= {});
    entry[route.method.toLowerCase()] = operation(route);
  }
  const sortedPaths: Record<string, JsonObject> = {};
  for (const key of Object.keys(paths).sort()) {
    sortedPaths[key] = paths[key] ?? {};
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'streamfork REST API',
      version,
      description:
        'The Plivo-compatible Call and Stream API of streamfork (compatibility §8, §9, D13). Paths work with and ' +
        'without the trailing slash; bodies may be JSON or form-encoded; booleans may be JSON booleans or "true"/"false"; ' +
        'bodies on DELETE are ignored. Every error is {"api_id","error"}.',
    },
    servers: [{ url: '/' }],
    security: [{ basicAuth: [] }],
    components: {
      securitySchemes: {
        basicAuth: {
          type: 'http',
          scheme: 'basic',
          description: 'auth_id as the user, auth_token as the password.',
        },
      },
    },
    paths: sortedPaths,
  };
}
