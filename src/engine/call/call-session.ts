/**
 * A call in progress: one media leg, the streams forked from it, and the audio sources that feed the
 * caller (stream playback, XML `<Speak>`/`<Play>`).
 *
 * - The caller's audio reaches the streams as soon as the leg hands it over (`#onInbound`, on RTP
 *   arrival): no tick in between.
 * - The engine ticks every call once per 20 ms frame of the shared media clock, in two passes:
 *   `tickMedia` mixes what the caller hears and sends it; `tickForks` lets the leg hand over what is
 *   due by time (concealment, silence), then forks what the caller heard to the streams.
 */
import type { ErrorCode } from '../../errors/catalog.js';
import { ServerError } from '../../errors/server-error.js';
import type { TapTrack } from '../../ports/call-event-feed.js';
import type { Logger } from '../../ports/logger.js';
import type { XmlIssue } from '../../protocol/plivo-xml/types.js';
import type { CallErrorEvent } from '../events/call-events.js';
import { StreamFork } from '../fork/stream-fork.js';
import type { StreamSpec } from '../fork/stream-fork.types.js';
import { hangupCauseCodeOf } from '../records/hangup-causes.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type {
  CallErrorContext,
  CallSessionEvents,
  CallSessionOptions,
  CallSessionState,
  OutboundSource,
} from './call-session.types.js';
import { FRAME_SAMPLES, type HangupSource, type LegHangup, type MediaLeg } from './media-leg.types.js';
import { WideMix } from './wide-mix.js';

/** Receives a frame of one track of a call: `inbound` (the caller) or `outbound` (what the caller hears). */
export type AudioTap = (track: TapTrack, pcm: Int16Array) => void;

export type {
  CallErrorContext,
  CallSessionEvents,
  CallSessionOptions,
  CallSessionState,
  OutboundSource,
} from './call-session.types.js';

/** Adds one 20 ms frame into the 32-bit mix (clipped later, once, after every source is in). */
function accumulate(mix: Int32Array, frame: Int16Array): void {
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    mix[i] = (mix[i] ?? 0) + (frame[i] ?? 0);
  }
}

export class CallSession extends TypedEmitter<CallSessionEvents> {
  readonly callUuid: string;
  readonly leg: MediaLeg;
  readonly #opts: CallSessionOptions;
  readonly #log: Logger;
  readonly #forks: StreamFork[] = [];
  readonly #sources = new Set<OutboundSource>();
  readonly #outbound = new Int16Array(FRAME_SAMPLES);
  readonly #scratch = new Int16Array(FRAME_SAMPLES);
  readonly #mix = new Int32Array(FRAME_SAMPLES);
  /** What the caller hears at 16 kHz, for a wideband leg (G.722); undefined otherwise. */
  readonly #wideMix: WideMix | undefined;
  #status: CallSessionState = 'in-progress';
  /** This tick's mix reached a checkpoint of some stream: its fork acknowledges it in `tickForks`. */
  #acksDue = false;
  #hangup: LegHangup | undefined;
  /** Frames of the caller's with no audio (before the first packet, silence, unconcealed gaps). */
  inboundGaps = 0;
  /** Media-clock ticks (frames sent to the caller). */
  frames = 0;
  readonly #errors: CallErrorEvent[] = [];
  /**
   * The audio taps (the console's listen-in, a recorder, a bridge): undefined while there are none, so a
   * call nobody taps pays one null check per frame.
   */
  #taps: AudioTap[] | undefined;

  constructor(opts: CallSessionOptions) {
    super();
    this.callUuid = opts.callUuid;
    this.leg = opts.leg;
    this.#opts = opts;
    this.#wideMix = opts.leg.wideband === true ? new WideMix() : undefined;
    this.#log = opts.logger.child({ callUuid: opts.callUuid });
    this.onListenerError = (err) => {
      this.#log.error({ err }, 'call event listener threw');
    };
    opts.leg.setInboundSink((frame, audio, wide) => {
      this.#onInbound(frame, audio, wide);
    });
    opts.leg.on('dtmf', (digit) => {
      this.#onDtmf(digit);
    });
    opts.leg.on('hangup', (hangup) => {
      this.#end(hangup);
    });
  }

  get status(): CallSessionState {
    return this.#status;
  }

  /** True once the call has ended, whoever ended it. */
  get closed(): boolean {
    return this.#status !== 'in-progress';
  }

  get hangupInfo(): LegHangup | undefined {
    return this.#hangup;
  }

  /** The errors reported on this call so far (`call.error` events), oldest first. */
  get errors(): readonly CallErrorEvent[] {
    return this.#errors;
  }

  /**
   * Reports an error worth keeping on the call record (fetch failures, a rejected document, prompt
   * failures): emits `call.error` with its catalogue code. The call goes on; hanging up is the caller's call.
   */
  reportError(code: ErrorCode, message: string, context: CallErrorContext = {}): void {
    const event: CallErrorEvent = {
      type: 'call.error',
      callUuid: this.callUuid,
      atMs: this.#opts.forkDeps.clock.epochMs(),
      code,
      message,
      ...context,
    };
    this.#errors.push(event);
    this.#opts.events.emit(event);
  }

  /**
   * Hands every frame of both tracks to `tap` (the caller's as it arrives, what the caller hears once
   * per tick, after the mix) until the returned function removes it. The frame array is reused: a tap
   * that keeps audio copies it. Taps run in the order they were added; one that throws is the caller's
   * problem as for a fork (the call is hung up), so a tap must catch its own errors.
   */
  addTap(tap: AudioTap): () => void {
    this.#taps = [...(this.#taps ?? []), tap];
    return () => {
      const rest = (this.#taps ?? []).filter((t) => t !== tap);
      this.#taps = rest.length === 0 ? undefined : rest;
    };
  }

  /** Reports a fetched and parsed XML document with its validation issues (`call.xml`). */
  reportXml(url: string, ok: boolean, issues: readonly XmlIssue[]): void {
    this.#opts.events.emit({
      type: 'call.xml',
      callUuid: this.callUuid,
      atMs: this.#opts.forkDeps.clock.epochMs(),
      url,
      ok,
      issues,
    });
  }

  /** Streams on this call that have not ended. */
  get liveStreams(): readonly StreamFork[] {
    return this.#forks.filter((f) => !f.closed);
  }

  /** How many streams on this call have not ended (no array made). */
  get liveStreamCount(): number {
    let n = 0;
    for (const f of this.#forks) {
      if (!f.closed) {
        n++;
      }
    }
    return n;
  }

  /** Every stream started on this call, ended ones included. */
  get allStreams(): readonly StreamFork[] {
    return this.#forks;
  }

  /**
   * Forks the call's audio to a new stream. Throws ServerError for a call that has ended, too many
   * streams, or a live stream already at the same URL (the REST API maps these to 400/409).
   */
  startStream(spec: StreamSpec): StreamFork {
    if (this.#status !== 'in-progress') {
      throw new ServerError('ERR_STATE_INVALID', 'the call has ended');
    }
    const live = this.liveStreams;
    if (live.length >= this.#opts.maxStreams) {
      throw new ServerError(
        'ERR_STATE_INVALID',
        `a call may have at most ${this.#opts.maxStreams} live streams`,
      );
    }
    if (live.some((f) => f.spec.serviceUrl === spec.serviceUrl)) {
      throw new ServerError('ERR_STATE_INVALID', 'an active stream already exists at this service_url');
    }
    const host = {
      callUuid: this.callUuid,
      sendDtmf: (digits: string) => {
        this.leg.sendDtmf(digits);
      },
    };
    const fork = new StreamFork(
      host,
      this.#opts.newStreamId(),
      spec,
      this.#opts.streamSettings,
      this.#opts.forkDeps,
    );
    this.#forks.push(fork);
    this.#opts.events.emit({
      type: 'stream.started',
      callUuid: this.callUuid,
      atMs: this.#opts.forkDeps.clock.epochMs(),
      streamId: fork.streamId,
      spec,
    });
    this.emit('stream-started', fork);
    fork.start();
    return fork;
  }

  /**
   * Tells the call's listeners (`<Record startOnDialAnswer>`) that a `<Dial>` bridged it with `party`,
   * and, with `bridged` false, that the bridge ended. The bridge itself is the Dial element's.
   */
  reportBridge(party: CallSession, bridged: boolean): void {
    this.emit(bridged ? 'bridged' : 'unbridged', party);
  }

  /** Adds a prompt player; it is mixed into what the caller hears until removed. */
  addSource(source: OutboundSource): void {
    this.#sources.add(source);
  }

  removeSource(source: OutboundSource): void {
    this.#sources.delete(source);
  }

  /**
   * Ends the call from our side (XML `<Hangup>`, end of XML, REST hang-up, shutdown, an error; `source`
   * says which, for the record): the leg first (`leg.hangup(cause)`), then every fork
   * (`parentClosed()`), then `call.ended`, `ended` and `closed`. Idempotent.
   */
  hangup(cause: string, source: HangupSource): void {
    if (this.#status !== 'in-progress') {
      return;
    }
    try {
      this.leg.hangup(cause);
    } finally {
      // A leg that throws while hanging up must not leave the call (and its record) in progress.
      this.#end({ cause, source });
    }
  }

  /** The lifecycle verb: `hangup('NORMAL_CLEARING', 'server')`. Idempotent. */
  close(): void {
    this.hangup('NORMAL_CLEARING', 'server');
  }

  /**
   * Media phase of a tick of the shared media clock: mix what the caller hears and send it. The engine
   * runs this for every call before any fork phase, so outbound RTP leaves at the same point of every
   * tick, unaffected by how much WebSocket work the other calls have.
   */
  tickMedia(): void {
    if (this.#status !== 'in-progress') {
      return;
    }
    this.frames++;
    this.#renderOutbound();
    this.leg.writeOutbound(this.#outbound, this.#wideMix?.finish());
  }

  /**
   * Fork phase of a tick: the acknowledgements of what this tick's mix played, the caller's frames
   * that are due by time, then what the caller heard.
   */
  tickForks(): void {
    if (this.#status !== 'in-progress') {
      return;
    }
    if (this.#acksDue) {
      this.#acksDue = false;
      for (const fork of this.#forks) {
        fork.reportPlayback();
      }
    }
    this.leg.tickInbound();
    for (const fork of this.#forks) {
      fork.onOutbound(this.#outbound);
    }
    const taps = this.#taps;
    if (taps !== undefined) {
      for (const tap of taps) {
        tap('outbound', this.#outbound);
      }
    }
  }

  /** `wide` is the same frame at 16 kHz from a wideband leg (G.722), for the 16 kHz streams. */
  #onInbound(frame: Int16Array, audio: boolean, wide: Int16Array | undefined): void {
    if (this.#status !== 'in-progress') {
      return;
    }
    if (!audio) {
      this.inboundGaps++;
    }
    try {
      for (const fork of this.#forks) {
        fork.onInbound(frame, wide);
      }
      const taps = this.#taps;
      if (taps !== undefined) {
        for (const tap of taps) {
          tap('inbound', frame);
        }
      }
    } catch (err) {
      // As for a failed tick (Engine): a broken call is logged and hung up, never left half-working.
      this.#log.error({ err }, "forking the caller's audio failed; hanging up the call");
      this.hangup('Internal Error', 'error');
    }
  }

  #renderOutbound(): void {
    const scratch = this.#scratch;
    const wide = this.#wideMix;
    wide?.begin();
    let sources = 0;
    for (const source of this.#sources) {
      if (source.render(scratch)) {
        sources = this.#mixIn(scratch, sources);
        wide?.addNarrow(scratch);
      }
    }
    for (const fork of this.#forks) {
      if (fork.spec.bidirectional) {
        if (fork.renderPlayback(scratch)) {
          sources = this.#mixIn(scratch, sources);
          if (wide !== undefined) {
            const w = fork.playbackWide;
            if (w === undefined) {
              wide.addNarrow(scratch);
            } else {
              wide.addWide(w);
            }
          }
        }
        if (fork.hasReachedCheckpoints) {
          this.#acksDue = true;
        }
      }
    }
    const out = this.#outbound;
    if (sources === 0) {
      out.fill(0);
    } else if (sources > 1) {
      const mix = this.#mix;
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        const v = mix[i] ?? 0;
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
  }

  /**
   * Adds one rendered frame to what the caller hears. The usual single source is copied to the output
   * as it is (nothing to mix or clip); a second one starts the 32-bit mix, clipped once at the end.
   */
  #mixIn(frame: Int16Array, sources: number): number {
    if (sources === 0) {
      this.#outbound.set(frame);
    } else {
      const mix = this.#mix;
      if (sources === 1) {
        const out = this.#outbound;
        for (let i = 0; i < FRAME_SAMPLES; i++) {
          mix[i] = out[i] ?? 0;
        }
      }
      accumulate(mix, frame);
    }
    return sources + 1;
  }

  #onDtmf(digit: string): void {
    for (const fork of this.#forks) {
      fork.onDtmf(digit);
    }
    this.emit('dtmf', digit);
    this.#opts.events.emit({
      type: 'call.dtmf',
      callUuid: this.callUuid,
      atMs: this.#opts.forkDeps.clock.epochMs(),
      digit,
    });
  }

  #end(hangup: LegHangup): void {
    if (this.#status !== 'in-progress') {
      return;
    }
    this.#status = 'completed';
    this.#hangup = hangup;
    for (const fork of this.#forks) {
      fork.parentClosed();
    }
    this.#sources.clear();
    this.#log.info({ cause: hangup.cause, source: hangup.source, frames: this.frames }, 'call ended');
    this.#opts.events.emit({
      type: 'call.ended',
      callUuid: this.callUuid,
      atMs: this.#opts.forkDeps.clock.epochMs(),
      status: 'completed',
      cause: hangup.cause,
      causeCode: hangupCauseCodeOf(hangup.cause),
      source: hangup.source,
    });
    this.emit('ended', hangup);
    this.emit('closed');
  }
}
