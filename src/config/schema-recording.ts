/**
 * The `recording` section of the configuration schema (issue 14 item 3: call recording). Same
 * conventions as schema.ts, which assembles it.
 */
import { Type } from 'typebox';

const Recording = Type.Object(
  {
    directory: Type.String({
      default: '',
      description:
        'Directory holding the recordings (one `<recording_id>.wav` each; created if missing). Empty: `recordings` under storage.dataDir.',
    }),
    publicUrl: Type.String({
      default: '',
      description:
        'Base URL of the REST API as clients reach it, for `recording_url` and `RecordUrl` (e.g. `https://voice.example.com`). Empty: the API’s own listening address.',
    }),
    maxBufferedKb: Type.Integer({
      minimum: 64,
      maximum: 1048576,
      default: 1024,
      description:
        'Most audio a recording may hold in memory waiting for the disk; past it the recording fails (the call goes on). 1024 KiB is 33 s of stereo.',
    }),
  },
  { additionalProperties: false },
);

export const RecordingSection = Type.Object(Recording.properties, {
  additionalProperties: false,
  default: {},
  description: 'Call recording (REST Record, <Record>): where the files go and how they are linked.',
});
