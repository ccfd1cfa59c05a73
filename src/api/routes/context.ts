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

import { errorCatalog } from '../../errors/catalog.js';
import { ServerError } from '../../errors/server-error.js';
import type { CommandRefusal, CommandResult } from '../../ports/call-commands.js';
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

/** The API's answer to a refused command: the code each refusal has on the route it came from. */
export interface RefusalCodes {
  readonly 'not-found': string;
  readonly 'not-live': string;
  readonly refused: string;
  /** A failure whose code the catalogue does not know. */
  readonly failed: string;
}

/** The ServerError for a refusal (its message kept). */
export function refusalError(refusal: CommandRefusal, codes: RefusalCodes): ServerError {
  if (refusal.reason === 'failed') {
    const code = errorCatalog.has(refusal.code) ? refusal.code : codes.failed;
    return refusal.retryAfterSec === undefined
      ? new ServerError(code, refusal.message)
      : new ServerError(code, refusal.message, { retryAfterSec: refusal.retryAfterSec });
  }
  return new ServerError(codes[refusal.reason], refusal.message);
}

/** The command's value when it succeeded; throws the mapped ServerError when it was refused. */
export function accepted<T extends object>(result: CommandResult<T>, codes: RefusalCodes): T {
  if (!result.ok) {
    throw refusalError(result, codes);
  }
  return result;
}
