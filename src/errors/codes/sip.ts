import type { CatalogEntry, CatalogSection } from '../catalog.types.js';

/**
 * Error codes of the sip area (ERR_SIP_* unless noted; the SDP offer/answer codes ERR_SDP_* live here too,
 * because the SIP boundary is where they are answered). `sipStatus` is the final response a UAS sends
 * when it can answer at all (RFC 3261 §21); a message without a usable Via is dropped instead.
 */
export const sipCodes = {
  ERR_SIP_EMPTY_MESSAGE: { message: 'The SIP message is empty.', category: 'protocol' },
  ERR_SIP_MESSAGE_TOO_LARGE: {
    message: 'The SIP message exceeds the size limit (RFC 3261 §21.5.14).',
    category: 'protocol',
    sipStatus: 513,
  },
  ERR_SIP_BODY_TOO_LARGE: {
    message: 'The SIP message body exceeds the size limit (RFC 3261 §21.4.11).',
    category: 'protocol',
    sipStatus: 413,
  },
  ERR_SIP_BAD_ENCODING: {
    message: 'The SIP header section is not valid UTF-8.',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_BAD_START_LINE: {
    message: 'The SIP start line is neither a Request-Line nor a Status-Line (RFC 3261 §7.1, §7.2).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_VERSION_NOT_SUPPORTED: {
    message: 'The SIP version is not SIP/2.0 (RFC 3261 §21.5.13).',
    category: 'protocol',
    sipStatus: 505,
  },
  ERR_SIP_BAD_STATUS_CODE: {
    message: 'The SIP status code is not a three-digit number from 100 to 699 (RFC 3261 §7.2).',
    category: 'protocol',
  },
  ERR_SIP_BAD_URI: {
    message: 'A SIP URI is malformed (RFC 3261 §19.1, §25).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_UNSUPPORTED_URI_SCHEME: {
    message: 'The Request-URI scheme is not supported (RFC 3261 §21.4.15).',
    category: 'protocol',
    sipStatus: 416,
  },
  ERR_SIP_HEADERS_INCOMPLETE: {
    message: 'The SIP header section does not end with an empty line (RFC 3261 §7).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_BAD_HEADER: {
    message: 'A SIP header line is malformed (RFC 3261 §7.3, §25).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_TOO_MANY_HEADERS: {
    message: 'The SIP message has too many header lines.',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_BAD_CONTENT_LENGTH: {
    message: 'The Content-Length header is not a valid non-negative integer (RFC 3261 §20.14).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_BODY_TRUNCATED: {
    message: 'The body is shorter than Content-Length says (RFC 3261 §18.3).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_MISSING_HEADER: {
    message: 'A mandatory header (Via, From, To, Call-ID, CSeq) is missing (RFC 3261 §8.1.1).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_DUPLICATE_HEADER: {
    message: 'A header that may appear once appears more than once (RFC 3261 §7.3.1).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_BAD_CSEQ: {
    message: 'The CSeq header is malformed or its method differs from the request method (RFC 3261 §20.16).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_BAD_VIA: {
    message: 'A Via header is malformed (RFC 3261 §20.42).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_BAD_ADDRESS: {
    message: 'A From, To, Contact or Route header is not a valid name-addr or addr-spec (RFC 3261 §20.10).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_BAD_MAX_FORWARDS: {
    message: 'Max-Forwards is not an integer from 0 to 255 (RFC 3261 §20.22).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_STREAM_FRAMING: {
    message: 'A stream transport carried a message without a usable Content-Length (RFC 3261 §18.3).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SIP_TRANSACTION_TIMEOUT: {
    message: 'The SIP transaction timed out (RFC 3261 §17.1.1.2, Timer B/F).',
    category: 'timeout',
    sipStatus: 408,
  },
  ERR_SIP_TRANSPORT_FAILURE: {
    message: 'The SIP transport failed to send a message (RFC 3261 §17.1.4).',
    category: 'connectivity',
    sipStatus: 503,
  },
  ERR_SIP_AUTH_BAD_CHALLENGE: {
    message: 'A digest challenge or credentials header is malformed (RFC 2617 §3.2).',
    category: 'authentication',
    sipStatus: 400,
  },
  ERR_SIP_AUTH_UNSUPPORTED: {
    message: 'The digest algorithm or qop is not supported (RFC 7616 §3.3).',
    category: 'authentication',
    sipStatus: 401,
  },
  ERR_SIP_AUTH_FAILED: {
    message: 'The digest credentials do not verify (RFC 2617 §3.2.2).',
    category: 'authentication',
    sipStatus: 403,
  },
  ERR_SIP_AUTH_STALE_NONCE: {
    message: 'The digest nonce has expired; a new challenge with stale=true applies (RFC 2617 §3.2.1).',
    category: 'authentication',
    sipStatus: 401,
  },
  ERR_SDP_MALFORMED: {
    message: 'The SDP body is malformed (RFC 4566 §5).',
    category: 'protocol',
    sipStatus: 400,
  },
  ERR_SDP_NOT_ACCEPTABLE: {
    message: 'The SDP offer has no audio stream with a codec we support (RFC 3264 §6).',
    category: 'invalid_request',
    sipStatus: 488,
  },
  ERR_SDP_BAD_MEDIA_ADDRESS: {
    message:
      'The SDP media address or port is unusable: a port outside 1-65535, a c= that is not an IP literal of its declared family, a host name, multicast, or a family our RTP socket cannot reach (RFC 4566 §5.7, §5.14).',
    category: 'invalid_request',
    sipStatus: 488,
  },
  ERR_SDP_BAD_ANSWER: {
    message: 'The SDP answer does not match our offer (RFC 3264 §6, §7).',
    category: 'protocol',
    sipStatus: 488,
  },
} as const satisfies CatalogSection;

/** Every ERR_SIP_* / ERR_SDP_* code as a string-literal union. */
export type SipErrorCode = keyof typeof sipCodes;

/** The SIP status a UAS answers for a SIP/SDP error code, or undefined when it cannot answer (drop). */
export function sipStatusForCode(code: SipErrorCode): number | undefined {
  const entry: CatalogEntry = sipCodes[code];
  return entry.sipStatus;
}
