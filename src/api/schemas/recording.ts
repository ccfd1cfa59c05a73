/**
 * Record API and Recording resource schemas (issue 14 item 3). Parameter names follow Plivo's Record
 * API and Recording docs; the fields after `resource_uri` in a Recording object are streamfork's own.
 */
import { Type } from 'typebox';

import { ListMeta, PageQuery, expecting, httpMethodParam } from './common.js';

export const RecordStartBody = Type.Object(
  {
    time_limit: Type.Optional(
      expecting(
        Type.Integer({
          minimum: 1,
          maximum: 86400,
          description: 'Seconds after which the recording stops. Default 60.',
        }),
        'an integer from 1 to 86400 (seconds)',
      ),
    ),
    file_format: Type.Optional(
      expecting(
        Type.String({
          description:
            'wav (PCM16, 8 kHz). mp3 is refused: no maintained MP3 encoder ships with streamfork. Default wav.',
        }),
        'wav',
      ),
    ),
    channel: Type.Optional(
      expecting(
        Type.Enum(['mono', 'stereo'], {
          description:
            'mono (default): both sides mixed; stereo: the caller on the left channel, what the caller heard (the bot, prompts, a bridged party) on the right.',
        }),
        'mono or stereo',
      ),
    ),
    callback_url: Type.Optional(
      expecting(
        Type.String({ description: 'http(s) URL told when the recording ends (RecordUrl, RecordingID, …).' }),
        'an http:// or https:// URL',
      ),
    ),
    callback_method: Type.Optional(httpMethodParam('Method for callback_url. Default POST.')),
  },
  { description: 'Record parameters (JSON or form). Transcription parameters are ignored.' },
);

export const RecordStarted = Type.Object({
  api_id: Type.String(),
  message: Type.String({ description: '"call recording started"' }),
  recording_id: Type.String(),
  url: Type.String({ description: 'Where the audio will be served (authenticated), once completed.' }),
});

export const RecordingObject = Type.Object({
  add_time: Type.String({ description: 'When recording began, YYYY-MM-DD HH:MM:SS+00:00.' }),
  call_uuid: Type.String(),
  conference_name: Type.Null(),
  from_number: Type.Union([Type.String(), Type.Null()]),
  to_number: Type.Union([Type.String(), Type.Null()]),
  recording_duration_ms: Type.Number(),
  recording_start_ms: Type.Number(),
  recording_end_ms: Type.Union([Type.Number(), Type.Null()]),
  recording_format: Type.String(),
  recording_id: Type.String(),
  recording_url: Type.String({ description: 'The audio, served with the account credentials.' }),
  rounded_recording_duration: Type.Integer({ description: 'Seconds, rounded up to the minute.' }),
  resource_uri: Type.String(),
  recording_state: Type.String({ description: 'streamfork: recording, completed or failed.' }),
  failure_reason: Type.Union([Type.String(), Type.Null()], { description: 'streamfork: why it failed.' }),
  recording_channels: Type.Integer({ description: 'streamfork: 1 (mono) or 2 (stereo).' }),
  recording_source: Type.String({
    description: 'streamfork: api, xml (<Record>) or session (recordSession).',
  }),
  file_size: Type.Union([Type.Integer(), Type.Null()], { description: 'streamfork: bytes of the file.' }),
});

export const RecordingDetail = Type.Object({ api_id: Type.String(), ...RecordingObject.properties });

export const RecordingList = Type.Object({
  api_id: Type.String(),
  meta: ListMeta,
  objects: Type.Array(RecordingObject),
});

const timeFilter = (description: string) =>
  Type.Optional(
    expecting(
      Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?$', description }),
      'a UTC time YYYY-MM-DD HH:MM[:SS[.ffffff]]',
    ),
  );

export const RecordingListQuery = Type.Object({
  ...PageQuery,
  call_uuid: Type.Optional(Type.String({ description: 'Only this call’s recordings.' })),
  add_time: timeFilter('Recordings begun at this UTC time (to its precision).'),
  add_time__gt: timeFilter('Begun after this UTC time.'),
  add_time__gte: timeFilter('Begun at or after this UTC time.'),
  add_time__lt: timeFilter('Begun before this UTC time.'),
  add_time__lte: timeFilter('Begun at or before this UTC time.'),
});

export const RecordingParams = Type.Object({
  auth_id: Type.String(),
  recording_id: Type.String({ description: 'The recording ID.' }),
});

/** Parses a Plivo filter time (UTC) to epoch ms, with the length of its precision (a minute, a second, …). */
export function parseFilterTime(text: string): { ms: number; unitMs: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/.exec(text);
  if (m === null) {
    return { ms: Number.NaN, unitMs: 0 };
  }
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s ?? 0),
    frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000),
  );
  const unitMs = s === undefined ? 60_000 : frac === undefined ? 1000 : 1;
  return { ms, unitMs };
}
