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

/**
 * URLs in logs keep what debugging needs (scheme, host, port, path) and lose what can carry a secret:
 * the userinfo (`user:password@`), every query value (callback URLs often carry a token there; a bare
 * query item such as `?s3cret` is redacted whole), and the fragment. Keys stay, so `?token=[redacted]`
 * still says which parameter was there.
 */
export function redactUrl(url: string): string {
  const hash = url.indexOf('#');
  const noFragment = hash < 0 ? url : url.slice(0, hash);
  const fragment =
    hash < 0 || hash === url.length - 1 ? url.slice(hash < 0 ? url.length : hash) : `#${REDACTED}`;
  const q = noFragment.indexOf('?');
  const base = q < 0 ? noFragment : noFragment.slice(0, q);
  const query = q < 0 ? undefined : noFragment.slice(q + 1);
  return `${withoutUserinfo(base)}${query === undefined ? '' : `?${redactQuery(query)}`}${fragment}`;
}

function withoutUserinfo(base: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(base);
  if (scheme === null) {
    return base;
  }
  const rest = base.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  return at < 0 ? base : `${scheme[0]}${REDACTED}@${rest.slice(at + 1)}`;
}

function redactQuery(query: string): string {
  if (query === '') {
    return '';
  }
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) {
        return pair === '' ? '' : REDACTED;
      }
      return eq === pair.length - 1 ? pair : `${pair.slice(0, eq + 1)}${REDACTED}`;
    })
    .join('&');
}

/**
 * Absolute URLs inside free text: `scheme://…` up to whitespace, a quote or an angle bracket, leaving
 * out trailing punctuation (`…?k=v: HTTP 500` keeps its colon).
 */
const URL_IN_TEXT = /\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s"'<>]*[^\s"'<>:;,.)]/g;

/** The password of a `sip:user:password@host` URI (RFC 3261 §19.1.1 allows one, and advises against it). */
const SIP_PASSWORD = /\b(sips?:[^\s:@;?<>"']+):[^\s@;?<>"']*@/gi;

/**
 * `text` with every absolute URL in it passed through {@link redactUrl}, and the password of any
 * SIP URI replaced.
 */
export function redactUrlsInText(text: string): string {
  const urls = text.includes('://') ? text.replace(URL_IN_TEXT, redactUrl) : text;
  return /sips?:/i.test(urls) ? urls.replace(SIP_PASSWORD, `$1:${REDACTED}@`) : urls;
}

/** Keys whose string value is a URL even when relative (`url`, `answerUrl`, `href`, `location`…). */
const URL_KEY = /(?:url|uri|href|location)$/i;

/** How deep {@link redactUrlsDeep} walks a log object. */
const MAX_DEPTH = 8;

/**
 * A copy of a log object with every URL redacted: strings holding absolute URLs anywhere (values,
 * messages, error text and stacks), and relative URLs under URL-named keys (a request's `url` is
 * `/path?query`). Objects without a URL come back as they are.
 */
export function redactUrlsDeep(value: unknown, key = '', depth = 0): unknown {
  if (typeof value === 'string') {
    if (URL_KEY.test(key) && !value.includes('://') && /[?#]/.test(value)) {
      return redactUrl(value);
    }
    return redactUrlsInText(value);
  }
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH || ArrayBuffer.isView(value)) {
    return value;
  }
  if (Array.isArray(value)) {
    const items = value as readonly unknown[];
    const out = items.map((item) => redactUrlsDeep(item, key, depth + 1));
    return out.some((next, i) => next !== items[i]) ? out : value;
  }
  let out: Record<string, unknown> | undefined;
  const source = value as Record<string, unknown>;
  for (const k of Object.keys(source)) {
    const item = source[k];
    const next = redactUrlsDeep(item, k, depth + 1);
    if (next !== item) {
      out ??= { ...source };
      out[k] = next;
    }
  }
  return out ?? value;
}
