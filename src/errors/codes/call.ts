import type { CatalogSection } from '../catalog.types.js';

/**
 * Error codes of the call area (ERR_CALL_*): what goes wrong while a call runs its XML or is placed,
 * reported as `call.error` events and kept in the call record's `error.messages`. The call usually ends
 * with the matching hangup cause (docs/hangup-causes.md).
 */
export const callCodes = {
  ERR_CALL_ANSWER_UNREACHABLE: {
    message:
      'The answer (or action, redirect) URL could not be fetched: transport error, timeout or a denied host.',
    category: 'connectivity',
  },
  ERR_CALL_ANSWER_HTTP_ERROR: {
    message: 'The answer (or action, redirect) URL answered with an HTTP error status.',
    category: 'connectivity',
  },
  ERR_CALL_ANSWER_MISSING: {
    message: 'No answer URL is configured for inbound calls; the call was hung up.',
    category: 'invalid_request',
  },
  ERR_CALL_XML_INVALID: {
    message: 'The fetched document failed validation (D9) and was not run; the issues are on the record.',
    category: 'invalid_request',
  },
  ERR_CALL_TOO_MANY_DOCUMENTS: {
    message: 'The call fetched more XML documents (redirects, actions) than allowed.',
    category: 'invalid_request',
  },
  ERR_CALL_DIAL_FAILED: {
    message: 'The outbound call was not answered: rejected, busy, unreachable or not answered in time.',
    category: 'connectivity',
  },
} as const satisfies CatalogSection;

/** A code of the call area. */
export type CallErrorCode = keyof typeof callCodes;
