/**
 * Minimal RIFF/WAVE reader for the legacy `playAudio` contentType `wav` (compatibility §5.1): finds the `fmt `
 * and `data` chunks and reports the audio format, so the caller can check it against the stream's.
 * Layout (little-endian): "RIFF" size "WAVE", then chunks of id(4) size(4) body, padded to even length.
 */

/** The format of a WAV file's audio, and a view of its samples. */
export interface WavAudio {
  /** 1 = PCM, 7 = mu-law, 6 = A-law, 3 = float… (WAVE_FORMAT_EXTENSIBLE resolved to its sub-format). */
  readonly formatTag: number;
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly bitsPerSample: number;
  /** The `data` chunk (clamped to the bytes present), a view into the input. */
  readonly data: Uint8Array;
}

const EXTENSIBLE = 0xfffe;

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

/** Reads the header of a WAV file; returns a one-line reason when it is not a readable one. */
export function readWav(bytes: Uint8Array): WavAudio | string {
  if (bytes.length < 12 || fourcc(bytes, 0) !== 'RIFF' || fourcc(bytes, 8) !== 'WAVE') {
    return 'payload does not start with a RIFF/WAVE header';
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: Omit<WavAudio, 'data'> | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = fourcc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) {
        return 'WAV fmt chunk is truncated';
      }
      let formatTag = view.getUint16(body, true);
      if (formatTag === EXTENSIBLE && size >= 40 && body + 26 <= bytes.length) {
        formatTag = view.getUint16(body + 24, true);
      }
      fmt = {
        formatTag,
        channels: view.getUint16(body + 2, true),
        sampleRateHz: view.getUint32(body + 4, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (fmt === undefined) {
        return 'WAV data chunk comes before the fmt chunk';
      }
      // Streamed WAVs write 0xFFFFFFFF (or a size larger than what follows): take what is there.
      const end = Math.min(bytes.length, body + size);
      return { ...fmt, data: bytes.subarray(body, end) };
    }
    at = body + size + (size & 1);
  }
  return fmt === undefined ? 'WAV has no fmt chunk' : 'WAV has no data chunk';
}
