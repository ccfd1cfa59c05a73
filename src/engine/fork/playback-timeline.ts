/**
 * What the console's timeline (and metrics) learn from one stream's playback commands, kept out of the
 * fork: when a burst of the app's audio starts (`stream.play`, once per burst, not once per 20 ms
 * message) and how long each checkpoint took from its message to its audio being played. Rare work:
 * only on the app's `playAudio`/`checkpoint`/`clearAudio` messages, never per media frame.
 */

/** `stream.play` marks a burst of the app's audio: a `playAudio` after at least this long without one, into an empty queue. */
export const PLAY_BURST_GAP_MS = 200;

export class PlaybackTimeline {
  #lastPlayAtMs = Number.NEGATIVE_INFINITY;
  /** When each queued checkpoint's message arrived, oldest first. */
  readonly #arrivals: { readonly name: string; readonly atMs: number }[] = [];

  /**
   * An accepted `playAudio` at `nowMs`, into a queue that was empty (`idle`) or not. True when it starts a
   * burst: an app that paces its audio in real time drains the queue every frame, so the gap, not the
   * empty queue alone, tells a new utterance.
   */
  play(nowMs: number, idle: boolean): boolean {
    const burst = idle && nowMs - this.#lastPlayAtMs >= PLAY_BURST_GAP_MS;
    this.#lastPlayAtMs = nowMs;
    return burst;
  }

  checkpoint(name: string, nowMs: number): void {
    this.#arrivals.push({ name, atMs: nowMs });
  }

  /** The checkpoint `name` was played at `nowMs`: its latency from its message, ms (null: unknown). */
  played(name: string, nowMs: number): number | null {
    const at = this.#take(name);
    return at === undefined ? null : nowMs - at;
  }

  /** Checkpoints dropped by a clear are forgotten. */
  cleared(names: readonly string[]): void {
    for (const name of names) {
      this.#take(name);
    }
  }

  #take(name: string): number | undefined {
    const i = this.#arrivals.findIndex((a) => a.name === name);
    if (i < 0) {
      return undefined;
    }
    const [taken] = this.#arrivals.splice(i, 1);
    return taken?.atMs;
  }
}
