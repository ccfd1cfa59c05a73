/**
 * What every resource plugin receives: the dependencies, the records view, and the typed fastify
 * instance (TypeBox type provider, so handler types follow the route schemas).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyPluginCallback,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';

import type { ApiDeps } from '../api.types.js';
import type { RecordsView } from '../records-view.js';

export interface RouteContext {
  readonly deps: ApiDeps;
  readonly view: RecordsView;
}

export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** A resource plugin: registered under `/v1/Account/:auth_id` with the route context as options. */
export type ResourcePlugin = FastifyPluginCallback<RouteContext, RawServerDefault, TypeBoxTypeProvider>;
