/**
 * SIP message parser (RFC 3261 §7, §7.3.1 folding, §7.3.3 compact forms, §18.3 framing, §20 headers).
 * Pure and total: it never throws and returns a ParseResult with an ERR_SIP_* code (STYLE.md 5.5).
 * https://www.rfc-editor.org/rfc/rfc3261#section-7
 */
import { fail, ok, type ParseResult } from '../../errors/result.js';
import { canonicalHeaderName } from './header-names.js';
import { isToken } from './header-params.js';
import { SIP_VERSION, type SipHeader, type SipMessage } from './sip-message.types.js';
import { isAbsoluteUri, parseSipUri } from './sip-uri.js';
import { validateSipHeaders } from './validate-sip-headers.js';

/** Limits and framing options for {@link parseSipMessage}. */
export interface ParseSipOptions {
  /** Largest accepted message in bytes. Default 65536. */
  readonly maxMessageBytes?: number;
  /** Largest accepted body in bytes. Default 65536. */
  readonly maxBodyBytes?: number;
  /** Largest number of header lines. Default 256. */
  readonly maxHeaders?: number;
  /**
   * Skip the mandatory-header checks of RFC 3261 §8.1.1 (Via, From, To, Call-ID, CSeq). Default false.
   * Only for tools that inspect partial messages.
   */
  readonly skipMandatoryHeaders?: boolean;
}

const DEFAULT_MAX_MESSAGE = 65536;
const DEFAULT_MAX_HEADERS = 256;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Finds the empty line ending the header section: `{ headerEnd, bodyStart }` or undefined. */
export function findHeaderEnd(
  bytes: Uint8Array,
  from: number,
): { headerEnd: number; bodyStart: number } | undefined {
  for (let i = from; i < bytes.length - 1; i++) {
    if (bytes[i] !== 0x0a) {
      continue;
    }
    const lineEnd = i > from && bytes[i - 1] === 0x0d ? i - 1 : i;
    if (bytes[i + 1] === 0x0a) {
      return { headerEnd: lineEnd, bodyStart: i + 2 };
    }
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) {
      return { headerEnd: lineEnd, bodyStart: i + 3 };
    }
  }
  return undefined;
}

/** Skips CRLFs that precede a message (RFC 3261 §7.5 keep-alives). */
export function skipLeadingLineBreaks(bytes: Uint8Array, from: number): number {
  let i = from;
  while (i < bytes.length && (bytes[i] === 0x0d || bytes[i] === 0x0a)) {
    i++;
  }
  return i;
}

type StartLine =
  { kind: 'request'; method: string; uri: string } | { kind: 'response'; status: number; reason: string };

function parseStartLine(line: string): ParseResult<StartLine> {
  if (/^SIP\//i.test(line)) {
    const m = /^(SIP\/\d+\.\d+) (\d+) ?(.*)$/i.exec(line);
    if (m === null) {
      return fail({ code: 'ERR_SIP_BAD_START_LINE', detail: 'malformed Status-Line' });
    }
    const [, version = '', code = '', reason = ''] = m;
    if (version.toUpperCase() !== SIP_VERSION) {
      return fail({ code: 'ERR_SIP_VERSION_NOT_SUPPORTED', detail: `version ${version}` });
    }
    const status = Number(code);
    if (code.length !== 3 || status < 100 || status > 699) {
      return fail({ code: 'ERR_SIP_BAD_STATUS_CODE', detail: `status ${code}` });
    }
    return ok({ kind: 'response', status, reason });
  }
  const parts = line.split(' ');
  if (parts.length !== 3) {
    return fail({
      code: 'ERR_SIP_BAD_START_LINE',
      detail: 'Request-Line must be Method SP Request-URI SP SIP-Version',
    });
  }
  const [method = '', uri = '', version = ''] = parts;
  if (!isToken(method)) {
    return fail({ code: 'ERR_SIP_BAD_START_LINE', detail: 'method is not a token' });
  }
  if (!/^SIP\/\d+\.\d+$/i.test(version)) {
    return fail({ code: 'ERR_SIP_BAD_START_LINE', detail: 'malformed SIP-Version' });
  }
  if (version.toUpperCase() !== SIP_VERSION) {
    return fail({ code: 'ERR_SIP_VERSION_NOT_SUPPORTED', detail: `version ${version}` });
  }
  if (/^sips?:/i.test(uri)) {
    const parsed = parseSipUri(uri);
    if (!parsed.ok) {
      return parsed;
    }
  } else if (!isAbsoluteUri(uri)) {
    return fail({ code: 'ERR_SIP_BAD_URI', detail: 'Request-URI is not an absolute URI' });
  }
  return ok({ kind: 'request', method, uri });
}

function hasControlChar(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
      return true;
    }
  }
  return false;
}

function parseHeaderLines(lines: readonly string[], maxHeaders: number): ParseResult<SipHeader[]> {
  const headers: SipHeader[] = [];
  let pending: { name: string; value: string } | undefined;
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      // Header folding (RFC 3261 §7.3.1): a continuation line joins the previous value with one space.
      if (pending === undefined) {
        return fail({ code: 'ERR_SIP_BAD_HEADER', detail: 'continuation line before any header' });
      }
      if (hasControlChar(line)) {
        return fail({ code: 'ERR_SIP_BAD_HEADER', detail: `control character in header ${pending.name}` });
      }
      pending.value = `${pending.value} ${line.trim()}`.trim();
      continue;
    }
    if (pending !== undefined) {
      headers.push({ name: pending.name, value: pending.value });
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trimEnd();
    if (!isToken(name)) {
      return fail({ code: 'ERR_SIP_BAD_HEADER', detail: `malformed header line: ${line.slice(0, 40)}` });
    }
    if (hasControlChar(line)) {
      return fail({ code: 'ERR_SIP_BAD_HEADER', detail: `control character in header ${name}` });
    }
    pending = { name: canonicalHeaderName(name), value: line.slice(colon + 1).trim() };
    if (headers.length >= maxHeaders) {
      return fail({ code: 'ERR_SIP_TOO_MANY_HEADERS', detail: `more than ${maxHeaders} header lines` });
    }
  }
  if (pending !== undefined) {
    headers.push({ name: pending.name, value: pending.value });
  }
  return ok(headers);
}

function contentLengthOf(headers: readonly SipHeader[]): ParseResult<number | undefined> {
  let length: number | undefined;
  for (const h of headers) {
    if (h.name !== 'Content-Length') {
      continue;
    }
    if (!/^\d{1,10}$/.test(h.value)) {
      return fail({ code: 'ERR_SIP_BAD_CONTENT_LENGTH', detail: `Content-Length "${h.value.slice(0, 20)}"` });
    }
    const n = Number(h.value);
    if (length !== undefined && length !== n) {
      return fail({ code: 'ERR_SIP_BAD_CONTENT_LENGTH', detail: 'conflicting Content-Length headers' });
    }
    length = n;
  }
  return ok(length);
}

function sliceBody(
  bytes: Uint8Array,
  bodyStart: number,
  contentLength: number | undefined,
  maxBody: number,
): ParseResult<Uint8Array> {
  const available = bytes.length - bodyStart;
  // Without Content-Length a datagram's body runs to its end (RFC 3261 §18.3).
  const length = contentLength ?? available;
  if (length > maxBody) {
    return fail({ code: 'ERR_SIP_BODY_TOO_LARGE', detail: `body of ${length} bytes exceeds ${maxBody}` });
  }
  if (length > available) {
    return fail({
      code: 'ERR_SIP_BODY_TRUNCATED',
      detail: `Content-Length ${length} but only ${available} body bytes`,
      offset: bytes.length,
    });
  }
  // Bytes beyond Content-Length are discarded (RFC 3261 §18.3).
  return ok(bytes.slice(bodyStart, bodyStart + length));
}

/**
 * Parses one SIP message from a datagram or a framed stream chunk (RFC 3261 §7). Requests with unknown
 * methods parse; responses and requests must carry Via, From, To, Call-ID and CSeq (§8.1.1). A body shorter
 * than Content-Length is an error; a longer one is truncated (§18.3). Never throws.
 */
export function parseSipMessage(bytes: Uint8Array, options: ParseSipOptions = {}): ParseResult<SipMessage> {
  const maxMessage = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
  if (bytes.length > maxMessage) {
    return fail({ code: 'ERR_SIP_MESSAGE_TOO_LARGE', detail: `${bytes.length} bytes exceeds ${maxMessage}` });
  }
  const start = skipLeadingLineBreaks(bytes, 0);
  if (start >= bytes.length) {
    return fail({ code: 'ERR_SIP_EMPTY_MESSAGE', detail: 'no bytes besides line breaks' });
  }
  const end = findHeaderEnd(bytes, start);
  if (end === undefined) {
    return fail({
      code: 'ERR_SIP_HEADERS_INCOMPLETE',
      detail: 'no empty line after the headers',
      offset: bytes.length,
    });
  }
  let text: string;
  try {
    text = utf8.decode(bytes.subarray(start, end.headerEnd));
  } catch {
    return fail({ code: 'ERR_SIP_BAD_ENCODING', detail: 'header section is not UTF-8' });
  }
  const lines = text.split(/\r?\n/);
  const startLine = parseStartLine(lines[0] ?? '');
  if (!startLine.ok) {
    return startLine;
  }
  const headers = parseHeaderLines(lines.slice(1), options.maxHeaders ?? DEFAULT_MAX_HEADERS);
  if (!headers.ok) {
    return headers;
  }
  const cl = contentLengthOf(headers.value);
  if (!cl.ok) {
    return cl;
  }
  const body = sliceBody(bytes, end.bodyStart, cl.value, options.maxBodyBytes ?? maxMessage);
  if (!body.ok) {
    return body;
  }
  const message: SipMessage =
    startLine.value.kind === 'request'
      ? {
          kind: 'request',
          method: startLine.value.method,
          uri: startLine.value.uri,
          headers: headers.value,
          body: body.value,
        }
      : {
          kind: 'response',
          status: startLine.value.status,
          reason: startLine.value.reason,
          headers: headers.value,
          body: body.value,
        };
  if (options.skipMandatoryHeaders !== true) {
    const valid = validateSipHeaders(message);
    if (!valid.ok) {
      return valid;
    }
  }
  return ok(message);
}
