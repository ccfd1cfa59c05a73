/**
 * HTTP Digest header values as used by SIP (RFC 3261 §22.4, §25.1; RFC 2617 §3.2.1, §3.2.2; RFC 7616 §3.3):
 * `Digest name=value, name="quoted", …`. Parsing never throws.
 */
import { createHash } from 'node:crypto';

/** Parsed digest parameters, names in lower case, quoted values unquoted. */
export type DigestParams = ReadonlyMap<string, string>;

/** Parses `Digest k=v, k="v"` (RFC 2617 §3.2.1); undefined when the scheme is not Digest or syntax is bad. */
export function parseDigestParams(value: string): DigestParams | undefined {
  const m = /^\s*Digest\s+/i.exec(value);
  if (m === null) {
    return undefined;
  }
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z0-9\-_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(,|$)/y;
  re.lastIndex = m[0].length;
  while (re.lastIndex < value.length) {
    const p = re.exec(value);
    if (p === null) {
      return undefined;
    }
    const name = (p[1] ?? '').toLowerCase();
    const quoted = p[2];
    out.set(name, quoted === undefined ? (p[3] ?? '') : quoted.replace(/\\(.)/g, '$1'));
    if (p[4] === '') {
      break;
    }
  }
  return out;
}

const unquotedNames = new Set(['algorithm', 'nc', 'qop', 'stale']);

/** Serializes digest parameters; values are quoted except algorithm, nc, stale and qop in credentials. */
export function serializeDigestParams(
  params: readonly (readonly [string, string])[],
  quoteQop: boolean,
): string {
  const parts = params.map(([name, value]) => {
    const bare = unquotedNames.has(name) && !(name === 'qop' && quoteQop);
    return bare ? `${name}=${value}` : `${name}="${value.replace(/(["\\])/g, '\\$1')}"`;
  });
  return `Digest ${parts.join(', ')}`;
}

/** Digest algorithms we support (RFC 2617 §3.2.2.2, RFC 7616 §3.2). */
export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

/** The algorithm named by a challenge (default MD5), or undefined when unsupported. */
export function digestAlgorithm(name: string | undefined): DigestAlgorithm | undefined {
  const n = (name ?? 'MD5').toUpperCase();
  const known: Record<string, DigestAlgorithm> = {
    MD5: 'MD5',
    'MD5-SESS': 'MD5-sess',
    'SHA-256': 'SHA-256',
    'SHA-256-SESS': 'SHA-256-sess',
  };
  return known[n];
}

function h(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5')
    .update(text, 'utf8')
    .digest('hex');
}

/** Inputs of the request-digest computation (RFC 2617 §3.2.2.1). */
export interface DigestComputation {
  readonly algorithm: DigestAlgorithm;
  readonly username: string;
  readonly realm: string;
  readonly password: string;
  readonly nonce: string;
  readonly method: string;
  readonly uri: string;
  /** Present with qop=auth; absent for the RFC 2069 compatible no-qop form. */
  readonly qop?: { readonly nc: string; readonly cnonce: string };
  /** Needed by the -sess algorithms even without qop. */
  readonly cnonce?: string;
}

/** The request-digest (RFC 2617 §3.2.2.1; RFC 7616 §3.4.1): KD(H(A1), nonce[:nc:cnonce:qop]:H(A2)). */
export function computeDigestResponse(c: DigestComputation): string {
  let ha1 = h(c.algorithm, `${c.username}:${c.realm}:${c.password}`);
  if (c.algorithm.endsWith('-sess')) {
    ha1 = h(c.algorithm, `${ha1}:${c.nonce}:${c.qop?.cnonce ?? c.cnonce ?? ''}`);
  }
  const ha2 = h(c.algorithm, `${c.method}:${c.uri}`);
  const middle = c.qop === undefined ? c.nonce : `${c.nonce}:${c.qop.nc}:${c.qop.cnonce}:auth`;
  return h(c.algorithm, `${ha1}:${middle}:${ha2}`);
}
