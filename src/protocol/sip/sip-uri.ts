/**
 * SIP and SIPS URIs (RFC 3261 §19.1, ABNF in §25.1): `sip:user:password@host:port;params?headers`.
 * https://www.rfc-editor.org/rfc/rfc3261#section-19.1
 */
import { fail, ok, type ParseResult } from '../../errors/result.js';

/** One `;name=value` (or flag `;name`) parameter, in the order it appeared. */
export interface SipParam {
  readonly name: string;
  readonly value?: string;
}

/** A parsed sip: or sips: URI. Hosts keep IPv6 brackets (`[::1]`) so serialization round-trips. */
export interface SipUri {
  readonly scheme: 'sip' | 'sips';
  readonly user?: string;
  readonly password?: string;
  readonly host: string;
  readonly port?: number;
  readonly params: readonly SipParam[];
  readonly headers: readonly SipParam[];
}

const hostnameRe =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;
const ipv6Re = /^\[[0-9A-Fa-f:.]+\]$/;
const userRe = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const passwordRe = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;
const paramCharRe = /^(?:[A-Za-z0-9\-_.!~*'()[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
const hnvRe = /^(?:[A-Za-z0-9\-_.!~*'()[\]/?:+$]|%[0-9A-Fa-f]{2})*$/;

function bad(detail: string): ParseResult<never> {
  return fail({ code: 'ERR_SIP_BAD_URI', detail });
}

/** True when `host` is a hostname, IPv4 address or bracketed IPv6 reference (RFC 3261 §25.1 `host`). */
export function isValidHost(host: string): boolean {
  if (host.startsWith('[')) {
    return ipv6Re.test(host) && host.includes(':');
  }
  return hostnameRe.test(host);
}

/** Splits `host[:port]` (with IPv6 brackets) into host and port; undefined when malformed. */
export function splitHostPort(text: string): { host: string; port?: number } | undefined {
  let host: string;
  let rest: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) {
      return undefined;
    }
    host = text.slice(0, close + 1);
    rest = text.slice(close + 1);
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    rest = colon < 0 ? '' : text.slice(colon);
  }
  if (!isValidHost(host)) {
    return undefined;
  }
  if (rest === '') {
    return { host };
  }
  if (!/^:\d{1,5}$/.test(rest)) {
    return undefined;
  }
  const port = Number(rest.slice(1));
  return port <= 65535 ? { host, port } : undefined;
}

function parseParamList(text: string, sep: string, charRe: RegExp): SipParam[] | undefined {
  const out: SipParam[] = [];
  for (const part of text.split(sep)) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!paramCharRe.test(name)) {
      return undefined;
    }
    if (eq < 0) {
      out.push({ name });
      continue;
    }
    const value = part.slice(eq + 1);
    if (!charRe.test(value)) {
      return undefined;
    }
    out.push({ name, value });
  }
  return out;
}

function parseUserInfo(text: string): { user: string; password?: string } | undefined {
  const colon = text.indexOf(':');
  const user = colon < 0 ? text : text.slice(0, colon);
  if (!userRe.test(user)) {
    return undefined;
  }
  if (colon < 0) {
    return { user };
  }
  const password = text.slice(colon + 1);
  return passwordRe.test(password) ? { user, password } : undefined;
}

/**
 * Parses a sip: or sips: URI (RFC 3261 §19.1.1). Never throws; `ERR_SIP_BAD_URI` on any syntax error.
 */
export function parseSipUri(text: string): ParseResult<SipUri> {
  const m = /^(sips?):/i.exec(text);
  if (m === null) {
    return bad(`not a sip: or sips: URI: ${text.slice(0, 40)}`);
  }
  const scheme = m[1]?.toLowerCase() === 'sips' ? 'sips' : 'sip';
  let rest = text.slice(m[0].length);
  let headers: SipParam[] = [];
  let userinfo: { user: string; password?: string } | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    userinfo = parseUserInfo(rest.slice(0, at));
    if (userinfo === undefined) {
      return bad('malformed user part');
    }
    rest = rest.slice(at + 1);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    const h = parseParamList(rest.slice(q + 1), '&', hnvRe);
    if (h === undefined) {
      return bad('malformed URI headers');
    }
    headers = h;
    rest = rest.slice(0, q);
  }
  const semi = rest.indexOf(';');
  const hostport = semi < 0 ? rest : rest.slice(0, semi);
  const hp = splitHostPort(hostport);
  if (hp === undefined) {
    return bad(`malformed host or port: ${hostport.slice(0, 40)}`);
  }
  const params = semi < 0 ? [] : parseParamList(rest.slice(semi + 1), ';', paramCharRe);
  if (params === undefined) {
    return bad('malformed URI parameters');
  }
  return ok({ scheme, ...userinfo, ...hp, params, headers });
}

function joinParams(params: readonly SipParam[], sep: string): string {
  return params.map((p) => (p.value === undefined ? p.name : `${p.name}=${p.value}`)).join(sep);
}

/** Serializes a SIP URI (RFC 3261 §19.1.1); the inverse of {@link parseSipUri} for canonical input. */
export function serializeSipUri(uri: SipUri): string {
  let s = `${uri.scheme}:`;
  if (uri.user !== undefined) {
    s += uri.password === undefined ? `${uri.user}@` : `${uri.user}:${uri.password}@`;
  }
  s += uri.host;
  if (uri.port !== undefined) {
    s += `:${uri.port}`;
  }
  if (uri.params.length > 0) {
    s += `;${joinParams(uri.params, ';')}`;
  }
  if (uri.headers.length > 0) {
    s += `?${joinParams(uri.headers, '&')}`;
  }
  return s;
}

/** The value of a URI parameter by case-insensitive name; `''` for a flag, undefined when absent. */
export function uriParam(uri: SipUri, name: string): string | undefined {
  const lower = name.toLowerCase();
  const p = uri.params.find((x) => x.name.toLowerCase() === lower);
  return p === undefined ? undefined : (p.value ?? '');
}

/** True for an absolute URI of any scheme (RFC 3261 §25.1 `absoluteURI`), used for non-SIP Request-URIs. */
export function isAbsoluteUri(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:[!-~]+$/.test(text);
}
