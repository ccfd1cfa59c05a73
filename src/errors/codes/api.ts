import type { CatalogSection } from '../catalog.types.js';

/**
 * Error codes of the REST API (ERR_API_*). The API answers every error as `{"api_id","error"}` with
 * the `httpStatus` given here (compatibility §8 "Errors", D13); `api/error-handler.ts` is the only place that
 * maps a code to a response.
 */
export const apiCodes = {
  ERR_API_UNAVAILABLE: {
    message:
      'The node takes no new calls or streams now: it is draining, or at limits.maxCalls, limits.maxStreams or limits.maxEventLoopLagMs. Retry after the Retry-After seconds, or on another node.',
    category: 'rate_limit',
    httpStatus: 503,
  },
  ERR_API_MISSING_PARAM: {
    message: 'A required request parameter is missing.',
    category: 'invalid_request',
    httpStatus: 400,
  },
  ERR_API_INVALID_PARAM: {
    message: 'A request parameter has the wrong type or an invalid value.',
    category: 'invalid_request',
    httpStatus: 400,
  },
  ERR_API_MALFORMED_BODY: {
    message: 'The request body could not be parsed (malformed JSON or form data).',
    category: 'invalid_request',
    httpStatus: 400,
  },
  ERR_API_UNSUPPORTED_MEDIA_TYPE: {
    message:
      'The request body has a Content-Type the API does not accept (use application/json or application/x-www-form-urlencoded).',
    category: 'invalid_request',
    httpStatus: 415,
  },
  ERR_API_BODY_TOO_LARGE: {
    message: 'The request body is larger than the configured limit (http.bodyLimitBytes).',
    category: 'invalid_request',
    httpStatus: 413,
  },
  ERR_API_UNAUTHENTICATED: {
    message: 'HTTP Basic credentials are missing or do not match the configured auth_id and auth_token.',
    category: 'authentication',
    httpStatus: 401,
  },
  ERR_API_ACCOUNT_NOT_FOUND: {
    message: 'The auth_id in the path is not the authenticated account.',
    category: 'not_found',
    httpStatus: 404,
  },
  ERR_API_NOT_FOUND: { message: 'No such API resource.', category: 'not_found', httpStatus: 404 },
  ERR_API_URI_TOO_LONG: {
    message: 'A path segment of the request URL (an ID) is longer than any resource the API has.',
    category: 'invalid_request',
    httpStatus: 414,
  },
  ERR_API_HEADERS_TOO_LARGE: {
    message: 'The request line and headers are larger than the HTTP server accepts (Node.js maxHeaderSize).',
    category: 'invalid_request',
    httpStatus: 431,
  },
  ERR_API_REQUEST_TIMEOUT: {
    message: 'The request did not arrive in full within the HTTP server request timeout.',
    category: 'timeout',
    httpStatus: 408,
  },
  ERR_API_BAD_REQUEST: {
    message: 'The request is not valid HTTP (the server closes the connection after answering).',
    category: 'invalid_request',
    httpStatus: 400,
  },
  ERR_API_METHOD_NOT_ALLOWED: {
    message: 'The resource exists but does not accept this HTTP method.',
    category: 'invalid_request',
    httpStatus: 405,
  },
  ERR_API_CALL_NOT_FOUND: {
    message: 'No call with this call_uuid is known, or the operation needs a live call and it has ended.',
    category: 'not_found',
    httpStatus: 404,
  },
  ERR_API_STREAM_NOT_FOUND: {
    message: 'No stream with this stream_id exists on the call.',
    category: 'not_found',
    httpStatus: 404,
  },
  ERR_API_NO_ACTIVE_STREAM: {
    message: 'The stream exists but is no longer active (compatibility §8: "No active stream found").',
    category: 'invalid_request',
    httpStatus: 400,
  },
  ERR_API_STREAM_REFUSED: {
    message:
      'The call refused a new stream: an active stream already uses this service_url, or the call has its maximum of live streams.',
    category: 'invalid_request',
    httpStatus: 400,
  },
  ERR_API_UNSUPPORTED: {
    message: 'The request asks for a feature streamfork does not implement (e.g. a B-leg transfer).',
    category: 'invalid_request',
    httpStatus: 400,
  },
  ERR_API_DIAL_FAILED: {
    message: 'The outbound call could not be placed (bad destination, or no SIP trunk configured).',
    category: 'invalid_request',
    httpStatus: 400,
  },
  ERR_API_CONSOLE_SESSION: {
    message:
      'The web console request has no valid session (not logged in, logged out or expired): log in at /console/login.',
    category: 'authentication',
    httpStatus: 401,
  },
  ERR_API_CONSOLE_FORBIDDEN: {
    message:
      'The web console refused the action: its Origin is not this server, or the CSRF token (X-CSRF-Token header) is missing or wrong.',
    category: 'authorization',
    httpStatus: 403,
  },
} as const satisfies CatalogSection;

/** A code of the api area. */
export type ApiErrorCode = keyof typeof apiCodes;
