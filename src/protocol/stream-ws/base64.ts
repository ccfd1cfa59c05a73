/**
 * Strict base64 (RFC 4648 §4, standard alphabet) for app payloads. Node's decoder silently skips
 * characters outside the alphabet and accepts the URL-safe alphabet too, which would turn a corrupt
 * payload into plausible-looking noise.
 *
 * Validation is done by decoding with Node's fast decoder and re-encoding: the input is valid exactly
 * when the re-encoded text equals it (with the `=` padding restored when the input left it out). This
 * is several times faster than a regular expression or a character loop over the text, and it also
 * refuses non-zero pad bits (RFC 4648 §3.5 allows that).
 */
import { Buffer } from 'node:buffer';

// Used only to explain a failure.
const shape = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function explain(text: string): string {
  if (!shape.test(text)) {
    return 'payload has characters outside the base64 alphabet or misplaced padding';
  }
  const rem = text.length % 4;
  if (text.endsWith('=') ? rem !== 0 : rem === 1) {
    return `payload length ${text.length} is not a valid base64 length`;
  }
  return 'payload has non-zero bits in its last base64 character';
}

/**
 * Decodes strict base64. Unpadded input is accepted when its length leaves a whole number of bytes
 * (length % 4 of 2 or 3): some encoders strip the `=`, and the bytes are unambiguous. Returns the
 * bytes as a plain Uint8Array (not a Buffer; it may share memory with Node's buffer pool, and the
 * caller owns it), or a one-line reason when the text is not strict base64.
 */
export function decodeBase64Strict(text: string): Uint8Array | string {
  const rem = text.length % 4;
  if (rem === 1 || (rem !== 0 && text.endsWith('='))) {
    return explain(text);
  }
  const buf = Buffer.from(text, 'base64');
  const back = buf.toString('base64');
  const same = rem === 0 ? back === text : back.length === text.length + 4 - rem && back.startsWith(text);
  if (!same) {
    return explain(text);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Standard-alphabet value of an ASCII byte, -1 outside it. */
const VALUE = (() => {
  const table = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) {
    table[alphabet.charCodeAt(i)] = i;
  }
  return table;
})();

const EQUALS = 0x3d;

/**
 * Decodes strict base64 from bytes `[start, end)` of `b` (ASCII), under exactly the rules of
 * {@link decodeBase64Strict}; `undefined` when the text is not strict base64 (that function then
 * says why). Used by the `playAudio` fast path, which never builds the message's text.
 *
 * Validation without re-encoding: Node's decoder skips bytes outside its alphabet and stops at the
 * first `=`, so any such byte shortens the output below the length the text implies (the rules on
 * length and padding leave no data-character count where one byte less decodes to as many bytes). What
 * remains is what Node accepts and RFC 4648 §4 does not: the URL-safe `-` and `_`, and non-zero bits
 * in the last character before the padding (§3.5).
 */
export function decodeBase64Range(b: Buffer, start: number, end: number): Uint8Array | undefined {
  const len = end - start;
  let pad = 0;
  while (pad < 3 && pad < len && b[end - 1 - pad] === EQUALS) {
    pad++;
  }
  const rem = len % 4;
  if (pad > 2 || (pad > 0 ? rem !== 0 : rem === 1)) {
    return undefined;
  }
  const text = b.toString('latin1', start, end);
  if (text.includes('-') || text.includes('_')) {
    return undefined;
  }
  const data = len - pad;
  const tail = data % 4;
  if (tail !== 0) {
    const last = VALUE[b[start + data - 1] ?? 0] ?? -1;
    if (last < 0 || (last & (tail === 2 ? 0x0f : 0x03)) !== 0) {
      return undefined;
    }
  }
  const size = (data * 3) >> 2;
  const buf = Buffer.allocUnsafe(size);
  if (buf.write(text, 0, size, 'base64') !== size) {
    return undefined;
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, size);
}
