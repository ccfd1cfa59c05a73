/**
 * Playback extras of the Plivo dialect (issue 16 item 4; `<Stream playbackExtras="true">`, REST
 * `playback_extras`): a streamfork extension, off by default so that every message stays exactly
 * Plivo's shape for its strict SDK schemas. With it on:
 * - `playAudio` may carry 24 kHz L16 (`audio/x-l16;rate=24000` or `sampleRate` 24000), what TTS engines
 *   emit; it is resampled to the stream's rate (windowed-sinc, streaming-rational.ts) and encoded in the
 *   stream's format, so it works on every stream, μ-law included;
 * - `clearedAudio` names the checkpoints it dropped (`clearedCheckpoints`, oldest first: they will never
 *   get a `playedStream`) and the audio it dropped (`clearedMs`);
 * - `playedStream` and `clearedAudio` say where playback stands: `playedMs` (the app's audio played to
 *   the caller since the stream started) and `queuedMs` (still queued).
 * Extra fields only: an app that ignores unknown fields reads every message as before. One switch for
 * all of them (not one per feature): each is an addition an app either reads or ignores, and an app
 * that opts in is written against this page anyway.
 */
import { mulawEncode } from '../../media/codecs/g711.js';
import { l16Decode, l16Encode } from '../../media/codecs/l16.js';
import { StreamingResampler } from '../../media/resample/streaming-rational.js';
import type { PlaybackProgress } from '../stream-dialect.types.js';
import { TTS_RATE_HZ } from './app-message.js';
import type { MediaFormat } from './formats.js';

/** `,"playedMs":n,"queuedMs":n` (whole ms). */
function progressFields(p: PlaybackProgress): string {
  return `,"playedMs":${Math.round(p.playedMs)},"queuedMs":${Math.round(p.queuedMs)}`;
}

/** The extra fields of a `playedStream`. */
export function playedExtras(progress: PlaybackProgress | undefined): string {
  return progress === undefined ? '' : progressFields(progress);
}

/** The extra fields of a `clearedAudio`: the dropped checkpoints, then the dropped and played audio. */
export function clearedExtras(dropped: readonly string[], progress: PlaybackProgress | undefined): string {
  const names = `,"clearedCheckpoints":${JSON.stringify(dropped)}`;
  if (progress === undefined) {
    return names;
  }
  return `${names},"clearedMs":${Math.round(progress.clearedMs ?? 0)}${progressFields(progress)}`;
}

/** 24 kHz L16 from the app → one stream's wire format, keeping the resampler's history between messages. */
export class TtsAudioConverter {
  readonly #format: MediaFormat;
  readonly #littleEndian: boolean;
  readonly #resampler: StreamingResampler;

  constructor(format: MediaFormat, littleEndian: boolean) {
    this.#format = format;
    this.#littleEndian = littleEndian;
    this.#resampler = new StreamingResampler(TTS_RATE_HZ, format.sampleRateHz);
  }

  /** Converts one payload (whole 16-bit samples in the stream's L16 byte order); a new array. */
  convert(audio: Uint8Array): Uint8Array {
    const pcm = new Int16Array(audio.length / 2);
    l16Decode(audio, pcm, this.#littleEndian);
    const resampled = this.#resampler.process(pcm);
    const out = new Uint8Array(resampled.length * this.#format.bytesPerSample);
    if (this.#format.encoding === 'audio/x-mulaw') {
      mulawEncode(resampled, out);
    } else {
      l16Encode(resampled, out, this.#littleEndian);
    }
    return out;
  }

  /** After a clear: what was held for the cleared audio must not reach the next. */
  reset(): void {
    this.#resampler.reset();
  }
}
