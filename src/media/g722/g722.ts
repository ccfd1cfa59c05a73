/**
 * ITU-T G.722 at 64 kbit/s (mode 1): 16 kHz int16 audio ↔ one octet per two samples.
 * https://www.itu.int/rec/T-REC-G.722
 *
 * Written from the Recommendation's block description:
 * - A 24-tap quadrature mirror filter (QMF) splits each pair of input samples into a low sub-band
 *   sample (0–4 kHz) and a high one (4–8 kHz), both at 8 kHz; the receive QMF recombines them.
 * - Each sub-band is an ADPCM coder: a backward-adaptive predictor (two poles, six zeros, sign-sign
 *   coefficient updates) and a quantiser whose scale factor adapts in the log domain. The low band
 *   quantises the prediction error to 6 bits (the decoder reconstructs with the 6-bit table, the
 *   predictor and adaptation only ever see its top 4 bits), the high band to 2 bits.
 * - Octet = high-band code (2 bits) << 6 | low-band code (6 bits), the standard's bit order, which is
 *   also RTP's (RFC 3551 §4.5.2: octets in order, one per sample pair).
 *
 * Arithmetic is the standard's fixed point (int16 saturation, arithmetic right shifts), so the output
 * is bit-exact with other conforming implementations; the tests hold it to spandsp's (the library
 * behind baresip's g722 module): identical octets, identical audio except where spandsp lets an
 * over-range receive-QMF output wrap around in int16 (here it is limited to full scale). Group delay of encode→decode: 22 samples at 16 kHz (1.375 ms), the
 * two QMF halves.
 *
 * Zero allocation per call: the caller owns input and output buffers; each encoder/decoder keeps its
 * state in small typed arrays (g722-band.ts). The frame loops (g722-encode.ts, g722-decode.ts) hold
 * all of it in locals for the whole frame, with the predictors written out in place and the QMF
 * unrolled, so V8 keeps it in registers (figures: docs/benchmarks/g722.md).
 */
import { HIGH_INITIAL_DET, LOW_INITIAL_DET, newBand, resetBand } from './g722-band.js';
import { decodeFrames, type DecoderState } from './g722-decode.js';
import { encodeFrames, type EncoderState } from './g722-encode.js';

/** 16 kHz samples per 20 ms frame. */
export const G722_FRAME_SAMPLES = 320;
/** G.722 octets per 20 ms frame at 64 kbit/s. */
export const G722_FRAME_BYTES = 160;
/** RTP timestamp units per 20 ms frame (RFC 3551: the clock is 8000 Hz although the audio is 16 kHz). */
export const G722_RTP_TIMESTAMP_STEP = 160;
/** Group delay of encode→decode through the two QMF halves, in 16 kHz samples. */
export const G722_CODEC_DELAY_SAMPLES = 22;

/** QMF pairs in the filter window (24 taps). */
const QMF_PAIRS = 12;

/** Checks that `pcmLength` 16 kHz samples map onto `codeLength` octets. */
function checkLengths(who: string, pcmLength: number, codeLength: number): void {
  if (pcmLength !== 2 * codeLength) {
    throw new TypeError(
      `${who}: ${pcmLength} samples need ${pcmLength / 2} octets, got a buffer of ${codeLength}`,
    );
  }
}

/** A G.722 encoder (one per stream direction: it keeps state between frames). */
export class G722Encoder {
  readonly #st: EncoderState = {
    low: newBand(LOW_INITIAL_DET),
    high: newBand(HIGH_INITIAL_DET),
    newer: new Int32Array(2 * QMF_PAIRS),
    older: new Int32Array(2 * QMF_PAIRS),
    pos: 0,
  };

  /** Encodes `pcm` (16 kHz, even length) into `out` (`pcm.length / 2` octets). */
  encode(pcm: Int16Array, out: Uint8Array): void {
    checkLengths('G722Encoder.encode', pcm.length, out.length);
    encodeFrames(this.#st, pcm, out);
  }

  reset(): void {
    const st = this.#st;
    resetBand(st.low, LOW_INITIAL_DET);
    resetBand(st.high, HIGH_INITIAL_DET);
    st.newer.fill(0);
    st.older.fill(0);
    st.pos = 0;
  }
}

/** A G.722 decoder (one per stream direction). */
export class G722Decoder {
  readonly #st: DecoderState = {
    low: newBand(LOW_INITIAL_DET),
    high: newBand(HIGH_INITIAL_DET),
    diff: new Int32Array(2 * QMF_PAIRS),
    sum: new Int32Array(2 * QMF_PAIRS),
    pos: 0,
  };

  /** Decodes `codes` into `out` (16 kHz, `2 · codes.length` samples). */
  decode(codes: Uint8Array, out: Int16Array): void {
    checkLengths('G722Decoder.decode', out.length, codes.length);
    decodeFrames(this.#st, codes, out);
  }

  reset(): void {
    const st = this.#st;
    resetBand(st.low, LOW_INITIAL_DET);
    resetBand(st.high, HIGH_INITIAL_DET);
    st.diff.fill(0);
    st.sum.fill(0);
    st.pos = 0;
  }
}
