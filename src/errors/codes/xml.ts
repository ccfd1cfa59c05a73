import type { CatalogSection } from '../catalog.types.js';

/**
 * Error codes of the xml area (ERR_XML_* unless noted): problems the Plivo XML parser and validator
 * report (src/protocol/plivo-xml/parse.ts). Some are reported as warnings (the document still runs);
 * docs/xml.md says which.
 */
export const xmlCodes = {
  ERR_XML_TOO_LARGE: {
    message: 'The XML document is larger than 100 KB',
    category: 'invalid_request',
    httpStatus: 413,
  },
  ERR_XML_MALFORMED: { message: 'The document is not well-formed XML', category: 'invalid_request' },
  ERR_XML_DOCTYPE: {
    message: 'DOCTYPE declarations (and so entity definitions) are not allowed',
    category: 'invalid_request',
  },
  ERR_XML_TOO_DEEP: { message: 'Elements are nested too deeply', category: 'invalid_request' },
  ERR_XML_ROOT_NOT_RESPONSE: { message: 'The root element must be <Response>', category: 'invalid_request' },
  ERR_XML_UNKNOWN_ELEMENT: { message: 'Not a Plivo XML element', category: 'invalid_request' },
  ERR_XML_UNSUPPORTED_ELEMENT: {
    message: 'A Plivo XML element this server does not implement',
    category: 'invalid_request',
  },
  ERR_XML_CHILD_NOT_ALLOWED: {
    message: 'The element cannot be nested in its parent',
    category: 'invalid_request',
  },
  ERR_XML_NOT_FIRST: {
    message: 'The element must be the first in its parent, and appear once (PreAnswer)',
    category: 'invalid_request',
  },
  ERR_XML_UNEXPECTED_TEXT: { message: 'The element takes no text content', category: 'invalid_request' },
  ERR_XML_BODY_REQUIRED: { message: 'The element needs text content', category: 'invalid_request' },
  ERR_XML_BAD_URL: { message: 'Not an absolute URL', category: 'invalid_request' },
  ERR_XML_BAD_URL_SCHEME: { message: 'The URL scheme is not allowed here', category: 'invalid_request' },
  ERR_XML_BAD_BOOLEAN: { message: 'Not "true" or "false"', category: 'invalid_request' },
  ERR_XML_BAD_INTEGER: { message: 'Not a decimal integer', category: 'invalid_request' },
  ERR_XML_OUT_OF_RANGE: { message: 'The number is out of the allowed range', category: 'invalid_request' },
  ERR_XML_BAD_ENUM: { message: 'Not one of the allowed values', category: 'invalid_request' },
  ERR_XML_BAD_VALUE: { message: 'The value does not have the required form', category: 'invalid_request' },
  ERR_XML_TOO_LONG: { message: 'The value is longer than allowed', category: 'invalid_request' },
  ERR_XML_STREAM_BIDIRECTIONAL_TRACK: {
    message: 'A bidirectional <Stream> must use audioTrack="inbound" (D9)',
    category: 'invalid_request',
  },
  ERR_XML_UNKNOWN_ATTRIBUTE: {
    message: 'Unknown attribute, ignored (warning, D9)',
    category: 'invalid_request',
  },
  ERR_XML_LEGACY_VALUE: {
    message: 'A legacy value, accepted as its current equivalent (warning, D16)',
    category: 'invalid_request',
  },
  ERR_XML_WRONG_DIALECT: {
    message: 'The document mixes TwiML (Twilio) and Plivo XML elements',
    category: 'invalid_request',
  },
  ERR_XML_ATTRIBUTE_IGNORED: {
    message: 'The attribute has no effect with the other attributes given (warning)',
    category: 'invalid_request',
  },
} as const satisfies CatalogSection;

/** A code of the xml area. */
export type XmlCode = keyof typeof xmlCodes;
