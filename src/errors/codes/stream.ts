import type { CatalogSection } from '../catalog.types.js';

/**
 * Error codes of the stream area (ERR_STREAM_* unless noted): messages from the app over the stream
 * WebSocket, the playout queue and the send buffer. Problems with one app message are logged, counted
 * and the message is ignored (compatibility §12 "log and ignore"); only the entries with a `wsCloseCode` end the
 * stream.
 */
export const streamCodes = {
  ERR_STREAM_NOT_JSON: {
    message: 'A message from the app is not valid JSON text; it was ignored.',
    category: 'protocol',
  },
  ERR_STREAM_BAD_MESSAGE: {
    message:
      'A message from the app is not a JSON object with a string `event`, or a required field is missing or has the wrong type; it was ignored.',
    category: 'protocol',
  },
  ERR_STREAM_BINARY_FRAME: {
    message: 'The app sent a binary WebSocket frame; the protocol uses text frames only, so it was ignored.',
    category: 'protocol',
  },
  ERR_STREAM_MESSAGE_TOO_LARGE: {
    message:
      'A message from the app is larger than the configured maximum; it was refused without being parsed.',
    category: 'protocol',
    wsCloseCode: 1009,
  },
  ERR_STREAM_BAD_BASE64: {
    message: 'A playAudio payload is not valid base64 (standard alphabet, correct padding).',
    category: 'protocol',
  },
  ERR_STREAM_PARTIAL_SAMPLE: {
    message: 'A playAudio payload does not hold a whole number of samples (an odd byte count for L16).',
    category: 'protocol',
  },
  ERR_STREAM_FORMAT_MISMATCH: {
    message:
      "A playAudio message declares an audio format other than the stream's negotiated contentType; it was refused rather than played as noise.",
    category: 'protocol',
  },
  ERR_STREAM_BAD_WAV: {
    message: 'A playAudio payload with contentType "wav" is not a readable PCM or mu-law WAV file.',
    category: 'protocol',
  },
  ERR_STREAM_BAD_DTMF: {
    message: 'A sendDTMF message does not carry a string of DTMF digits (0-9, A-D, *, #).',
    category: 'protocol',
  },
  ERR_STREAM_BAD_CHECKPOINT: {
    message: 'A checkpoint message does not carry a non-empty string `name`.',
    category: 'protocol',
  },
  ERR_STREAM_NOT_BIDIRECTIONAL: {
    message:
      'The app sent playAudio, checkpoint or clearAudio on a stream that is not bidirectional; it was ignored.',
    category: 'invalid_request',
  },
  ERR_STREAM_PLAYOUT_OVERFLOW: {
    message:
      'A playAudio message would push the playback queue past its limit; none of its audio was queued.',
    category: 'rate_limit',
  },
  ERR_STREAM_TOO_MANY_CHECKPOINTS: {
    message: 'The app has too many checkpoints outstanding; the new checkpoint was refused.',
    category: 'rate_limit',
  },
  ERR_STREAM_SLOW_CONSUMER: {
    message:
      'The app did not read its media fast enough and the send buffer filled up; the stream was dropped (D11).',
    category: 'connectivity',
    wsCloseCode: 1008,
  },
} as const satisfies CatalogSection;

/** A code of the stream area. */
export type StreamErrorCode = keyof typeof streamCodes;
