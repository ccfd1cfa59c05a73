/** The options of `VirtualLeg` (virtual-leg.ts); its interface and events are the `MediaLeg`'s (media-leg.types.ts). */
export interface VirtualLegOptions {
  /** 8 kHz mono caller audio. After it runs out the caller is silent (or it loops). */
  readonly callerAudio: Int16Array;
  readonly loop?: boolean;
}
