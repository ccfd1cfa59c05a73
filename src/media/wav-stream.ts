/**
 * A streaming PCM16 WAVE writer, sans-I/O: the 44-byte header (written first with the sizes a reader
 * can already trust, and rewritten with the final sizes when the recording ends) and the interleaving
 * of one frame per channel into little-endian bytes. Layout as in `wav.ts`.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices are in bounds by loop construction. */

/** Bytes of the canonical header before the samples. */
export const WAV_HEADER_BYTES = 44;

/** The largest data size a RIFF file can declare (its 32-bit size field less the header). */
export const WAV_MAX_DATA_BYTES = 0xffff_ffff - 36;

/** A canonical PCM16 header for `dataBytes` of interleaved samples. */
export function wavHeader(channels: 1 | 2, sampleRateHz: number, dataBytes: number): Uint8Array {
  const bytes = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  const tag = (at: number, s: string): void => {
    for (let i = 0; i < 4; i++) {
      bytes[at + i] = s.charCodeAt(i);
    }
  };
  const data = Math.min(dataBytes, WAV_MAX_DATA_BYTES);
  tag(0, 'RIFF');
  view.setUint32(4, 36 + data, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2 * channels, true);
  view.setUint16(32, 2 * channels, true);
  view.setUint16(34, 16, true);
  tag(36, 'data');
  view.setUint32(40, data, true);
  return bytes;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Writes one frame into `out` at sample index `at` (counted in int16 samples of the interleaved
 * stream): stereo puts `left` and `right` side by side; mono writes their sum, clipped. `left` or
 * `right` undefined stands for silence. `out` is little-endian int16 (an Int16Array over the chunk's
 * bytes on a little-endian machine, which every supported Node platform is; see `LITTLE_ENDIAN`).
 */
export function interleaveFrame(
  out: Int16Array,
  at: number,
  channels: 1 | 2,
  left: Int16Array | undefined,
  right: Int16Array | undefined,
  samples: number,
): void {
  if (channels === 2) {
    for (let i = 0; i < samples; i++) {
      out[at + 2 * i] = left === undefined ? 0 : left[i]!;
      out[at + 2 * i + 1] = right === undefined ? 0 : right[i]!;
    }
    return;
  }
  if (left === undefined || right === undefined) {
    const only = left ?? right;
    if (only === undefined) {
      out.fill(0, at, at + samples);
    } else {
      out.set(only.subarray(0, samples), at);
    }
    return;
  }
  for (let i = 0; i < samples; i++) {
    const v = left[i]! + right[i]!;
    out[at + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}

/** The bytes of `samples`, little-endian whatever the platform (a copy only on a big-endian one). */
export function int16Bytes(samples: Int16Array): Uint8Array {
  if (LITTLE_ENDIAN) {
    return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  }
  const bytes = new Uint8Array(samples.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) {
    view.setInt16(2 * i, samples[i]!, true);
  }
  return bytes;
}
