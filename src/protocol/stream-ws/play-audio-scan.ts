/**
 * The fast path for the message a bidirectional stream receives 50 times a second: `playAudio`, read
 * straight from the WebSocket frame's bytes (RFC 8259 grammar, restricted as below).
 *
 * The general parser decodes the frame as UTF-8, runs `JSON.parse` over the whole text (most of it the
 * base64 payload), then validates the payload by decoding and re-encoding it. This scanner walks only
 * the few dozen bytes of structure and finds the payload with a native byte search; the payload is
 * then validated by its decoded length and decoded by Node (base64.ts, `decodeBase64Range`). The
 * message's text is never built.
 *
 * It accepts one shape, and answers `undefined` for anything else so that the general parser runs and
 * gives its usual result or error (the two must agree on every input; a property test holds them to it):
 * - a top-level object with the keys `event` (exactly "playAudio"), `media` and optionally `streamId`,
 *   in any order, each at most once, and no other key;
 * - `media` an object with `payload` and optionally `contentType` and `sampleRate`, each at most once,
 *   and no other key;
 * - string values of printable ASCII without escapes; `sampleRate` a string like that or a JSON integer
 *   without sign, fraction or exponent;
 * - JSON whitespace between tokens, and nothing after the closing brace.
 * A `PlayAudioScanner` (one per stream) also remembers the bytes around the last payload it found:
 * an app sends the same JSON around every payload, so the next frame that starts and ends with those
 * bytes has its payload between them, and only two byte comparisons are needed. That is exact: the
 * remembered bytes were scanned in full, and what lies between them must then pass the strict base64
 * check, whose alphabet holds no quote, backslash or other JSON structure.
 * Never throws.
 */
import { Buffer } from 'node:buffer';

/* eslint-disable @typescript-eslint/no-non-null-assertion -- Byte reads are bounds-checked by the
   scanner (`pos < end` before each read), so `!` only drops `undefined` from the type. */

/** Where the fields of a `playAudio` frame are. */
export interface PlayAudioFields {
  /** `media.contentType`, when present. */
  readonly contentType: string | undefined;
  /** `media.sampleRate`, when present: a number for a JSON number, else the string. */
  readonly sampleRate: number | string | undefined;
  /** Byte range of the payload's characters (between the quotes). */
  readonly payloadStart: number;
  readonly payloadEnd: number;
}

interface MutableFields {
  contentType: string | undefined;
  sampleRate: number | string | undefined;
  payloadStart: number;
  payloadEnd: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

const PLAY_AUDIO = asciiBytes('playAudio');

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    out[i] = text.charCodeAt(i);
  }
  return out;
}

/** The keys the scanner knows, one bit each (bit i for `KEY_NAMES[i]`); 0 stands for any other key. */
const KEY_NAMES = ['event', 'media', 'streamId', 'payload', 'contentType', 'sampleRate'] as const;
const EVENT = 1 << 0;
const MEDIA = 1 << 1;
const STREAM_ID = 1 << 2;
const PAYLOAD = 1 << 3;
const CONTENT_TYPE = 1 << 4;
const SAMPLE_RATE = 1 << 5;
const TOP_KEYS = EVENT | MEDIA | STREAM_ID;
const MEDIA_KEYS = PAYLOAD | CONTENT_TYPE | SAMPLE_RATE;
/** What a `playAudio` frame must have. */
const REQUIRED = EVENT | MEDIA | PAYLOAD;

/** Indices into `KEY_NAMES` by key length. */
const KEYS_BY_LENGTH: readonly (readonly number[])[] = (() => {
  const table: number[][] = [];
  KEY_NAMES.forEach((name, i) => {
    (table[name.length] ??= []).push(i);
  });
  return table;
})();

/** The bit of the key in bytes `[start, end)` of `b`, 0 when it is not one the scanner knows. */
function keyAt(b: Uint8Array, start: number, end: number): number {
  const len = end - start;
  for (const i of KEYS_BY_LENGTH[len] ?? []) {
    const name = KEY_NAMES[i]!;
    let k = 0;
    while (k < len && b[start + k] === name.charCodeAt(k)) {
      k++;
    }
    if (k === len) {
      return 1 << i;
    }
  }
  return 0;
}

/*
 * The cursor: module state rather than an object, so a scan allocates nothing for it. Scans are
 * synchronous and never re-entered; `scanFull` sets every field before use and drops the frame after.
 */
const EMPTY = Buffer.alloc(0);
let b: Buffer = EMPTY;
let pos = 0;
let end = 0;
/** Turns true on the first byte outside the accepted shape. */
let fail = false;
/** The key bits met so far in this frame (each key may appear once). */
let seen = 0;

/** `fail`, read through a call (the compiler would keep a narrowed value across the scanner's calls). */
function failed(): boolean {
  return fail;
}

/** Skips whitespace and returns the next byte without consuming it (-1 at the end). */
function peek(): number {
  while (pos < end) {
    const c = b[pos]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
      return c;
    }
    pos++;
  }
  return -1;
}

function expect(byte: number): void {
  if (peek() === byte) {
    pos++;
  } else {
    fail = true;
  }
}

/**
 * Reads a string of printable ASCII without escapes and returns where its characters start (they end
 * at `pos - 1`), or -1 and `fail` for anything else.
 */
function shortString(): number {
  expect(QUOTE);
  if (failed()) {
    return -1;
  }
  const start = pos;
  while (pos < end) {
    const c = b[pos]!;
    if (c === QUOTE) {
      pos++;
      return start;
    }
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) {
      break;
    }
    pos++;
  }
  fail = true;
  return -1;
}

/**
 * Reads the payload string: its closing quote is found by a native search, and its characters are
 * left to the base64 check. Escapes need no search of their own: the quote found is then either
 * escaped (a backslash precedes it) or follows one, and a backslash fails that check.
 */
function longString(): number {
  expect(QUOTE);
  if (failed()) {
    return -1;
  }
  const start = pos;
  const close = b.indexOf(QUOTE, start);
  if (close === -1) {
    fail = true;
    return -1;
  }
  pos = close + 1;
  return start;
}

/** A JSON integer without sign, fraction or exponent (at most 9 digits); -1 and `fail` otherwise. */
function integer(): number {
  const first = pos;
  let value = 0;
  while (pos < end) {
    const c = b[pos]!;
    if (c < 0x30 || c > 0x39) {
      break;
    }
    value = value * 10 + (c - 0x30);
    pos++;
  }
  const digits = pos - first;
  const next = pos < end ? b[pos]! : -1;
  // A leading zero, a fraction or an exponent: the general parser decides.
  const leadingZero = digits > 1 && b[first] === 0x30;
  if (digits === 0 || digits > 9 || leadingZero || next === 0x2e || next === 0x65 || next === 0x45) {
    fail = true;
    return -1;
  }
  return value;
}

/** A string value just read (printable ASCII, so latin1 reads it as UTF-8 would). */
function text(start: number): string | undefined {
  return failed() ? undefined : b.toString('latin1', start, pos - 1);
}

function sameBytes(start: number, stop: number, want: Uint8Array): boolean {
  if (stop - start !== want.length) {
    return false;
  }
  for (let i = 0; i < want.length; i++) {
    if (b[start + i] !== want[i]) {
      return false;
    }
  }
  return true;
}

/** After a key: its `:`. Returns the key's bit (`fail` on bad syntax). */
function key(): number {
  const start = shortString();
  if (failed()) {
    return 0;
  }
  const k = keyAt(b, start, pos - 1);
  expect(COLON);
  return k;
}

/** After a member: true after `,`, false after `}` (and `fail` for anything else). */
function more(): boolean {
  const next = peek();
  pos++;
  if (next !== COMMA && next !== CLOSE) {
    fail = true;
  }
  return next === COMMA;
}

/**
 * Walks one non-empty object whose keys are all in `allowed`, each met once in the frame; `value`
 * reads the value of each (and says whether it is acceptable). A plain function, not a closure, so a
 * scan allocates nothing for it.
 */
function object(
  allowed: number,
  value: (key: number, out: MutableFields) => boolean,
  out: MutableFields,
): boolean {
  expect(OPEN);
  if (failed() || peek() === CLOSE) {
    return false;
  }
  do {
    const k = key();
    if (failed() || (k & allowed) === 0 || (k & seen) !== 0) {
      return false;
    }
    seen |= k;
    if (!value(k, out)) {
      return false;
    }
  } while (!failed() && more());
  return !failed();
}

function mediaValue(k: number, out: MutableFields): boolean {
  if (k === PAYLOAD) {
    out.payloadStart = longString();
    out.payloadEnd = pos - 1;
  } else if (k === CONTENT_TYPE) {
    out.contentType = text(shortString());
  } else {
    out.sampleRate = peek() === QUOTE ? text(shortString()) : integer();
  }
  return true;
}

function topValue(k: number, out: MutableFields): boolean {
  if (k === EVENT) {
    const start = shortString();
    return !failed() && sameBytes(start, pos - 1, PLAY_AUDIO);
  }
  if (k === MEDIA) {
    return object(MEDIA_KEYS, mediaValue, out);
  }
  shortString();
  return true;
}

/** Scans all of `frame` into `out`; false when it is not the accepted shape. */
function scanFull(frame: Buffer, out: MutableFields): boolean {
  b = frame;
  pos = 0;
  end = frame.length;
  fail = false;
  seen = 0;
  out.contentType = undefined;
  out.sampleRate = undefined;
  try {
    if (!object(TOP_KEYS, topValue, out)) {
      return false;
    }
    peek();
    return !failed() && (seen & REQUIRED) === REQUIRED && pos === end;
  } finally {
    b = EMPTY;
  }
}

/** `bytes` as a Buffer: ws hands over Buffers; anything else gets a view on the same memory. */
export function asBuffer(bytes: Uint8Array): Buffer {
  if (bytes instanceof Buffer) {
    return bytes;
  }
  const view: Buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view;
}

/**
 * Scans a frame for the one `playAudio` shape described in the header, with no memory of earlier
 * frames. Returns where its fields are, or `undefined` when the frame is anything else.
 */
export function scanPlayAudio(bytes: Uint8Array): PlayAudioFields | undefined {
  const out: MutableFields = {
    contentType: undefined,
    sampleRate: undefined,
    payloadStart: -1,
    payloadEnd: -1,
  };
  return scanFull(asBuffer(bytes), out) ? out : undefined;
}

/**
 * One stream's scanner: {@link scanPlayAudio} plus the memory of the bytes around the last payload
 * (see the header). `scan` returns an object it reuses on the next call.
 */
export class PlayAudioScanner {
  readonly #fields: MutableFields = {
    contentType: undefined,
    sampleRate: undefined,
    payloadStart: -1,
    payloadEnd: -1,
  };
  /** The bytes before and after the last payload found by a full scan, and that scan's values. */
  #prefix: Buffer = EMPTY;
  #suffix: Buffer = EMPTY;
  #contentType: string | undefined;
  #sampleRate: number | string | undefined;
  /** Frames answered from memory, and by a full scan (for tests and stats). */
  remembered = 0;
  scanned = 0;

  scan(bytes: Uint8Array): PlayAudioFields | undefined {
    const frame = asBuffer(bytes);
    const fields = this.#fields;
    const prefix = this.#prefix;
    const suffix = this.#suffix;
    const len = frame.length;
    if (
      prefix.length > 0 &&
      len >= prefix.length + suffix.length &&
      frame.compare(prefix, 0, prefix.length, 0, prefix.length) === 0 &&
      frame.compare(suffix, 0, suffix.length, len - suffix.length, len) === 0
    ) {
      this.remembered++;
      fields.contentType = this.#contentType;
      fields.sampleRate = this.#sampleRate;
      fields.payloadStart = prefix.length;
      fields.payloadEnd = len - suffix.length;
      return fields;
    }
    this.scanned++;
    if (!scanFull(frame, fields)) {
      return undefined;
    }
    // Copies: the frame's memory is not ours to keep.
    this.#prefix = Buffer.from(frame.subarray(0, fields.payloadStart));
    this.#suffix = Buffer.from(frame.subarray(fields.payloadEnd));
    this.#contentType = fields.contentType;
    this.#sampleRate = fields.sampleRate;
    return fields;
  }
}
