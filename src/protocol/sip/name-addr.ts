/**
 * name-addr / addr-spec values of From, To, Contact, Route and Record-Route (RFC 3261 §20.10, §20.20,
 * §20.39, §25.1): `"Display" <sip:uri>;tag=x` or `sip:uri;tag=x`.
 */
import { fail, ok, type ParseResult } from '../../errors/result.js';
import { findParam, parseHeaderParams, serializeHeaderParams } from './header-params.js';
import { isAbsoluteUri, parseSipUri, type SipParam, type SipUri } from './sip-uri.js';

/** A parsed address header value. */
export interface NameAddr {
  /** Display name without quotes or escapes, when present. */
  readonly displayName?: string;
  /** The URI text. */
  readonly uri: string;
  /** The parsed URI when it is sip: or sips:. */
  readonly sipUri?: SipUri;
  /** Header parameters after the URI (`tag`, `expires`, `lr` outside the URI, …). */
  readonly params: readonly SipParam[];
}

function bad(detail: string): ParseResult<never> {
  return fail({ code: 'ERR_SIP_BAD_ADDRESS', detail });
}

function checkUri(uri: string): ParseResult<SipUri | undefined> {
  if (/^sips?:/i.test(uri)) {
    const parsed = parseSipUri(uri);
    return parsed.ok ? ok(parsed.value) : bad(`bad URI: ${parsed.error.detail}`);
  }
  return isAbsoluteUri(uri) ? ok(undefined) : bad(`not an absolute URI: ${uri.slice(0, 40)}`);
}

function unquote(text: string): string {
  return text.slice(1, -1).replace(/\\(.)/g, '$1');
}

function splitDisplay(text: string): { display: string | undefined; rest: string } | undefined {
  if (text.startsWith('"')) {
    let i = 1;
    while (i < text.length && text[i] !== '"') {
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) {
      return undefined;
    }
    return { display: unquote(text.slice(0, i + 1)), rest: text.slice(i + 1).trimStart() };
  }
  const lt = text.indexOf('<');
  if (lt < 0) {
    return { display: undefined, rest: text };
  }
  const display = text.slice(0, lt).trim();
  if (display !== '' && !/^[A-Za-z0-9\-.!%*_+`'~ \t]+$/.test(display)) {
    return undefined;
  }
  return { display: display === '' ? undefined : display, rest: text.slice(lt) };
}

/** Parses one name-addr or addr-spec with header parameters (RFC 3261 §20.10). Never throws. */
export function parseNameAddr(text: string): ParseResult<NameAddr> {
  const trimmed = text.trim();
  const split = splitDisplay(trimmed);
  if (split === undefined) {
    return bad('unterminated or invalid display name');
  }
  let uri: string;
  let paramText: string;
  if (split.rest.startsWith('<')) {
    const gt = split.rest.indexOf('>');
    if (gt < 0) {
      return bad('missing closing >');
    }
    uri = split.rest.slice(1, gt).trim();
    paramText = split.rest.slice(gt + 1);
  } else {
    if (split.display !== undefined) {
      return bad('display name without <URI>');
    }
    // In the addr-spec form, everything after the first ';' is a header parameter (RFC 3261 §20.10).
    const semi = split.rest.indexOf(';');
    uri = semi < 0 ? split.rest : split.rest.slice(0, semi);
    paramText = semi < 0 ? '' : split.rest.slice(semi);
  }
  const params = parseHeaderParams(paramText);
  if (params === undefined) {
    return bad('malformed header parameters');
  }
  const checked = checkUri(uri);
  if (!checked.ok) {
    return checked;
  }
  return ok({
    ...(split.display === undefined ? {} : { displayName: split.display }),
    uri,
    ...(checked.value === undefined ? {} : { sipUri: checked.value }),
    params,
  });
}

/** Serializes a NameAddr, always in the name-addr form `"Display" <uri>;params`. */
export function serializeNameAddr(addr: NameAddr): string {
  const display = addr.displayName === undefined ? '' : `"${addr.displayName.replace(/(["\\])/g, '\\$1')}" `;
  return `${display}<${addr.uri}>${serializeHeaderParams(addr.params)}`;
}

/** The `tag` parameter of a From or To value (RFC 3261 §19.3), when present. */
export function tagOf(addr: NameAddr): string | undefined {
  const tag = findParam(addr.params, 'tag');
  return tag === '' ? undefined : tag;
}
