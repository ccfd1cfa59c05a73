import type { ElementSpec } from './types.js';

/**
 * `<Redirect>`: fetches a new XML document and continues with it.
 * https://www.plivo.com/docs/voice/xml/redirect
 */
export const redirectSpec = {
  name: 'Redirect',
  doc: 'Stops this document and continues the call with the XML returned by the URL in its text.',
  body: {
    field: 'url',
    required: true,
    value: {
      type: 'url',
      schemes: ['http', 'https'],
      doc: 'Where to fetch the next document, as the element text.',
    },
  },
  attributes: {
    method: {
      type: 'enum',
      values: ['GET', 'POST'],
      default: 'POST',
      caseInsensitive: true,
      doc: 'HTTP method for the request.',
    },
  },
  children: [],
} as const satisfies ElementSpec;
