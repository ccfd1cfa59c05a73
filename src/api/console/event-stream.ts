/**
 * One browser's event feed as Server-Sent Events: a `snapshot` event, then every call event as a
 * `message` with its feed id, a comment line every `heartbeatMs`. Writes never wait: an event goes
 * into the socket's buffer at once, and a client whose unsent bytes pass `maxBufferBytes` (a slow or
 * stalled browser) is dropped — its connection is closed and its listener removed — so it can never
 * slow the engine or grow the server's memory. The page's EventSource reconnects and gets a new
 * snapshot (Last-Event-ID is not replayed: the snapshot stands in for it).
 */
import type { ServerResponse } from 'node:http';

import type { CallEventFeed, FeedEntry } from '../../ports/call-event-feed.js';
import type { Logger } from '../../ports/logger.js';

export interface EventStreamOptions {
  readonly feed: CallEventFeed;
  readonly heartbeatMs: number;
  readonly maxBufferBytes: number;
  readonly logger: Logger;
  /** Checked on each heartbeat: false ends the stream (the session expired or logged out). */
  stillAllowed(): boolean;
}

/** The SSE frame of one feed entry. */
export function sseFrame(entry: FeedEntry): string {
  return `id: ${entry.id}\ndata: ${JSON.stringify(entry.event)}\n\n`;
}

/** Starts the feed on a hijacked response; it runs until either side closes it. */
export function openEventStream(res: ServerResponse, opts: EventStreamOptions): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-accel-buffering': 'no',
  });
  let closed = false;
  const close = (): void => {
    if (closed) {
      return;
    }
    closed = true;
    unsubscribe();
    clearInterval(heartbeat);
    res.destroy();
  };
  const write = (text: string): void => {
    if (closed) {
      return;
    }
    if (res.writableLength > opts.maxBufferBytes) {
      opts.logger.warn({ unsentBytes: res.writableLength }, 'console event feed client too slow; dropped');
      close();
      return;
    }
    res.write(text);
  };
  // The snapshot and the subscription are taken in the same synchronous turn: no event can fall
  // between them (events are emitted synchronously on the event loop too).
  const snap = opts.feed.snapshot();
  res.write(`retry: 2000\nevent: snapshot\nid: ${snap.lastId}\ndata: ${JSON.stringify(snap)}\n\n`);
  const unsubscribe = opts.feed.subscribe((entry) => {
    write(sseFrame(entry));
  });
  const heartbeat = setInterval(() => {
    if (!opts.stillAllowed()) {
      close();
      return;
    }
    write(': heartbeat\n\n');
  }, opts.heartbeatMs);
  heartbeat.unref();
  res.on('close', close);
}
