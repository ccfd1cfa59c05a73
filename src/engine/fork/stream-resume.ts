/**
 * Resumable streams (issue 16 item 3; `<Stream resumeTimeout="N">`, REST `resume_timeout`): when the app's
 * socket drops mid-call without a normal close, the stream does not end. streamfork reconnects to the
 * same URL for up to N seconds, keeps every message it would have sent meanwhile (the caller's audio,
 * DTMF, checkpoint acknowledgements) in a bounded buffer, and on the new socket sends a `start` that
 * says it resumes (same streamId, `"resumed": true`), then the buffered messages in order, then goes on
 * live. Media timestamps and sequence numbers run on as if nothing happened, so the app sees one stream
 * with a late stretch, not a gap. Off by default: a stream without the attribute behaves exactly as
 * Plivo's (the socket drops, the stream ends with DroppedStream) and its `start` has no extra field.
 *
 * The caller's playback keeps going while the app is away (what it queued still plays). The call does
 * not end while the stream reconnects; a `keepCallAlive` XML waits. A socket the app closes normally
 * (1000, 1001, 1005) ends the stream as before: the app meant it.
 */
import type { Clock, Timers } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { WsConnection } from '../../ports/ws-client.js';

/** Close codes of an app that ended its stream on purpose: such a close ends the stream, never resumes it. */
export const NORMAL_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005]);

/** First wait between reconnect attempts; doubled after each failure up to {@link RESUME_MAX_BACKOFF_MS}. */
export const RESUME_FIRST_BACKOFF_MS = 250;
export const RESUME_MAX_BACKOFF_MS = 2000;
/** Longest `resumeTimeout`, s. */
export const MAX_RESUME_TIMEOUT_SEC = 300;

/**
 * The messages held while the socket is away: at most `capacity` (the timeout's worth of media for the
 * stream's tracks, plus room for the rest); past it the oldest are dropped and counted, so a long
 * outage costs the start of the gap, never memory without bound.
 */
export class ResumeBuffer {
  readonly #capacity: number;
  #items: string[] = [];
  #head = 0;
  dropped = 0;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(text: string): void {
    if (this.size >= this.#capacity) {
      this.#head++;
      this.dropped++;
    }
    this.#items.push(text);
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Hands every held message to `send`, oldest first, and empties the buffer. */
  drain(send: (text: string) => void): number {
    const n = this.size;
    for (let i = this.#head; i < this.#items.length; i++) {
      send(this.#items[i] ?? '');
    }
    this.#items = [];
    this.#head = 0;
    return n;
  }
}

/** The buffer's capacity for a stream: `timeoutSec` of 50 frames per second on each track, plus 500. */
export function resumeCapacity(timeoutSec: number, tracks: number): number {
  return Math.ceil(timeoutSec * 50 * Math.max(1, tracks)) + 500;
}

export interface ReconnectDeps {
  connect(timeoutMs: number): Promise<WsConnection>;
  nowMs(): number;
  wait(ms: number): Promise<void>;
  /** True once the stream no longer wants a socket (stopped, ended). */
  abandoned(): boolean;
  onAttemptFailed(error: string): void;
}

export type ReconnectOutcome =
  | { readonly type: 'connected'; readonly ws: WsConnection; readonly attempts: number }
  | { readonly type: 'abandoned' }
  | { readonly type: 'expired'; readonly attempts: number; readonly lastError: string };

/** Tries to connect again until `deadlineMs`, with capped exponential back-off between attempts. */
export async function reconnectUntil(
  deadlineMs: number,
  connectTimeoutMs: number,
  d: ReconnectDeps,
): Promise<ReconnectOutcome> {
  let backoff = RESUME_FIRST_BACKOFF_MS;
  let attempts = 0;
  let lastError = 'not attempted';
  for (;;) {
    if (d.abandoned()) {
      return { type: 'abandoned' };
    }
    const left = deadlineMs - d.nowMs();
    if (left <= 0) {
      return { type: 'expired', attempts, lastError };
    }
    attempts++;
    try {
      const ws = await d.connect(Math.min(connectTimeoutMs, left));
      if (d.abandoned()) {
        ws.close(1000, 'stream stopped');
        return { type: 'abandoned' };
      }
      return { type: 'connected', ws, attempts };
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      d.onAttemptFailed(lastError);
    }
    await d.wait(Math.min(backoff, Math.max(0, deadlineMs - d.nowMs())));
    backoff = Math.min(backoff * 2, RESUME_MAX_BACKOFF_MS);
  }
}

/** What {@link resumeAfterDrop} needs from its stream. */
export interface ResumeHost {
  readonly timeoutMs: number;
  readonly tracks: number;
  readonly connectTimeoutMs: number;
  readonly time: { readonly clock: Pick<Clock, 'monotonicMs'>; readonly timers: Pick<Timers, 'after'> };
  /** The stream's counters: `resumes` and `resumeDroppedMessages` are kept here. */
  readonly stats: { resumes: number; resumeDroppedMessages: number };
  open(timeoutMs: number): Promise<WsConnection>;
  closed(): boolean;
  /** Sets (or, with undefined, clears) the buffer the stream sends into while its socket is away. */
  hold(buffer: ResumeBuffer | undefined): unknown;
  /** The dialect's first messages on the new socket (its resumed `start`). */
  resumeMessages(): readonly string[];
  /** Makes `ws` the stream's socket (messages in, close). */
  attach(ws: WsConnection): unknown;
  /** Ends the stream: the app did not come back in time. */
  failed(error: string): void;
  emit(name: string, detail: Readonly<Record<string, unknown>>): void;
  readonly log: Logger;
}

/**
 * From a drop to the resumed stream (or its end): hold, reconnect, send the resumed `start` and the
 * held messages in order. Resolves to what was replayed and dropped, or undefined when it did not resume.
 */
export async function resumeAfterDrop(
  host: ResumeHost,
  error: string,
): Promise<{ readonly replayed: number; readonly dropped: number } | undefined> {
  const held = new ResumeBuffer(resumeCapacity(host.timeoutMs / 1000, host.tracks));
  host.hold(held);
  host.log.warn(
    { error, resumeTimeoutMs: host.timeoutMs },
    'app socket dropped; reconnecting to resume the stream',
  );
  host.emit('reconnecting', { error });
  const nowMs = (): number => host.time.clock.monotonicMs();
  const outcome = await reconnectUntil(nowMs() + host.timeoutMs, host.connectTimeoutMs, {
    connect: (t) => host.open(t),
    nowMs,
    wait: (ms) => new Promise<void>((resolve) => host.time.timers.after(ms, resolve)),
    abandoned: () => host.closed(),
    onAttemptFailed: (e) => {
      host.emit('connectFailed', { attempt: -1, error: e });
    },
  });
  host.hold(undefined);
  if (outcome.type === 'abandoned') {
    return undefined;
  }
  if (outcome.type === 'expired') {
    host.failed(
      `${error}; the app did not reconnect within ${host.timeoutMs / 1000} s (${outcome.attempts} attempts, last: ${outcome.lastError})`,
    );
    return undefined;
  }
  const ws = outcome.ws;
  host.attach(ws);
  for (const text of host.resumeMessages()) {
    ws.send(text);
  }
  const replayed = held.drain((text) => {
    ws.send(text);
  });
  host.stats.resumes++;
  host.stats.resumeDroppedMessages += held.dropped;
  host.log.info({ replayed, dropped: held.dropped, attempts: outcome.attempts }, 'stream resumed');
  host.emit('resumed', { replayed, dropped: held.dropped });
  return { replayed, dropped: held.dropped };
}
