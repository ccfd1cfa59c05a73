/**
 * One `<Stream>`: forks a call's audio to the app's WebSocket and plays back what the app sends
 * (compatibility §1–§7, Decisions D2–D15). Protocol-neutral: every frame on the wire is built or read
 * by the stream's `StreamDialect` (Plivo's, or another the spec names), picked from the registry the
 * composition root hands in. Driven by the call: on every tick of the shared media clock
 * `renderPlayback` feeds the caller (and only records the checkpoints it reached), then, after the mix,
 * `reportPlayback` acknowledges them and `onOutbound` sends the outbound track's `media`; the inbound
 * track's `media` goes out from `onInbound` as soon as the leg hands over the caller's audio.
 * No timer per frame or per stream, except the stream timeout and connect back-off.
 */
import {
  DEFAULT_STREAM_DIALECT,
  type StreamCommand,
  type StreamDialect,
  type StreamDialectRegistry,
  type StreamStatusEvent,
  type StreamTrack,
} from '../../protocol/stream-dialect.types.js';
import { mediaFormatOf, type MediaFormat } from '../../protocol/stream-ws/formats.js';
import { SendBufferMonitor } from '../../protocol/stream-ws/send-buffer-monitor.js';
import type { TimerHandle } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { WsConnection } from '../../ports/ws-client.js';
import { makeNonce } from '../callbacks/callback-delivery.js';
import { streamCallbackPolicy } from '../callbacks/stream-callback-policy.js';
import { CALL_FRAME_MS } from '../call/media-leg.types.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type {
  StreamEnd,
  StreamForkDeps,
  StreamHost,
  StreamForkEvents,
  StreamSettings,
  StreamSpec,
  StreamStats,
  StreamStatus,
} from './stream-fork.types.js';
import { PlaybackTimeline } from './playback-timeline.js';
import { freshStreamStats } from './stream-defaults.js';
import { PLAYBACK_VERB, StreamPlayback } from './stream-playback.js';
import { NORMAL_CLOSE_CODES, type ResumeBuffer, resumeAfterDrop } from './stream-resume.js';
import { type FrameEncoder, trackEncoder } from './noise-wire.js';

type PlaybackCommand = Extract<StreamCommand, { type: 'play' | 'checkpoint' | 'clear' }>;

const STARTED: StreamStatusEvent = Object.freeze({ type: 'started' });
const CLEARED: StreamStatusEvent = Object.freeze({ type: 'cleared' });

export { PLAY_BURST_GAP_MS } from './playback-timeline.js';

export class StreamFork extends TypedEmitter<StreamForkEvents> {
  readonly streamId: string;
  readonly spec: StreamSpec;
  readonly format: MediaFormat;
  readonly ended: Promise<StreamEnd>;
  readonly stats: StreamStats = freshStreamStats();

  readonly #host: StreamHost;
  readonly #settings: StreamSettings;
  readonly #deps: StreamForkDeps;
  readonly #log: Logger;
  readonly #tracks: readonly StreamTrack[];
  readonly #dialect: StreamDialect;
  readonly #encoders: Readonly<Record<StreamTrack, FrameEncoder>>;
  /** Bidirectional streams only. */
  readonly #playback: StreamPlayback | undefined;
  /** Play bursts and checkpoint latencies, for the timeline events. */
  readonly #timeline = new PlaybackTimeline();
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
  /** Set while a resumable stream's socket is away (stream-resume.ts): what it would have sent. */
  #resume: ResumeBuffer | undefined;
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
    const name = spec.dialect ?? DEFAULT_STREAM_DIALECT;
    const dialect = deps.dialects[name] as StreamDialectRegistry[typeof name] | undefined;
    if (dialect === undefined) {
      throw new TypeError(`no stream dialect "${name}" in the registry`);
    }
    this.#dialect = dialect({
      callId: host.callUuid,
      streamId,
      tracks: this.#tracks,
      format: this.format,
      spec,
      settings,
    });
    this.#encoders = {
      inbound: trackEncoder(this.format, settings.l16LittleEndian, spec.noiseCancellationLevel, deps.noise),
      outbound: trackEncoder(this.format, settings.l16LittleEndian, undefined, undefined),
    };
    if (spec.bidirectional) {
      this.#playback = new StreamPlayback(this.format, {
        l16LittleEndian: settings.l16LittleEndian,
        maxQueuedMs: settings.maxPlayoutQueueMs,
      });
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
    return this.#playback?.queuedMs ?? 0;
  }

  /** Playout underruns so far (bidirectional streams; see stream-playback.ts). */
  get playoutUnderruns(): number {
    return this.#playback?.underruns ?? 0;
  }

  /** Starts connecting (D10: `connectAttempts` tries with back-off, each with a timeout). */
  start(): void {
    void this.#connect();
  }

  /**
   * The caller's audio, a 20 ms frame as soon as the leg has it: one `media` message on the inbound
   * track. `wide` is the same frame at 16 kHz when the leg is wideband (G.722): a 16 kHz stream sends
   * it as it is instead of upsampling `pcm`.
   */
  onInbound(pcm: Int16Array, wide?: Int16Array): void {
    if (this.#sendsInbound) {
      this.#sendMedia('inbound', pcm, wide);
    }
  }

  /** What the caller heard in this tick of the media clock: one `media` message on the outbound track. */
  onOutbound(pcm: Int16Array): void {
    if (this.#sendsOutbound) {
      this.#sendMedia('outbound', pcm);
    }
  }

  /** D5: the timestamp is the stream's start plus the media time of the frame on its track. */
  #sendMedia(track: StreamTrack, pcm: Int16Array, wide?: Int16Array): void {
    const ws = this.#ws;
    if (this.#status !== 'in-progress' || (ws === undefined && this.#resume === undefined)) {
      return;
    }
    const frame = track === 'inbound' ? this.#inboundFrames++ : this.#outboundFrames++;
    const text = this.#dialect.media(
      track,
      this.#startEpochMs + frame * CALL_FRAME_MS,
      this.#encoders[track].encode(pcm, wide),
    );
    if (ws === undefined) {
      this.#resume?.push(text);
      return;
    }
    ws.send(text);
    if (this.stats.mediaMessagesSent++ === 0) {
      this.stats.firstMediaAtMs = this.#deps.clock.epochMs();
    }
    this.#checkBackpressure(ws, text.length * this.#tracks.length);
  }

  /**
   * Pops the next 20 ms of the app's audio into `out` (160 samples at 8 kHz). Returns false when
   * nothing is queued. Runs inside the call's mix, so it sends nothing: the checkpoints whose audio
   * has now played are recorded for `reportPlayback`.
   */
  renderPlayback(out: Int16Array): boolean {
    const playback = this.#playback;
    if (playback === undefined || this.#status !== 'in-progress') {
      return false;
    }
    const played = playback.render(out);
    if (played) {
      this.stats.playedFrames++;
    }
    return played;
  }

  /** After a `renderPlayback` that returned true: its frame at 16 kHz for a 16 kHz stream, else undefined. */
  get playbackWide(): Int16Array | undefined {
    return this.#playback?.wide;
  }

  /** Whether `renderPlayback` reached checkpoints that `reportPlayback` has not acknowledged yet. */
  get hasReachedCheckpoints(): boolean {
    return this.#playback !== undefined && this.#playback.reached.length > 0;
  }

  /** After the mix: acknowledges the checkpoints `renderPlayback` reached (D2), oldest first. */
  reportPlayback(): void {
    const playback = this.#playback;
    if (playback === undefined || playback.reached.length === 0) {
      return;
    }
    for (const name of playback.reached) {
      this.#sendText(this.#dialect.checkpointPlayed(name, playback.progress()));
      this.stats.checkpointsAcked++;
      this.emit('event', 'playedStream', { name });
      const base = this.#eventBase();
      const latencyMs = this.#timeline.played(name, base.atMs);
      this.#deps.events.emit({ type: 'stream.checkpoint', ...base, name, latencyMs });
      this.#callback({ type: 'checkpointPlayed', name });
    }
    playback.forgetReached();
  }

  /** Forwards a DTMF digit received from the caller. */
  onDtmf(digit: string): void {
    if (this.#status !== 'in-progress') {
      return;
    }
    const timestampMs = this.#deps.clock.epochMs();
    this.#sendText(this.#dialect.dtmf(digit, timestampMs));
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
      if (this.#resume !== undefined) {
        // Reconnecting: the loop sees the stream closed and closes any socket it still gets.
        this.#finish({ status: 'completed', reason });
      }
      // Still connecting: #connect sees #stopRequested and ends the stream.
      return;
    }
    this.#sendText(this.#dialect.stop(reason));
    ws.close(1000, 'stream stopped');
    this.#finish({ status: 'completed', reason });
  }

  /** The lifecycle verb: `stop('Stream closed')`. Idempotent. */
  close(): void {
    this.stop('Stream closed');
  }

  /**
   * The call ended: the stream stops with reason `Call hangup` (stop message, WebSocket close, callback,
   * `ended`, `closed`); it reports nothing back to the call. A stream still connecting closes when that
   * attempt settles (its socket, if it opened, is closed at once).
   */
  parentClosed(): void {
    this.stop('Call hangup');
  }

  async #connect(): Promise<void> {
    const settings = this.#settings;
    let backoffMs = settings.connectBackoffMs;
    let lastError = 'not attempted';
    for (let attempt = 1; attempt <= settings.connectAttempts; attempt++) {
      if (this.#stopRequested !== undefined) {
        this.#finish({ status: 'completed', reason: this.#stopRequested });
        return;
      }
      this.stats.connectAttempts = attempt;
      try {
        this.#onConnected(await this.#open(settings.connectTimeoutMs));
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
    this.#finish({ status: 'failed', reason: 'Connection error', error: lastError });
  }

  #onConnected(ws: WsConnection): void {
    if (this.#stopRequested !== undefined) {
      ws.close(1000, 'stream stopped');
      this.#finish({ status: 'completed', reason: this.#stopRequested });
      return;
    }
    this.#attach(ws);
    this.#startEpochMs = this.#deps.clock.epochMs();
    this.stats.connectedAtMs = this.#startEpochMs;
    for (const text of this.#dialect.start(this.#startEpochMs)) {
      ws.send(text);
    }
    this.#setStatus('in-progress');
    this.emit('event', 'start', { tracks: this.#tracks, contentType: this.spec.contentType });
    this.#callback(STARTED);
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
      this.#finish({ status: 'completed', reason: 'Closed by app' });
      return;
    }
    const error = `WebSocket closed with code ${code}${reason === '' ? '' : `: ${reason}`}`;
    if ((this.spec.resumeTimeoutSec ?? 0) > 0 && this.#stopRequested === undefined) {
      this.#resumeAfterDrop(error);
      return;
    }
    this.#finish({ status: 'failed', reason: 'Connection error', error });
  }

  /** The app's socket dropped on a resumable stream: hold what would be sent, reconnect, resume. */
  #resumeAfterDrop(error: string): void {
    this.#ws = undefined;
    this.#monitor = undefined;
    void resumeAfterDrop(
      {
        timeoutMs: (this.spec.resumeTimeoutSec ?? 0) * 1000,
        tracks: this.#tracks.length,
        connectTimeoutMs: this.#settings.connectTimeoutMs,
        time: this.#deps,
        stats: this.stats,
        open: (t) => this.#open(t),
        closed: () => this.closed,
        hold: (buffer) => (this.#resume = buffer),
        resumeMessages: () => this.#dialect.resume(this.#startEpochMs),
        attach: (ws) => this.#attach(ws),
        failed: (error) => {
          this.#finish({ status: 'failed', reason: 'Connection error', error });
        },
        emit: (name, detail) => {
          this.emit('event', name, detail);
        },
        log: this.#log,
      },
      error,
    );
  }

  /** Opens a socket to the app (the upgrade signed afresh). */
  #open(timeoutMs: number): Promise<WsConnection> {
    return this.#deps.ws.connect(this.spec.serviceUrl, {
      headers: this.#dialect.upgradeHeaders(makeNonce(this.#deps.random)),
      timeoutMs,
      maxPayloadBytes: this.#settings.maxMessageBytes + 1024 * 1024,
    });
  }

  #attach(ws: WsConnection): WsConnection {
    this.#ws = ws;
    ws.onMessage((data, isBinary) => {
      this.#onAppMessage(data, isBinary);
    });
    ws.onClose((code, reason) => {
      this.#onSocketClosed(code, reason);
    });
    return ws;
  }

  #onAppMessage(data: string | Uint8Array, isBinary: boolean): void {
    if (this.closed) {
      return;
    }
    this.stats.appMessages++;
    this.#handleCommand(this.#dialect.parse(data, isBinary));
  }

  #handleCommand(msg: StreamCommand): void {
    switch (msg.type) {
      case 'play':
      case 'checkpoint':
      case 'clear':
        this.#playbackCommand(msg);
        return;
      case 'sendDtmf':
        this.#host.sendDtmf(msg.digits);
        this.emit('event', 'sendDTMF', { digits: msg.digits.length });
        return;
      case 'stop':
        this.stop('Stopped by app');
        return;
      case 'ignored':
        this.#log.debug({ reason: msg.reason }, 'app message ignored');
        this.emit('event', 'appIgnored', { reason: msg.reason });
        return;
      case 'error':
        this.#appError(msg.code, msg.detail);
        return;
    }
  }

  #playbackCommand(msg: PlaybackCommand): void {
    const playback = this.#playback;
    if (playback === undefined) {
      const detail = `${PLAYBACK_VERB[msg.type]} on a stream that is not bidirectional`;
      this.#appError('ERR_STREAM_NOT_BIDIRECTIONAL', detail);
      return;
    }
    if (msg.type === 'clear') {
      this.#clear(playback);
      return;
    }
    const idle = playback.queuedMs === 0;
    const res = msg.type === 'play' ? playback.enqueue(msg.audio) : playback.checkpoint(msg.name);
    if (!res.ok) {
      this.#appError(res.code, res.detail);
    } else if (msg.type === 'play') {
      if (this.stats.firstPlayAudioAtMs === 0) {
        this.stats.firstPlayAudioAtMs = this.#deps.clock.epochMs();
      }
      this.emit('event', 'playAudio', { bytes: msg.audio.length });
      if (this.#timeline.play(this.#deps.clock.epochMs(), idle)) {
        this.#deps.events.emit({ type: 'stream.play', ...this.#eventBase(), bytes: msg.audio.length });
      }
    } else {
      this.#timeline.checkpoint(msg.name, this.#deps.clock.epochMs());
      this.emit('event', 'checkpoint', { name: msg.name });
    }
  }

  #clear(playback: StreamPlayback): void {
    const { droppedMs, droppedCheckpoints } = playback.clear();
    this.stats.clears++;
    this.#timeline.cleared(droppedCheckpoints);
    this.#deps.events.emit({
      type: 'stream.cleared',
      ...this.#eventBase(),
      droppedMs,
      droppedCheckpoints: droppedCheckpoints.length,
    });
    for (const text of this.#dialect.cleared(droppedCheckpoints, playback.progress(droppedMs))) {
      this.#sendText(text);
    }
    this.emit('event', 'clearedAudio', { droppedMs, droppedCheckpoints: droppedCheckpoints.length });
    this.#callback(CLEARED);
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
      monitor = new SendBufferMonitor(perFrame * (1000 / CALL_FRAME_MS) * this.#settings.bufferSeconds);
      this.#monitor = monitor;
    }
    const buffered = ws.bufferedAmount;
    this.stats.wsBufferedBytes = buffered;
    const effect = monitor.update(buffered);
    if (effect.type === 'degraded') {
      this.stats.degradedEvents++;
      this.stats.bufferUsagePercent = Math.max(this.stats.bufferUsagePercent, effect.percent);
      this.#log.warn({ percent: effect.percent }, 'app is reading slowly; send buffer filling');
      this.emit('event', 'degraded', { percent: effect.percent });
      this.#callback({ type: 'degraded', bufferUsagePercent: effect.percent });
    } else if (effect.type === 'overflow') {
      this.stats.bufferUsagePercent = 100;
      ws.terminate();
      const error = `app did not read ${this.#settings.bufferSeconds} s of media`;
      this.#finish({ status: 'failed', reason: 'Slow consumer', error });
    }
  }

  #sendText(text: string | undefined): void {
    if (text === undefined) {
      return;
    }
    if (this.#ws !== undefined) {
      this.#ws.send(text);
    } else {
      this.#resume?.push(text);
    }
  }

  /** What every event of this stream carries (events are rare: status changes, checkpoints). */
  #eventBase(): { readonly callUuid: string; readonly atMs: number; readonly streamId: string } {
    return { callUuid: this.#host.callUuid, atMs: this.#deps.clock.epochMs(), streamId: this.streamId };
  }

  #setStatus(status: StreamStatus): void {
    this.#status = status;
    if (status === 'in-progress') {
      this.#deps.events.emit({ type: 'stream.status', ...this.#eventBase(), status });
    }
    this.emit('status', status);
  }

  #finish(end: StreamEnd): void {
    if (this.closed) {
      return;
    }
    this.#timeout?.cancel();
    this.#playback?.clear();
    this.#encoders.inbound.close();
    this.#setStatus(end.status);
    this.#log.info({ reason: end.reason, error: end.error, stats: this.stats }, 'stream ended');
    this.#callback({
      type: end.status === 'completed' ? 'stopped' : 'dropped',
      reason: end.reason,
      error: end.error,
    });
    this.#deps.events.emit({
      type: 'stream.status',
      ...this.#eventBase(),
      status: end.status,
      reason: end.reason,
      error: end.error ?? null,
    });
    this.emit('ended', end);
    this.emit('closed');
    this.#resolveEnded(end);
  }

  /** Queues the status callback of `event`, when the spec has a callback URL and the dialect one to send. */
  #callback(event: StreamStatusEvent): void {
    const url = this.spec.statusCallbackUrl;
    if (url === undefined || url === '') {
      return;
    }
    const params = this.#dialect.statusCallback(event, this.#deps.clock.epochMs());
    if (params !== undefined) {
      this.#deps.callbacks.send(
        this.streamId,
        { url, method: this.spec.statusCallbackMethod, params, signing: this.#dialect.callbackSigning },
        { ...streamCallbackPolicy(event.type), onDropped: this.#onCallbackDropped },
      );
    }
  }
}
