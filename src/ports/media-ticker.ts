/**
 * The one shared media clock, as the engine sees it: listeners run every 20 ms frame for every call and
 * stream (no timer per stream). The frame may be split into `phases` sub-ticks so that per-call work is
 * spread over the frame instead of done in one burst. Implemented by
 * adapters/system-clock/media-clock-driver.
 */
export interface MediaTicker {
  /**
   * Phases per 20 ms frame (1..8). Each call is ticked in one phase, at frame start +
   * phase · frameMs / phases.
   */
  readonly phases: number;
  /**
   * Adds a listener, called `phases` times per frame: (frameIndex, phase) with phase 0..phases-1, in
   * order. `frameIndex` is the same for every phase of a frame and never decreases; after an event-loop
   * stall some sub-ticks may be skipped (never emitted), so a listener may see a frame from a later
   * phase on, and frames skipped entirely take no index. Returns a function that removes the listener.
   */
  add(listener: (frameIndex: number, phase: number) => void): () => void;
}
