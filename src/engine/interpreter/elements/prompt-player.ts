/**
 * Plays prompt audio (`<Speak>`, `<Play>`, a beep) to the caller: an `OutboundSource` the call mixes
 * into what the caller hears, one 20 ms frame per tick of the shared media clock (no timer of its own).
 * It plays `loop` times (0: until stopped), resolves `done` when the last frame has been rendered, and
 * stops at once on `stop()`, on abort of the flow's signal, or when the call ends.
 */
import type { CallSession } from '../../call/call-session.js';
import type { OutboundSource } from '../../call/call-session.types.js';
import { FRAME_SAMPLES } from '../../call/media-leg.types.js';

/** How a prompt ended: played to the end, or cut short (abort, hang-up, barge-in). */
export type PlayEnd = 'finished' | 'stopped';

export class PromptPlayer implements OutboundSource {
  readonly done: Promise<PlayEnd>;
  readonly #audio: Int16Array;
  /** Samples to play in total; Infinity for `loop = 0`. */
  readonly #total: number;
  #played = 0;
  #ended = false;
  #resolve!: (end: PlayEnd) => void;

  /**
   * @param audio 8 kHz mono samples (not copied; never mutated).
   * @param loop Times to play the audio; 0 repeats until `stop()`.
   */
  constructor(audio: Int16Array, loop: number) {
    this.#audio = audio;
    this.#total = loop === 0 ? Number.POSITIVE_INFINITY : audio.length * Math.max(0, loop);
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    if (audio.length === 0 || this.#total === 0) {
      this.#finish('finished');
    }
  }

  /** Samples rendered so far (loops included). */
  get playedSamples(): number {
    return this.#played;
  }

  get ended(): boolean {
    return this.#ended;
  }

  render(out: Int16Array): boolean {
    if (this.#ended) {
      return false;
    }
    const audio = this.#audio;
    const len = audio.length;
    let pos = this.#played % len;
    const left = this.#total - this.#played;
    const n = left < FRAME_SAMPLES ? left : FRAME_SAMPLES;
    for (let i = 0; i < n; i++) {
      out[i] = audio[pos] ?? 0;
      pos = pos + 1 === len ? 0 : pos + 1;
    }
    out.fill(0, n, FRAME_SAMPLES);
    this.#played += n;
    if (this.#played >= this.#total) {
      this.#finish('finished');
    }
    return true;
  }

  /** Stops at once (idempotent); `done` resolves with `'stopped'` unless it already finished. */
  stop(): void {
    this.#finish('stopped');
  }

  #finish(end: PlayEnd): void {
    if (this.#ended) {
      return;
    }
    this.#ended = true;
    this.#resolve(end);
  }
}

/**
 * Plays `audio` to the caller `loop` times (0: until `signal` aborts or the call ends) and resolves
 * when it has played or was stopped. Never rejects.
 */
export async function playToCaller(
  call: CallSession,
  audio: Int16Array,
  loop: number,
  signal: AbortSignal,
): Promise<PlayEnd> {
  if (signal.aborted || call.status !== 'in-progress') {
    return 'stopped';
  }
  const player = new PromptPlayer(audio, loop);
  const stop = (): void => {
    player.stop();
  };
  signal.addEventListener('abort', stop, { once: true });
  call.on('ended', stop);
  call.addSource(player);
  try {
    return await player.done;
  } finally {
    call.removeSource(player);
    call.off('ended', stop);
    signal.removeEventListener('abort', stop);
  }
}
