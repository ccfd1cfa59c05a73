/**
 * One `<Stream>`: forks a call's audio to the app's WebSocket and plays back what the app sends
 * (compatibility §1–§7, Decisions D2–D15). Driven by the call: on every tick of the shared media
 * clock, `onOutbound` sends the outbound track's `media` and `renderPlayback` feeds the caller; the
 * inbound track's `media` goes out from `onInbound` as soon as the leg hands over the caller's audio.
 * No timer per frame or per stream, except the stream timeout and connect back-off.
 */
import { extraHeadersWire } from '../../protocol/stream-ws/extra-headers.js';
import { mediaFormatOf, type MediaFormat } from '../../protocol/stream-ws/formats.js';
import {
  parseAppMessage,
  type AppMessage,
  type ParseAppMessageOptions,
} from '../../protocol/stream-ws/app-message.js';
import { PlayAudioScanner } from '../../protocol/stream-ws/play-audio-scan.js';
import { PlayoutQueue } from '../../protocol/stream-ws/playout-queue.js';
import { SendBufferMonitor } from '../../protocol/stream-ws/send-buffer-monitor.js';
import { streamCallbackParams, type StreamCallbackEvent } from '../../protocol/stream-ws/status-callback.js';
import { StreamMessageWriter } from '../../protocol/stream-ws/writer.js';
import { signatureHeaders, wsSigningUrl } from '../../protocol/signature/v3.js';
import type { Clock, TimerHandle, Timers } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';
import type { WsConnection, WsConnector } from '../../ports/ws-client.js';
import { makeNonce, type CallbackDelivery } from '../callbacks/callback-delivery.js';
import { streamCallbackPolicy } from '../callbacks/stream-callback-policy.js';
import { FRAME_MS } from '../call/media-leg.types.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type {
  StreamEnd,
  StreamForkEvents,
  StreamSettings,
  StreamSpec,
  StreamStats,
  StreamStatus,
} from './stream-fork.types.js';
import { WireDecoder, WireEncoder } from './wire-audio.js';

export interface StreamForkDeps {
  readonly ws: WsConnector;
  readonly callbacks: CallbackDelivery;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly logger: Logger;
}

/** What a stream needs from the call it belongs to. */
export interface StreamHost {
  readonly callUuid: string;
  /** Plays DTMF to the caller (`sendDTMF`). */
  sendDtmf(digits: string): void;
}

type Track = 'inbound' | 'outbound';

const NORMAL_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005]);

export class StreamFork extends TypedEmitter<StreamForkEvents> {
  readonly streamId: string;
  readonly spec: StreamSpec;
  readonly format: MediaFormat;
  readonly ended: Promise<StreamEnd>;
  readonly stats: StreamStats = {
    mediaMessagesSent: 0,
    playedFrames: 0,
    checkpointsAcked: 0,
    clears: 0,
    appMessages: 0,
    appErrors: 0,
    lastAppError: undefined,
    connectAttempts: 0,
    bufferUsagePercent: 0,
    callbacksDropped: 0,
    callbacksCoalesced: 0,
  };

  readonly #host: StreamHost;
  readonly #settings: StreamSettings;
  readonly #deps: StreamForkDeps;
  readonly #log: Logger;
  readonly #tracks: readonly Track[];
  readonly #writer: StreamMessageWriter;
  readonly #encoders: Readonly<Record<Track, WireEncoder>>;
  readonly #decoder: WireDecoder;
  readonly #queue: PlayoutQueue | undefined;
  readonly #frame: Uint8Array;
  /** How the app's messages are parsed: built once, with this stream's `playAudio` scanner. */
  readonly #parseOptions: ParseAppMessageOptions;
  #status: StreamStatus = 'initiated';
  #ws: WsConnection | undefined;
  #monitor: SendBufferMonitor | undefined;
  #timeout: TimerHandle | undefined;
  readonly #sendsInbound: boolean;
  readonly #sendsOutbound: boolean;
  #startEpochMs = 0;
  #inboundFrames = 0;
  #outboundFrames = 0;
  #stopRequested: string | undefined;
  #resolveEnded!: (end: StreamEnd) => void;
  /** Counts this stream's status callbacks that the delivery dropped or merged (its `onDropped`). */
  readonly #onCallbackDropped = (why: 'dropped' | 'coalesced'): void => {
    if (why === 'dropped') {
      this.stats.callbacksDropped++;
    } else {
      this.stats.callbacksCoalesced++;
    }
  };

  constructor(
    host: StreamHost,
    streamId: string,
    spec: StreamSpec,
    settings: StreamSettings,
    deps: StreamForkDeps,
  ) {
    super();
    this.streamId = streamId;
    this.spec = spec;
    this.#host = host;
    this.#settings = settings;
    this.#deps = deps;
    this.#log = deps.logger.child({ streamId, callUuid: host.callUuid });
    this.onListenerError = (err) => {
      this.#log.error({ err }, 'stream event listener threw');
    };
    this.format = mediaFormatOf(spec.contentType);
    this.#tracks = spec.audioTrack === 'both' ? ['inbound', 'outbound'] : [spec.audioTrack];
    this.#sendsInbound = this.#tracks.includes('inbound');
    this.#sendsOutbound = this.#tracks.includes('outbound');
    this.#writer = new StreamMessageWriter({
      callId: host.callUuid,
      streamId,
      accountId: settings.accountId,
      extraHeaders: extraHeadersWire(spec.extraHeaders, settings.extraHeadersMode),
    });
    this.#encoders = {
      inbound: new WireEncoder(this.format, settings.l16LittleEndian),
      outbound: new WireEncoder(this.format, settings.l16LittleEndian),
    };
    this.#decoder = new WireDecoder(this.format, settings.l16LittleEndian);
    this.#frame = new Uint8Array(this.format.frameBytes);
    this.#parseOptions = {
      maxMessageBytes: settings.maxMessageBytes,
      l16LittleEndian: settings.l16LittleEndian,
      ...(spec.bidirectional ? { scanner: new PlayAudioScanner() } : {}),
    };
    if (spec.bidirectional) {
      this.#queue = new PlayoutQueue(this.format, { maxQueuedMs: settings.maxPlayoutQueueMs });
    }
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  get status(): StreamStatus {
    return this.#status;
  }

  /** True once the stream has ended (completed or failed). */
  get closed(): boolean {
    return this.#status === 'completed' || this.#status === 'failed';
  }

  /** Audio queued for playback, in ms (bidirectional streams). */
  get queuedMs(): number {
    return this.#queue?.queuedMs ?? 0;
  }

  /** Starts connecting (D10: `connectAttempts` tries with back-off, each with a timeout). */
  start(): void {
    void this.#connect();
  }

  /** The caller's audio, a 20 ms frame as soon as the leg has it: one `media` message on the inbound track. */
  onInbound(pcm: Int16Array): void {
    if (this.#sendsInbound) {
      this.#sendMedia('inbound', pcm);
    }
  }

  /** What the caller heard in this tick of the media clock: one `media` message on the outbound track. */
  onOutbound(pcm: Int16Array): void {
    if (this.#sendsOutbound) {
      this.#sendMedia('outbound', pcm);
    }
  }

  /** D5: the timestamp is the stream's start plus the media time of the frame on its track. */
  #sendMedia(track: Track, pcm: Int16Array): void {
    const ws = this.#ws;
    if (ws === undefined || this.#status !== 'in-progress') {
      return;
    }
    const frame = track === 'inbound' ? this.#inboundFrames++ : this.#outboundFrames++;
    const text = this.#writer.media(
      track,
      this.#startEpochMs + frame * FRAME_MS,
      this.#encoders[track].encode(pcm),
    );
    ws.send(text);
    this.stats.mediaMessagesSent++;
    this.#checkBackpressure(ws, text.length * this.#tracks.length);
  }

  /**
   * Pops the next 20 ms of the app's audio into `out` (160 samples at 8 kHz). Returns false when
   * nothing is queued. Checkpoints whose audio has now played are acknowledged here (D2).
   */
  renderPlayback(out: Int16Array): boolean {
    const queue = this.#queue;
    if (queue === undefined || this.#status !== 'in-progress') {
      return false;
    }
    const { played, checkpoints } = queue.nextFrame(this.#frame);
    if (played) {
      this.#decoder.decode(this.#frame, out);
      this.stats.playedFrames++;
    }
    for (const name of checkpoints) {
      this.#sendText(this.#writer.playedStream(name));
      this.stats.checkpointsAcked++;
      this.emit('event', 'playedStream', { name });
      this.#callback('PlayedStream', { name });
    }
    return played;
  }

  /** Forwards a DTMF digit received from the caller. */
  onDtmf(digit: string): void {
    if (this.#status !== 'in-progress') {
      return;
    }
    const timestampMs = this.#deps.clock.epochMs();
    this.#sendText(this.#writer.dtmf('inbound', digit, timestampMs));
    this.emit('event', 'dtmf', { digit });
  }

  /** Stops the stream on purpose (REST stop, stream timeout, call hangup, end of XML). Idempotent. */
  stop(reason: string): void {
    if (this.closed || this.#stopRequested !== undefined) {
      return;
    }
    this.#stopRequested = reason;
    const ws = this.#ws;
    if (ws === undefined) {
      // Still connecting: #connect sees #stopRequested and ends the stream.
      return;
    }
    if (this.#settings.sendStop) {
      this.#sendText(this.#writer.stop(reason));
    }
    ws.close(1000, 'stream stopped');
    this.#finish({ status: 'completed', reason }, 'StopStream');
  }

  async #connect(): Promise<void> {
    const settings = this.#settings;
    let backoffMs = settings.connectBackoffMs;
    let lastError = 'not attempted';
    for (let attempt = 1; attempt <= settings.connectAttempts; attempt++) {
      if (this.#stopRequested !== undefined) {
        this.#finish({ status: 'completed', reason: this.#stopRequested }, 'StopStream');
        return;
      }
      this.stats.connectAttempts = attempt;
      try {
        const ws = await this.#deps.ws.connect(this.spec.serviceUrl, {
          headers: this.#upgradeHeaders(),
          timeoutMs: settings.connectTimeoutMs,
          maxPayloadBytes: settings.maxMessageBytes + 1024 * 1024,
        });
        this.#onConnected(ws);
        return;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        this.#log.warn({ attempt, error: lastError }, 'stream connect attempt failed');
        this.emit('event', 'connectFailed', { attempt, error: lastError });
        if ((err as { code?: unknown } | null)?.code === 'ERR_TARGET_DENIED') {
          // The outbound target policy refused the host: retrying gets the same answer.
          break;
        }
      }
      if (attempt < settings.connectAttempts) {
        await new Promise<void>((resolve) => this.#deps.timers.after(backoffMs, resolve));
        backoffMs *= 2;
      }
    }
    this.#finish({ status: 'failed', reason: 'Connection error', error: lastError }, 'DroppedStream');
  }

  #upgradeHeaders(): Record<string, string> {
    const url =
      this.#settings.signWebSocketUrlAs === 'plain-http'
        ? wsSigningUrl(this.spec.serviceUrl).replace(/^https:/, 'http:')
        : wsSigningUrl(this.spec.serviceUrl);
    return signatureHeaders({
      method: 'GET',
      url,
      nonce: makeNonce(this.#deps.random),
      authToken: this.#settings.authToken,
    });
  }

  #onConnected(ws: WsConnection): void {
    if (this.#stopRequested !== undefined) {
      ws.close(1000, 'stream stopped');
      this.#finish({ status: 'completed', reason: this.#stopRequested }, 'StopStream');
      return;
    }
    this.#ws = ws;
    ws.onMessage((data, isBinary) => {
      this.#onAppMessage(data, isBinary);
    });
    ws.onClose((code, reason) => {
      this.#onSocketClosed(code, reason);
    });
    this.#startEpochMs = this.#deps.clock.epochMs();
    ws.send(this.#writer.start(this.#tracks, this.format));
    this.#setStatus('in-progress');
    this.emit('event', 'start', { tracks: this.#tracks, contentType: this.spec.contentType });
    this.#callback('StartStream', {});
    this.#timeout = this.#deps.timers.after(this.spec.streamTimeoutSec * 1000, () => {
      this.stop('Stream timeout');
    });
  }

  #onSocketClosed(code: number, reason: string): void {
    if (this.closed) {
      return;
    }
    if (/max payload/i.test(reason)) {
      this.#appError(
        'ERR_STREAM_MESSAGE_TOO_LARGE',
        `the app sent a message over the transport limit (${reason})`,
      );
    }
    if (NORMAL_CLOSE_CODES.has(code)) {
      this.#finish({ status: 'completed', reason: 'Closed by app' }, 'StopStream');
    } else {
      const error = `WebSocket closed with code ${code}${reason === '' ? '' : `: ${reason}`}`;
      this.#finish({ status: 'failed', reason: 'Connection error', error }, 'DroppedStream');
    }
  }

  #onAppMessage(data: string | Uint8Array, isBinary: boolean): void {
    if (this.closed) {
      return;
    }
    this.stats.appMessages++;
    if (isBinary) {
      this.#appError('ERR_STREAM_BINARY_FRAME', 'binary frames are not part of the protocol; ignored');
      return;
    }
    const parsed = parseAppMessage(data, this.format, this.#parseOptions);
    if (!parsed.ok) {
      this.#appError(parsed.error.code, parsed.error.detail);
      return;
    }
    this.#handleAppMessage(parsed.value);
  }

  #handleAppMessage(msg: AppMessage): void {
    switch (msg.event) {
      case 'playAudio': {
        if (this.#queue === undefined) {
          this.#appError('ERR_STREAM_NOT_BIDIRECTIONAL', 'playAudio on a stream that is not bidirectional');
          return;
        }
        const res = this.#queue.enqueue(msg.audio);
        if (!res.ok) {
          this.#appError(res.code, res.detail);
          return;
        }
        this.emit('event', 'playAudio', { bytes: msg.audio.length });
        return;
      }
      case 'checkpoint':
        if (this.#queue === undefined) {
          this.#appError('ERR_STREAM_NOT_BIDIRECTIONAL', 'checkpoint on a stream that is not bidirectional');
          return;
        }
        {
          const res = this.#queue.checkpoint(msg.name);
          if (!res.ok) {
            this.#appError(res.code, res.detail);
            return;
          }
        }
        this.emit('event', 'checkpoint', { name: msg.name });
        return;
      case 'clearAudio':
        this.#clear();
        return;
      case 'sendDTMF':
        this.#host.sendDtmf(msg.digits);
        this.emit('event', 'sendDTMF', { digits: msg.digits.length });
        return;
      case 'stop':
        this.stop('Stopped by app');
        return;
      case 'ignored':
        this.#log.debug({ reason: msg.reason }, 'app message ignored');
        return;
    }
  }

  #clear(): void {
    if (this.#queue === undefined) {
      this.#appError('ERR_STREAM_NOT_BIDIRECTIONAL', 'clearAudio on a stream that is not bidirectional');
      return;
    }
    const { droppedMs, droppedCheckpoints } = this.#queue.clear();
    this.#decoder.reset();
    this.stats.clears++;
    this.#sendText(this.#writer.clearedAudio());
    this.emit('event', 'clearedAudio', { droppedMs, droppedCheckpoints: droppedCheckpoints.length });
    this.#callback('ClearedAudio', {});
  }

  #appError(code: string, detail: string): void {
    this.stats.appErrors++;
    this.stats.lastAppError = code;
    this.#log.warn({ code, detail }, 'bad message from app');
    this.emit('event', 'appError', { code, detail });
  }

  #checkBackpressure(ws: WsConnection, perFrame: number): void {
    let monitor = this.#monitor;
    if (monitor === undefined) {
      // Capacity: `bufferSeconds` of this stream's outbound media, sized from the first frame's messages.
      monitor = new SendBufferMonitor(perFrame * (1000 / FRAME_MS) * this.#settings.bufferSeconds);
      this.#monitor = monitor;
    }
    const effect = monitor.update(ws.bufferedAmount);
    if (effect.type === 'degraded') {
      this.stats.bufferUsagePercent = Math.max(this.stats.bufferUsagePercent, effect.percent);
      this.#log.warn({ percent: effect.percent }, 'app is reading slowly; send buffer filling');
      this.emit('event', 'degraded', { percent: effect.percent });
      this.#callback('DegradedStream', { bufferUsagePercent: effect.percent });
    } else if (effect.type === 'overflow') {
      this.stats.bufferUsagePercent = 100;
      ws.terminate();
      const error = `app did not read ${this.#settings.bufferSeconds} s of media`;
      this.#finish({ status: 'failed', reason: 'Slow consumer', error }, 'DroppedStream');
    }
  }

  #sendText(text: string): void {
    this.#ws?.send(text);
  }

  #setStatus(status: StreamStatus): void {
    this.#status = status;
    this.emit('status', status);
  }

  #finish(end: StreamEnd, event: 'StopStream' | 'DroppedStream'): void {
    if (this.closed) {
      return;
    }
    this.#timeout?.cancel();
    this.#queue?.clear();
    this.#setStatus(end.status);
    this.#log.info({ reason: end.reason, error: end.error, stats: this.stats }, 'stream ended');
    this.#callback(event, {
      reason: end.reason,
      ...(end.error === undefined ? {} : { error: end.error }),
    });
    this.emit('ended', end);
    this.#resolveEnded(end);
  }

  #callback(
    event: StreamCallbackEvent,
    extra: { name?: string; reason?: string; error?: string; bufferUsagePercent?: number },
  ): void {
    const url = this.spec.statusCallbackUrl;
    if (url === undefined || url === '') {
      return;
    }
    const params = streamCallbackParams(event, {
      streamId: this.streamId,
      callUuid: this.#host.callUuid,
      accountId: this.#settings.accountId,
      serviceUrl: this.spec.serviceUrl,
      timestampMs: this.#deps.clock.epochMs(),
      attributes: this.spec,
      ...extra,
    });
    this.#deps.callbacks.send(
      this.streamId,
      { url, method: this.spec.statusCallbackMethod, params },
      { ...streamCallbackPolicy(event), onDropped: this.#onCallbackDropped },
    );
  }
}
