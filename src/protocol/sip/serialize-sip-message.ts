/**
 * SIP message serializer (RFC 3261 §7). Content-Length always matches the body (§20.14): an existing
 * Content-Length line keeps its position with the value rewritten, otherwise one is appended.
 */
import { SIP_VERSION, type SipMessage } from './sip-message.types.js';

const encoder = new TextEncoder();

/** The start line of a message (RFC 3261 §7.1, §7.2). */
export function startLineOf(msg: SipMessage): string {
  return msg.kind === 'request'
    ? `${msg.method} ${msg.uri} ${SIP_VERSION}`
    : `${SIP_VERSION} ${msg.status} ${msg.reason}`;
}

/** Serializes a message to wire bytes with CRLF line ends and a correct Content-Length. */
export function serializeSipMessage(msg: SipMessage): Uint8Array {
  const lines = [startLineOf(msg)];
  let sawLength = false;
  for (const h of msg.headers) {
    if (h.name.toLowerCase() === 'content-length') {
      if (!sawLength) {
        lines.push(`Content-Length: ${msg.body.length}`);
        sawLength = true;
      }
      continue;
    }
    lines.push(`${h.name}: ${h.value}`);
  }
  if (!sawLength) {
    lines.push(`Content-Length: ${msg.body.length}`);
  }
  const head = encoder.encode(`${lines.join('\r\n')}\r\n\r\n`);
  const out = new Uint8Array(head.length + msg.body.length);
  out.set(head, 0);
  out.set(msg.body, head.length);
  return out;
}
