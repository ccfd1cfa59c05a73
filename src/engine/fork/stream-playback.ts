/**
 * The app's audio on its way to the caller, for one bidirectional stream: the playout queue (audio in
 * the stream's wire format, with its checkpoints) and the decoder to call audio.
 *
 * `render` runs inside the call's mix, so it sends nothing and allocates nothing per frame: the
 * checkpoints whose audio it has played are recorded in `reached` (one array for the stream's life,
 * emptied by `forgetReached`), and the fork acknowledges them after the mix.
 */
import type { PlaybackProgress } from '../../protocol/stream-dialect.types.js';
import { WIRE_FRAME_MS, type MediaFormat } from '../../protocol/stream-ws/formats.js';
import { PlayoutQueue, type QueueRefusal } from '../../protocol/stream-ws/playout-queue.js';
import { WireDecoder } from './wire-audio.js';

/**
 * An underrun: the queue ran dry while the app was playing and its next audio came within this many
 * frames of silence (the caller heard a gap the app did not mean: it sent too late). A longer pause is the end of
 * an utterance, not an underrun.
 */
export const UNDERRUN_WINDOW_FRAMES = 10;

/** How the app's playback commands are named in errors (e.g. one sent on a one-way stream). */
export const PLAYBACK_VERB: Readonly<Record<'play' | 'checkpoint' | 'clear', string>> = {
  play: 'playAudio',
  checkpoint: 'checkpoint',
  clear: 'clearAudio',
};

export interface StreamPlaybackOptions {
  /** D6: true = little-endian L16. */
  readonly l16LittleEndian: boolean;
  /** Most audio queued at once, in ms. */
  readonly maxQueuedMs: number;
}

export class StreamPlayback {
  readonly #queue: PlayoutQueue;
  readonly #decoder: WireDecoder;
  /** One frame in the wire format, between the queue and the decoder. */
  readonly #frame: Uint8Array;
  readonly #reached: string[] = [];
  #frames = 0;
  /** Frames of the app's audio played since the stream started. */
  #playedFrames = 0;
  #playing = false;
  /** The frame at which the queue ran dry while playing, or -1. */
  #dryAt = -1;
  #underruns = 0;

  constructor(format: MediaFormat, opts: StreamPlaybackOptions) {
    this.#queue = new PlayoutQueue(format, { maxQueuedMs: opts.maxQueuedMs });
    this.#decoder = new WireDecoder(format, opts.l16LittleEndian);
    this.#frame = new Uint8Array(format.frameBytes);
  }

  /** Audio queued, in ms. */
  get queuedMs(): number {
    return this.#queue.queuedMs;
  }

  /**
   * Where playback stands, for the playback messages (the playback extras report it): the app's audio
   * played so far and queued now; `clearedMs` is what a clear just dropped.
   */
  progress(clearedMs?: number): PlaybackProgress {
    return { playedMs: this.#playedFrames * WIRE_FRAME_MS, queuedMs: this.#queue.queuedMs, clearedMs };
  }

  /** Underruns so far (see {@link UNDERRUN_WINDOW_FRAMES}). */
  get underruns(): number {
    return this.#underruns;
  }

  /** The checkpoints `render` reached since the last `forgetReached`, oldest first. */
  get reached(): readonly string[] {
    return this.#reached;
  }

  /** Empties `reached` (once they are acknowledged). */
  forgetReached(): void {
    this.#reached.length = 0;
  }

  /** Queues audio in the wire format; refused (nothing queued) past the bound. */
  enqueue(audio: Uint8Array): { ok: true } | QueueRefusal {
    if (this.#dryAt >= 0) {
      if (this.#frames - this.#dryAt < UNDERRUN_WINDOW_FRAMES) {
        this.#underruns++;
      }
      this.#dryAt = -1;
    }
    return this.#queue.enqueue(audio);
  }

  /** Marks the current end of the queued audio. */
  checkpoint(name: string): { ok: true } | QueueRefusal {
    return this.#queue.checkpoint(name);
  }

  /**
   * Drops the queued audio and the checkpoints inside it, and the decoder's filter history, so audio
   * from before the clear cannot leak into what follows. Checkpoints already reached stay reached.
   */
  clear(): { droppedMs: number; droppedCheckpoints: readonly string[] } {
    const dropped = this.#queue.clear();
    this.#decoder.reset();
    this.#playing = false;
    this.#dryAt = -1;
    return dropped;
  }

  /**
   * For a 16 kHz stream, the frame the last successful `render` played at 16 kHz (320 samples, reused;
   * `out` is its downsampled version); undefined for 8 kHz streams.
   */
  get wide(): Int16Array | undefined {
    return this.#decoder.wide;
  }

  /** Writes the next 20 ms into `out` (160 samples at 8 kHz) and returns true, or returns false when nothing is queued. */
  render(out: Int16Array): boolean {
    const { played, checkpoints } = this.#queue.nextFrame(this.#frame);
    this.#frames++;
    if (played) {
      this.#playedFrames++;
      this.#decoder.decode(this.#frame, out);
    } else if (this.#playing) {
      this.#dryAt = this.#frames;
    }
    this.#playing = played;
    for (let i = 0; i < checkpoints.length; i++) {
      this.#reached.push(checkpoints[i] ?? '');
    }
    return played;
  }
}
