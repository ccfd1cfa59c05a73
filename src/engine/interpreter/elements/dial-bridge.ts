/**
 * The media bridge of `<Dial>`: two calls, each on its own leg and codec, each hearing the other. The
 * caller's frames (A's `inbound` tap, as they arrive) are queued for the party's mix (B's source), and
 * the party's frames go the other way; DTMF is relayed both ways (with `hangupOnStar`, the caller's
 * `*` ends the bridge instead). Because the party's voice enters the caller's outbound mix, everything
 * that follows what the caller hears (streams with audioTrack outbound/both, recorders, the console)
 * carries it, and a bidirectional stream's playAudio is mixed with it.
 */
import type { CallSession, OutboundSource } from '../../call/call-session.js';
import { FRAME_SAMPLES } from '../../call/media-leg.types.js';

/**
 * Frames one leg may run ahead of the other's tick before the oldest is dropped: 5 frames (100 ms).
 * Packets arrive when the network delivers them and leave on the other call's tick; the queue absorbs
 * the difference and the cap keeps a burst from turning into lasting delay.
 */
export const RELAY_MAX_FRAMES = 5;

/** Renders per standing-delay check: 50 (1 s). */
export const RELAY_TRIM_WINDOW = 50;

/** Frames left over at every render that the relay tolerates without trimming. */
export const RELAY_TRIM_ABOVE = 1;

/**
 * Frames kept behind the one played: 1 (20 ms). Without it, frames that arrive right around the other
 * call's tick (as two unrelated 20 ms clocks do) would sometimes miss it: a 20 ms gap, then every later
 * frame one tick late, then a trim: audible slips. The relay starts, and starts again after running
 * dry, only once it holds the cushion plus the frame to play.
 */
export const RELAY_CUSHION_FRAMES = 1;

/**
 * A short FIFO of one call's frames, mixed into the other's outbound audio.
 *
 * It plays with a cushion of {@link RELAY_CUSHION_FRAMES} frame behind the one rendered. Frames
 * arrive as fast as they leave (both ends run at 50 a second), so a frame that once queued up
 * behind another (two packets between two ticks: network or timer jitter) would stay as lasting delay.
 * The relay watches the fewest frames left after each render over a window of {@link RELAY_TRIM_WINDOW}:
 * when at least {@link RELAY_TRIM_ABOVE} + 1 were left at every render of the window (a standing delay
 * of 40 ms or more on top of the tick), the frames beyond the cushion are dropped at once (`trimmed`):
 * after a stall's burst, one cut instead of one per second. One frame left over is normal (arrivals
 * that fall just around the other call's tick) and is kept: dropping it would cut the audio every
 * second on a busy machine.
 */
export class FrameRelay implements OutboundSource {
  readonly #slots: Int16Array[] = [];
  #head = 0;
  #size = 0;
  /** Waiting for the cushion (a frame to play and one behind it) before playing again. */
  #priming = true;
  /** Renders that found the relay empty while playing (each one a 20 ms gap and a slip). */
  underruns = 0;
  #renders = 0;
  #fewestLeft = Number.MAX_SAFE_INTEGER;
  /** Frames dropped because the queue was full. */
  dropped = 0;
  /** Frames dropped to shed standing delay. */
  trimmed = 0;
  /** Frames handed over. */
  relayed = 0;

  constructor(readonly maxFrames: number = RELAY_MAX_FRAMES) {
    for (let i = 0; i < maxFrames; i++) {
      this.#slots.push(new Int16Array(FRAME_SAMPLES));
    }
  }

  /** Copies one frame in (the tap's array is reused by the call). */
  push(pcm: Int16Array): void {
    if (this.#size === this.maxFrames) {
      this.#head = (this.#head + 1) % this.maxFrames;
      this.#size--;
      this.dropped++;
    }
    const slot = this.#slots[(this.#head + this.#size) % this.maxFrames];
    if (slot !== undefined) {
      slot.set(pcm.length === FRAME_SAMPLES ? pcm : pcm.subarray(0, FRAME_SAMPLES));
      this.#size++;
    }
  }

  render(out: Int16Array): boolean {
    if (this.#priming && this.#size >= RELAY_CUSHION_FRAMES + 1) {
      this.#priming = false;
    } else if (!this.#priming && this.#size === 0) {
      this.underruns++;
      this.#priming = true;
    }
    const slot = this.#priming || this.#size === 0 ? undefined : this.#slots[this.#head];
    if (slot !== undefined) {
      out.set(slot);
      this.#head = (this.#head + 1) % this.maxFrames;
      this.#size--;
      this.relayed++;
    }
    this.#fewestLeft = Math.min(this.#fewestLeft, this.#size);
    if (++this.#renders === RELAY_TRIM_WINDOW) {
      if (this.#fewestLeft > RELAY_TRIM_ABOVE) {
        // Back to the cushion in one cut (after a stall's burst: one slip, not one per second).
        const excess = this.#fewestLeft - RELAY_CUSHION_FRAMES;
        this.#head = (this.#head + excess) % this.maxFrames;
        this.#size -= excess;
        this.trimmed += excess;
      }
      this.#renders = 0;
      this.#fewestLeft = Number.MAX_SAFE_INTEGER;
    }
    return slot !== undefined;
  }
}

/** How the bridge treats the caller's keys. */
export interface BridgeOptions {
  /** The caller's `*` ends the bridge (`onStar`) and is not relayed. */
  readonly hangupOnStar: boolean;
  readonly onStar: () => void;
}

/** A running bridge; `close()` undoes every hook it made. Idempotent. */
export interface Bridge {
  readonly toCaller: FrameRelay;
  readonly toParty: FrameRelay;
  close(): void;
}

/** Bridges caller `a` with party `b` until closed. */
export function bridgeCalls(a: CallSession, b: CallSession, opts: BridgeOptions): Bridge {
  const toParty = new FrameRelay();
  const toCaller = new FrameRelay();
  const untapA = a.addTap((track, pcm) => {
    if (track === 'inbound') {
      toParty.push(pcm);
    }
  });
  const untapB = b.addTap((track, pcm) => {
    if (track === 'inbound') {
      toCaller.push(pcm);
    }
  });
  a.addSource(toCaller);
  b.addSource(toParty);
  const onCallerKey = (digit: string): void => {
    if (opts.hangupOnStar && digit === '*') {
      opts.onStar();
      return;
    }
    b.leg.sendDtmf(digit);
  };
  const onPartyKey = (digit: string): void => {
    a.leg.sendDtmf(digit);
  };
  a.on('dtmf', onCallerKey);
  b.on('dtmf', onPartyKey);
  let open = true;
  return {
    toCaller,
    toParty,
    close: () => {
      if (!open) {
        return;
      }
      open = false;
      untapA();
      untapB();
      a.removeSource(toCaller);
      b.removeSource(toParty);
      a.off('dtmf', onCallerKey);
      b.off('dtmf', onPartyKey);
    },
  };
}
