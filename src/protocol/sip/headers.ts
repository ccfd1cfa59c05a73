/**
 * Typed header accessors (RFC 3261 §20). Lookups are case-insensitive and see compact forms in their long
 * form (the parser canonicalises names). Accessors return undefined rather than throwing when a value is
 * absent or malformed.
 */
import { canonicalHeaderName } from './header-names.js';
import { splitHeaderList } from './header-params.js';
import { parseNameAddr, type NameAddr } from './name-addr.js';
import type { SipHeader, SipMessage } from './sip-message.types.js';
import { parseVia, type Via } from './via.js';

/** A parsed CSeq (RFC 3261 §20.16). */
export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Every header line with this name, in order (RFC 3261 §7.3.1). */
export function getHeaderValues(msg: { readonly headers: readonly SipHeader[] }, name: string): string[] {
  const canonical = canonicalHeaderName(name);
  return msg.headers.filter((h) => same(h.name, canonical)).map((h) => h.value);
}

/** The first value of a header, when present. */
export function getHeader(msg: { readonly headers: readonly SipHeader[] }, name: string): string | undefined {
  return getHeaderValues(msg, name)[0];
}

/**
 * All comma-separated elements of a list header across repeated lines (RFC 3261 §7.3.1), e.g. Via,
 * Contact, Route, Record-Route, Allow, Supported.
 */
export function getListValues(msg: { readonly headers: readonly SipHeader[] }, name: string): string[] {
  return getHeaderValues(msg, name).flatMap(splitHeaderList);
}

/** Call-ID (RFC 3261 §20.8). */
export function getCallId(msg: SipMessage): string | undefined {
  return getHeader(msg, 'Call-ID');
}

/** Parses a CSeq value `1 INVITE`; undefined when malformed (RFC 3261 §20.16: seq < 2**31). */
export function parseCSeq(value: string): CSeq | undefined {
  const m = /^(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(value.trim());
  if (m === null) {
    return undefined;
  }
  const seq = Number(m[1]);
  return seq < 2 ** 31 ? { seq, method: m[2] ?? '' } : undefined;
}

/** CSeq (RFC 3261 §20.16). */
export function getCSeq(msg: SipMessage): CSeq | undefined {
  const v = getHeader(msg, 'CSeq');
  return v === undefined ? undefined : parseCSeq(v);
}

/** All Via values, topmost first (RFC 3261 §20.42); undefined if any is malformed. */
export function getVias(msg: SipMessage): Via[] | undefined {
  const out: Via[] = [];
  for (const v of getListValues(msg, 'Via')) {
    const parsed = parseVia(v);
    if (!parsed.ok) {
      return undefined;
    }
    out.push(parsed.value);
  }
  return out;
}

/** The topmost Via (RFC 3261 §8.1.1.7). */
export function getTopVia(msg: SipMessage): Via | undefined {
  const first = getListValues(msg, 'Via')[0];
  if (first === undefined) {
    return undefined;
  }
  const parsed = parseVia(first);
  return parsed.ok ? parsed.value : undefined;
}

function addressHeader(msg: SipMessage, name: string): NameAddr | undefined {
  const v = getHeader(msg, name);
  if (v === undefined) {
    return undefined;
  }
  const parsed = parseNameAddr(v);
  return parsed.ok ? parsed.value : undefined;
}

/** From (RFC 3261 §20.20). */
export function getFrom(msg: SipMessage): NameAddr | undefined {
  return addressHeader(msg, 'From');
}

/** To (RFC 3261 §20.39). */
export function getTo(msg: SipMessage): NameAddr | undefined {
  return addressHeader(msg, 'To');
}

function addressList(msg: SipMessage, name: string): NameAddr[] {
  const out: NameAddr[] = [];
  for (const v of getListValues(msg, name)) {
    const parsed = parseNameAddr(v);
    if (parsed.ok) {
      out.push(parsed.value);
    }
  }
  return out;
}

/** Contact values (RFC 3261 §20.10); `*` (REGISTER wildcard) is skipped. */
export function getContacts(msg: SipMessage): NameAddr[] {
  return addressList(msg, 'Contact');
}

/** Record-Route values in header order (RFC 3261 §20.30). */
export function getRecordRoutes(msg: SipMessage): NameAddr[] {
  return addressList(msg, 'Record-Route');
}

/** Route values in header order (RFC 3261 §20.34). */
export function getRoutes(msg: SipMessage): NameAddr[] {
  return addressList(msg, 'Route');
}

/** Max-Forwards (RFC 3261 §20.22), when present and valid. */
export function getMaxForwards(msg: SipMessage): number | undefined {
  const v = getHeader(msg, 'Max-Forwards');
  if (v === undefined || !/^\d{1,3}$/.test(v)) {
    return undefined;
  }
  const n = Number(v);
  return n <= 255 ? n : undefined;
}

/** Content-Type media type in lower case without parameters (RFC 3261 §20.15). */
export function getContentType(msg: SipMessage): string | undefined {
  const v = getHeader(msg, 'Content-Type');
  return v?.split(';')[0]?.trim().toLowerCase();
}
