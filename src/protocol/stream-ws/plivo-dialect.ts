/**
 * Plivo's audio streaming protocol as a {@link StreamDialect}: the messages of `writer.ts`, the app
 * messages of `app-message.ts` (with the `playAudio` fast path and this stream's scanner), and the
 * `X-Plivo-Signature-V3` upgrade signature (D8).
 * Plivo reference: https://www.plivo.com/docs/voice/audio-streaming/audio-streaming
 */
import { signatureHeaders, wsSigningUrl } from '../signature/v3.js';
import type {
  PlaybackProgress,
  StreamCommand,
  StreamDialect,
  StreamDialectContext,
  StreamDialectFactory,
  StreamStatusEvent,
  StreamStatusEventType,
  StreamTrack,
} from '../stream-dialect.types.js';
import { parseAppMessage, type ParseAppMessageOptions } from './app-message.js';
import { extraHeadersWire } from './extra-headers.js';
import { PlayAudioScanner } from './play-audio-scan.js';
import { clearedExtras, playedExtras, TtsAudioConverter } from './playback-extras.js';
import { streamCallbackParams, type StreamCallbackEvent } from './status-callback.js';
import { StreamMessageWriter } from './writer.js';

/** D12: the callback event each stream event is reported as. */
const CALLBACK_EVENT: Readonly<Record<StreamStatusEventType, StreamCallbackEvent>> = {
  started: 'StartStream',
  checkpointPlayed: 'PlayedStream',
  cleared: 'ClearedAudio',
  degraded: 'DegradedStream',
  stopped: 'StopStream',
  dropped: 'DroppedStream',
};

const CLEAR: StreamCommand = Object.freeze({ type: 'clear' });
const STOP: StreamCommand = Object.freeze({ type: 'stop' });
const BINARY: StreamCommand = Object.freeze({
  type: 'error',
  code: 'ERR_STREAM_BINARY_FRAME',
  detail: 'binary frames are not part of the protocol; ignored',
});

/** The Plivo dialect of one stream. */
export class PlivoDialect implements StreamDialect {
  readonly #ctx: StreamDialectContext;
  readonly #writer: StreamMessageWriter;
  /** How the app's messages are parsed: built once, with this stream's `playAudio` scanner. */
  readonly #parseOptions: ParseAppMessageOptions;
  /** `spec.playbackExtras` (playback-extras.ts): extra fields, 24 kHz playAudio. */
  readonly #extras: boolean;
  /** Resamples 24 kHz playAudio (playback extras), made on the first such message. */
  #tts: TtsAudioConverter | undefined;

  constructor(ctx: StreamDialectContext) {
    this.#ctx = ctx;
    const settings = ctx.settings;
    this.#writer = new StreamMessageWriter({
      callId: ctx.callId,
      streamId: ctx.streamId,
      accountId: settings.accountId,
      extraHeaders: extraHeadersWire(ctx.spec.extraHeaders, settings.extraHeadersMode),
    });
    this.#extras = ctx.spec.playbackExtras === true;
    this.#parseOptions = {
      maxMessageBytes: settings.maxMessageBytes,
      l16LittleEndian: settings.l16LittleEndian,
      ...(ctx.spec.bidirectional ? { scanner: new PlayAudioScanner() } : {}),
      ...(this.#extras ? { tts24k: true } : {}),
    };
  }

  upgradeHeaders(nonce: string): Readonly<Record<string, string>> {
    const { spec, settings } = this.#ctx;
    const signed = wsSigningUrl(spec.serviceUrl);
    const url = settings.signWebSocketUrlAs === 'plain-http' ? signed.replace(/^https:/, 'http:') : signed;
    return signatureHeaders({ method: 'GET', url, nonce, authToken: settings.authToken });
  }

  start(_startEpochMs: number): readonly string[] {
    return [this.#writer.start(this.#ctx.tracks, this.#ctx.format)];
  }

  /** A resumed stream's `start`: Plivo's shape plus `"resumed": true` (only resumable streams send it). */
  resume(_startEpochMs: number): readonly string[] {
    return [this.#writer.start(this.#ctx.tracks, this.#ctx.format, true)];
  }

  media(track: StreamTrack, timestampMs: number, payload: Uint8Array): string {
    return this.#writer.media(track, timestampMs, payload);
  }

  dtmf(digit: string, timestampMs: number): string {
    return this.#writer.dtmf('inbound', digit, timestampMs);
  }

  /** With the playback extras, `playedMs`/`queuedMs` too. */
  checkpointPlayed(name: string, progress?: PlaybackProgress): string {
    return this.#writer.playedStream(name, this.#extras ? playedExtras(progress) : '');
  }

  /**
   * D2: one `clearedAudio`; the dropped checkpoints get no `playedStream`. With the playback extras it
   * names them (`clearedCheckpoints`) and carries the progress.
   */
  cleared(dropped: readonly string[], progress?: PlaybackProgress): readonly string[] {
    return [this.#writer.clearedAudio(this.#extras ? clearedExtras(dropped, progress) : '')];
  }

  /** D7: `stop` only when the server setting enables it. */
  stop(reason: string): string | undefined {
    return this.#ctx.settings.sendStop ? this.#writer.stop(reason) : undefined;
  }

  parse(data: string | Uint8Array, isBinary: boolean): StreamCommand {
    if (isBinary) {
      return BINARY;
    }
    const parsed = parseAppMessage(data, this.#ctx.format, this.#parseOptions);
    if (!parsed.ok) {
      return { type: 'error', code: parsed.error.code, detail: parsed.error.detail };
    }
    const msg = parsed.value;
    switch (msg.event) {
      case 'playAudio':
        if (msg.sampleRateHz !== undefined) {
          this.#tts ??= new TtsAudioConverter(this.#ctx.format, this.#ctx.settings.l16LittleEndian);
          return { type: 'play', audio: this.#tts.convert(msg.audio) };
        }
        // A new command each time, not one reused object: the reused one made a bidirectional frame
        // 10 % slower (engine bench, docs/benchmarks.md), probably because its audio field started as a
        // plain Uint8Array and then held Buffers, so its readers went polymorphic. A short-lived object
        // costs V8's young generation next to nothing.
        return { type: 'play', audio: msg.audio };
      case 'checkpoint':
        return { type: 'checkpoint', name: msg.name };
      case 'clearAudio':
        this.#tts?.reset();
        return CLEAR;
      case 'sendDTMF':
        return { type: 'sendDtmf', digits: msg.digits };
      case 'stop':
        return STOP;
      case 'ignored':
        return { type: 'ignored', reason: msg.reason };
    }
  }

  /** D12: every event has a callback (`Name`, `Reason`/`Error`, `BufferUsage` where they apply). */
  statusCallback(event: StreamStatusEvent, timestampMs: number): [string, string][] {
    const ctx = this.#ctx;
    return streamCallbackParams(CALLBACK_EVENT[event.type], {
      streamId: ctx.streamId,
      callUuid: ctx.callId,
      accountId: ctx.settings.accountId,
      serviceUrl: ctx.spec.serviceUrl,
      timestampMs,
      attributes: ctx.spec,
      ...(event.type === 'checkpointPlayed' ? { name: event.name } : {}),
      ...(event.type === 'stopped' || event.type === 'dropped'
        ? { reason: event.reason, ...(event.error === undefined ? {} : { error: event.error }) }
        : {}),
      ...(event.type === 'degraded' ? { bufferUsagePercent: event.bufferUsagePercent } : {}),
    });
  }
}

/** The factory the composition root registers as `plivo`. */
export const plivoDialect: StreamDialectFactory = (ctx) => new PlivoDialect(ctx);
