/**
 * Header name normalisation: compact forms (RFC 3261 §7.3.3, RFC 3515, RFC 3903) expand to the long form,
 * and known names get their canonical capitalisation, so lookups are case-insensitive (§7.3.1).
 */

const compactForms: Readonly<Record<string, string>> = {
  v: 'Via',
  f: 'From',
  t: 'To',
  i: 'Call-ID',
  m: 'Contact',
  l: 'Content-Length',
  c: 'Content-Type',
  k: 'Supported',
  s: 'Subject',
  e: 'Content-Encoding',
  o: 'Event',
  r: 'Refer-To',
  u: 'Allow-Events',
  b: 'Referred-By',
  x: 'Session-Expires',
};

const canonicalNames = [
  'Accept',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Error-Info',
  'Event',
  'Expires',
  'From',
  'In-Reply-To',
  'Max-Forwards',
  'Min-Expires',
  'MIME-Version',
  'Organization',
  'Priority',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'Record-Route',
  'Refer-To',
  'Referred-By',
  'Reply-To',
  'Require',
  'Retry-After',
  'Route',
  'RSeq',
  'RAck',
  'Server',
  'Session-Expires',
  'Subject',
  'Supported',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
];

const canonicalByLower: ReadonlyMap<string, string> = new Map(
  canonicalNames.map((n) => [n.toLowerCase(), n]),
);

/**
 * The canonical form of a header name: compact forms expanded, known names capitalised as in RFC 3261 §20,
 * unknown names returned unchanged.
 */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1) {
    const long = compactForms[lower];
    if (long !== undefined) {
      return long;
    }
  }
  return canonicalByLower.get(lower) ?? name;
}
