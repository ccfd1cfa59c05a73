/**
 * What the logger redacts by default: anything under a `pii` key (phone numbers, SIP user parts, DTMF
 * digits, extra headers), and token-like fields wherever they appear.
 */
export const redactedPaths: readonly string[] = [
  'pii',
  '*.pii',
  'authToken',
  '*.authToken',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'digits',
  '*.digits',
  'digit',
  '*.digit',
  'from',
  'to',
  '*.from',
  '*.to',
  'extraHeaders',
  '*.extraHeaders',
];

export const REDACTED = '[redacted]';
