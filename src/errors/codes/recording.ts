import type { CatalogSection } from '../catalog.types.js';

/** Error codes of call recording (issue 14 item 3): the recorder's, and the Recording resource's REST answers. */
export const recordingCodes = {
  ERR_RECORDING_FAILED: {
    message:
      'A recording could not be written (a full disk, a write error, or the disk fell behind by more than the buffer): the recording is marked failed with the reason, and the call goes on.',
    category: 'server',
  },
  ERR_API_RECORDING_NOT_FOUND: {
    message: 'No recording with this recording_id exists (or its file has been deleted).',
    category: 'not_found',
    httpStatus: 404,
  },
  ERR_API_CALL_NOT_LIVE: {
    message: 'The call exists but has ended: only a call in progress can be recorded.',
    category: 'conflict',
    httpStatus: 409,
  },
  ERR_API_RECORDING_REFUSED: {
    message:
      'The recording could not be started (its file could not be created, or the call ended meanwhile).',
    category: 'server',
    httpStatus: 500,
  },
} as const satisfies CatalogSection;
