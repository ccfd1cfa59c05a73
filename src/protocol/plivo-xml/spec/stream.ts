import { MAX_DURATION_SEC, type AttributeValues, type ElementSpec, type RuleIssue } from './types.js';

/** The three media formats a stream can carry, wire spelling (compatibility §2.2). */
export const STREAM_CONTENT_TYPES = [
  'audio/x-l16;rate=8000',
  'audio/x-l16;rate=16000',
  'audio/x-mulaw;rate=8000',
] as const;

/** Largest `extraHeaders` value, in UTF-8 bytes (compatibility §2.5). */
export const EXTRA_HEADERS_MAX_BYTES = 512;

function streamRules(values: AttributeValues): readonly RuleIssue[] {
  const issues: RuleIssue[] = [];
  const track = values.get('audioTrack');
  if (values.get('bidirectional') === true && typeof track === 'string' && track !== 'inbound') {
    issues.push({
      severity: 'error',
      code: 'ERR_XML_STREAM_BIDIRECTIONAL_TRACK',
      attribute: 'audioTrack',
      detail: `bidirectional="true" needs audioTrack="inbound", not "${track}"`,
    });
  }
  // Reported only when noiseCancellationLevel is written (rule warnings apply to given attributes).
  if (values.get('noiseCancellation') !== true) {
    issues.push({
      severity: 'warning',
      code: 'ERR_XML_ATTRIBUTE_IGNORED',
      attribute: 'noiseCancellationLevel',
      detail: 'noiseCancellationLevel only applies with noiseCancellation="true"',
    });
  }
  return issues;
}

/**
 * `<Stream>`: forks the call's audio to a WebSocket server (compatibility §2).
 * https://www.plivo.com/docs/voice/xml/audio-streaming
 */
export const streamSpec = {
  name: 'Stream',
  doc:
    'Opens a WebSocket to the URL given as the element text and sends the call audio to it; with ' +
    'bidirectional="true" the server may also play audio back (compatibility §2, decisions D3, D9, D16).',
  body: {
    field: 'url',
    required: true,
    value: {
      type: 'url',
      schemes: ['ws', 'wss'],
      doc: 'The WebSocket URL, as the element text; surrounding whitespace is ignored; write `&` as `&amp;`.',
    },
  },
  attributes: {
    bidirectional: {
      type: 'boolean',
      default: false,
      doc: 'Lets the WebSocket server send audio back into the call (playAudio); needs audioTrack="inbound".',
    },
    audioTrack: {
      type: 'enum',
      values: ['inbound', 'outbound', 'both'],
      default: 'inbound',
      doc: 'Which direction is streamed: what the caller says (inbound), what the caller hears (outbound), or both.',
    },
    streamTimeout: {
      type: 'integer',
      default: 86400,
      min: 1,
      max: MAX_DURATION_SEC,
      unit: 'seconds',
      field: 'streamTimeoutSec',
      doc: 'The stream stops this long after it starts; the rest of the call is not affected.',
    },
    statusCallbackUrl: {
      type: 'url',
      schemes: ['http', 'https'],
      doc: 'Receives the stream lifecycle events (StartStream, StopStream, DroppedStream, ...).',
    },
    statusCallbackMethod: {
      type: 'enum',
      values: ['GET', 'POST'],
      default: 'POST',
      caseInsensitive: true,
      doc: 'HTTP method used for statusCallbackUrl.',
    },
    contentType: {
      type: 'enum',
      values: STREAM_CONTENT_TYPES,
      default: 'audio/x-l16;rate=8000',
      compactSemicolons: true,
      legacyAliases: { raw: 'audio/x-l16;rate=8000' },
      doc: 'Codec and sample rate of the audio, both directions (D1); the legacy "raw" means L16 at 8 kHz (D16).',
    },
    extraHeaders: {
      type: 'string',
      maxBytes: EXTRA_HEADERS_MAX_BYTES,
      doc: 'Comma-separated key=value pairs handed to the WebSocket server in extra_headers (D4).',
    },
    keepCallAlive: {
      type: 'boolean',
      default: false,
      doc: 'When true, the elements after this one wait until the stream has ended (D3).',
    },
    resumeTimeout: {
      type: 'integer',
      default: 0,
      min: 0,
      max: 300,
      unit: 'seconds',
      field: 'resumeTimeoutSec',
      doc:
        'streamfork extension (not Plivo): when the WebSocket drops without a normal close, reconnect for up to this long, ' +
        'holding the audio meanwhile, and resume the same stream (its start says "resumed": true). 0 (default): the stream ends, as on Plivo.',
    },
    playbackExtras: {
      type: 'boolean',
      default: false,
      doc:
        'streamfork extension (not Plivo): playAudio may also be 24 kHz L16 (audio/x-l16;rate=24000, resampled), clearedAudio names the cleared checkpoints, ' +
        "and playedStream/clearedAudio carry playedMs and queuedMs (docs/playback-extras.md). false (default): the messages are exactly Plivo's.",
    },
    noiseCancellation: {
      type: 'boolean',
      default: false,
      doc:
        "Removes background noise from the caller's audio sent on this stream (RNNoise, run at 48 kHz; adds 13.5 ms of delay at 8 kHz, " +
        '12.6 ms at 16 kHz). Only the inbound track of this stream: not what the caller hears, not other streams. Newest Plivo attribute; no SDK sends it.',
    },
    noiseCancellationLevel: {
      type: 'integer',
      default: 85,
      min: 60,
      max: 100,
      doc:
        'Strength of the noise reduction, only used with noiseCancellation="true": the percentage of denoised signal in what is sent, ' +
        'the rest being the original, so the noise drops by at most 8 dB at 60, 16.5 dB at 85 and 26 dB at 95; at 100, RNNoise alone.',
    },
  },
  children: [],
  rules: streamRules,
} as const satisfies ElementSpec;
