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
 *
 * Durability (the outbox, when `outbox` is given): every lifecycle request (the kinds that must not be
 * lost: Start/Stop/Dropped/DegradedStream, the hangup callback) is written to the store *before* its
 * first attempt, so a process killed at any point after `send` leaves a row that the next start
 * delivers (`recover`). Each failed attempt records the time of the next one; the row ends
 * `delivered`, or `given-up` (attempts or age spent, or pushed out by the lifecycle budget), and a
 * give-up is logged. The write goes through the lane's own promise chain, so it runs after the
 * synchronous work that called `send` (never inside a media tick), reaches the store in lane order,
 * and the lane waits for it before sending. A failed write is logged and the request is still sent
 * (it just is not durable). Frequent requests are not written: they may be dropped by budget anyway.
 *
 * At least once: a request is marked delivered only after the app answered, so a process that dies
 * between the answer and the mark sends it again after the restart. Every request carries
 * `X-Streamfork-Callback-Id` (the same on every attempt and after a restart): the receiver drops a
 * repeat by that id. Retry schedule and limits: `callback-retry.ts`.
 */
import { callbackSignatureHeaders, type CallbackSigning } from '../../protocol/signature/callback-signing.js';
import type { CallbackOutbox, OutboxEntry } from '../../ports/callback-outbox.js';
import type { Clock, TimerHandle, Timers } from '../../ports/clock.js';
import type { HttpClient } from '../../ports/http-client.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';
import {
  DEFAULT_RETRY_SCHEDULE,
  giveUpReason,
  isRetryable,
  retryDelayMs,
  type RetrySchedule,
} from './callback-retry.js';

/** The header that names a callback; the same on every attempt of it (the receiver's dedup key). */
export const CALLBACK_ID_HEADER = 'X-Streamfork-Callback-Id';

export interface CallbackRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly params: readonly (readonly [string, string])[];
  /** How it is signed (the dialect of the stream that sent it); absent: Plivo's V3. */
  readonly signing?: CallbackSigning | undefined;
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
  /**
   * The callback's id (header and outbox row) when the caller has a stable one (the hangup callback:
   * `hangupCallbackId`, the same id crash recovery would give it); default a new UUID.
   */
  readonly id?: string;
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
  /** The longest delay between attempts. Default 60000 ms. */
  readonly maxBackoffMs?: number;
  /** No attempt starts later than this after the request was sent. Default 24 h. */
  readonly maxAgeMs?: number;
  /** Where lifecycle requests are written before they are sent (see the module doc); absent: memory only. */
  readonly outbox?: CallbackOutbox;
  /** Wall clock for the outbox's times. Required with `outbox`. */
  readonly clock?: Clock;
  /** This process's name on the outbox rows it owns. Default: a random UUID. */
  readonly owner?: string;
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
  /** Failed attempts followed by another attempt (each retry counted once). */
  readonly retried: number;
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

interface Entry {
  /** The callback id (header), and the outbox row's id when durable. */
  readonly id: string;
  readonly req: CallbackRequest;
  /** Resolves true once the outbox row exists; undefined when the request is not durable. */
  readonly written: Promise<boolean> | undefined;
  readonly createdAt: number;
  /** Attempts made before this process took it over (recovered rows), and when the next is due. */
  readonly attempts: number;
  readonly nextAttemptAt: number;
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
  /** The lane's outbox writes, in order. */
  writes: Promise<unknown>;
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
  #retried = 0;
  #dropped = 0;
  #coalesced = 0;

  readonly #schedule: RetrySchedule;
  readonly #owner: string;

  constructor(opts: CallbackDeliveryOptions) {
    this.#opts = opts;
    const d = DEFAULT_RETRY_SCHEDULE;
    this.#schedule = {
      maxAttempts: Math.max(1, opts.maxAttempts ?? d.maxAttempts),
      backoffMs: opts.backoffMs ?? d.backoffMs,
      maxBackoffMs: opts.maxBackoffMs ?? d.maxBackoffMs,
      maxAgeMs: opts.maxAgeMs ?? d.maxAgeMs,
    };
    this.#owner = opts.owner ?? opts.random.uuid();
    this.#maxFrequent = Math.max(1, opts.maxFrequentQueued ?? 100);
    this.#maxLifecycle = Math.max(1, opts.maxLifecycleQueued ?? 16);
    this.#maxFrequentTotal = Math.max(1, opts.maxFrequentQueuedTotal ?? 10_000);
  }

  /** This process's name on the outbox rows it owns. */
  get owner(): string {
    return this.#owner;
  }

  /** Totals since start and the current backlog. */
  get stats(): CallbackDeliveryStats {
    return {
      delivered: this.#delivered,
      failed: this.#failed,
      retried: this.#retried,
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
    const l = this.#laneFor(lane);
    const id = opts.id ?? this.#opts.random.uuid();
    const createdAt = this.#now();
    const entry: Entry = {
      id,
      req,
      written: kind === 'lifecycle' ? this.#write(l, id, req, createdAt) : undefined,
      createdAt,
      attempts: 0,
      nextAttemptAt: createdAt,
      kind,
      evictable: kind === 'lifecycle' && opts.evictable === true,
      coalesceKey: kind === 'frequent' ? opts.coalesceKey : undefined,
      onDropped: opts.onDropped,
    };
    if (kind === 'frequent') {
      this.#queueFrequent(l, entry);
    } else {
      if (l.lifecycle >= this.#maxLifecycle) {
        this.#evict(l, (e) => e.evictable);
      }
      this.#push(l, entry);
    }
    this.#start(l);
  }

  /**
   * Takes over the outbox rows a previous process left pending (owned by anyone else, or with `from`
   * only that owner's: see `CallbackOutbox.claimCallbacks`; a cluster node passes its own node id) and
   * delivers them, in order per lane, each at its next attempt time, after the lane's requests already
   * queued. Resolves to how many it took over.
   */
  async recover(limit = 10_000, from?: string): Promise<number> {
    const { outbox } = this.#opts;
    if (outbox === undefined) {
      return 0;
    }
    const rows = await outbox.claimCallbacks({
      owner: this.#owner,
      limit,
      ...(from === undefined ? {} : { from }),
    });
    for (const row of rows) {
      const l = this.#laneFor(row.lane);
      this.#push(l, this.#recovered(row));
      this.#start(l);
    }
    if (rows.length > 0) {
      this.#opts.logger.info({ callbacks: rows.length }, 'delivering callbacks left pending by the last run');
    }
    return rows.length;
  }

  #recovered(row: OutboxEntry): Entry {
    return {
      id: row.id,
      req: { url: row.url, method: row.method, params: row.params, signing: row.signing },
      written: Promise.resolve(true),
      createdAt: row.createdAt,
      attempts: row.attempts,
      nextAttemptAt: row.nextAttemptAt,
      kind: 'lifecycle',
      evictable: false,
      coalesceKey: undefined,
      onDropped: undefined,
    };
  }

  #start(l: Lane): void {
    if (!l.running) {
      l.running = true;
      void this.#run(l);
    }
  }

  #now(): number {
    return this.#opts.clock?.epochMs() ?? 0;
  }

  /** Writes the outbox row of a lifecycle request through the lane's chain; true once written. */
  #write(l: Lane, id: string, req: CallbackRequest, createdAt: number): Promise<boolean> | undefined {
    const { outbox } = this.#opts;
    if (outbox === undefined) {
      return undefined;
    }
    const callUuid = req.params.find(([k]) => k === 'CallUUID')?.[1] ?? null;
    const row = {
      id,
      lane: l.name,
      callUuid,
      url: req.url,
      method: req.method,
      params: req.params,
      signing: req.signing ?? 'plivo',
    };
    const written = l.writes.then(() =>
      outbox.enqueueCallback({ ...row, owner: this.#owner, createdAt }).then(
        () => true,
        (err: unknown) => {
          this.#opts.logger.error(
            { err, lane: l.name, callUuid, callbackId: id },
            'could not write the callback to the outbox; sending it anyway (not durable)',
          );
          return false;
        },
      ),
    );
    l.writes = written;
    return written;
  }

  /** Records the end of a durable request (after its write); a failure is logged, never thrown. */
  async #record(l: Lane, entry: Entry, what: (o: CallbackOutbox) => Promise<void>): Promise<void> {
    const { outbox } = this.#opts;
    if (outbox === undefined || entry.written === undefined || !(await entry.written)) {
      return;
    }
    try {
      await what(outbox);
    } catch (err) {
      this.#opts.logger.error(
        { err, lane: l.name, callbackId: entry.id },
        'could not update the callback outbox',
      );
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
        writes: Promise.resolve(),
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
    void this.#record(l, entry, (o) =>
      o.giveUpCallback(entry.id, 0, this.#now(), 'dropped by the lane budget before it was sent'),
    );
    this.#note(l, 'dropped', { url: entry.req.url, kind: entry.kind });
  }

  async #run(l: Lane): Promise<void> {
    for (let entry = l.queue.shift(); entry !== undefined; entry = l.queue.shift()) {
      this.#count(l, entry, -1);
      await entry.written;
      await this.#deliver(l, entry);
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

  #wait(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise<void>((resolve) => this.#opts.timers.after(ms, resolve));
  }

  async #deliver(l: Lane, entry: Entry): Promise<void> {
    const { req } = entry;
    await this.#wait(entry.nextAttemptAt - this.#now());
    // A recovered row may have run out while the server was down (or the limits were lowered).
    const spent =
      entry.attempts > 0 || entry.nextAttemptAt !== entry.createdAt
        ? giveUpReason(this.#schedule, entry.attempts, entry.createdAt, this.#now())
        : undefined;
    if (spent !== undefined) {
      this.#failed++;
      l.failed++;
      this.#note(l, 'failed', {
        url: req.url,
        attempts: entry.attempts,
        callbackId: entry.id,
        giveUp: spent,
      });
      await this.#record(l, entry, (o) => o.giveUpCallback(entry.id, entry.attempts, this.#now(), spent));
      return;
    }
    for (let attempt = entry.attempts + 1; ; attempt++) {
      const res = await this.#attempt(entry);
      if (res.ok && !isRetryable(res)) {
        this.#delivered++;
        l.delivered++;
        if (res.status >= 400) {
          this.#note(l, 'errorStatus', { url: req.url, status: res.status });
        }
        await this.#record(l, entry, (o) => o.markCallbackDelivered(entry.id, attempt, this.#now()));
        return;
      }
      const why = res.ok ? `HTTP ${res.status}` : `${res.reason}: ${res.detail}`;
      const delay = retryDelayMs(this.#schedule, attempt);
      const nextAt = this.#now() + delay;
      // A refusal that cannot pass (the target policy denies the URL, the answer is too large) is final.
      const giveUp = isRetryable(res)
        ? giveUpReason(this.#schedule, attempt, entry.createdAt, nextAt)
        : 'not retryable';
      if (giveUp !== undefined) {
        this.#failed++;
        l.failed++;
        // Logged rate-limited per lane like every failure (the row keeps the reason).
        this.#note(l, 'failed', { url: req.url, attempts: attempt, why, callbackId: entry.id, giveUp });
        await this.#record(l, entry, (o) =>
          o.giveUpCallback(entry.id, attempt, this.#now(), `${giveUp}; last: ${why}`),
        );
        return;
      }
      this.#retried++;
      await this.#record(l, entry, (o) => o.markCallbackFailed(entry.id, attempt, nextAt, why));
      await this.#wait(delay);
    }
  }

  #attempt(entry: Entry): ReturnType<HttpClient['request']> {
    const { http, random, authToken } = this.#opts;
    const { req } = entry;
    const headers = callbackSignatureHeaders(req.signing ?? 'plivo', {
      method: req.method,
      url: req.url,
      params: req.params,
      nonce: makeNonce(random),
      authToken,
    });
    return http.request({
      method: req.method,
      url: req.url,
      headers: { ...headers, [CALLBACK_ID_HEADER]: entry.id },
      form: req.params,
      timeoutMs: this.#opts.timeoutMs ?? 5000,
      maxBodyBytes: 64 * 1024,
    });
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
