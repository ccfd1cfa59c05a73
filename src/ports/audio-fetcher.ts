/**
 * Audio files for `<Play>` and `invalidDigitsSound` (https://www.plivo.com/docs/voice/xml/play),
 * fetched from a URL and decoded to call-rate PCM. Adapter: `adapters/audio-fetcher` (HTTP through the
 * HttpClient port, WAV via media/wav.ts, MP3 only when ffmpeg is on the PATH, a bounded LRU cache).
 *
 * `fetch` never rejects: failures come back as values with a code.
 */

/** Failure codes of the audio fetcher port. */
export const AudioErrorCodes = {
  /** The URL could not be fetched (connect error, timeout, HTTP status ≥ 400). */
  fetchFailed: 'ERR_PLAY_FETCH_FAILED',
  /** The file is larger than the configured cap. */
  tooLarge: 'ERR_PLAY_TOO_LARGE',
  /** Not a format this server can decode (e.g. MP3 without ffmpeg, or an unsupported WAV encoding). */
  unsupportedFormat: 'ERR_PLAY_UNSUPPORTED_FORMAT',
  /** The file looked like a supported format but could not be decoded. */
  decodeFailed: 'ERR_PLAY_DECODE_FAILED',
} as const;
export type AudioErrorCode = (typeof AudioErrorCodes)[keyof typeof AudioErrorCodes];

export type AudioResult =
  | {
      readonly ok: true;
      /** 8 kHz mono int16 samples. Shared with the cache: never mutate. */
      readonly audio: Int16Array;
      readonly cached: boolean;
    }
  | { readonly ok: false; readonly code: AudioErrorCode; readonly detail: string };

export interface AudioFetcher {
  /** Fetches and decodes the file at `url` (http/https). Never rejects. */
  fetch(url: string, signal?: AbortSignal): Promise<AudioResult>;
}
