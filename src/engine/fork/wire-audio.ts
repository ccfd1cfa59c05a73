/**
 * Converts call audio (8 kHz int16, 20 ms = 160 samples; a wideband leg's 16 kHz frame where a stream
 * wants 16 kHz) to and from a stream's wire format
 * (`audio/x-mulaw;rate=8000`, `audio/x-l16;rate=8000`, `audio/x-l16;rate=16000`). One instance per
 * direction and track, because the 16 kHz resamplers keep state; every buffer is allocated once.
 */
import { mulawDecode, mulawEncode } from '../../media/codecs/g711.js';
import { l16Decode, l16Encode } from '../../media/codecs/l16.js';
import { Downsampler2x, Upsampler2x } from '../../media/resample/half-band.js';
import type { MediaFormat } from '../../protocol/stream-ws/formats.js';
import { FRAME_SAMPLES } from '../call/media-leg.types.js';

/**
 * Whether int16 typed arrays on this host are little-endian, as Plivo's L16 is (D6). Then L16 wire
 * bytes and call audio share one layout, and a frame converts with a byte copy instead of a loop.
 */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Whether `format` is L16 in this host's byte order, so frames convert by byte copy. */
function isNativeL16(format: MediaFormat, littleEndian: boolean): boolean {
  return format.encoding === 'audio/x-l16' && littleEndian === HOST_LITTLE_ENDIAN;
}

/** The bytes of `pcm`, as a view on the same memory. */
function bytesOf(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** Call audio → wire bytes (what `media` messages carry). */
export class WireEncoder {
  readonly #format: MediaFormat;
  readonly #littleEndian: boolean;
  readonly #out: Uint8Array;
  readonly #up: Upsampler2x | undefined;
  readonly #wide: Int16Array | undefined;

  /** L16 in host byte order: `#out` and `#wide` are one buffer, so the upsampler writes the wire bytes. */
  readonly #native: boolean;

  constructor(format: MediaFormat, littleEndian: boolean) {
    this.#format = format;
    this.#littleEndian = littleEndian;
    this.#native = isNativeL16(format, littleEndian);
    if (format.sampleRateHz === 16000) {
      this.#up = new Upsampler2x();
      this.#wide = new Int16Array(FRAME_SAMPLES * 2);
    }
    this.#out =
      this.#native && this.#wide !== undefined ? bytesOf(this.#wide) : new Uint8Array(format.frameBytes);
  }

  /**
   * Encodes one 160-sample frame; the returned view is reused by the next call. `wide`, when given, is
   * the same 20 ms at 16 kHz (320 samples, from a wideband leg): a 16 kHz format takes it as it is
   * (real wideband audio), the 8 kHz formats ignore it. A track gets `wide` on every frame or never
   * (the leg's codec is fixed), so the upsampler's history never mixes the two.
   */
  encode(pcm: Int16Array, wide?: Int16Array): Uint8Array {
    if (this.#format.encoding === 'audio/x-mulaw') {
      mulawEncode(pcm, this.#out);
    } else if (this.#up !== undefined && this.#wide !== undefined) {
      if (wide?.length === this.#wide.length) {
        this.#wide.set(wide);
      } else {
        this.#up.process(pcm, this.#wide);
      }
      if (!this.#native) {
        l16Encode(this.#wide, this.#out, this.#littleEndian);
      }
    } else {
      l16Encode(pcm, this.#out, this.#littleEndian);
    }
    return this.#out;
  }
}

/** Wire bytes (one 20 ms frame from the playout queue) → call audio. */
export class WireDecoder {
  readonly #format: MediaFormat;
  readonly #littleEndian: boolean;
  readonly #down: Downsampler2x | undefined;
  readonly #wide: Int16Array | undefined;
  /** L16 in host byte order: frames are byte-copied into `#wideBytes` (the bytes of `#wide`). */
  readonly #native: boolean;
  readonly #wideBytes: Uint8Array | undefined;

  constructor(format: MediaFormat, littleEndian: boolean) {
    this.#format = format;
    this.#littleEndian = littleEndian;
    this.#native = isNativeL16(format, littleEndian);
    if (format.sampleRateHz === 16000) {
      this.#down = new Downsampler2x();
      this.#wide = new Int16Array(FRAME_SAMPLES * 2);
      this.#wideBytes = bytesOf(this.#wide);
    }
  }

  /** Decodes one frame of `format.frameBytes` into `out` (160 samples). */
  decode(frame: Uint8Array, out: Int16Array): void {
    if (this.#format.encoding === 'audio/x-mulaw') {
      mulawDecode(frame, out);
    } else if (this.#down !== undefined && this.#wide !== undefined && this.#wideBytes !== undefined) {
      if (this.#native && frame.length === this.#wideBytes.length) {
        this.#wideBytes.set(frame);
      } else {
        l16Decode(frame, this.#wide, this.#littleEndian);
      }
      this.#down.process(this.#wide, out);
    } else {
      l16Decode(frame, out, this.#littleEndian);
    }
  }

  /** A 16 kHz format's last decoded frame before its downsampling (320 samples, reused), else undefined. */
  get wide(): Int16Array | undefined {
    return this.#wide;
  }

  /** Forgets filter history, so audio from before a `clearAudio` cannot leak into what follows. */
  reset(): void {
    this.#down?.reset();
  }
}
