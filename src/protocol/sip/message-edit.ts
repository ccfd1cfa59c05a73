/**
 * Immutable edits of a SipMessage's headers and body (RFC 3261 §7.3). Used by the dialog and
 * transaction layers to build requests and responses.
 */
import { canonicalHeaderName } from './header-names.js';
import type { SipHeader, SipMessage } from './sip-message.types.js';

const encoder = new TextEncoder();

/** Returns `msg` with every `name` header removed and, if `value` is given, one `name: value` appended. */
export function setHeader<T extends SipMessage>(msg: T, name: string, value: string | undefined): T {
  const canonical = canonicalHeaderName(name);
  const lower = canonical.toLowerCase();
  const headers: SipHeader[] = msg.headers.filter((h) => h.name.toLowerCase() !== lower);
  if (value !== undefined) {
    headers.push({ name: canonical, value });
  }
  return { ...msg, headers };
}

/** Returns `msg` with `name: value` inserted before all other headers of that name (e.g. a new top Via). */
export function prependHeader<T extends SipMessage>(msg: T, name: string, value: string): T {
  const canonical = canonicalHeaderName(name);
  const lower = canonical.toLowerCase();
  const idx = msg.headers.findIndex((h) => h.name.toLowerCase() === lower);
  const headers = [...msg.headers];
  headers.splice(idx < 0 ? headers.length : idx, 0, { name: canonical, value });
  return { ...msg, headers };
}

/** Returns `msg` with its first `name` header's value replaced (or appended when absent). */
export function replaceFirstHeader<T extends SipMessage>(msg: T, name: string, value: string): T {
  const canonical = canonicalHeaderName(name);
  const lower = canonical.toLowerCase();
  const idx = msg.headers.findIndex((h) => h.name.toLowerCase() === lower);
  if (idx < 0) {
    return { ...msg, headers: [...msg.headers, { name: canonical, value }] };
  }
  return { ...msg, headers: msg.headers.map((h, i) => (i === idx ? { name: h.name, value } : h)) };
}

/** Returns `msg` with a body and Content-Type (or no body when `body` is undefined). */
export function withBody<T extends SipMessage>(
  msg: T,
  body: string | Uint8Array | undefined,
  contentType?: string,
): T {
  if (body === undefined) {
    return setHeader({ ...msg, body: new Uint8Array(0) }, 'Content-Type', undefined);
  }
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  return setHeader({ ...msg, body: bytes }, 'Content-Type', contentType);
}

/** Decodes the body as UTF-8 text. */
export function bodyText(msg: SipMessage): string {
  return new TextDecoder().decode(msg.body);
}
