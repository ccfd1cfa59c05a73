/**
 * Delivers signed HTTP callbacks (stream status callbacks, hangup URL) in order per lane (one lane per
 * stream or call), with retries for failures that may pass (connect errors, timeouts, 5xx, 429).
 * Delivery never blocks media: it runs on promises, and a lane holds at most `maxQueued` requests
 * (older ones are dropped with a log line when an endpoint is down for a long time).
 */
import { signatureHeaders } from '../../protocol/signature/v3.js';
import type { Timers } from '../../ports/clock.js';
import type { HttpClient, HttpResponse } from '../../ports/http-client.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';

export interface CallbackRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly params: readonly (readonly [string, string])[];
}

export interface CallbackDeliveryOptions {
  readonly http: HttpClient;
  readonly timers: Timers;
  readonly random: Random;
  readonly logger: Logger;
  readonly authToken: string;
  /** Per attempt. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Attempts in total, first included. Default 3. */
  readonly maxAttempts?: number;
  /** Delay before the second attempt, doubled after each. Default 500 ms. */
  readonly backoffMs?: number;
  /** Requests waiting per lane before the oldest is dropped. Default 100. */
  readonly maxQueued?: number;
}

/** A 20-digit decimal nonce, the shape Plivo uses. */
export function makeNonce(random: Random): string {
  let out = '';
  for (const b of random.bytes(20)) {
    out += String(b % 10);
  }
  return out;
}

function isRetryable(res: HttpResponse): boolean {
  if (!res.ok) {
    return res.reason === 'timeout' || res.reason === 'connect' || res.reason === 'other';
  }
  return res.status >= 500 || res.status === 429 || res.status === 408;
}

interface Lane {
  readonly queue: CallbackRequest[];
  running: boolean;
}

export class CallbackDelivery {
  readonly #opts: CallbackDeliveryOptions;
  readonly #lanes = new Map<string, Lane>();
  readonly #idleWaiters: (() => void)[] = [];
  #delivered = 0;
  #failed = 0;

  constructor(opts: CallbackDeliveryOptions) {
    this.#opts = opts;
  }

  /** Counters since start. */
  get stats(): { delivered: number; failed: number; pendingLanes: number } {
    return { delivered: this.#delivered, failed: this.#failed, pendingLanes: this.#lanes.size };
  }

  /** Queues `req` behind earlier requests of the same lane. */
  send(lane: string, req: CallbackRequest): void {
    let entry = this.#lanes.get(lane);
    if (entry === undefined) {
      entry = { queue: [], running: false };
      this.#lanes.set(lane, entry);
    }
    if (entry.queue.length >= (this.#opts.maxQueued ?? 100)) {
      const dropped = entry.queue.shift();
      this.#failed++;
      this.#opts.logger.warn({ lane, url: dropped?.url }, 'callback queue full; oldest request dropped');
    }
    entry.queue.push(req);
    if (!entry.running) {
      entry.running = true;
      void this.#run(lane, entry);
    }
  }

  /** Resolves once every queued request has been delivered or given up. */
  idle(): Promise<void> {
    if (this.#lanes.size === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  async #run(lane: string, entry: Lane): Promise<void> {
    for (let req = entry.queue.shift(); req !== undefined; req = entry.queue.shift()) {
      await this.#deliver(req);
    }
    entry.running = false;
    this.#lanes.delete(lane);
    if (this.#lanes.size === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) {
        resolve();
      }
    }
  }

  async #deliver(req: CallbackRequest): Promise<void> {
    const { http, random, authToken, logger } = this.#opts;
    const maxAttempts = this.#opts.maxAttempts ?? 3;
    let backoffMs = this.#opts.backoffMs ?? 500;
    const params: Record<string, string[]> = {};
    for (const [k, v] of req.params) {
      (params[k] ??= []).push(v);
    }
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const nonce = makeNonce(random);
      const headers = signatureHeaders({ method: req.method, url: req.url, params, nonce, authToken });
      const res = await http.request({
        method: req.method,
        url: req.url,
        headers,
        form: req.params,
        timeoutMs: this.#opts.timeoutMs ?? 5000,
        maxBodyBytes: 64 * 1024,
      });
      if (res.ok && !isRetryable(res)) {
        this.#delivered++;
        if (res.status >= 400) {
          logger.warn({ url: req.url, status: res.status }, 'callback answered with an error status');
        }
        return;
      }
      const why = res.ok ? `HTTP ${res.status}` : `${res.reason}: ${res.detail}`;
      if (attempt === maxAttempts) {
        this.#failed++;
        logger.warn({ url: req.url, attempts: attempt, why }, 'callback delivery failed');
        return;
      }
      await new Promise<void>((resolve) => this.#opts.timers.after(backoffMs, resolve));
      backoffMs *= 2;
    }
  }
}
