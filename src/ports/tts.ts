/**
 * Text to speech for `<Speak>` (https://www.plivo.com/docs/voice/xml/speak). Adapters:
 * `adapters/tts-espeak` (the embedded default, espeak-ng run as a child process).
 *
 * Like the HTTP client port, `synthesize` never rejects: failures come back as values with a code,
 * so an element handler can log them, put them on the call's errors and skip the element.
 */

/** Failure codes of the TTS port. */
export const TtsErrorCodes = {
  /** The engine's executable is missing (e.g. espeak-ng not installed). */
  unavailable: 'ERR_TTS_UNAVAILABLE',
  /** The engine ran but failed (unknown voice, crash, timeout, output over the size cap, bad WAV). */
  failed: 'ERR_TTS_FAILED',
} as const;
export type TtsErrorCode = (typeof TtsErrorCodes)[keyof typeof TtsErrorCodes];

export interface TtsRequest {
  /** Plain text (SSML markup already removed by the XML parser). */
  readonly text: string;
  /** Plivo voice: `WOMAN`, `MAN` or `Polly.<Name>`. */
  readonly voice: string;
  /** Language tag, e.g. `en-US`. */
  readonly language: string;
}

export type TtsResult =
  | {
      readonly ok: true;
      /** 8 kHz mono int16 samples. Shared with the cache: never mutate. */
      readonly audio: Int16Array;
      /** True when served from the cache. */
      readonly cached: boolean;
    }
  | { readonly ok: false; readonly code: TtsErrorCode; readonly detail: string };

export interface Tts {
  /** Synthesizes `req`. Never rejects. `signal` only stops waiting; the result may still be cached. */
  synthesize(req: TtsRequest, signal?: AbortSignal): Promise<TtsResult>;
}
