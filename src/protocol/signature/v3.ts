/**
 * Plivo request signing, version 3 (compatibility §10.3, D8): HMAC-SHA256 over a canonical URL plus a nonce,
 * keyed with the auth token, sent as `X-Plivo-Signature-V3` with `X-Plivo-Signature-V3-Nonce` (and
 * `X-Plivo-Signature-Ma-V3` keyed with the main account's token).
 * Plivo reference: https://docs.plivo.com/docs/voice/xml/request/validation
 *
 * Canonical URL: scheme://host[:port]/path exactly as written (no query, no fragment), then
 * - GET: `?` and the URL's query merged with the request params, as `k=v` joined by `&`, keys sorted
 *   and the values of each key sorted (plain code-unit order); nothing when there are none;
 * - POST: `?` and the URL's own sorted query (when the query or the body is non-empty), `.` when both
 *   are non-empty, then the body params as `kv` concatenated with no separators, sorted the same way.
 * Values are used decoded. The message signed is `canonical + "." + nonce`, as UTF-8.
 *
 * Checked against plivo-node's `validateV3Signature` (see v3.test.ts). One known difference: for a URL
 * holding raw (not percent-encoded) non-ASCII characters, plivo-node UTF-8-encodes the URL twice and
 * so computes another signature; percent-encoded URLs and non-ASCII parameter values agree.
 */
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Request parameters: form fields (POST) or extra query fields (GET). Repeated keys as arrays. */
export type SigningParams = Readonly<Record<string, string | readonly string[]>>;

/** What is signed. */
export interface SignV3Options {
  readonly method: 'GET' | 'POST';
  /** The full URL the request goes to (query included). */
  readonly url: string;
  readonly params?: SigningParams | undefined;
  /** The nonce sent in `X-Plivo-Signature-V3-Nonce` (Plivo uses 20 random decimal digits). */
  readonly nonce: string;
  readonly authToken: string;
}

/** Decodes one `application/x-www-form-urlencoded` component (`+` is a space), keeping bad escapes as written. */
function formDecode(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/** Splits a URL into its signing base (no query, no fragment) and its decoded query parameters. */
function splitUrl(url: string): { base: string; query: Map<string, string[]> } {
  const hash = url.indexOf('#');
  const noFragment = hash >= 0 ? url.slice(0, hash) : url;
  const q = noFragment.indexOf('?');
  const base = q >= 0 ? noFragment.slice(0, q) : noFragment;
  const query = new Map<string, string[]>();
  if (q >= 0) {
    for (const piece of noFragment.slice(q + 1).split('&')) {
      if (piece === '') {
        continue;
      }
      const eq = piece.indexOf('=');
      const key = formDecode(eq >= 0 ? piece.slice(0, eq) : piece);
      const value = eq >= 0 ? formDecode(piece.slice(eq + 1)) : '';
      const values = query.get(key);
      if (values === undefined) {
        query.set(key, [value]);
      } else {
        values.push(value);
      }
    }
  }
  return { base: /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(base) ? base : `http://${base}`, query };
}

function addParams(into: Map<string, string[]>, params: SigningParams): void {
  for (const [key, value] of Object.entries(params)) {
    const values = typeof value === 'string' ? [value] : [...value];
    const existing = into.get(key);
    if (existing === undefined) {
      into.set(key, values);
    } else {
      existing.push(...values);
    }
  }
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted keys, each with its sorted values. */
function sortedEntries(map: ReadonlyMap<string, readonly string[]>): [string, string[]][] {
  return [...map.keys()]
    .sort(codeUnitOrder)
    .map((key) => [key, [...(map.get(key) ?? [])].sort(codeUnitOrder)]);
}

function queryString(map: ReadonlyMap<string, readonly string[]>): string {
  const parts: string[] = [];
  for (const [key, values] of sortedEntries(map)) {
    for (const value of values) {
      parts.push(`${key}=${value}`);
    }
  }
  return parts.join('&');
}

/** The canonical string that V3 signs (before `"." + nonce`); exported for diagnostics and tests. */
export function canonicalV3Url(method: 'GET' | 'POST', url: string, params: SigningParams = {}): string {
  const { base, query } = splitUrl(url);
  if (method === 'GET') {
    addParams(query, params);
    const qs = queryString(query);
    return qs === '' ? base : `${base}?${qs}`;
  }
  const qs = queryString(query);
  const body = new Map<string, string[]>();
  addParams(body, params);
  let out = base;
  if (qs !== '' || body.size > 0) {
    out += `?${qs}`;
  }
  if (qs !== '' && body.size > 0) {
    out += '.';
  }
  for (const [key, values] of sortedEntries(body)) {
    for (const value of values) {
      out += key + value;
    }
  }
  return out;
}

/** The base64 V3 signature of a request (compatibility §10.3). */
export function signV3(opts: SignV3Options): string {
  const message = `${canonicalV3Url(opts.method, opts.url, opts.params)}.${opts.nonce}`;
  return createHmac('sha256', opts.authToken).update(message, 'utf8').digest('base64');
}

/**
 * Checks a received `X-Plivo-Signature-V3` header (which may hold several comma-separated signatures,
 * for token rotation) in constant time per candidate. For our fake apps and for inbound verification.
 */
export function verifyV3(opts: SignV3Options & { readonly signature: string }): boolean {
  const expected = Buffer.from(signV3(opts), 'utf8');
  let matched = false;
  for (const candidate of opts.signature.split(',')) {
    const got = Buffer.from(candidate.trim(), 'utf8');
    if (got.length === expected.length && timingSafeEqual(got, expected)) {
      matched = true;
    }
  }
  return matched;
}

/** D8: the URL signed on a WebSocket upgrade: `ws:` becomes `http:`, `wss:` becomes `https:`, query kept. */
export function wsSigningUrl(serviceUrl: string): string {
  const url = serviceUrl.trim();
  if (/^wss:/i.test(url)) {
    return `https:${url.slice(4)}`;
  }
  if (/^ws:/i.test(url)) {
    return `http:${url.slice(3)}`;
  }
  return url;
}

/** Options of {@link signatureHeaders}. */
export interface SignatureHeadersOptions extends SignV3Options {
  /** Token of the main account, for `X-Plivo-Signature-Ma-V3`; the auth token itself when absent (a main account). */
  readonly mainAccountToken?: string | undefined;
}

/** The `X-Plivo-Signature-V3`, `X-Plivo-Signature-V3-Nonce` and `X-Plivo-Signature-Ma-V3` headers of a request. */
export function signatureHeaders(opts: SignatureHeadersOptions): Record<string, string> {
  const signature = signV3(opts);
  const main = opts.mainAccountToken;
  return {
    'X-Plivo-Signature-V3': signature,
    'X-Plivo-Signature-V3-Nonce': opts.nonce,
    'X-Plivo-Signature-Ma-V3':
      main === undefined || main === opts.authToken ? signature : signV3({ ...opts, authToken: main }),
  };
}
