/**
 * Stream start parameters (REST, snake_case) → the commands port's `StreamStartRequest`, with the checks a schema
 * cannot express: ws/wss URL, the bidirectional/audio_track rule, content_type spelling, the
 * extra_headers byte limit (compatibility §2.2, §2.3, §8).
 */
import { ServerError } from '../errors/server-error.js';
import type { StreamStartRequest } from '../ports/call-commands.js';
import { type ContentType, parseContentType } from '../protocol/stream-ws/formats.js';
import { invalidParam, missingParam } from './error-handler.js';
import { MAX_EXTRA_HEADERS_BYTES, type StreamStartBody } from './schemas/stream.js';

/** D1. */
export const DEFAULT_CONTENT_TYPE: ContentType = 'audio/x-l16;rate=8000';
/** Spec §2.2: 24 hours. */
export const DEFAULT_STREAM_TIMEOUT_SEC = 86400;
/** As `<Stream noiseCancellationLevel>`'s default. */
export const DEFAULT_NOISE_CANCELLATION_LEVEL = 85;

function hasScheme(url: string, schemes: readonly string[]): boolean {
  try {
    const u = new URL(url);
    return schemes.includes(u.protocol) && u.hostname !== '';
  } catch {
    return false;
  }
}

/** Trimmed text, or undefined when absent or blank (SDKs send "" for unset options). */
function given(text: string | undefined): string | undefined {
  const t = text?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** Validates REST stream parameters; throws ServerError (400) naming the first bad parameter. */
export function streamSpecFromRest(body: StreamStartBody): StreamStartRequest {
  const serviceUrl = given(body.service_url);
  if (serviceUrl === undefined) {
    throw missingParam('service_url');
  }
  if (!hasScheme(serviceUrl, ['ws:', 'wss:'])) {
    throw invalidParam('service_url', 'a ws:// or wss:// URL');
  }
  const bidirectional = body.bidirectional ?? false;
  const audioTrack = body.audio_track ?? 'inbound';
  if (bidirectional && audioTrack !== 'inbound') {
    throw new ServerError(
      'ERR_API_INVALID_PARAM',
      "invalid 'audio_track': a bidirectional stream must use inbound",
    );
  }
  const contentTypeText = given(body.content_type);
  const contentType =
    contentTypeText === undefined ? DEFAULT_CONTENT_TYPE : parseContentType(contentTypeText);
  if (contentType === undefined) {
    throw invalidParam(
      'content_type',
      'audio/x-l16;rate=8000, audio/x-l16;rate=16000 or audio/x-mulaw;rate=8000',
    );
  }
  const extraHeaders = given(body.extra_headers);
  if (extraHeaders !== undefined && Buffer.byteLength(extraHeaders, 'utf8') > MAX_EXTRA_HEADERS_BYTES) {
    throw invalidParam('extra_headers', `at most ${MAX_EXTRA_HEADERS_BYTES} bytes`);
  }
  const statusCallbackUrl = given(body.status_callback_url);
  if (statusCallbackUrl !== undefined && !hasScheme(statusCallbackUrl, ['http:', 'https:'])) {
    throw invalidParam('status_callback_url', 'an http:// or https:// URL');
  }
  return {
    serviceUrl,
    bidirectional,
    audioTrack,
    streamTimeoutSec: body.stream_timeout ?? DEFAULT_STREAM_TIMEOUT_SEC,
    statusCallbackUrl,
    statusCallbackMethod: upperMethod(body.status_callback_method) ?? 'POST',
    contentType,
    extraHeaders,
    ...(body.resume_timeout === undefined || body.resume_timeout === 0
      ? {}
      : { resumeTimeoutSec: body.resume_timeout }),
    ...(body.noise_cancellation === true
      ? { noiseCancellationLevel: body.noise_cancellation_level ?? DEFAULT_NOISE_CANCELLATION_LEVEL }
      : {}),
    ...(body.playback_extras === true ? { playbackExtras: true } : {}),
  };
}

/** `get`/`Post`/… → `GET`/`POST`; the schema has already checked the spelling. */
export function upperMethod(method: string | undefined): 'GET' | 'POST' | undefined {
  if (method === undefined) {
    return undefined;
  }
  return method.toUpperCase() === 'GET' ? 'GET' : 'POST';
}
