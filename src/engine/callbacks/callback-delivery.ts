/**
 * Delivers signed HTTP callbacks (stream status callbacks, the hangup URL) in order per lane (one lane
 * per stream, one per call's hangup), with retries for failures that may pass (connect errors,
 * timeouts, 5xx, 429). Delivery never blocks media: it runs on promises.
 *
 * Budgets, so that a backlog can cost memory only within bounds and never costs the events that matter
 * (issue 11):
 *
 * - Each request is `lifecycle` (StartStream, StopStream, DroppedStream, DegradedStream, the hangup
 *   callback; the default) or `frequent` (PlayedStream, ClearedAudio: one per app message, so an app
 *   can produce thousands a second). Each kind has its own budget per lane; a flood of frequent
 *   requests can only push out older frequent requests of the same lane, never a lifecycle one.
 * - Frequent: a lane holds at most `maxFrequentQueued` waiting frequent requests; a new one beyond that
 *   drops the lane's oldest waiting frequent request. A frequent request with a `coalesceKey` replaces
 *   the lane's last waiting request when that one has the same key (a run of ClearedAudio behind a
 *   slow endpoint collapses into the newest), which keeps order and loses no information but the count.
 * - Lifecycle: never dropped for frequent ones. Once a lane holds `maxLifecycleQueued` waiting
 *   lifecycle requests, the oldest `evictable` one gives way (DegradedStream, which can repeat when a
 *   consumer's buffer swings); non-evictable ones (Start/Stop/Dropped, hangup) occur at most once per
 *   lane and are always queued.
 * - Memory across lanes: at most `maxFrequentQueuedTotal` waiting frequent requests in all. Past it, the
 *   lane holding the most waiting frequent requests drops its oldest: the stream that floods pays,
 *   not the others.
 * - Order: one FIFO per lane; what is delivered keeps the order in which it was sent.
 * - Counting and logs: every drop and coalescing is counted (`stats`, `laneStats`, and the sender's
 *   `onDropped`). Logging is rate-limited per lane: the first drop or failed delivery logs one line at
 *   once, later ones are summed and reported in one line per lane per `reportIntervalMs` (and when the
 *   lane drains), never one line per request.
 */
import { signatureHeaders } from '../../protocol/signature/v3.js';
import type { TimerHandle, Timers } from '../../ports/clock.js';
import type { HttpClient, HttpResponse } from '../../ports/http-client.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';

export interface CallbackRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly params: readonly (readonly [string, string])[];
}

/** `lifecycle` requests are never dropped for a flood of `frequent` ones (see the module doc). */
export type CallbackKind = 'lifecycle' | 'frequent';

export interface CallbackSendOptions {
  /** Default `lifecycle`. */
  readonly kind?: CallbackKind;
  /** Lifecycle only: may give way, oldest first, when the lane's lifecycle budget is full. */
  readonly evictable?: boolean;
  /** Frequent only: replaces the lane's last waiting request when that one has the same key. */
  readonly coalesceKey?: string;
  /** Called at most once, if this request is dropped or replaced before it was sent. */
  readonly onDropped?: (why: 'dropped' | 'coalesced') => void;
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
  /** Waiting frequent requests per lane before the lane's oldest one is dropped. Default 100. */
  readonly maxFrequentQueued?: number;
  /** Waiting lifecycle requests per lane before the oldest evictable one gives way. Default 16. */
  readonly maxLifecycleQueued?: number;
  /** Waiting frequent requests across all lanes; past it the fullest lane drops. Default 10000. */
  readonly maxFrequentQueuedTotal?: number;
  /** Per lane, at most one summary line per this interval. Default 10000 ms. */
  readonly reportIntervalMs?: number;
}

/** Counters of one lane while it has requests queued or in flight. */
export interface CallbackLaneStats {
  readonly frequentQueued: number;
  readonly lifecycleQueued: number;
  readonly delivered: number;
  readonly failed: number;
  readonly dropped: number;
  readonly coalesced: number;
}

/** Totals since start. `queued` and `pendingLanes` are the current backlog. */
export interface CallbackDeliveryStats {
  readonly delivered: number;
  /** Given up after every attempt failed. */
  readonly failed: number;
  /** Dropped unsent to stay within a budget. */
  readonly dropped: number;
  /** Replaced unsent by a newer request with the same coalesce key. */
  readonly coalesced: number;
  readonly queued: number;
  readonly pendingLanes: number;
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

interface Entry {
  readonly req: CallbackRequest;
  readonly kind: CallbackKind;
  readonly evictable: boolean;
  readonly coalesceKey: string | undefined;
  readonly onDropped: ((why: 'dropped' | 'coalesced') => void) | undefined;
}

type Problem = 'dropped' | 'coalesced' | 'failed' | 'errorStatus';

interface Lane {
  readonly name: string;
  /** Waiting requests, oldest first (the one in flight is not in it). */
  readonly queue: Entry[];
  running: boolean;
  frequent: number;
  lifecycle: number;
  delivered: number;
  failed: number;
  dropped: number;
  coalesced: number;
  /** Problems since the last log line, and the open rate-limit window. */
  readonly unreported: Record<Problem, number>;
  window: TimerHandle | undefined;
}

const FIRST_LINE: Readonly<Record<Exclude<Problem, 'coalesced'>, string>> = {
  dropped: 'status callback backlog full; dropping the oldest frequent callbacks of this lane',
  failed: 'callback delivery failed',
  errorStatus: 'callback answered with an error status',
};

export class CallbackDelivery {
  readonly #opts: CallbackDeliveryOptions;
  readonly #lanes = new Map<string, Lane>();
  readonly #idleWaiters: (() => void)[] = [];
  readonly #maxFrequent: number;
  readonly #maxLifecycle: number;
  readonly #maxFrequentTotal: number;
  #frequentTotal = 0;
  #queued = 0;
  #delivered = 0;
  #failed = 0;
  #dropped = 0;
  #coalesced = 0;

  constructor(opts: CallbackDeliveryOptions) {
    this.#opts = opts;
    this.#maxFrequent = Math.max(1, opts.maxFrequentQueued ?? 100);
    this.#maxLifecycle = Math.max(1, opts.maxLifecycleQueued ?? 16);
    this.#maxFrequentTotal = Math.max(1, opts.maxFrequentQueuedTotal ?? 10_000);
  }

  /** Totals since start and the current backlog. */
  get stats(): CallbackDeliveryStats {
    return {
      delivered: this.#delivered,
      failed: this.#failed,
      dropped: this.#dropped,
      coalesced: this.#coalesced,
      queued: this.#queued,
      pendingLanes: this.#lanes.size,
    };
  }

  /** One lane's counters, or undefined when it has nothing queued or in flight. */
  laneStats(lane: string): CallbackLaneStats | undefined {
    const l = this.#lanes.get(lane);
    if (l === undefined) {
      return undefined;
    }
    const { frequent, lifecycle, delivered, failed, dropped, coalesced } = l;
    return { frequentQueued: frequent, lifecycleQueued: lifecycle, delivered, failed, dropped, coalesced };
  }

  /** Queues `req` behind earlier requests of the same lane, within the budgets of the module doc. */
  send(lane: string, req: CallbackRequest, opts: CallbackSendOptions = {}): void {
    const kind = opts.kind ?? 'lifecycle';
    const entry: Entry = {
      req,
      kind,
      evictable: kind === 'lifecycle' && opts.evictable === true,
      coalesceKey: kind === 'frequent' ? opts.coalesceKey : undefined,
      onDropped: opts.onDropped,
    };
    const l = this.#laneFor(lane);
    if (kind === 'frequent') {
      this.#queueFrequent(l, entry);
    } else {
      if (l.lifecycle >= this.#maxLifecycle) {
        this.#evict(l, (e) => e.evictable);
      }
      this.#push(l, entry);
    }
    if (!l.running) {
      l.running = true;
      void this.#run(l);
    }
  }

  /** Resolves once every queued request has been delivered or given up. */
  idle(): Promise<void> {
    if (this.#lanes.size === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #laneFor(name: string): Lane {
    let l = this.#lanes.get(name);
    if (l === undefined) {
      l = {
        name,
        queue: [],
        running: false,
        frequent: 0,
        lifecycle: 0,
        delivered: 0,
        failed: 0,
        dropped: 0,
        coalesced: 0,
        unreported: { dropped: 0, coalesced: 0, failed: 0, errorStatus: 0 },
        window: undefined,
      };
      this.#lanes.set(name, l);
    }
    return l;
  }

  #queueFrequent(l: Lane, entry: Entry): void {
    const last = l.queue.length - 1;
    const tail = l.queue[last];
    if (tail !== undefined && entry.coalesceKey !== undefined && tail.coalesceKey === entry.coalesceKey) {
      l.queue[last] = entry;
      l.coalesced++;
      this.#coalesced++;
      l.unreported.coalesced++;
      tail.onDropped?.('coalesced');
      return;
    }
    if (l.frequent >= this.#maxFrequent) {
      this.#evict(l, (e) => e.kind === 'frequent');
    }
    this.#push(l, entry);
    const fullest = this.#frequentTotal > this.#maxFrequentTotal ? this.#fullestLane() : undefined;
    if (fullest !== undefined) {
      this.#evict(fullest, (e) => e.kind === 'frequent');
    }
  }

  #fullestLane(): Lane | undefined {
    let fullest: Lane | undefined;
    for (const l of this.#lanes.values()) {
      if (fullest === undefined || l.frequent > fullest.frequent) {
        fullest = l;
      }
    }
    return fullest;
  }

  #push(l: Lane, entry: Entry): void {
    l.queue.push(entry);
    this.#count(l, entry, 1);
  }

  #count(l: Lane, entry: Entry, delta: 1 | -1): void {
    this.#queued += delta;
    if (entry.kind === 'frequent') {
      l.frequent += delta;
      this.#frequentTotal += delta;
    } else {
      l.lifecycle += delta;
    }
  }

  /** Drops the oldest waiting request of `l` that `which` selects, if any. */
  #evict(l: Lane, which: (e: Entry) => boolean): void {
    const i = l.queue.findIndex(which);
    if (i < 0) {
      return;
    }
    const [entry] = l.queue.splice(i, 1);
    if (entry === undefined) {
      return;
    }
    this.#count(l, entry, -1);
    l.dropped++;
    this.#dropped++;
    entry.onDropped?.('dropped');
    this.#note(l, 'dropped', { url: entry.req.url, kind: entry.kind });
  }

  async #run(l: Lane): Promise<void> {
    for (let entry = l.queue.shift(); entry !== undefined; entry = l.queue.shift()) {
      this.#count(l, entry, -1);
      await this.#deliver(l, entry.req);
    }
    l.running = false;
    this.#lanes.delete(l.name);
    l.window?.cancel();
    l.window = undefined;
    this.#summarize(l);
    if (this.#lanes.size === 0) {
      for (const resolve of this.#idleWaiters.splice(0)) {
        resolve();
      }
    }
  }

  async #deliver(l: Lane, req: CallbackRequest): Promise<void> {
    const { http, random, authToken } = this.#opts;
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
        l.delivered++;
        if (res.status >= 400) {
          this.#note(l, 'errorStatus', { url: req.url, status: res.status });
        }
        return;
      }
      const why = res.ok ? `HTTP ${res.status}` : `${res.reason}: ${res.detail}`;
      // A refusal that cannot pass (the target policy denies the URL, the answer is too large) is final.
      if (attempt === maxAttempts || !isRetryable(res)) {
        this.#failed++;
        l.failed++;
        this.#note(l, 'failed', { url: req.url, attempts: attempt, why });
        return;
      }
      await new Promise<void>((resolve) => this.#opts.timers.after(backoffMs, resolve));
      backoffMs *= 2;
    }
  }

  /**
   * Rate-limited logging: the first problem of a lane with no open window logs one line (with its
   * details) and opens a window; problems inside the window are only counted, and summed up in one line
   * when it closes (then a new window opens) or when the lane drains.
   */
  #note(l: Lane, problem: Exclude<Problem, 'coalesced'>, detail: object): void {
    if (l.window !== undefined) {
      l.unreported[problem]++;
      return;
    }
    this.#opts.logger.warn({ lane: l.name, ...detail }, FIRST_LINE[problem]);
    this.#openWindow(l);
  }

  #openWindow(l: Lane): void {
    l.window = this.#opts.timers.after(this.#opts.reportIntervalMs ?? 10_000, () => {
      l.window = undefined;
      if (this.#summarize(l)) {
        this.#openWindow(l);
      }
    });
  }

  /** Logs the problems counted since the last line, if any; true if it logged. */
  #summarize(l: Lane): boolean {
    const u = l.unreported;
    if (u.dropped + u.failed + u.errorStatus === 0) {
      return false;
    }
    this.#opts.logger.warn(
      {
        lane: l.name,
        dropped: u.dropped,
        coalesced: u.coalesced,
        failed: u.failed,
        errorStatus: u.errorStatus,
        laneTotals: { delivered: l.delivered, failed: l.failed, dropped: l.dropped, coalesced: l.coalesced },
      },
      'status callback problems since the last report on this lane',
    );
    u.dropped = 0;
    u.coalesced = 0;
    u.failed = 0;
    u.errorStatus = 0;
    return true;
  }
}
