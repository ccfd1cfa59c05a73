/**
 * The console's view of this node's calls (`CallEventFeed`): it follows the engine's event bus, keeps
 * the live calls (who, since when, their streams) and each call's recent timeline, and hands every
 * event on to the console's listeners with a feed id. It keeps the timelines of the last
 * `keepEndedCalls` ended calls too, so an operator can open a call that has just hung up.
 *
 * Cost: one bus listener doing a map lookup and an array push per event; events are rare (a handful
 * per call, never per frame). Memory is bounded: `maxTimeline` events per call, `keepEndedCalls` ended
 * calls. Only calls whose `call.started` it saw are listed (as the record projector does).
 */
import type {
  CallEventFeed,
  FeedCallView,
  FeedEntry,
  FeedEvent,
  FeedSnapshot,
  FeedStreamView,
} from '../../ports/call-event-feed.js';
import type { CallEvent, CallEventListener } from '../../engine/events/call-events.js';

export interface ConsoleFeedOptions {
  readonly events: { subscribe(listener: CallEventListener): () => void };
  /** Most events kept per call (the oldest go first; `call.started` is always kept). Default 200. */
  readonly maxTimeline?: number;
  /** Ended calls whose timelines are kept. Default 100. */
  readonly keepEndedCalls?: number;
}

interface Tracked {
  view: FeedCallView;
  readonly timeline: FeedEntry[];
}

/** The console's JSON of an event: the engine's fields, less what is secret or not for display. */
export function feedEventOf(e: CallEvent): FeedEvent {
  switch (e.type) {
    case 'call.started': {
      const { hangupCallback: _h, ...rest } = e;
      return rest;
    }
    case 'call.answered': {
      const { hangupCallback: _h, ...rest } = e;
      return rest;
    }
    case 'stream.started':
      return {
        type: e.type,
        callUuid: e.callUuid,
        atMs: e.atMs,
        streamId: e.streamId,
        serviceUrl: e.spec.serviceUrl,
        audioTrack: e.spec.audioTrack,
        bidirectional: e.spec.bidirectional,
        contentType: e.spec.contentType,
        dialect: e.spec.dialect ?? 'plivo',
      };
    case 'call.ended':
    case 'call.error':
    case 'call.xml':
    case 'call.dtmf':
    case 'stream.status':
    case 'stream.checkpoint':
    case 'stream.play':
    case 'stream.cleared':
      return { ...e };
  }
}

function withStream(
  view: FeedCallView,
  streamId: string,
  change: (s: FeedStreamView) => FeedStreamView,
): FeedCallView {
  return { ...view, streams: view.streams.map((s) => (s.streamId === streamId ? change(s) : s)) };
}

/** The live call's view after `e` (a new object when it changed). */
function nextView(view: FeedCallView, e: CallEvent): FeedCallView {
  switch (e.type) {
    case 'call.answered':
      return { ...view, answeredAtMs: e.atMs };
    case 'stream.started':
      return {
        ...view,
        streams: [
          ...view.streams,
          {
            streamId: e.streamId,
            serviceUrl: e.spec.serviceUrl,
            status: 'initiated',
            audioTrack: e.spec.audioTrack,
            bidirectional: e.spec.bidirectional,
            contentType: e.spec.contentType,
            startedAtMs: e.atMs,
          },
        ],
      };
    case 'stream.status':
      return withStream(view, e.streamId, (s) => ({ ...s, status: e.status }));
    case 'call.started':
    case 'call.ended':
    case 'call.error':
    case 'call.xml':
    case 'call.dtmf':
    case 'stream.checkpoint':
    case 'stream.play':
    case 'stream.cleared':
      return view;
  }
}

export class ConsoleFeed implements CallEventFeed {
  readonly #live = new Map<string, Tracked>();
  /** Ended calls' timelines, oldest first (a Map keeps insertion order). */
  readonly #ended = new Map<string, FeedEntry[]>();
  readonly #listeners = new Set<(entry: FeedEntry) => void>();
  readonly #maxTimeline: number;
  readonly #keepEnded: number;
  readonly #unsubscribe: () => void;
  #lastId = 0;

  constructor(opts: ConsoleFeedOptions) {
    this.#maxTimeline = opts.maxTimeline ?? 200;
    this.#keepEnded = opts.keepEndedCalls ?? 100;
    this.#unsubscribe = opts.events.subscribe((e) => {
      this.#onEvent(e);
    });
  }

  /** Listeners now (open console event feeds). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  snapshot(): FeedSnapshot {
    return { calls: [...this.#live.values()].map((t) => t.view), lastId: this.#lastId };
  }

  timeline(callUuid: string): readonly FeedEntry[] | undefined {
    return this.#live.get(callUuid)?.timeline ?? this.#ended.get(callUuid);
  }

  subscribe(listener: (entry: FeedEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Stops following the bus. */
  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  #onEvent(e: CallEvent): void {
    let tracked = this.#live.get(e.callUuid);
    if (tracked === undefined) {
      if (e.type !== 'call.started') {
        return;
      }
      tracked = {
        view: {
          callUuid: e.callUuid,
          direction: e.direction,
          from: e.from,
          to: e.to,
          startedAtMs: e.startedAtMs,
          answeredAtMs: null,
          streams: [],
        },
        timeline: [],
      };
      this.#live.set(e.callUuid, tracked);
    } else {
      tracked.view = nextView(tracked.view, e);
    }
    const entry: FeedEntry = { id: ++this.#lastId, event: feedEventOf(e) };
    const timeline = tracked.timeline;
    timeline.push(entry);
    if (timeline.length > this.#maxTimeline) {
      // Keep the first event (call.started): drop the second oldest.
      timeline.splice(1, 1);
    }
    if (e.type === 'call.ended') {
      this.#live.delete(e.callUuid);
      this.#ended.set(e.callUuid, timeline);
      if (this.#ended.size > this.#keepEnded) {
        const oldest = this.#ended.keys().next();
        if (oldest.done !== true) {
          this.#ended.delete(oldest.value);
        }
      }
    }
    for (const listener of this.#listeners) {
      listener(entry);
    }
  }
}
