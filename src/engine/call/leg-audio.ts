/**
 * The RTP leg's codec: RTP payload ↔ the frames the leg hands over and sends. Narrowband codecs (G.711)
 * work on the call's 8 kHz frame directly. G.722 decodes into a 16 kHz frame (what wideband streams
 * get, unresampled) and derives the 8 kHz frame from it with the half-band downsampler (what the
 * narrowband streams get). What the caller hears comes mixed at 16 kHz from the call (`encodeWide`),
 * or at 8 kHz, upsampled 2× before encoding.
 * Every buffer is allocated once per leg; docs/codecs.md has the design.
 */
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../media/codecs/g711.js';
import { G722Decoder, G722Encoder } from '../../media/g722/g722.js';
import { Downsampler2x, Upsampler2x } from '../../media/resample/half-band.js';
import { FRAME_SAMPLES, WIDE_FRAME_SAMPLES } from './media-leg.types.js';

/** The codecs an RTP leg speaks. */
export type LegCodec = 'PCMU' | 'PCMA' | 'G722';

/** Static payload types (RFC 3551 Table 4). */
export const STATIC_PAYLOAD_TYPE: Readonly<Record<LegCodec, number>> = { PCMU: 0, PCMA: 8, G722: 9 };

export interface LegAudio {
  /**
   * Where a frame is decoded or concealed: the 8 kHz frame for G.711, the 16 kHz one for G.722. The
   * leg writes concealment here, then calls `finish()`.
   */
  readonly frame: Int16Array;
  /** The 8 kHz frame the sink gets (the same array as `frame` for G.711). */
  readonly narrow: Int16Array;
  /** The 16 kHz frame the sink gets from a wideband codec, else undefined. */
  readonly wide: Int16Array | undefined;
  /** Decodes one 20 ms payload into `frame` (a short payload leaves the rest silent). */
  decode(payload: Uint8Array): void;
  /** Derives `narrow` from `frame` after a decode or concealment (nothing to do for G.711). */
  finish(): void;
  /** Encodes 160 samples of 8 kHz call audio into one 20 ms payload (`out`, 160 bytes). */
  encode(pcm: Int16Array, out: Uint8Array): void;
  /**
   * A wideband codec's encoder of 320 samples at 16 kHz into one payload, else undefined. A leg uses
   * one of `encode` and `encodeWide` for its whole life (the upsampler keeps history).
   */
  readonly encodeWide: ((wide: Int16Array, out: Uint8Array) => void) | undefined;
}

class G711Audio implements LegAudio {
  readonly frame = new Int16Array(FRAME_SAMPLES);
  readonly narrow = this.frame;
  readonly wide = undefined;
  readonly encodeWide = undefined;
  readonly #decode: (bytes: Uint8Array, out: Int16Array) => void;
  readonly encode: (pcm: Int16Array, out: Uint8Array) => void;

  constructor(codec: 'PCMU' | 'PCMA') {
    this.#decode = codec === 'PCMU' ? mulawDecode : alawDecode;
    this.encode = codec === 'PCMU' ? mulawEncode : alawEncode;
  }

  decode(payload: Uint8Array): void {
    if (payload.length < FRAME_SAMPLES) {
      this.frame.fill(0);
    }
    this.#decode(payload.length > FRAME_SAMPLES ? payload.subarray(0, FRAME_SAMPLES) : payload, this.frame);
  }

  finish(): void {
    // The decoded frame is the call's frame.
  }
}

class G722Audio implements LegAudio {
  readonly frame = new Int16Array(WIDE_FRAME_SAMPLES);
  readonly narrow = new Int16Array(FRAME_SAMPLES);
  readonly wide = this.frame;
  readonly #decoder = new G722Decoder();
  readonly #encoder = new G722Encoder();
  readonly #down = new Downsampler2x();
  readonly #up = new Upsampler2x();
  readonly #upOut = new Int16Array(WIDE_FRAME_SAMPLES);

  decode(payload: Uint8Array): void {
    // One octet per two 16 kHz samples: 160 octets per 20 ms.
    const n = Math.min(payload.length, FRAME_SAMPLES);
    if (n < FRAME_SAMPLES) {
      this.frame.fill(0);
    }
    this.#decoder.decode(
      n === payload.length ? payload : payload.subarray(0, n),
      n === FRAME_SAMPLES ? this.frame : this.frame.subarray(0, 2 * n),
    );
  }

  finish(): void {
    this.#down.process(this.frame, this.narrow);
  }

  encode(pcm: Int16Array, out: Uint8Array): void {
    this.#up.process(pcm, this.#upOut);
    this.#encoder.encode(this.#upOut, out);
  }

  readonly encodeWide = (wide: Int16Array, out: Uint8Array): void => {
    this.#encoder.encode(wide, out);
  };
}

/** The leg audio of `codec`. */
export function legAudio(codec: LegCodec): LegAudio {
  return codec === 'G722' ? new G722Audio() : new G711Audio(codec);
}
