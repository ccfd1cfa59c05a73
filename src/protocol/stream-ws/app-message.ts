/**
 * Parses the messages the app sends over the stream WebSocket (compatibility §5, §12, D14): `playAudio`,
 * `checkpoint`, `clearAudio`, `sendDTMF` and the Vobiz-style `stop`. Lenient about shape, strict about
 * audio: a payload that is not the negotiated format is refused with ERR_STREAM_FORMAT_MISMATCH rather
 * than played as noise. Never throws.
 * Plivo reference: https://www.plivo.com/docs/voice/xml/the-stream-element/play-audio-event
 */
import { Buffer } from 'node:buffer';

import type { StreamErrorCode } from '../../errors/codes/stream.js';
import { fail, ok, type ParseFailure, type ParseResult } from '../../errors/result.js';
import { decodeBase64Range, decodeBase64Strict } from './base64.js';
import { parseMediaType, type MediaFormat } from './formats.js';
import { asBuffer, scanPlayAudio, type PlayAudioScanner } from './play-audio-scan.js';
import { readWav } from './wav.js';

/** A message from the app, reduced to what the engine acts on. */
export type AppMessage =
  | {
      readonly event: 'playAudio';
      /** Raw audio in the stream's negotiated format (WAV header stripped for legacy `wav`). */
      readonly audio: Uint8Array;
      /**
       * Present only for 24 kHz L16 accepted by the playback extras (`tts24k` option): `audio` is then
       * 16-bit samples at this rate, in the stream's L16 byte order, still to be resampled.
       */
      readonly sampleRateHz?: typeof TTS_RATE_HZ;
    }
  | { readonly event: 'checkpoint'; readonly name: string }
  | { readonly event: 'clearAudio' }
  | { readonly event: 'sendDTMF'; readonly digits: string }
  /** Vobiz-style: same effect as the app closing the socket (compatibility §5.5). */
  | { readonly event: 'stop' }
  /** Unknown events etc.: to be logged and ignored. */
  | { readonly event: 'ignored'; readonly reason: string };

/** Options of {@link parseAppMessage}. */
export interface ParseAppMessageOptions {
  /** Largest message parsed, in UTF-8 bytes; larger ones fail with ERR_STREAM_MESSAGE_TOO_LARGE. Default 4 MiB. */
  readonly maxMessageBytes?: number;
  /**
   * D6: byte order of L16 on this stream (default true, little-endian). Only used to convert the
   * samples of a legacy `wav` payload, which are always little-endian in the file.
   */
  readonly l16LittleEndian?: boolean;
  /** Longest `sendDTMF` digit string accepted. Default 128. */
  readonly maxDtmfDigits?: number;
  /**
   * The stream's `playAudio` scanner: it remembers the JSON around the last payload, so the next
   * frame of the same shape is read with two byte comparisons. Without one, each frame is scanned
   * in full (same results).
   */
  readonly scanner?: PlayAudioScanner;
  /**
   * Playback extras (`<Stream playbackExtras>`): also accept `audio/x-l16;rate=24000` (or `sampleRate`
   * 24000) on any stream, returned with `sampleRateHz: 24000` for the caller to resample. Default false:
   * such audio is a format mismatch (D14).
   */
  readonly tts24k?: boolean;
}

/** The extra playAudio rate the playback extras accept (TTS engines emit 24 kHz). */
export const TTS_RATE_HZ = 24000;

/** Default of {@link ParseAppMessageOptions.maxMessageBytes}: 4 MiB. */
export const DEFAULT_MAX_APP_MESSAGE_BYTES = 4 * 1024 * 1024;

const CLEAR_AUDIO: AppMessage = Object.freeze({ event: 'clearAudio' });
/** What `checkDeclaredFormat` finds, shared: it runs for every `playAudio`. */
const PLAIN_AUDIO = Object.freeze({ wav: false });
const WAV_AUDIO = Object.freeze({ wav: true });
const TTS_AUDIO = Object.freeze({ wav: false, tts: true });
const STOP: AppMessage = Object.freeze({ event: 'stop' });
const utf8 = new TextDecoder('utf-8', { fatal: true });
const dtmfDigits = /^[0-9A-Da-d*#]+$/;

interface Failure {
  readonly ok: false;
  readonly error: ParseFailure;
}

function failure(code: StreamErrorCode, detail: string): Failure {
  return fail({ code, detail });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shortens app-controlled text before it goes into a detail or reason. */
function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

function utf8Length(text: string, limit: number): number {
  // UTF-8 needs at least one byte per UTF-16 unit and at most three: measure only when it matters.
  return text.length > limit || text.length * 3 <= limit ? text.length : Buffer.byteLength(text, 'utf8');
}

/**
 * Parses one text frame from the app. `format` is the stream's negotiated format. Returns an
 * `AppMessage`, or a failure with an ERR_STREAM_* code; unknown events are `ignored`, not failures.
 */
export function parseAppMessage(
  data: string | Uint8Array,
  format: MediaFormat,
  opts: ParseAppMessageOptions = {},
): ParseResult<AppMessage> {
  const limit = opts.maxMessageBytes ?? DEFAULT_MAX_APP_MESSAGE_BYTES;
  const size = typeof data === 'string' ? utf8Length(data, limit) : data.byteLength;
  if (size > limit) {
    // utf8Length may stop at a lower bound; the refusal states the true size.
    const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : size;
    return failure('ERR_STREAM_MESSAGE_TOO_LARGE', `message of ${bytes} bytes exceeds the limit of ${limit}`);
  }
  if (typeof data !== 'string') {
    const fast = parsePlayAudioFast(data, format, opts);
    if (fast !== undefined) {
      return fast;
    }
  }
  let text: string;
  try {
    text = typeof data === 'string' ? data : utf8.decode(data);
  } catch {
    return failure('ERR_STREAM_NOT_JSON', 'message is not valid UTF-8');
  }
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return failure('ERR_STREAM_NOT_JSON', 'message is not valid JSON');
  }
  if (!isRecord(msg) || typeof msg['event'] !== 'string') {
    return failure('ERR_STREAM_BAD_MESSAGE', 'message is not a JSON object with a string "event"');
  }
  // `streamId` is optional and not checked: the socket already identifies the stream (§5.2).
  const event = msg['event'];
  switch (event) {
    case 'playAudio':
      return parsePlayAudio(msg['media'], format, opts);
    case 'checkpoint':
      return parseCheckpoint(msg['name']);
    case 'clearAudio':
      return ok(CLEAR_AUDIO);
    case 'sendDTMF':
      return parseSendDtmf(msg['dtmf'], opts.maxDtmfDigits ?? 128);
    case 'stop':
      return ok(STOP);
    default:
      return ok({ event: 'ignored', reason: `unknown event "${clip(event)}"` });
  }
}

function parseCheckpoint(name: unknown): ParseResult<AppMessage> {
  if (typeof name !== 'string' || name === '') {
    return failure('ERR_STREAM_BAD_CHECKPOINT', 'checkpoint "name" must be a non-empty string');
  }
  return ok({ event: 'checkpoint', name });
}

function parseSendDtmf(dtmf: unknown, maxDigits: number): ParseResult<AppMessage> {
  if (typeof dtmf !== 'string' || !dtmfDigits.test(dtmf)) {
    return failure('ERR_STREAM_BAD_DTMF', 'sendDTMF "dtmf" must be a string of 0-9, A-D, * and #');
  }
  if (dtmf.length > maxDigits) {
    return failure(
      'ERR_STREAM_BAD_DTMF',
      `sendDTMF has ${dtmf.length} digits; at most ${maxDigits} are accepted`,
    );
  }
  return ok({ event: 'sendDTMF', digits: dtmf.toUpperCase() });
}

/** `sampleRate` as a number or numeric string; undefined when absent; NaN when unreadable. */
function readSampleRate(value: unknown): number | undefined {
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    return Number(value.trim());
  }
  return Number.NaN;
}

/** Checks the declared contentType/sampleRate against the stream. Returns whether the payload is a WAV file. */
function checkDeclaredFormat(
  contentType: unknown,
  rawSampleRate: unknown,
  format: MediaFormat,
  tts24k: boolean | undefined,
): Failure | { wav: boolean; tts?: boolean } {
  if (contentType !== undefined && contentType !== null && typeof contentType !== 'string') {
    return failure('ERR_STREAM_BAD_MESSAGE', 'playAudio "media.contentType" must be a string');
  }
  const sampleRate = readSampleRate(rawSampleRate);
  if (tts24k === true && isTtsAudio(contentType, sampleRate)) {
    return TTS_AUDIO;
  }
  if (sampleRate !== undefined && sampleRate !== format.sampleRateHz) {
    const shown =
      typeof rawSampleRate === 'string' || typeof rawSampleRate === 'number'
        ? String(rawSampleRate)
        : typeof rawSampleRate;
    return failure(
      'ERR_STREAM_FORMAT_MISMATCH',
      `playAudio sampleRate ${clip(shown)} differs from the stream's ${format.sampleRateHz}`,
    );
  }
  if (typeof contentType !== 'string' || contentType.trim() === '') {
    return PLAIN_AUDIO;
  }
  const declared = parseMediaType(contentType);
  if (declared === undefined) {
    return failure(
      'ERR_STREAM_FORMAT_MISMATCH',
      `playAudio contentType "${clip(contentType)}" is not ${format.encoding}`,
    );
  }
  if (declared.rateHz !== undefined && declared.rateHz !== format.sampleRateHz) {
    return failure(
      'ERR_STREAM_FORMAT_MISMATCH',
      `playAudio contentType "${clip(contentType)}" differs from the stream's ${format.contentType}`,
    );
  }
  if (declared.kind === 'raw' || declared.kind === 'wav') {
    return declared.kind === 'wav' ? WAV_AUDIO : PLAIN_AUDIO;
  }
  if (declared.kind !== format.encoding) {
    return failure(
      'ERR_STREAM_FORMAT_MISMATCH',
      `playAudio contentType "${clip(contentType)}" differs from the stream's ${format.contentType}`,
    );
  }
  return PLAIN_AUDIO;
}

/**
 * Whether a playAudio declares 24 kHz L16 and nothing that contradicts it: a 24000 rate (in
 * `contentType` or `sampleRate`), no other rate, and L16 or no encoding.
 */
function isTtsAudio(contentType: string | null | undefined, sampleRate: number | undefined): boolean {
  const declared =
    typeof contentType === 'string' && contentType.trim() !== '' ? parseMediaType(contentType) : undefined;
  if (declared !== undefined && declared.kind !== 'audio/x-l16') {
    return false;
  }
  if (typeof contentType === 'string' && contentType.trim() !== '' && declared === undefined) {
    return false;
  }
  const typeRate = declared?.rateHz;
  const rates = [typeRate, sampleRate].filter((r) => r !== undefined);
  return rates.length > 0 && rates.every((r) => r === TTS_RATE_HZ);
}

/** Strips and checks a legacy WAV payload: its own format must be the stream's. */
function unwrapWav(bytes: Uint8Array, format: MediaFormat, littleEndian: boolean): Failure | Uint8Array {
  const wav = readWav(bytes);
  if (typeof wav === 'string') {
    return failure('ERR_STREAM_BAD_WAV', wav);
  }
  const isL16 = wav.formatTag === 1 && wav.bitsPerSample === 16;
  const isMulaw = wav.formatTag === 7 && wav.bitsPerSample === 8;
  const encoding = isL16 ? 'audio/x-l16' : isMulaw ? 'audio/x-mulaw' : undefined;
  if (encoding !== format.encoding || wav.channels !== 1 || wav.sampleRateHz !== format.sampleRateHz) {
    const described = `format ${wav.formatTag}, ${wav.bitsPerSample} bit, ${wav.channels} ch, ${wav.sampleRateHz} Hz`;
    return failure(
      'ERR_STREAM_FORMAT_MISMATCH',
      `playAudio WAV (${described}) is not mono ${format.contentType}`,
    );
  }
  if (isL16 && !littleEndian) {
    // The WAV file is little-endian; this stream's L16 is big-endian (D6 setting). Swap in place.
    const data = wav.data;
    for (let i = 0; i + 1 < data.length; i += 2) {
      const lo = data[i] ?? 0;
      data[i] = data[i + 1] ?? 0;
      data[i + 1] = lo;
    }
  }
  return wav.data;
}

function parsePlayAudio(
  media: unknown,
  format: MediaFormat,
  opts: ParseAppMessageOptions,
): ParseResult<AppMessage> {
  if (!isRecord(media)) {
    return failure('ERR_STREAM_BAD_MESSAGE', 'playAudio has no "media" object');
  }
  const payload = media['payload'];
  if (typeof payload !== 'string') {
    return failure('ERR_STREAM_BAD_MESSAGE', 'playAudio "media.payload" must be a base64 string');
  }
  const declared = checkDeclaredFormat(media['contentType'], media['sampleRate'], format, opts.tts24k);
  if ('ok' in declared) {
    return declared;
  }
  const audio = decodeBase64Strict(payload);
  if (typeof audio === 'string') {
    return failure('ERR_STREAM_BAD_BASE64', audio);
  }
  return declared.tts === true ? ttsAudio(audio) : playAudio(audio, declared.wav, format, opts);
}

/** 24 kHz L16 of the playback extras: whole 16-bit samples, handed on for resampling. */
function ttsAudio(audio: Uint8Array): ParseResult<AppMessage> {
  if (audio.length % 2 !== 0) {
    return failure(
      'ERR_STREAM_PARTIAL_SAMPLE',
      `payload of ${audio.length} bytes is not a whole number of 2-byte samples (24 kHz L16)`,
    );
  }
  return ok({ event: 'playAudio', audio, sampleRateHz: TTS_RATE_HZ });
}

/** The last steps of a `playAudio`, shared by both paths: a legacy WAV unwrapped, whole samples. */
function playAudio(
  decoded: Uint8Array,
  wav: boolean,
  format: MediaFormat,
  opts: ParseAppMessageOptions,
): ParseResult<AppMessage> {
  let audio = decoded;
  if (wav) {
    const unwrapped = unwrapWav(audio, format, opts.l16LittleEndian ?? true);
    if ('ok' in unwrapped) {
      return unwrapped;
    }
    audio = unwrapped;
  }
  if (audio.length % format.bytesPerSample !== 0) {
    return failure(
      'ERR_STREAM_PARTIAL_SAMPLE',
      `payload of ${audio.length} bytes is not a whole number of ${format.bytesPerSample}-byte samples`,
    );
  }
  return ok({ event: 'playAudio', audio });
}

/**
 * The `playAudio` fast path (see play-audio-scan.ts): the same result as the general path for the
 * common shape, read from the frame's bytes; `undefined` for anything else, including a payload that
 * is not strict base64 (the general path then reports it).
 */
function parsePlayAudioFast(
  data: Uint8Array,
  format: MediaFormat,
  opts: ParseAppMessageOptions,
): ParseResult<AppMessage> | undefined {
  const frame = asBuffer(data);
  const fields = opts.scanner === undefined ? scanPlayAudio(frame) : opts.scanner.scan(frame);
  if (fields === undefined) {
    return undefined;
  }
  // The payload first: the scanner found it by its closing quote only, so until it is strict base64
  // the frame may not even be JSON, and the general parser must give the answer.
  const audio = decodeBase64Range(frame, fields.payloadStart, fields.payloadEnd);
  if (audio === undefined) {
    return undefined;
  }
  const declared = checkDeclaredFormat(fields.contentType, fields.sampleRate, format, opts.tts24k);
  if ('ok' in declared) {
    return declared;
  }
  return declared.tts === true ? ttsAudio(audio) : playAudio(audio, declared.wav, format, opts);
}
