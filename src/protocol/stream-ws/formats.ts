/**
 * The three audio formats of a Plivo `<Stream>` (compatibility §3.3): one `contentType` governs both
 * directions. Plivo reference: https://www.plivo.com/docs/voice/xml/audio-streaming
 */

/** The `contentType` values a stream may negotiate, spelled as on the wire. */
export const ContentTypes = [
  'audio/x-l16;rate=8000',
  'audio/x-l16;rate=16000',
  'audio/x-mulaw;rate=8000',
] as const;

/** One of {@link ContentTypes}. */
export type ContentType = (typeof ContentTypes)[number];

/** The encodings, as `start.mediaFormat.encoding` spells them (no `;rate=`). */
export type Encoding = 'audio/x-l16' | 'audio/x-mulaw';

/** Everything the hot path needs to know about a stream's audio format. Instances are frozen singletons. */
export interface MediaFormat {
  readonly contentType: ContentType;
  readonly encoding: Encoding;
  readonly sampleRateHz: 8000 | 16000;
  /** 1 for mu-law, 2 for L16. */
  readonly bytesPerSample: 1 | 2;
  /** Bytes in one 20 ms frame: 160 (mu-law 8k), 320 (L16 8k), 640 (L16 16k). */
  readonly frameBytes: number;
}

/** Duration of one frame of stream audio, in milliseconds. */
export const WIRE_FRAME_MS = 20;

function makeFormat(contentType: ContentType, encoding: Encoding, sampleRateHz: 8000 | 16000): MediaFormat {
  const bytesPerSample = encoding === 'audio/x-l16' ? 2 : 1;
  const frameBytes = (sampleRateHz / 1000) * WIRE_FRAME_MS * bytesPerSample;
  return Object.freeze({ contentType, encoding, sampleRateHz, bytesPerSample, frameBytes });
}

const formats: Readonly<Record<ContentType, MediaFormat>> = {
  'audio/x-l16;rate=8000': makeFormat('audio/x-l16;rate=8000', 'audio/x-l16', 8000),
  'audio/x-l16;rate=16000': makeFormat('audio/x-l16;rate=16000', 'audio/x-l16', 16000),
  'audio/x-mulaw;rate=8000': makeFormat('audio/x-mulaw;rate=8000', 'audio/x-mulaw', 8000),
};

/** The (shared, frozen) format description of a content type. */
export function mediaFormatOf(contentType: ContentType): MediaFormat {
  return formats[contentType];
}

/** The content type with this encoding and rate, or undefined when there is none (mu-law at 16 kHz). */
export function contentTypeOf(encoding: Encoding, sampleRateHz: number): ContentType | undefined {
  if (encoding === 'audio/x-mulaw') {
    return sampleRateHz === 8000 ? 'audio/x-mulaw;rate=8000' : undefined;
  }
  if (sampleRateHz === 8000) {
    return 'audio/x-l16;rate=8000';
  }
  return sampleRateHz === 16000 ? 'audio/x-l16;rate=16000' : undefined;
}

/**
 * A media type as written by a person or an app, split into its parts. `kind` is `raw` or `wav` for
 * the legacy values of the old Stream docs (§5.1); `rateHz` is present only when a `rate=` parameter
 * was given (and is NaN when it was not a number).
 */
export interface MediaTypeParts {
  readonly kind: Encoding | 'raw' | 'wav';
  readonly rateHz?: number;
}

const kindByName: Readonly<Record<string, MediaTypeParts['kind']>> = {
  'audio/x-l16': 'audio/x-l16',
  'audio/x-mulaw': 'audio/x-mulaw',
  raw: 'raw',
  wav: 'wav',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
};

/**
 * Splits a media type leniently: case-insensitive, whitespace around `;` and `=` ignored, parameters
 * other than `rate` ignored. Returns undefined for a media type that is not audio we know.
 */
export function parseMediaType(text: string): MediaTypeParts | undefined {
  // Apps send the same contentType on every playAudio: remember the last answer (results are frozen).
  if (text === lastText) {
    return lastParts;
  }
  const parts = splitMediaType(text);
  lastText = text;
  lastParts = parts;
  return parts;
}

let lastText: string | undefined;
let lastParts: MediaTypeParts | undefined;

function splitMediaType(text: string): MediaTypeParts | undefined {
  const parts = text.split(';');
  const kind = kindByName[(parts[0] ?? '').trim().toLowerCase()];
  if (kind === undefined) {
    return undefined;
  }
  for (let i = 1; i < parts.length; i++) {
    const param = parts[i] ?? '';
    const eq = param.indexOf('=');
    if (eq >= 0 && param.slice(0, eq).trim().toLowerCase() === 'rate') {
      const value = param.slice(eq + 1).trim();
      return Object.freeze({ kind, rateHz: /^[0-9]{1,6}$/.test(value) ? Number(value) : Number.NaN });
    }
  }
  return Object.freeze({ kind });
}

/**
 * Lenient parse of a `contentType` string (`"audio/x-mulaw"`, `"audio/x-l16;rate=16000"`,
 * `" audio/x-l16 ; rate=8000 "`, `"raw"`…). A missing rate means 8000 Hz; legacy `raw` means the
 * default `audio/x-l16;rate=8000` (D16). Returns undefined for anything that is not one of the three
 * stream formats (including `wav`, which is a container, not a stream format).
 */
export function parseContentType(text: string): ContentType | undefined {
  const parts = parseMediaType(text);
  if (parts === undefined || parts.kind === 'wav') {
    return undefined;
  }
  if (parts.kind === 'raw') {
    return parts.rateHz === undefined || parts.rateHz === 8000 ? 'audio/x-l16;rate=8000' : undefined;
  }
  return contentTypeOf(parts.kind, parts.rateHz ?? 8000);
}
