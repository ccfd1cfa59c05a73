/**
 * The Plivo `<Stream>` wire messages as the reference consumer sees them, the rules it enforces and the
 * small field checks and audio decoders it needs.
 *
 * This module is a test oracle. It is transcribed from the project's compatibility reference
 * (docs/compatibility.md §3–§5, §12 and the Decisions D1–D16) and deliberately shares
 * no code with streamfork's own protocol implementation, so that a bug there cannot hide itself here.
 */

/** A leg of the call whose audio is forked (compatibility §4.1 `tracks`, §4.2 `media.track`). */
export type Track = 'inbound' | 'outbound';

/** `start.mediaFormat.encoding`: the content type without its `;rate=` part (compatibility §3.3). */
export type Encoding = 'audio/x-mulaw' | 'audio/x-l16';

/** The `start` message, sent once as the first frame (compatibility §4.1). */
export interface StartMessage {
  readonly event: 'start';
  readonly sequenceNumber: number;
  readonly start: {
    readonly callId: string;
    readonly streamId: string;
    readonly accountId: string;
    readonly tracks: readonly Track[];
    readonly mediaFormat: { readonly encoding: Encoding; readonly sampleRate: 8000 | 16000 };
  };
  readonly extra_headers: string;
}

/** A `media` message: about 20 ms of audio of one track (compatibility §4.2). */
export interface MediaMessage {
  readonly event: 'media';
  readonly sequenceNumber: number;
  readonly streamId: string;
  readonly media: {
    readonly track: Track;
    readonly timestamp: string;
    readonly chunk: number;
    readonly payload: string;
  };
  readonly extra_headers: string;
}

/** A `dtmf` message: one key press (compatibility §4.3). */
export interface DtmfMessage {
  readonly event: 'dtmf';
  readonly sequenceNumber: number;
  readonly streamId: string;
  readonly dtmf: { readonly track: Track; readonly digit: string; readonly timestamp: string };
  readonly extra_headers: string;
}

/** A `playedStream` message: a checkpoint's audio has played (compatibility §4.4, D2). */
export interface PlayedStreamMessage {
  readonly event: 'playedStream';
  readonly sequenceNumber: number;
  readonly streamId: string;
  readonly name: string;
}

/** A `clearedAudio` message: a `clearAudio` emptied the playback buffer (compatibility §4.5). */
export interface ClearedAudioMessage {
  readonly event: 'clearedAudio';
  readonly sequenceNumber: number;
  readonly streamId: string;
}

/** The optional `stop` message, only accepted when the consumer allows it (compatibility §4.6, D7). */
export interface StopMessage {
  readonly event: 'stop';
  readonly sequenceNumber: number;
  readonly streamId: string;
  readonly stop: { readonly callId: string; readonly streamId: string; readonly tracks: readonly Track[] };
}

/** Any message streamfork may send to the app that passed every schema rule. */
export type StreamMessage =
  StartMessage | MediaMessage | DtmfMessage | PlayedStreamMessage | ClearedAudioMessage | StopMessage;

/** Maps an event name to its message type, for typed waits. */
export interface StreamMessageByEvent {
  start: StartMessage;
  media: MediaMessage;
  dtmf: DtmfMessage;
  playedStream: PlayedStreamMessage;
  clearedAudio: ClearedAudioMessage;
  stop: StopMessage;
}

/** A frame that parsed as a JSON object with a string `event`, whether or not it passed the rules. */
export interface ParsedMessage {
  readonly event: string;
  readonly [key: string]: unknown;
}

/**
 * Every rule the consumer enforces, keyed by a stable id, with the spec clause it comes from.
 * Tests assert on the id; the text is what `assertClean()` prints.
 */
export const RULES = {
  'frame.binary':
    'Messages are JSON in text frames; a binary frame is a violation (compatibility §3.1, §3.2).',
  'frame.json': 'Each frame is one JSON object with a string `event` (compatibility §3.2).',
  'start.first': 'The first message on the socket is `start` (compatibility §3.1, §4.1).',
  'start.once': '`start` is sent exactly once (compatibility §4.1).',
  'start.shape':
    '`start.start` is an object with callId, streamId, accountId, tracks, mediaFormat (compatibility §4.1).',
  'start.account': '`start.accountId` is a non-empty string (compatibility §4.1).',
  'start.tracks':
    '`start.tracks` is ["inbound"], ["outbound"] or ["inbound","outbound"] (compatibility §4.1).',
  'start.format':
    '`start.mediaFormat` is {encoding: audio/x-mulaw|audio/x-l16, sampleRate: number 8000|16000}; μ-law is 8000 only (compatibility §3.3, §4.1).',
  'uuid.v4':
    'callId and streamId are RFC 4122 version 4 UUIDs, version and variant bits included (compatibility §4.1, D15).',
  'seq.type':
    '`sequenceNumber` is a present, integer number on every message (compatibility §3.2, §12 item 4).',
  'seq.order':
    '`sequenceNumber` is 1 on `start` and grows by exactly 1 across every message (compatibility §3.2).',
  extra_headers:
    '`extra_headers` is always present as a string on start, media and dtmf (compatibility §4.1–§4.3, D4).',
  'extra_headers.stable':
    '`extra_headers` on media and dtmf repeats the value sent on start (compatibility §4.2, D4).',
  stream_id: 'Top-level `streamId` is present and equals `start.streamId` (compatibility §4.2–§4.5).',
  'media.shape': '`media` is an object with track, timestamp, chunk, payload (compatibility §4.2).',
  'media.track': '`media.track` is one of the tracks announced in `start.tracks` (compatibility §4.2).',
  'media.timestamp': '`media.timestamp` is a string of integer epoch milliseconds (compatibility §4.2, D5).',
  'media.timestamp.order': '`media.timestamp` never decreases within a track (D5).',
  'media.chunk':
    '`media.chunk` is a per-track integer counter starting at 1 with no gaps (compatibility §3.2, §4.2).',
  'media.payload.base64': '`media.payload` is standard, padded base64 (compatibility §3.3).',
  'media.payload.size':
    '`media.payload` decodes to exactly one 20 ms frame of the negotiated format (compatibility §3.3).',
  'dtmf.shape': '`dtmf` is an object with track, digit, timestamp (compatibility §4.3).',
  'dtmf.digit': '`dtmf.digit` is a single character of 0-9, *, #, A-D (compatibility §4.3).',
  'dtmf.timestamp': '`dtmf.timestamp` is a string of integer epoch milliseconds (compatibility §4.3, D5).',
  'played.shape': '`playedStream` carries a string `name` (compatibility §4.4, D2).',
  'played.unknown':
    '`playedStream` names a checkpoint the app sent and that is still pending (compatibility §4.4, §5.2).',
  'played.order': 'Checkpoints are acknowledged in the order they were sent (compatibility §5.2, §6).',
  'played.cleared':
    'A checkpoint whose audio was cleared gets no `playedStream` (compatibility §4.4, §5.3, D2).',
  'cleared.unexpected':
    '`clearedAudio` only answers a `clearAudio` the app sent, once each (compatibility §4.5, §5.3).',
  'event.unknown':
    'Only start, media, dtmf, playedStream, clearedAudio are sent (compatibility §4, §4.6, D7).',
  'stop.shape':
    '`stop` is {sequenceNumber, streamId, stop: {callId, streamId, tracks}} (compatibility §4.6, D7).',
  'stop.last': 'Nothing follows `stop` on the socket (compatibility §4.6, D7).',
  'upgrade.path': 'The upgrade request goes to the exact path of the `<Stream>` URL (compatibility §3.1).',
  'upgrade.signature':
    'The upgrade carries a valid X-Plivo-Signature-V3 over GET http://host/path?query with no params (compatibility §3.1, §10.3, D8).',
} as const;

/** The id of one rule of {@link RULES}. */
export type RuleId = keyof typeof RULES;

/** One broken rule, as the validator reports it before the consumer adds context. */
export interface Finding {
  readonly rule: RuleId;
  readonly detail: string;
}

/** True when `value` is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** True for an RFC 4122 UUID whose version nibble is 4 and whose variant bits are 10xx. */
export function isUuidV4(value: unknown): value is string {
  return typeof value === 'string' && UUID_V4.test(value);
}

/** Epoch milliseconds of 2000-01-01T00:00:00Z: anything earlier is not an epoch timestamp (D5). */
export const EPOCH_FLOOR_MS = 946_684_800_000;

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * Parses a timestamp that must be a string of integer milliseconds; returns the number or a reason.
 * With `requireEpoch`, values before 2000 (such as milliseconds since stream start) are rejected.
 */
export function parseMsTimestamp(value: unknown, requireEpoch: boolean): number | string {
  if (typeof value !== 'string') {
    return `expected a string, got ${describe(value)}`;
  }
  if (!DECIMAL.test(value)) {
    return `expected integer milliseconds, got ${JSON.stringify(value)}`;
  }
  const ms = Number(value);
  if (!Number.isSafeInteger(ms)) {
    return `timestamp ${value} is not a safe integer`;
  }
  if (requireEpoch && ms < EPOCH_FLOOR_MS) {
    return `timestamp ${value} is not epoch milliseconds (before 2000-01-01)`;
  }
  return ms;
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes standard, padded, canonical base64; returns undefined for anything else. */
export function decodeStrictBase64(value: string): Uint8Array | undefined {
  if (!STD_BASE64.test(value)) {
    return undefined;
  }
  const bytes = Buffer.from(value, 'base64');
  // Non-zero padding bits decode silently; re-encoding exposes them.
  if (bytes.toString('base64') !== value) {
    return undefined;
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Bytes in one 20 ms frame of the format (compatibility §3.3): μ-law 8k 160, L16 8k 320, L16 16k 640. */
export function frameBytes(encoding: Encoding, sampleRate: number): number {
  const bytesPerSample = encoding === 'audio/x-l16' ? 2 : 1;
  return (sampleRate / 50) * bytesPerSample;
}

/** A short, printable description of a JSON value's type for violation details. */
export function describe(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  if (typeof value === 'string') {
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return `the ${typeof value} ${String(value)}`;
  }
  return `a ${typeof value}`;
}

/**
 * Decodes one G.711 μ-law byte to a linear 16-bit sample (ITU-T G.711 expansion: invert, split into
 * sign / 3-bit segment / 4-bit step, rebuild the biased magnitude, remove the bias of 132).
 */
export function mulawToLinear(byte: number): number {
  const inverted = ~byte & 0xff;
  const segment = (inverted >> 4) & 0x07;
  const step = inverted & 0x0f;
  const magnitude = (((step << 3) + 0x84) << segment) - 0x84;
  return (inverted & 0x80) !== 0 ? -magnitude : magnitude;
}

/** Byte order of L16 samples: little-endian by default (D6). */
export type L16ByteOrder = 'le' | 'be';

/** Decodes raw audio of the given encoding to int16 PCM. */
export function decodeToPcm(
  bytes: Uint8Array,
  encoding: Encoding,
  byteOrder: L16ByteOrder = 'le',
): Int16Array {
  if (encoding === 'audio/x-mulaw') {
    const out = new Int16Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      out[i] = mulawToLinear(bytes[i] ?? 0xff);
    }
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int16Array(Math.floor(bytes.length / 2));
  for (let i = 0; i < out.length; i++) {
    out[i] = view.getInt16(i * 2, byteOrder === 'le');
  }
  return out;
}

/** Concatenates byte chunks into one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) {
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
