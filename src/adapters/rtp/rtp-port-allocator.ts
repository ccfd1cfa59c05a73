/**
 * Hands out RTP/RTCP port pairs from a configured range: RTP on an even port, RTCP on RTP+1
 * (RFC 3550 §11). Allocation is round-robin from the last port handed out, so a port just released is
 * reused as late as possible (stray packets of the previous call are unlikely to reach the next one).
 */
import { ServerError } from '../../errors/server-error.js';

export interface RtpPortRange {
  /** Lowest port of the range (inclusive); rounded up to even. */
  readonly minPort: number;
  /** Highest port of the range (inclusive); the last pair must fit (RTCP = RTP+1 ≤ maxPort). */
  readonly maxPort: number;
}

export class RtpPortAllocator {
  readonly minPort: number;
  readonly maxPort: number;
  /** Number of pairs in the range. */
  readonly capacity: number;
  readonly #inUse = new Set<number>();
  #cursor = 0;

  constructor(range: RtpPortRange) {
    const min = range.minPort + (range.minPort % 2);
    if (
      !Number.isInteger(range.minPort) ||
      !Number.isInteger(range.maxPort) ||
      min < 1024 ||
      range.maxPort > 65535 ||
      min + 1 > range.maxPort
    ) {
      throw new RangeError(
        `RTP port range ${range.minPort}-${range.maxPort} must hold at least one even/odd pair within 1024-65535`,
      );
    }
    this.minPort = min;
    this.maxPort = range.maxPort;
    this.capacity = Math.floor((range.maxPort - min + 1) / 2);
  }

  /** Pairs currently handed out. */
  get inUse(): number {
    return this.#inUse.size;
  }

  /**
   * Takes a free pair and returns its even RTP port.
   * @throws ServerError `ERR_RTP_PORTS_EXHAUSTED` when every pair is in use.
   */
  allocate(): number {
    for (let i = 0; i < this.capacity; i++) {
      const index = (this.#cursor + i) % this.capacity;
      const port = this.minPort + 2 * index;
      if (!this.#inUse.has(port)) {
        this.#inUse.add(port);
        this.#cursor = (index + 1) % this.capacity;
        return port;
      }
    }
    throw new ServerError(
      'ERR_RTP_PORTS_EXHAUSTED',
      `all ${this.capacity} RTP port pairs in ${this.minPort}-${this.maxPort} are in use`,
    );
  }

  /** Returns a pair (by its RTP port) to the pool. Releasing a port not handed out is a no-op. */
  release(rtpPort: number): void {
    this.#inUse.delete(rtpPort);
  }
}
