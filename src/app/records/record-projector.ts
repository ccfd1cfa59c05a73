/**
 * The record projector: the one writer of the call and stream records of live calls. It listens to the
 * engine's call events (engine/events/call-events.ts) and turns each into a store write:
 *
 * - `call.started` inserts the call record (`queued`, or `in-progress` once `call.answered` came);
 *   `call.answered` makes it `in-progress`; `call.ended` completes it (status, cause, cause code, the
 *   Plivo name of the typed source, durations, errors);
 * - `call.error` adds to the record's `error` (written with the end, and again for an error after it);
 * - `stream.started` inserts the stream record (`initiated`); `stream.status` moves it on.
 *
 * Writes run one after another per call, in the order of the events (a record never goes back to an
 * older state), each after the synchronous work that emitted its event (never inside a media tick).
 * A failed write is logged with the call and skipped. Events of a call whose `call.started` it did not
 * see (a virtual call, an inbound call refused before call control took it) are not recorded.
 */
import type {
  CallEndedEvent,
  CallErrorEvent,
  CallEvent,
  CallEventListener,
  CallStartedEvent,
} from '../../engine/events/call-events.js';
import { hangupSourceName } from '../../engine/records/hangup-causes.js';
import { elapsedSec } from '../../protocol/plivo-time.js';
import type { CallPatch, CallStatus, CallStore, StreamPatch } from '../../ports/call-store.js';
import type { Logger } from '../../ports/logger.js';
import { callErrorJson, durationsOf, newCallRecord, newStreamRecord } from '../call-control/records.js';

export interface RecordProjectorDeps {
  readonly store: CallStore;
  readonly logger: Logger;
  /** The events to project (the engine's bus); the projector listens from construction until `close`. */
  readonly events: CallEventSource;
}

/** Somewhere to subscribe to call events (the engine's `CallEventBus`). */
export interface CallEventSource {
  subscribe(listener: CallEventListener): () => void;
}

/** What the projector knows of one call while it has records to write. */
interface Projection {
  readonly started: CallStartedEvent;
  readonly log: Logger;
  answeredAtMs: number | null;
  ended: boolean;
  readonly errors: CallErrorEvent[];
  /** Streams recorded and not yet ended. */
  openStreams: number;
  /** The call's store writes, in order; settled when the last one has. */
  writes: Promise<void>;
}

/**
 * The status of a call that ended before it was answered (an inbound call in early media, `<PreAnswer>`)
 * by cause: the caller's CANCEL, or the document's `<Hangup reason="busy">`.
 */
const UNANSWERED_STATUS: ReadonlyMap<string, CallStatus> = new Map([
  ['ORIGINATOR_CANCEL', 'canceled'],
  ['USER_BUSY', 'busy'],
]);

export class RecordProjector {
  readonly #deps: RecordProjectorDeps;
  readonly #log: Logger;
  readonly #calls = new Map<string, Projection>();
  readonly #unsubscribe: () => void;

  constructor(deps: RecordProjectorDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'records' });
    this.#unsubscribe = deps.events.subscribe((event) => {
      this.project(event);
    });
  }

  /** Stops listening (writes already asked for still run; `idle` waits for them). */
  close(): void {
    this.#unsubscribe();
  }

  /** Calls whose records are being kept now. */
  get calls(): number {
    return this.#calls.size;
  }

  /** Resolves when the writes asked for so far for the call have run (at once for a call not kept). */
  settled(callUuid: string): Promise<void> {
    return this.#calls.get(callUuid)?.writes ?? Promise.resolve();
  }

  /** Resolves when every write asked for so far has run (shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.#calls.values()].map((p) => p.writes));
  }

  /** Applies one event: queues the write it means for its call's record. */
  project(event: CallEvent): void {
    if (event.type === 'call.started') {
      this.#onStarted(event);
      return;
    }
    const p = this.#calls.get(event.callUuid);
    if (p === undefined) {
      return;
    }
    switch (event.type) {
      case 'call.answered':
        p.answeredAtMs = event.atMs;
        this.#updateCall(p, {
          status: 'in-progress',
          answeredAt: event.atMs,
          answerUrl: event.answerUrl,
          ...(event.sipCallId === null ? {} : { sipCallId: event.sipCallId }),
          ...(event.hangupCallback === null ? {} : { hangupCallback: event.hangupCallback }),
        });
        return;
      case 'call.error':
        p.errors.push(event);
        if (p.ended) {
          this.#updateCall(p, { error: callErrorJson(p.errors) });
        }
        return;
      case 'call.ended':
        this.#onEnded(p, event);
        return;
      case 'stream.started': {
        p.openStreams++;
        const record = newStreamRecord(event);
        const { store } = this.#deps;
        this.#write(p, 'could not record the stream', { streamId: event.streamId }, async () => {
          if ((await store.getStream(event.callUuid, event.streamId)) === undefined) {
            await store.insertStream(record);
          }
        });
        return;
      }
      case 'stream.status':
        if (event.status === 'in-progress') {
          this.#updateStream(p, event.streamId, { status: event.status, startedAt: event.atMs });
          return;
        }
        p.openStreams--;
        this.#updateStream(p, event.streamId, {
          status: event.status,
          endedAt: event.atMs,
          stopReason: event.reason,
          error: event.error,
        });
        this.#forgetWhenDone(p);
        return;
      case 'stream.checkpoint':
      case 'call.xml':
      case 'call.dtmf':
      case 'stream.play':
      case 'stream.cleared':
        return;
    }
  }

  #onStarted(started: CallStartedEvent): void {
    if (this.#calls.has(started.callUuid)) {
      return;
    }
    const p: Projection = {
      started,
      log: this.#log.child({ callUuid: started.callUuid }),
      answeredAtMs: null,
      ended: false,
      errors: [],
      openStreams: 0,
      writes: Promise.resolve(),
    };
    this.#calls.set(started.callUuid, p);
    const { store } = this.#deps;
    this.#write(p, 'could not record the call; it runs anyway', {}, async () => {
      if ((await store.getCall(started.callUuid)) === undefined) {
        // Built when the write runs: a `call.answered` of the same moment is already in.
        await store.insertCall(newCallRecord(started, p.answeredAtMs));
      }
    });
  }

  #onEnded(p: Projection, ended: CallEndedEvent): void {
    if (p.ended) {
      return;
    }
    p.ended = true;
    const startedAtMs = p.started.startedAtMs;
    const durations =
      p.answeredAtMs === null
        ? { durationSec: elapsedSec(startedAtMs, ended.atMs), billDurationSec: 0 }
        : durationsOf({ startedAtMs, answeredAtMs: p.answeredAtMs, endedAtMs: ended.atMs });
    this.#updateCall(p, {
      status: p.answeredAtMs === null ? (UNANSWERED_STATUS.get(ended.cause) ?? ended.status) : ended.status,
      endedAt: ended.atMs,
      hangupCause: ended.cause,
      hangupCauseCode: ended.causeCode,
      hangupSource: hangupSourceName(ended.source),
      ...durations,
      error: callErrorJson(p.errors),
    });
    p.log.info(
      { cause: ended.cause, source: ended.source, ...durations, errors: p.errors.length },
      'call record completed',
    );
    this.#forgetWhenDone(p);
  }

  /** Drops the call once it and its streams ended and their writes ran (unless more came meanwhile). */
  #forgetWhenDone(p: Projection): void {
    if (!p.ended || p.openStreams > 0) {
      return;
    }
    const last = p.writes;
    void last.then(() => {
      if (p.writes === last && p.ended && p.openStreams <= 0 && this.#calls.get(p.started.callUuid) === p) {
        this.#calls.delete(p.started.callUuid);
      }
    });
  }

  #updateCall(p: Projection, patch: CallPatch): void {
    this.#write(p, 'could not update the call record', {}, () =>
      this.#deps.store.updateCall(p.started.callUuid, patch),
    );
  }

  #updateStream(p: Projection, streamId: string, patch: StreamPatch): void {
    this.#write(p, 'could not update the stream record', { streamId }, () =>
      this.#deps.store.updateStream(p.started.callUuid, streamId, patch),
    );
  }

  /** Appends one write to the call's chain; a failed write is logged with the call and skipped. */
  #write(p: Projection, what: string, detail: object, write: () => Promise<unknown>): void {
    p.writes = p.writes.then(write).then(
      () => undefined,
      (err: unknown) => {
        p.log.error({ err, ...detail }, what);
      },
    );
  }
}
