/**
 * Builds every message streamfork sends to the app (compatibility §4, §12.1) as a JSON text frame.
 * Plivo reference: https://www.plivo.com/docs/voice/audio-streaming/audio-streaming ("Stream Event Protocol").
 *
 * `media` is the hot path (50 messages/s per track per stream): the constant parts of each message are
 * JSON-escaped once per stream and track, and a message is assembled by string concatenation around
 * the sequence number, timestamp, chunk counter and base64 payload. Only the payload is base64-encoded
 * per frame, straight from the caller's bytes without a copy.
 */
import { Buffer } from 'node:buffer';

import type { MediaFormat } from './formats.js';

/** A forked track, as the wire spells it. */
export type Track = 'inbound' | 'outbound';

/** Identity of one stream, fixed for its lifetime. */
export interface StreamMessageWriterOptions {
  /** The call's CallUUID (`start.callId`). */
  readonly callId: string;
  /** The stream's id (`start.streamId` and the top-level `streamId`). */
  readonly streamId: string;
  /** Plivo-style auth id of the account (`start.accountId`). */
  readonly accountId: string;
  /** `extra_headers`, already in wire form (see `extraHeadersWire`). */
  readonly extraHeaders: string;
}

interface TrackPieces {
  /** `,"streamId":…,"media":{"track":"inbound","timestamp":"` */
  readonly afterSeq: string;
  chunk: number;
}

/**
 * Builds the server→app messages of one stream. `sequenceNumber` starts at 1 and grows by one for
 * every message built, across all events, with no gaps; `media.chunk` counts per track from 1. Build a
 * message only when it will be sent, since building consumes a sequence number.
 */
export class StreamMessageWriter {
  readonly #callIdJson: string;
  readonly #streamIdJson: string;
  readonly #accountIdJson: string;
  /** `,"extra_headers":"…"}` */
  readonly #tail: string;
  readonly #inbound: TrackPieces;
  readonly #outbound: TrackPieces;
  #tracksJson = '[]';
  #seq = 0;

  constructor(opts: StreamMessageWriterOptions) {
    this.#callIdJson = JSON.stringify(opts.callId);
    this.#streamIdJson = JSON.stringify(opts.streamId);
    this.#accountIdJson = JSON.stringify(opts.accountId);
    this.#tail = `,"extra_headers":${JSON.stringify(opts.extraHeaders)}}`;
    const afterSeq = (track: Track): string =>
      `,"streamId":${this.#streamIdJson},"media":{"track":"${track}","timestamp":"`;
    this.#inbound = { afterSeq: afterSeq('inbound'), chunk: 0 };
    this.#outbound = { afterSeq: afterSeq('outbound'), chunk: 0 };
  }

  /** The sequence number of the last message built (0 before the first). */
  get lastSequenceNumber(): number {
    return this.#seq;
  }

  /** The next `media.chunk` value of a track (1 before its first media message). */
  nextChunk(track: Track): number {
    return (track === 'inbound' ? this.#inbound : this.#outbound).chunk + 1;
  }

  /** `start` (compatibility §4.1): must be the first message, so its `sequenceNumber` is 1. */
  start(tracks: readonly Track[], format: MediaFormat, resumed = false): string {
    this.#tracksJson = JSON.stringify(tracks);
    return (
      `{"event":"start","sequenceNumber":${++this.#seq},"start":{"callId":${this.#callIdJson},` +
      `"streamId":${this.#streamIdJson},"accountId":${this.#accountIdJson},"tracks":${this.#tracksJson},` +
      `"mediaFormat":{"encoding":"${format.encoding}","sampleRate":${format.sampleRateHz}}` +
      `${resumed ? ',"resumed":true' : ''}}` +
      this.#tail
    );
  }

  /**
   * `media` (compatibility §4.2, D5). `timestampMs` is epoch milliseconds from the media clock; it is sent as a
   * string of the integer part. `payload` is one frame in the negotiated format; it is read, not kept.
   */
  media(track: Track, timestampMs: number, payload: Uint8Array): string {
    const pieces = track === 'inbound' ? this.#inbound : this.#outbound;
    const payloadB64 = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
    return `{"event":"media","sequenceNumber":${++this.#seq}${pieces.afterSeq}${Math.floor(timestampMs)}","chunk":${++pieces.chunk},"payload":"${payloadB64}"}${this.#tail}`;
  }

  /** `dtmf` (compatibility §4.3): one message per key press; `timestampMs` as for `media`. */
  dtmf(track: Track, digit: string, timestampMs: number): string {
    return (
      `{"event":"dtmf","sequenceNumber":${++this.#seq},"streamId":${this.#streamIdJson},` +
      `"dtmf":{"track":"${track}","digit":${JSON.stringify(digit)},"timestamp":"${Math.floor(timestampMs)}"}` +
      this.#tail
    );
  }

  /**
   * `playedStream` (compatibility §4.4, D2): the audio queued before checkpoint `name` has played.
   * `extra` is more fields, `,"k":v…` (the playback extras, playback-extras.ts), or nothing.
   */
  playedStream(name: string, extra = ''): string {
    return `{"event":"playedStream","sequenceNumber":${++this.#seq},"streamId":${this.#streamIdJson},"name":${JSON.stringify(name)}${extra}}`;
  }

  /** `clearedAudio` (compatibility §4.5): the playback queue was emptied by `clearAudio`; `extra` as above. */
  clearedAudio(extra = ''): string {
    return `{"event":"clearedAudio","sequenceNumber":${++this.#seq},"streamId":${this.#streamIdJson}${extra}}`;
  }

  /**
   * `stop` (compatibility §4.6, D7): sent just before closing, only when the server setting enables it. Carries
   * the shape of Plivo's 2024 examples plus the `reason` the Java stream SDK reads.
   */
  stop(reason: string): string {
    return (
      `{"event":"stop","sequenceNumber":${++this.#seq},"streamId":${this.#streamIdJson},` +
      `"stop":{"callId":${this.#callIdJson},"streamId":${this.#streamIdJson},"tracks":${this.#tracksJson},` +
      `"reason":${JSON.stringify(reason)}}}`
    );
  }
}

/**
 * The UTF-8 size of one `media` message of this stream's format for a track, with a 13-digit timestamp
 * and a 7-digit chunk counter: what sizing the D11 send buffer needs. Does not consume a sequence number.
 */
export function mediaMessageBytes(
  opts: StreamMessageWriterOptions,
  format: MediaFormat,
  track: Track = 'inbound',
): number {
  const probe = new StreamMessageWriter(opts);
  const text = probe.media(track, 1_700_000_000_000, new Uint8Array(format.frameBytes));
  // The probe used sequence number 1 and chunk 1; a long-running stream has up to 9 digits more.
  return Buffer.byteLength(text, 'utf8') + 14;
}
