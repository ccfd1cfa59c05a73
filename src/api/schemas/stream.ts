/**
 * Stream resource schemas (compatibility §8). Field names and wording follow Plivo's Stream API docs.
 */
import { Type, type Static } from 'typebox';

import { ApiErrorBody, ListMeta, expecting, httpMethodParam, nullableString } from './common.js';

/** Largest `extra_headers`, in bytes (compatibility §2.2). */
export const MAX_EXTRA_HEADERS_BYTES = 512;

export const StreamStartBody = Type.Object(
  {
    service_url: expecting(
      Type.String({ description: 'ws:// or wss:// URL the audio is streamed to. Required.' }),
      'a ws:// or wss:// URL',
    ),
    bidirectional: Type.Optional(
      expecting(
        Type.Boolean({
          description:
            'Let the app send audio back (playAudio). JSON boolean or "true"/"false". Default false.',
        }),
        'true or false',
      ),
    ),
    audio_track: Type.Optional(
      expecting(
        Type.Enum(['inbound', 'outbound', 'both'], {
          description:
            'Which side of the call is streamed. Default inbound; must be inbound when bidirectional.',
        }),
        'inbound, outbound or both',
      ),
    ),
    stream_timeout: Type.Optional(
      expecting(
        Type.Integer({
          minimum: 1,
          description: 'Seconds of streaming after which the stream stops. Default 86400.',
        }),
        'a positive integer (seconds)',
      ),
    ),
    resume_timeout: Type.Optional(
      expecting(
        Type.Integer({
          minimum: 0,
          maximum: 300,
          description:
            'streamfork extension (not Plivo): seconds to reconnect and resume the stream after its WebSocket drops without a normal close. Default 0: the stream ends.',
        }),
        'an integer from 0 to 300 (seconds)',
      ),
    ),
    playback_extras: Type.Optional(
      expecting(
        Type.Boolean({
          description:
            'streamfork extension (not Plivo): 24 kHz L16 playAudio (resampled), cleared checkpoints named on clearedAudio, playedMs/queuedMs on playedStream and clearedAudio. JSON boolean or "true"/"false". Default false: Plivo\'s messages exactly.',
        }),
        'true or false',
      ),
    ),
    noise_cancellation: Type.Optional(
      expecting(
        Type.Boolean({
          description:
            'Noise reduction (RNNoise) of the caller\'s audio sent on this stream, as <Stream noiseCancellation>. JSON boolean or "true"/"false". Default false.',
        }),
        'true or false',
      ),
    ),
    noise_cancellation_level: Type.Optional(
      expecting(
        Type.Integer({
          minimum: 60,
          maximum: 100,
          description:
            'Strength of the noise reduction, as <Stream noiseCancellationLevel>: the percentage of denoised signal in what is sent (the rest is the original). Default 85; only used with noise_cancellation.',
        }),
        'an integer from 60 to 100',
      ),
    ),
    status_callback_url: Type.Optional(
      expecting(
        Type.String({ description: 'http(s) URL notified of stream events; "" for none.' }),
        'an http:// or https:// URL',
      ),
    ),
    status_callback_method: Type.Optional(httpMethodParam('Method for status_callback_url. Default POST.')),
    content_type: Type.Optional(
      expecting(
        Type.String({
          description:
            'audio/x-l16;rate=8000 (default), audio/x-l16;rate=16000 or audio/x-mulaw;rate=8000 (spaces around ; ignored).',
        }),
        'audio/x-l16;rate=8000, audio/x-l16;rate=16000 or audio/x-mulaw;rate=8000',
      ),
    ),
    extra_headers: Type.Optional(
      expecting(
        Type.String({
          description: `key=value pairs joined by ",", at most ${MAX_EXTRA_HEADERS_BYTES} bytes.`,
        }),
        `key=value pairs of at most ${MAX_EXTRA_HEADERS_BYTES} bytes`,
      ),
    ),
  },
  { description: 'Stream start parameters (JSON or form). Unknown parameters such as cx_bot are ignored.' },
);
export type StreamStartBody = Static<typeof StreamStartBody>;

export const StreamStarted = Type.Object(
  {
    api_id: Type.String(),
    message: Type.Literal('audio streaming started'),
    stream_id: Type.String({ description: 'v4 UUID of the new stream.' }),
  },
  { description: 'Stream started; audio flows once the WebSocket connects.' },
);

const streamObjectProperties = {
  audio_track: Type.String(),
  bidirectional: Type.Boolean(),
  bill_duration: Type.Integer({ description: 'Seconds streamed.' }),
  billed_amount: Type.String(),
  call_uuid: Type.String(),
  created_at: Type.String({ description: 'UTC, YYYY-MM-DD HH:MM:SS.ffffff+00:00.' }),
  end_time: nullableString('UTC end time, or null while the stream is live.'),
  plivo_auth_id: Type.String(),
  resource_uri: Type.String(),
  rounded_bill_duration: Type.Integer(),
  service_url: Type.String(),
  start_time: nullableString('UTC start time, or null before the WebSocket connected.'),
  status: Type.String({ description: 'initiated, in-progress, completed or failed.' }),
  status_callback_url: Type.String(),
  stream_id: Type.String(),
};

/** The Stream object (compatibility §8) as a list item: no `api_id`. */
export const StreamObject = Type.Object(streamObjectProperties, { description: 'The Stream object.' });

/** The Stream object as GET one answers it: with `api_id`. */
export const StreamDetail = Type.Object(
  { api_id: Type.String(), ...streamObjectProperties },
  { description: 'The Stream object plus api_id.' },
);

export const StreamList = Type.Object(
  { api_id: Type.String(), meta: ListMeta, objects: Type.Array(StreamObject) },
  { description: "The call's streams, oldest first." },
);

/** The 400 of stop-one for a stream that has ended (compatibility §8). */
export const NO_ACTIVE_STREAM = 'No active stream found';

export { ApiErrorBody };
