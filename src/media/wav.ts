/**
 * WAVE (RIFF) audio files: a tolerant parser to mono int16, a PCM16 writer, and resampling to the call
 * rate.
 *
 * Layout (Microsoft RIFF/WAVE; IBM/Microsoft "Multimedia Programming Interface and Data Specifications
 * 1.0", 1991, and the WAVE_FORMAT_EXTENSIBLE addendum), all integers little-endian:
 *
 *   0  "RIFF"  4  riff size (u32)  8  "WAVE"
 *   12 chunks: id (4 ASCII) | size (u32) | body (size bytes) | pad byte when size is odd
 *   "fmt " body: format tag (u16) | channels (u16) | sample rate (u32) | byte rate (u32)
 *                | block align (u16) | bits per sample (u16) [| cbSize (u16) | extension]
 *   extension (tag 0xFFFE): valid bits (u16) | channel mask (u32) | sub-format GUID (16; first 2 bytes
 *                is the real format tag, rest 00000010-0080-00AA00389B71)
 *   "data" body: interleaved sample frames
 *
 * Tolerance: unknown chunks (LIST, fact, cue, …) are skipped; the RIFF size is not trusted, and a chunk
 * size that overruns the buffer (streaming writers leave 0xFFFFFFFF) is clamped to what is present; a missing pad
 * byte at the end is accepted; a trailing partial sample frame is dropped. Never throws.
 */
/* eslint-disable @typescript-eslint/no-non-null-assertion -- Typed-array reads in DSP loops are in
   bounds by loop construction; `!` costs nothing at run time where `?? 0` would add a check per sample. */
import { fail, ok, type ParseResult } from '../errors/result.js';
import { ALAW_DECODE_TABLE, MULAW_DECODE_TABLE } from './codecs/g711.js';
import { resampleOffline } from './resample/rational.js';

/** Decoded WAVE audio. */
export interface WavAudio {
  /** Sample rate of `samples`, in Hz. */
  readonly sampleRateHz: number;
  /** Channel count of the file (the samples are already mixed down to mono). */
  readonly channels: number;
  /** Mono int16 samples; multi-channel files are mixed down by averaging. */
  readonly samples: Int16Array;
}

const FORMAT_PCM = 0x0001;
const FORMAT_IEEE_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID derived from a format tag. */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
/** Sanity bounds; anything outside is certainly a corrupt header. */
const MAX_CHANNELS = 64;
const MAX_SAMPLE_RATE_HZ = 1_000_000;

interface Format {
  readonly tag: number;
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly bitsPerSample: number;
}

function ascii(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

function parseFmt(view: DataView, at: number, size: number): ParseResult<Format> {
  if (size < 16) {
    return fail({
      code: 'ERR_MEDIA_WAV_FMT_INVALID',
      detail: `fmt chunk is ${size} bytes; at least 16 needed`,
      offset: at,
    });
  }
  let tag = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRateHz = view.getUint32(at + 4, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  if (tag === FORMAT_EXTENSIBLE) {
    if (size < 40 || view.getUint16(at + 16, true) < 22) {
      return fail({
        code: 'ERR_MEDIA_WAV_FMT_INVALID',
        detail: 'WAVE_FORMAT_EXTENSIBLE fmt chunk is too short',
        offset: at,
      });
    }
    const guid = at + 24;
    for (let i = 0; i < GUID_TAIL.length; i++) {
      if (view.getUint8(guid + 2 + i) !== GUID_TAIL[i]) {
        return fail({
          code: 'ERR_MEDIA_WAV_UNSUPPORTED_ENCODING',
          detail: 'unknown WAVE_FORMAT_EXTENSIBLE sub-format GUID',
          offset: guid,
        });
      }
    }
    tag = view.getUint16(guid, true);
  }
  if (channels < 1 || channels > MAX_CHANNELS || sampleRateHz < 1 || sampleRateHz > MAX_SAMPLE_RATE_HZ) {
    return fail({
      code: 'ERR_MEDIA_WAV_FMT_INVALID',
      detail: `impossible fmt values: ${channels} channels at ${sampleRateHz} Hz`,
      offset: at,
    });
  }
  const supported =
    (tag === FORMAT_PCM && [8, 16, 24, 32].includes(bitsPerSample)) ||
    (tag === FORMAT_IEEE_FLOAT && bitsPerSample === 32) ||
    ((tag === FORMAT_ALAW || tag === FORMAT_MULAW) && bitsPerSample === 8);
  if (!supported) {
    return fail({
      code: 'ERR_MEDIA_WAV_UNSUPPORTED_ENCODING',
      detail: `format tag ${tag} with ${bitsPerSample} bits per sample is not supported`,
      offset: at,
    });
  }
  return ok({ tag, channels, sampleRateHz, bitsPerSample });
}

/** Reads one sample (channel value) at byte offset `at` as a float in int16 scale. */
function readSample(view: DataView, at: number, format: Format): number {
  switch (format.bitsPerSample) {
    case 8: {
      const b = view.getUint8(at);
      if (format.tag === FORMAT_MULAW) {
        return MULAW_DECODE_TABLE[b]!;
      }
      if (format.tag === FORMAT_ALAW) {
        return ALAW_DECODE_TABLE[b]!;
      }
      return (b - 128) * 256;
    }
    case 16:
      return view.getInt16(at, true);
    case 24:
      return (
        ((view.getUint8(at + 2) << 24) | (view.getUint8(at + 1) << 16) | (view.getUint8(at) << 8)) / 65536
      );
    default:
      if (format.tag === FORMAT_IEEE_FLOAT) {
        const f = view.getFloat32(at, true);
        return Number.isFinite(f) ? f * 32768 : 0;
      }
      return view.getInt32(at, true) / 65536;
  }
}

function decodeData(view: DataView, at: number, size: number, format: Format): Int16Array {
  const bytesPerSample = format.bitsPerSample / 8;
  const frameBytes = bytesPerSample * format.channels;
  const frames = Math.floor(size / frameBytes);
  const out = new Int16Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    const frameAt = at + f * frameBytes;
    for (let c = 0; c < format.channels; c++) {
      sum += readSample(view, frameAt + c * bytesPerSample, format);
    }
    const r = Math.round(sum / format.channels);
    out[f] = r > 32767 ? 32767 : r < -32768 ? -32768 : r;
  }
  return out;
}

/**
 * Parses a WAVE file into mono int16 audio. Accepts PCM (8-bit unsigned, 16/24/32-bit signed), IEEE
 * float32, μ-law (tag 7), A-law (tag 6), and WAVE_FORMAT_EXTENSIBLE wrapping any of them. Never throws:
 * failures are `ERR_MEDIA_WAV_*` codes.
 */
export function parseWav(bytes: Uint8Array): ParseResult<WavAudio> {
  if (bytes.length < 12 || ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') {
    return fail({
      code: 'ERR_MEDIA_WAV_NOT_RIFF',
      detail: 'expected "RIFF" <size> "WAVE" at the start',
      offset: 0,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The RIFF size is ignored: streaming writers leave it at 0 or 0xFFFFFFFF, and chunks are walked to
  // the end of the buffer instead.
  const end = bytes.length;
  let format: Format | undefined;
  let formatError: ParseResult<Format> | undefined;
  let data: { at: number; size: number } | undefined;
  let at = 12;
  while (at + 8 <= end) {
    const id = ascii(bytes, at);
    const declared = view.getUint32(at + 4, true);
    const bodyAt = at + 8;
    const size = Math.min(declared, end - bodyAt);
    if (id === 'fmt ' && format === undefined) {
      const parsed = parseFmt(view, bodyAt, size);
      if (parsed.ok) {
        format = parsed.value;
      } else {
        formatError ??= parsed;
      }
    } else if (id === 'data' && data === undefined) {
      data = { at: bodyAt, size };
    }
    at = bodyAt + size + (size % 2);
  }
  if (format === undefined) {
    if (formatError !== undefined && !formatError.ok) {
      return formatError;
    }
    return fail({
      code: 'ERR_MEDIA_WAV_FMT_MISSING',
      detail: 'no complete "fmt " chunk before the end of the file',
    });
  }
  const frameBytes = (format.bitsPerSample / 8) * format.channels;
  if (data === undefined || data.size < frameBytes) {
    return fail({
      code: 'ERR_MEDIA_WAV_DATA_MISSING',
      detail: 'no "data" chunk holding a whole sample frame',
    });
  }
  const samples = decodeData(view, data.at, data.size, format);
  return ok({ sampleRateHz: format.sampleRateHz, channels: format.channels, samples });
}

/** Writes mono int16 `samples` at `sampleRateHz` (Hz) as a canonical 44-byte-header PCM16 WAVE file. */
export function serializeWav(samples: Int16Array, sampleRateHz: number): Uint8Array {
  const dataBytes = samples.length * 2;
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const writeAscii = (at: number, s: string): void => {
    for (let i = 0; i < 4; i++) {
      bytes[at + i] = s.charCodeAt(i);
    }
  };
  writeAscii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  writeAscii(8, 'WAVE');
  writeAscii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, FORMAT_PCM, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  writeAscii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) {
    view.setInt16(44 + 2 * i, samples[i]!, true);
  }
  return bytes;
}

/**
 * Resamples parsed audio to 8 kHz (the call rate) with a high-quality offline windowed-sinc resampler
 * (passband flat to 3.4 kHz, about 90 dB rejection above 4 kHz). 8 kHz input is returned as a copy.
 * Works for any integer rate (8, 11.025, 16, 22.05, 32, 44.1, 48 kHz, …).
 */
export function resampleTo8k(audio: WavAudio): Int16Array {
  return resampleOffline(audio.samples, audio.sampleRateHz, 8000);
}
