/**
 * Twilio Media Streams as a {@link StreamDialect}. Twilio's wire is JSON text frames: `connected`,
 * `start`, `media`, `dtmf`, `mark` and `stop` out; `media`, `mark` and `clear` in. Every counter Twilio
 * sends is a decimal string (`sequenceNumber`, `chunk`, `timestamp`), `mediaFormat.sampleRate` and
 * `channels` are numbers. The audio is always mu-law at 8 kHz, one channel, base64 without a file header.
 * A mark the app sent is echoed once its audio has played, and every pending mark is echoed when the app
 * sends `clear` (Twilio's documented behaviour). The upgrade is signed with `X-Twilio-Signature`.
 * Twilio reference: https://www.twilio.com/docs/voice/media-streams/websocket-messages
 */
import type {
  StreamCommand,
  StreamDialect,
  StreamDialectContext,
  StreamDialectFactory,
  StreamStatusEvent,
  StreamStatusEventType,
  StreamTrack,
} from '../stream-dialect.types.js';
import { decodeBase64Strict } from '../stream-ws/base64.js';
import { twilioSignature } from './twilio-signature.js';
import { twilioSid } from './twilio-sid.js';

/** The one format a Twilio stream carries. */
export const TWILIO_MEDIA_FORMAT = Object.freeze({
  encoding: 'audio/x-mulaw',
  sampleRate: 8000,
  channels: 1,
});

/** What Twilio's `connected` says. */
const CONNECTED = JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });

/** The `StreamEvent` each stream event is reported as; the others have no callback. */
const STATUS_EVENT: Readonly<Record<StreamStatusEventType, string | undefined>> = {
  started: 'stream-started',
  stopped: 'stream-stopped',
  dropped: 'stream-error',
  checkpointPlayed: undefined,
  cleared: undefined,
  degraded: undefined,
};

const CLEAR: StreamCommand = Object.freeze({ type: 'clear' });
const BINARY: StreamCommand = Object.freeze({
  type: 'error',
  code: 'ERR_STREAM_BINARY_FRAME',
  detail: 'binary frames are not part of the Twilio protocol; ignored',
});

/**
 * File and codec headers a payload must not start with: Twilio wants raw mu-law, and a payload with a
 * header is some other format (played, it would be noise).
 */
const FOREIGN_HEADERS: readonly (readonly [string, readonly number[]])[] = [
  ['a WAV (RIFF) file', [0x52, 0x49, 0x46, 0x46]],
  ['an Ogg file', [0x4f, 0x67, 0x67, 0x53]],
  ['an MP3 file (ID3 tag)', [0x49, 0x44, 0x33]],
  ['a FLAC file', [0x66, 0x4c, 0x61, 0x43]],
  ['a WebM/Matroska file', [0x1a, 0x45, 0xdf, 0xa3]],
  ['an AU file', [0x2e, 0x73, 0x6e, 0x64]],
];

function foreignHeader(audio: Uint8Array): string | undefined {
  for (const [what, magic] of FOREIGN_HEADERS) {
    if (audio.length >= magic.length && magic.every((b, i) => audio[i] === b)) {
      return what;
    }
  }
  return undefined;
}

function error(code: string, detail: string): StreamCommand {
  return { type: 'error', code, detail };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The Twilio dialect of one stream. */
export class TwilioDialect implements StreamDialect {
  /** Status callbacks carry `X-Twilio-Signature`, as the upgrade and the webhooks do. */
  readonly callbackSigning = 'twilio';
  readonly #ctx: StreamDialectContext;
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  /** One counter over every message after `connected` (Twilio numbers `start` as 1). */
  #sequence = 0;
  readonly #chunks: Record<StreamTrack, number> = { inbound: 0, outbound: 0 };
  #startEpochMs = 0;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(ctx: StreamDialectContext) {
    this.#ctx = ctx;
    this.streamSid = twilioSid('MZ', ctx.streamId);
    this.callSid = twilioSid('CA', ctx.callId);
    this.accountSid = ctx.settings.accountId;
  }

  /** Twilio signs the upgrade like a GET webhook: over the URL (ws→http, wss→https), no parameters. */
  upgradeHeaders(_nonce: string): Readonly<Record<string, string>> {
    const url = this.#ctx.spec.serviceUrl.replace(/^ws(s?):/i, 'http$1:');
    return { 'X-Twilio-Signature': twilioSignature(this.#ctx.settings.authToken, url, []) };
  }

  start(startEpochMs: number): readonly string[] {
    this.#startEpochMs = startEpochMs;
    return [CONNECTED, this.#startMessage(false)];
  }

  /** A resumed stream: no second `connected`, a `start` with `"resumed": true` (same streamSid). */
  resume(_startEpochMs: number): readonly string[] {
    return [this.#startMessage(true)];
  }

  #startMessage(resumed: boolean): string {
    const custom: Record<string, string> = {};
    for (const [k, v] of this.#ctx.spec.customParameters ?? []) {
      custom[k] = v;
    }
    return JSON.stringify({
      event: 'start',
      sequenceNumber: this.#next(),
      start: {
        accountSid: this.accountSid,
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks: this.#ctx.tracks,
        mediaFormat: TWILIO_MEDIA_FORMAT,
        customParameters: custom,
        ...(resumed ? { resumed: true } : {}),
      },
      streamSid: this.streamSid,
    });
  }

  #next(): string {
    this.#sequence++;
    return String(this.#sequence);
  }

  media(track: StreamTrack, timestampMs: number, payload: Uint8Array): string {
    this.#chunks[track]++;
    const ts = Math.max(0, Math.round(timestampMs - this.#startEpochMs));
    const b64 = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
    return (
      `{"event":"media","sequenceNumber":"${this.#next()}","media":{"track":"${track}",` +
      `"chunk":"${this.#chunks[track]}","timestamp":"${ts}","payload":"${b64}"},"streamSid":"${this.streamSid}"}`
    );
  }

  dtmf(digit: string, _timestampMs: number): string {
    return JSON.stringify({
      event: 'dtmf',
      streamSid: this.streamSid,
      sequenceNumber: this.#next(),
      dtmf: { track: 'inbound_track', digit },
    });
  }

  checkpointPlayed(name: string): string {
    return this.#mark(name);
  }

  /** Twilio echoes every pending mark when the app clears the buffer, in the order they were sent. */
  cleared(dropped: readonly string[]): readonly string[] {
    return dropped.map((name) => this.#mark(name));
  }

  #mark(name: string): string {
    return JSON.stringify({
      event: 'mark',
      sequenceNumber: this.#next(),
      streamSid: this.streamSid,
      mark: { name },
    });
  }

  /** Twilio always says `stop` (it carries no reason). */
  stop(_reason: string): string {
    return JSON.stringify({
      event: 'stop',
      sequenceNumber: this.#next(),
      streamSid: this.streamSid,
      stop: { accountSid: this.accountSid, callSid: this.callSid },
    });
  }

  parse(data: string | Uint8Array, isBinary: boolean): StreamCommand {
    if (isBinary) {
      return BINARY;
    }
    const limit = this.#ctx.settings.maxMessageBytes;
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (size > limit) {
      return error('ERR_STREAM_MESSAGE_TOO_LARGE', `message of ${size} bytes exceeds the limit of ${limit}`);
    }
    let msg: unknown;
    try {
      msg = JSON.parse(typeof data === 'string' ? data : this.#decoder.decode(data));
    } catch {
      return error('ERR_STREAM_NOT_JSON', 'message is not valid UTF-8 JSON');
    }
    if (!isObject(msg) || typeof msg['event'] !== 'string') {
      return error('ERR_STREAM_BAD_MESSAGE', 'message is not a JSON object with a string "event"');
    }
    const event = msg['event'];
    if (event !== 'media' && event !== 'mark' && event !== 'clear') {
      return { type: 'ignored', reason: `unknown event ${JSON.stringify(event.slice(0, 40))}` };
    }
    if (msg['streamSid'] !== this.streamSid) {
      const got =
        typeof msg['streamSid'] === 'string' ? JSON.stringify(msg['streamSid'].slice(0, 40)) : 'none';
      return error(
        'ERR_TWILIO_STREAM_SID',
        `${event} "streamSid" is ${got}, not this stream's ${this.streamSid}`,
      );
    }
    switch (event) {
      case 'clear':
        return CLEAR;
      case 'mark': {
        const mark = msg['mark'];
        const name = isObject(mark) ? mark['name'] : undefined;
        if (typeof name !== 'string' || name === '') {
          return error('ERR_STREAM_BAD_CHECKPOINT', 'mark "mark.name" must be a non-empty string');
        }
        return { type: 'checkpoint', name };
      }
      case 'media':
        return this.#media(msg['media']);
    }
  }

  #media(media: unknown): StreamCommand {
    const payload = isObject(media) ? media['payload'] : undefined;
    if (typeof payload !== 'string' || payload === '') {
      return error('ERR_STREAM_BAD_MESSAGE', 'media "media.payload" must be a non-empty base64 string');
    }
    const audio = decodeBase64Strict(payload);
    if (typeof audio === 'string') {
      return error('ERR_STREAM_BAD_PAYLOAD', audio);
    }
    const foreign = foreignHeader(audio);
    if (foreign !== undefined) {
      return error(
        'ERR_STREAM_FORMAT_MISMATCH',
        `media payload is ${foreign}; a Twilio stream carries raw audio/x-mulaw at 8000 Hz without a header`,
      );
    }
    return { type: 'play', audio };
  }

  /**
   * Twilio's stream status callback: `stream-started`, `stream-stopped` and `stream-error` (a drop), with
   * AccountSid, CallSid, StreamSid, StreamName, StreamEvent, StreamError and Timestamp (ISO 8601).
   * Marks, clears and buffer warnings have no callback in Twilio's protocol.
   */
  statusCallback(event: StreamStatusEvent, timestampMs: number): [string, string][] | undefined {
    const name = STATUS_EVENT[event.type];
    if (name === undefined) {
      return undefined;
    }
    const fields: [string, string][] = [
      ['AccountSid', this.accountSid],
      ['CallSid', this.callSid],
      ['StreamSid', this.streamSid],
      ['StreamName', this.#ctx.spec.name ?? this.streamSid],
      ['StreamEvent', name],
    ];
    if (event.type === 'dropped') {
      fields.push(['StreamError', event.error ?? event.reason]);
    }
    fields.push(['Timestamp', new Date(timestampMs).toISOString()]);
    return fields;
  }
}

/** The factory the composition root registers as `twilio`. */
export const twilioDialect: StreamDialectFactory = (ctx) => new TwilioDialect(ctx);
