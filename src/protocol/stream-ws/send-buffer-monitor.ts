/**
 * D11 slow-consumer detection for one stream: fed the socket's buffered byte count after each send, it
 * says when to send `DegradedStream` (30 %, 60 %, 90 % of the buffer) and when to drop the stream.
 * Plivo reference: https://plivo.com/docs/voice/audio-streaming/best-practices (40 s buffer).
 */

/** What the caller should do after {@link SendBufferMonitor.update}. */
export type SendBufferEffect =
  | { readonly type: 'ok' }
  | { readonly type: 'degraded'; readonly percent: 30 | 60 | 90 }
  | { readonly type: 'overflow' };

/** Options of {@link SendBufferMonitor}. */
export interface SendBufferMonitorOptions {
  /**
   * A level is re-armed once usage falls this many percentage points below it, so a buffer hovering
   * around a threshold does not send a callback on every frame. Default 10 (30 % re-arms below 20 %).
   */
  readonly rearmHysteresisPercent?: number;
}

const LEVELS = [90, 60, 30] as const;
const BITS: Readonly<Record<30 | 60 | 90, number>> = { 30: 1, 60: 2, 90: 4 };
const OK: SendBufferEffect = Object.freeze({ type: 'ok' });
const OVERFLOW: SendBufferEffect = Object.freeze({ type: 'overflow' });
const DEGRADED: Readonly<Record<30 | 60 | 90, SendBufferEffect>> = {
  30: Object.freeze({ type: 'degraded', percent: 30 }),
  60: Object.freeze({ type: 'degraded', percent: 60 }),
  90: Object.freeze({ type: 'degraded', percent: 90 }),
};

/** Watches one stream's send buffer against its capacity. */
export class SendBufferMonitor {
  readonly #capacityBytes: number;
  readonly #hysteresis: number;
  /** Levels reported and not yet re-armed, as bits (30 % = 1, 60 % = 2, 90 % = 4). */
  #fired = 0;
  #usagePercent = 0;

  /** `capacityBytes`: the bytes of 40 s (D11) of this stream's outbound messages; see {@link sendBufferCapacityBytes}. */
  constructor(capacityBytes: number, opts: SendBufferMonitorOptions = {}) {
    if (!(capacityBytes > 0) || !Number.isFinite(capacityBytes)) {
      throw new TypeError(`capacityBytes must be a positive finite number, got ${capacityBytes}`);
    }
    this.#capacityBytes = capacityBytes;
    this.#hysteresis = opts.rearmHysteresisPercent ?? 10;
  }

  /** Usage at the last update, in percent of capacity (may exceed 100). */
  get usagePercent(): number {
    return this.#usagePercent;
  }

  /**
   * Feeds the socket's buffered byte count. Returns `degraded` with the highest level crossed upward
   * for the first time since it was last re-armed, `overflow` whenever the buffer is full (the stream
   * should be dropped), `ok` otherwise.
   */
  update(bufferedBytes: number): SendBufferEffect {
    const percent = (bufferedBytes / this.#capacityBytes) * 100;
    this.#usagePercent = percent;
    if (percent >= 100) {
      return OVERFLOW;
    }
    let crossed: 30 | 60 | 90 | undefined;
    for (const level of LEVELS) {
      const bit = BITS[level];
      if (percent >= level) {
        if ((this.#fired & bit) === 0) {
          this.#fired |= bit;
          crossed ??= level;
        }
      } else if (percent < level - this.#hysteresis) {
        this.#fired &= ~bit;
      }
    }
    return crossed === undefined ? OK : DEGRADED[crossed];
  }
}

/**
 * D11 buffer size: `seconds` (default 40) of this stream's outbound media messages, given the size of
 * one `media` message (see `mediaMessageBytes` in writer.ts) and the number of forked tracks.
 */
export function sendBufferCapacityBytes(mediaMessageBytes: number, trackCount: number, seconds = 40): number {
  return mediaMessageBytes * trackCount * 50 * seconds;
}
