/**
 * The app's audio on its way to the caller, for one bidirectional stream: the playout queue (audio in
 * the stream's wire format, with its checkpoints) and the decoder to call audio.
 *
 * `render` runs inside the call's mix, so it sends nothing and allocates nothing per frame: the
 * checkpoints whose audio it has played are recorded in `reached` (one array for the stream's life,
 * emptied by `forgetReached`), and the fork acknowledges them after the mix.
 */
import type { MediaFormat } from '../../protocol/stream-ws/formats.js';
import { PlayoutQueue, type QueueRefusal } from '../../protocol/stream-ws/playout-queue.js';
import { WireDecoder } from './wire-audio.js';

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

  constructor(format: MediaFormat, opts: StreamPlaybackOptions) {
    this.#queue = new PlayoutQueue(format, { maxQueuedMs: opts.maxQueuedMs });
    this.#decoder = new WireDecoder(format, opts.l16LittleEndian);
    this.#frame = new Uint8Array(format.frameBytes);
  }

  /** Audio queued, in ms. */
  get queuedMs(): number {
    return this.#queue.queuedMs;
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
    if (played) {
      this.#decoder.decode(this.#frame, out);
    }
    for (let i = 0; i < checkpoints.length; i++) {
      this.#reached.push(checkpoints[i] ?? '');
    }
    return played;
  }
}
