/**
 * Linear 16-bit PCM ("L16") byte packing.
 *
 * RFC 3551 §4.5.11 defines L16 as big-endian (network order), but Plivo's `<Stream>` contract sends and
 * reads little-endian int16 (docs/compatibility.md §3.3, decision D6); callers pass the byte order.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in DSP loops are in
   bounds by loop construction; `!` costs nothing at run time where `?? 0` would add a check per sample. */

/**
 * Writes `pcm` as 2 bytes per sample into `out` (`out.length >= 2 * pcm.length`), little-endian when
 * `littleEndian`, else big-endian (network order). No allocation.
 */
export function l16Encode(pcm: Int16Array, out: Uint8Array, littleEndian: boolean): void {
  const n = pcm.length;
  if (littleEndian) {
    for (let i = 0, j = 0; i < n; i++, j += 2) {
      const s = pcm[i]!;
      out[j] = s & 0xff;
      out[j + 1] = (s >> 8) & 0xff;
    }
  } else {
    for (let i = 0, j = 0; i < n; i++, j += 2) {
      const s = pcm[i]!;
      out[j] = (s >> 8) & 0xff;
      out[j + 1] = s & 0xff;
    }
  }
}

/**
 * Reads 2 bytes per sample from `bytes` (even length) into `out` (`out.length >= bytes.length / 2`),
 * little-endian when `littleEndian`, else big-endian. A trailing odd byte is ignored. No allocation.
 */
export function l16Decode(bytes: Uint8Array, out: Int16Array, littleEndian: boolean): void {
  const n = bytes.length >> 1;
  if (littleEndian) {
    for (let i = 0, j = 0; i < n; i++, j += 2) {
      out[i] = bytes[j]! | (bytes[j + 1]! << 8);
    }
  } else {
    for (let i = 0, j = 0; i < n; i++, j += 2) {
      out[i] = (bytes[j]! << 8) | bytes[j + 1]!;
    }
  }
}
