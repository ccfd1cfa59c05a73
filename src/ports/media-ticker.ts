/**
 * The one shared media clock, as the engine sees it: a listener runs once per 20 ms frame for every
 * call and stream (no timer per stream). Implemented by adapters/system-clock/media-clock-driver.
 */
export interface MediaTicker {
  /** Adds a per-frame listener; returns a function that removes it. */
  add(listener: (frameIndex: number) => void): () => void;
}
