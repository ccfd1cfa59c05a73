/**
 * Strict base64 (RFC 4648 §4, standard alphabet) for app payloads. Node's decoder silently skips
 * characters outside the alphabet and accepts the URL-safe one too, which would turn a corrupt payload
 * into plausible-looking noise; this module validates first.
 */
import { Buffer } from 'node:buffer';

// Body of standard-alphabet characters, then at most one padded final quantum. Unpadded input is
// accepted when its length leaves a whole number of bytes (length % 4 of 2 or 3): some encoders strip
// the `=`, and the bytes are unambiguous.
const shape = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Why a string is not strict base64, or undefined when it is. */
export function base64Problem(text: string): string | undefined {
  if (!shape.test(text)) {
    return 'payload has characters outside the base64 alphabet or misplaced padding';
  }
  const rem = text.length % 4;
  if (text.endsWith('=') ? rem !== 0 : rem === 1) {
    return `payload length ${text.length} is not a valid base64 length`;
  }
  return undefined;
}

/**
 * Decodes text already checked by {@link base64Problem}. Returns a plain Uint8Array (not a Buffer) that
 * may share memory with Node's buffer pool; the caller owns it.
 */
export function decodeBase64(text: string): Uint8Array {
  const buf = Buffer.from(text, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
