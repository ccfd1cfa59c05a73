/**
 * An in-process call leg: the caller's audio comes from memory (a WAV file decoded to 8 kHz, or a
 * generator) and what streamfork sends to the caller is recorded. The engine cannot tell it from a
 * SIP leg. Used by `streamfork call` and the component tests.
 */
import { TypedEmitter } from '../util/typed-emitter.js';
import { FRAME_SAMPLES, type InboundSink, type MediaLeg, type MediaLegEvents } from './media-leg.types.js';
import type { VirtualLegOptions } from './virtual-leg.types.js';

export class VirtualLeg extends TypedEmitter<MediaLegEvents> implements MediaLeg {
  readonly #audio: Int16Array;
  readonly #loop: boolean;
  #readPos = 0;
  #recorded = new Int16Array(FRAME_SAMPLES * 50 * 60);
  #recordedLength = 0;
  #hungUp: string | undefined;
  #sink: InboundSink | undefined;
  readonly #frame = new Int16Array(FRAME_SAMPLES);
  /** Digits streamfork played to the caller (`sendDTMF`, `<DTMF>`). */
  readonly sentDtmf: string[] = [];
  /** Peak absolute sample of the last frame in each direction, for level meters. */
  lastInboundPeak = 0;
  lastOutboundPeak = 0;

  constructor(opts: VirtualLegOptions) {
    super();
    this.#audio = opts.callerAudio;
    this.#loop = opts.loop ?? false;
  }

  /** The cause given when streamfork hung up, if it did. */
  get hungUpWith(): string | undefined {
    return this.#hungUp;
  }

  /** True once the caller's audio has been read to its end (never, when looping). */
  get callerAudioDone(): boolean {
    return !this.#loop && this.#readPos >= this.#audio.length;
  }

  setInboundSink(sink: InboundSink): void {
    this.#sink = sink;
  }

  /** Hands over the caller's next 20 ms: the virtual caller speaks in step with the media clock. */
  tickInbound(): void {
    const out = this.#frame;
    let peak = 0;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      if (this.#readPos >= this.#audio.length && this.#loop && this.#audio.length > 0) {
        this.#readPos = 0;
      }
      const v = this.#readPos < this.#audio.length ? (this.#audio[this.#readPos] ?? 0) : 0;
      this.#readPos++;
      out[i] = v;
      peak = Math.max(peak, Math.abs(v));
    }
    this.lastInboundPeak = peak;
    this.#sink?.(out, true);
  }

  writeOutbound(frame: Int16Array): void {
    if (this.#recordedLength + FRAME_SAMPLES > this.#recorded.length) {
      const grown = new Int16Array(this.#recorded.length * 2);
      grown.set(this.#recorded.subarray(0, this.#recordedLength));
      this.#recorded = grown;
    }
    this.#recorded.set(frame.subarray(0, FRAME_SAMPLES), this.#recordedLength);
    this.#recordedLength += FRAME_SAMPLES;
    let peak = 0;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      peak = Math.max(peak, Math.abs(frame[i] ?? 0));
    }
    this.lastOutboundPeak = peak;
  }

  /** Everything streamfork sent to the caller so far (8 kHz mono). */
  recorded(): Int16Array {
    return this.#recorded.slice(0, this.#recordedLength);
  }

  sendDtmf(digits: string): void {
    this.sentDtmf.push(digits);
  }

  /** Ends the leg from our side: records the cause, emits `closed`. Idempotent. */
  hangup(cause: string): void {
    if (this.#hungUp === undefined) {
      this.#hungUp = cause;
      this.emit('closed');
    }
  }

  close(): void {
    this.hangup('NORMAL_CLEARING');
  }

  get closed(): boolean {
    return this.#hungUp !== undefined;
  }

  /**
   * The virtual caller starts saying `samples` with its next frame, over what its audio held from there
   * (the caller audio is the call's whole timeline: a script may fill it as the call goes, e.g. to talk
   * over the bot once its playback starts). Returns how many samples fit before the timeline's end.
   */
  speakNow(samples: Int16Array): number {
    const room = Math.max(0, this.#audio.length - this.#readPos);
    const n = Math.min(room, samples.length);
    this.#audio.set(samples.subarray(0, n), this.#readPos);
    return n;
  }

  /** The virtual caller presses a key. */
  pressDigit(digit: string): void {
    this.emit('dtmf', digit);
  }

  /** The virtual caller hangs up: `closed`, then `hangup` (the call ends). */
  callerHangup(cause = 'NORMAL_CLEARING'): void {
    if (this.#hungUp !== undefined) {
      return;
    }
    this.#hungUp = cause;
    this.emit('closed');
    this.emit('hangup', { cause, source: 'caller' });
  }
}
