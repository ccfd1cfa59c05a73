/**
 * A `MediaLeg` decorator for the calling side of a test or CLI call: records every 20 ms frame the far
 * end sent (what the caller heard, with silence for gaps and pauses so the timeline holds), and plays a buffer of
 * caller audio out through the call (as an `OutboundSource` the CallSession mixes in). Pacing comes from
 * the shared media clock, one frame per tick.
 */
import type { OutboundSource } from '../../engine/call/call-session.types.js';
import {
  FRAME_SAMPLES,
  type InboundSink,
  type MediaLeg,
  type MediaLegEvents,
} from '../../engine/call/media-leg.types.js';

/** Records what the far end sent; delegates everything else. */
export class RecordingLeg implements MediaLeg {
  readonly #inner: MediaLeg;
  readonly #frames: Int16Array[] = [];
  /** Frames that carried audio (not gaps). */
  audioFrames = 0;

  constructor(inner: MediaLeg) {
    this.#inner = inner;
  }

  setInboundSink(sink: InboundSink): void {
    this.#inner.setInboundSink((frame, audio) => {
      this.#frames.push(frame.slice(0, FRAME_SAMPLES));
      if (audio) {
        this.audioFrames++;
      }
      sink(frame, audio);
    });
  }

  tickInbound(): void {
    this.#inner.tickInbound();
  }

  writeOutbound(frame: Int16Array): void {
    this.#inner.writeOutbound(frame);
  }

  sendDtmf(digits: string): void {
    this.#inner.sendDtmf(digits);
  }

  hangup(cause: string): void {
    this.#inner.hangup(cause);
  }

  close(): void {
    this.#inner.close();
  }

  get closed(): boolean {
    return this.#inner.closed;
  }

  on<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): void {
    this.#inner.on(event, listener);
  }

  off<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): void {
    this.#inner.off(event, listener);
  }

  /** Everything heard so far, 8 kHz mono. */
  recorded(): Int16Array {
    const out = new Int16Array(this.#frames.length * FRAME_SAMPLES);
    this.#frames.forEach((f, i) => {
      out.set(f, i * FRAME_SAMPLES);
    });
    return out;
  }
}

/** Plays `audio` once, 160 samples per tick, then nothing. */
export class BufferSource implements OutboundSource {
  readonly #audio: Int16Array;
  #pos = 0;

  constructor(audio: Int16Array) {
    this.#audio = audio;
  }

  get done(): boolean {
    return this.#pos >= this.#audio.length;
  }

  render(out: Int16Array): boolean {
    if (this.done) {
      return false;
    }
    out.fill(0);
    out.set(this.#audio.subarray(this.#pos, this.#pos + FRAME_SAMPLES));
    this.#pos += FRAME_SAMPLES;
    return true;
  }
}
