/**
 * The event loop's lag, measured by Node's own sampler (`perf_hooks.monitorEventLoopDelay`, a libuv
 * timer every `resolutionMs`) and read once per window: the window's 99th percentile and maximum, ms.
 * The overload gate (`limits.maxEventLoopLagMs`) reads the last window's p99; metrics get each window.
 *
 * Cost: one libuv timer at `resolutionMs` (default 10 ms) and one JS timer per window; nothing on the
 * media path.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** One measured window, ms. */
export interface EventLoopLagWindow {
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface EventLoopLagOptions {
  /** Length of a window. Default 1000 ms. */
  readonly windowMs?: number;
  /** The sampler's resolution. Default 10 ms. */
  readonly resolutionMs?: number;
}

export class EventLoopLagMonitor {
  readonly #windowMs: number;
  readonly #resolutionMs: number;
  readonly #histogram: IntervalHistogram;
  readonly #listeners: ((w: EventLoopLagWindow) => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #last: EventLoopLagWindow = { p99Ms: 0, maxMs: 0 };

  constructor(opts: EventLoopLagOptions = {}) {
    this.#windowMs = opts.windowMs ?? 1000;
    this.#resolutionMs = opts.resolutionMs ?? 10;
    this.#histogram = monitorEventLoopDelay({ resolution: this.#resolutionMs });
  }

  /** Starts sampling (idempotent). The window timer does not keep the process alive. */
  start(): void {
    if (this.#timer !== undefined) {
      return;
    }
    this.#histogram.enable();
    this.#timer = setInterval(() => {
      this.#roll();
    }, this.#windowMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#histogram.disable();
  }

  /** Calls `fn` with each window as it closes. */
  onWindow(fn: (w: EventLoopLagWindow) => void): void {
    this.#listeners.push(fn);
  }

  /** The last closed window's p99 lag, ms (0 before the first window closes). */
  lagMs(): number {
    return this.#last.p99Ms;
  }

  get lastWindow(): EventLoopLagWindow {
    return this.#last;
  }

  #roll(): void {
    const h = this.#histogram;
    // The sampler records each wake-up's whole interval (its period included): the lag is the rest.
    const lag = (ns: number): number => Math.max(0, ns / 1e6 - this.#resolutionMs);
    this.#last = h.count > 0 ? { p99Ms: lag(h.percentile(99)), maxMs: lag(h.max) } : { p99Ms: 0, maxMs: 0 };
    h.reset();
    for (const fn of this.#listeners) {
      fn(this.#last);
    }
  }
}
