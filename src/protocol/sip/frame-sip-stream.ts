/**
 * Message framing on stream transports (RFC 3261 §18.3): a message ends Content-Length bytes after the
 * empty line that ends its headers, and Content-Length is mandatory. Pure: the TCP adapter appends bytes to
 * its buffer, calls this, and keeps `rest` for the next chunk.
 */
import type { ParseFailure } from '../../errors/result.js';
import { findHeaderEnd, skipLeadingLineBreaks } from './parse-sip-message.js';

/** What {@link frameSipStream} found in a stream buffer. */
export interface SipStreamFrames {
  /** Complete messages (raw bytes, each ready for parseSipMessage), in order. */
  readonly messages: Uint8Array[];
  /** Unconsumed bytes: the start of the next message. */
  readonly rest: Uint8Array;
  /** Set when the stream cannot be framed any more; the connection should be closed (§18.3). */
  readonly error?: ParseFailure;
  /**
   * CRLF keep-alive pings (a double CRLF between messages, RFC 5626 §3.5.1) seen in this buffer, when
   * any: the transport answers each buffer that had one with a single CRLF pong (§4.4.1).
   */
  readonly pings?: number;
}

function pinged(pings: number): { pings?: number } {
  return pings > 0 ? { pings } : {};
}

/** Double CRLFs in `buffer[from, to)` (the line breaks skipped before a message). */
function countPings(buffer: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i + 3 < to; i++) {
    if (buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 && buffer[i + 3] === 10) {
      n++;
      i += 3;
    }
  }
  return n;
}

/** Options for {@link frameSipStream}. */
export interface FrameSipStreamOptions {
  /** Largest message (headers + body) in bytes. Default 65536. */
  readonly maxMessageBytes?: number;
}

const latin1 = new TextDecoder('latin1');

function contentLength(head: Uint8Array): number | 'missing' | 'bad' {
  const text = latin1.decode(head);
  let found: number | 'missing' = 'missing';
  for (const line of text.split(/\r?\n/)) {
    const m = /^(?:content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*$/i.exec(line);
    if (m === null) {
      continue;
    }
    if (!/^\d{1,10}$/.test(m[1] ?? '')) {
      return 'bad';
    }
    found = Number(m[1]);
  }
  return found;
}

/**
 * Splits a stream buffer into complete SIP messages (RFC 3261 §18.3). Leading CRLF keep-alives
 * (RFC 5626 §3.5.1) are skipped and the double-CRLF pings among them counted. Never throws.
 */
export function frameSipStream(buffer: Uint8Array, options: FrameSipStreamOptions = {}): SipStreamFrames {
  const max = options.maxMessageBytes ?? 65536;
  const messages: Uint8Array[] = [];
  let pos = 0;
  let pings = 0;
  for (;;) {
    const skippedFrom = pos;
    pos = skipLeadingLineBreaks(buffer, pos);
    pings += countPings(buffer, skippedFrom, pos);
    if (pos >= buffer.length) {
      return { messages, rest: buffer.subarray(buffer.length), ...pinged(pings) };
    }
    const end = findHeaderEnd(buffer, pos);
    if (end === undefined) {
      if (buffer.length - pos > max) {
        return {
          messages,
          rest: buffer.subarray(pos),
          error: { code: 'ERR_SIP_MESSAGE_TOO_LARGE', detail: `headers exceed ${max} bytes` },
        };
      }
      return { messages, rest: buffer.subarray(pos), ...pinged(pings) };
    }
    const cl = contentLength(buffer.subarray(pos, end.headerEnd));
    if (cl === 'missing' || cl === 'bad') {
      return {
        messages,
        ...pinged(pings),
        rest: buffer.subarray(pos),
        error: { code: 'ERR_SIP_STREAM_FRAMING', detail: `Content-Length is ${cl} on a stream transport` },
      };
    }
    const total = end.bodyStart - pos + cl;
    if (total > max) {
      return {
        messages,
        ...pinged(pings),
        rest: buffer.subarray(pos),
        error: { code: 'ERR_SIP_MESSAGE_TOO_LARGE', detail: `message of ${total} bytes exceeds ${max}` },
      };
    }
    if (end.bodyStart + cl > buffer.length) {
      return { messages, rest: buffer.subarray(pos), ...pinged(pings) };
    }
    messages.push(buffer.slice(pos, end.bodyStart + cl));
    pos = end.bodyStart + cl;
  }
}
