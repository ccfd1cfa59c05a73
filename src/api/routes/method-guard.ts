/**
 * 405 for a known path asked with a method it does not accept (compatibility §8 "Errors": 405 method). Fastify
 * answers 404 for any unregistered method, so each resource path registers the rest explicitly. These
 * routes carry no schema, which is also how the OpenAPI generator tells them apart.
 */
import type { HTTPMethods } from 'fastify';

import { ServerError } from '../../errors/server-error.js';
import type { ApiApp } from './context.js';

const ALL_METHODS: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export function rejectOtherMethods(app: ApiApp, url: string, allowed: readonly HTTPMethods[]): void {
  const others = ALL_METHODS.filter((m) => !allowed.includes(m));
  const allow = [...allowed, ...(allowed.includes('GET') ? (['HEAD'] as const) : [])].join(', ');
  app.route({
    method: others,
    url,
    handler: (_request, reply) => {
      void reply.header('allow', allow);
      throw new ServerError('ERR_API_METHOD_NOT_ALLOWED', 'method not allowed');
    },
  });
}
