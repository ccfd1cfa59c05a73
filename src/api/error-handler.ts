/**
 * The one place where errors become HTTP answers (STYLE.md 5.5 "mapping only at edges"): every
 * error, ours or fastify's, is turned into a catalogued code, answered with that code's HTTP status
 * and `{"api_id","error"}` (compatibility §8 "Errors", D13).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

import { errorCatalog, httpStatusFor } from '../errors/catalog.js';
import { ServerError } from '../errors/server-error.js';
import type { Logger } from '../ports/logger.js';
import { EXPECTED_KEYWORD } from './schemas/common.js';

/** A "missing parameter" error in the same words the handlers use. */
export function missingParam(name: string): ServerError {
  return new ServerError('ERR_API_MISSING_PARAM', `missing required parameter '${name}'`);
}

/** An "invalid parameter" error in the same words the handlers use. */
export function invalidParam(name: string, expected: string): ServerError {
  return new ServerError('ERR_API_INVALID_PARAM', `invalid '${name}': expected ${expected}`);
}

/** What the API answers for one of fastify's own errors. */
const fastifyCodes: Readonly<Record<string, { code: string; message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'ERR_API_BODY_TOO_LARGE', message: 'request body too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'ERR_API_UNSUPPORTED_MEDIA_TYPE',
    message: 'unsupported Content-Type; send application/json or application/x-www-form-urlencoded',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'ERR_API_MALFORMED_BODY', message: 'malformed JSON body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'ERR_API_MALFORMED_BODY', message: 'empty JSON body' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'ERR_API_MALFORMED_BODY',
    message: 'request body length does not match Content-Length',
  },
  FST_ERR_BAD_URL: { code: 'ERR_API_NOT_FOUND', message: 'malformed URL' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'ERR_API_URI_TOO_LONG', message: 'a path segment is too long' },
};

/** The ajv error shape fastify attaches as `error.validation` (with ajv's `verbose` option). */
interface ValidationIssue {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly parentSchema?: Readonly<Record<string, unknown>>;
}

function isValidationIssue(v: unknown): v is ValidationIssue {
  return typeof v === 'object' && v !== null && 'keyword' in v && 'instancePath' in v;
}

/** Turns the first schema violation into our wording. */
function fromValidation(issue: ValidationIssue | undefined, context: string | undefined): ServerError {
  if (issue === undefined) {
    return new ServerError('ERR_API_INVALID_PARAM', 'invalid request parameters');
  }
  const name = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (issue.keyword === 'required') {
    const missing = issue.params['missingProperty'];
    return missingParam(typeof missing === 'string' ? missing : name);
  }
  if (name === '') {
    // The whole body failed (absent, or JSON that is not an object).
    return context === 'body'
      ? new ServerError('ERR_API_INVALID_PARAM', 'the request body must be a JSON object or form data')
      : new ServerError('ERR_API_INVALID_PARAM', `invalid ${context ?? 'request'}`);
  }
  const expected = issue.parentSchema?.[EXPECTED_KEYWORD];
  return invalidParam(name, typeof expected === 'string' ? expected : 'a valid value');
}

/** Any thrown value → a ServerError with a catalogued code. */
export function toServerError(err: unknown): ServerError {
  if (err instanceof ServerError) {
    return err;
  }
  const fe = err as Partial<FastifyError> & { validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const first: unknown = fe.validation[0];
    return fromValidation(isValidationIssue(first) ? first : undefined, fe.validationContext);
  }
  const mapped = fe.code === undefined ? undefined : fastifyCodes[fe.code];
  if (mapped !== undefined) {
    return new ServerError(mapped.code, mapped.message, { cause: err });
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    return new ServerError('ERR_API_MALFORMED_BODY', 'malformed JSON body', { cause: err });
  }
  return new ServerError('ERR_INTERNAL', 'internal server error', { cause: err });
}

/** The request's api_id, minted here if the request failed before the hook that sets it. */
export function apiIdOf(request: FastifyRequest, mint: () => string): string {
  // Requests fastify builds for its own routing errors may lack the decoration's default.
  if (typeof request.apiId !== 'string' || request.apiId === '') {
    request.apiId = mint();
  }
  return request.apiId;
}

/** Sends `{"api_id","error"}` with the code's HTTP status. */
export function sendError(reply: FastifyReply, err: ServerError, apiId: string): FastifyReply {
  const status = errorCatalog.has(err.code) ? httpStatusFor(err.code) : 400;
  if (err.code === 'ERR_API_UNAUTHENTICATED') {
    void reply.header('www-authenticate', 'Basic realm="streamfork"');
  }
  if (err.retryAfterSec !== undefined) {
    void reply.header('retry-after', String(err.retryAfterSec));
  }
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({ api_id: apiId, error: err.message });
}

/** The fastify error handler: logs server faults, answers everything in the API's error shape. */
export function makeErrorHandler(logger: Logger, mint: () => string) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const mapped = toServerError(err);
    const apiId = apiIdOf(request, mint);
    if (mapped.category === 'server') {
      logger.error({ err, apiId, method: request.method, url: request.url }, 'API request failed');
    } else {
      logger.debug(
        { code: mapped.code, apiId, method: request.method, url: request.url },
        'API request refused',
      );
    }
    return sendError(reply, mapped, apiId);
  };
}

/** Node's HTTP parser errors: the status and error of the one answer before the connection closes. */
function clientErrorOf(code: string | undefined): ServerError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new ServerError('ERR_API_HEADERS_TOO_LARGE', 'request line and headers too large');
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new ServerError('ERR_API_REQUEST_TIMEOUT', 'request timed out');
  }
  return new ServerError('ERR_API_BAD_REQUEST', 'malformed HTTP request');
}

/** A socket as fastify's `clientErrorHandler` receives it. */
interface ClientSocket {
  readonly destroyed: boolean;
  readonly writable: boolean;
  write(data: string): unknown;
  destroy(err?: Error): unknown;
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refused (headers too large, not HTTP)
 * never reaches routing or auth, so nothing is revealed; it still gets `{"api_id","error"}` with its
 * catalogued status, then the connection closes (as Node itself does).
 */
export function makeClientErrorHandler(mint: () => string) {
  return (err: Error & { code?: string }, socket: ClientSocket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) {
      return;
    }
    const mapped = clientErrorOf(err.code);
    const status = httpStatusFor(mapped.code);
    const body = JSON.stringify({ api_id: mint(), error: mapped.message });
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  };
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};
