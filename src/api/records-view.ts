/**
 * What the API reads about calls and streams: the record store first (the durable truth), then the
 * engine for anything the store has not caught up with. A call or stream the engine knows but the
 * store does not (a virtual call, or a record writer that has not run yet) is described from the
 * engine object, so every live object is reachable through the API. Times the engine does not expose
 * are taken when the API first sees the object (exactly, for streams the API started itself).
 */
import type { CallSession } from '../engine/call/call-session.js';
import type { Engine } from '../engine/engine.js';
import type { StreamFork } from '../engine/fork/stream-fork.js';
import { hangupCauseCodeOf } from '../engine/records/hangup-causes.js';
import { streamRecordOf } from '../engine/records/stream-record.js';
import {
  type CallRecord,
  type CallStore,
  type JsonValue,
  type StreamRecord,
  isLiveCallStatus,
} from '../ports/call-store.js';

/** Streams per call read from the store in one go (a call has a handful; the API pages in memory). */
const STORE_STREAM_WINDOW = 1000;

interface SeenStream {
  readonly createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  stopReason: string | null;
  error: JsonValue;
}

export class RecordsView {
  readonly #engine: Engine;
  readonly #store: CallStore;
  readonly #seenCalls = new WeakMap<CallSession, number>();
  readonly #seenStreams = new WeakMap<StreamFork, SeenStream>();

  constructor(engine: Engine, store: CallStore) {
    this.#engine = engine;
    this.#store = store;
  }

  nowMs(): number {
    return this.#engine.deps.clock.epochMs();
  }

  /** The engine's call when it is still in progress. */
  liveSession(callUuid: string): CallSession | undefined {
    const call = this.#engine.getCall(callUuid);
    return call?.status === 'in-progress' ? call : undefined;
  }

  /** A call's record: the store's, else one described from the engine, else undefined. */
  call(callUuid: string): CallRecord | undefined {
    const stored = this.#store.getCall(callUuid);
    if (stored !== undefined) {
      return stored;
    }
    const session = this.#engine.getCall(callUuid);
    return session === undefined ? undefined : this.#describeCall(session);
  }

  /** UUIDs of calls not ended: live in the store or in the engine, store order first. */
  liveCallUuids(): string[] {
    const uuids = new Set<string>();
    let offset = 0;
    for (;;) {
      const page = this.#store.listCalls({ status: 'live', limit: 1000, offset });
      for (const c of page.items) {
        uuids.add(c.callUuid);
      }
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) {
        break;
      }
    }
    for (const [uuid, call] of this.#engine.calls) {
      if (call.status === 'in-progress') {
        uuids.add(uuid);
      }
    }
    return [...uuids];
  }

  /** True when the call's record says it is live. */
  isLive(record: CallRecord): boolean {
    return isLiveCallStatus(record.status) || this.liveSession(record.callUuid) !== undefined;
  }

  /** Every stream of the call, oldest first: the store's, plus engine streams it lacks. */
  streams(callUuid: string): StreamRecord[] {
    const stored = this.#store.listStreams(callUuid, { limit: STORE_STREAM_WINDOW, offset: 0 }).items;
    const ids = new Set(stored.map((s) => s.streamId));
    const out = [...stored];
    const session = this.#engine.getCall(callUuid);
    for (const fork of session?.allStreams ?? []) {
      if (!ids.has(fork.streamId)) {
        out.push(this.#describeStream(callUuid, fork));
      }
    }
    return out.sort((a, b) => a.createdAt - b.createdAt || a.streamId.localeCompare(b.streamId));
  }

  stream(callUuid: string, streamId: string): StreamRecord | undefined {
    const stored = this.#store.getStream(callUuid, streamId);
    if (stored !== undefined) {
      return stored;
    }
    const fork = this.#engine.getCall(callUuid)?.allStreams.find((f) => f.streamId === streamId);
    return fork === undefined ? undefined : this.#describeStream(callUuid, fork);
  }

  /** Starts following a stream the API has just started, so its times are exact. */
  follow(fork: StreamFork): void {
    this.#seen(fork);
  }

  #seen(fork: StreamFork): SeenStream {
    const seen = this.#seenStreams.get(fork);
    if (seen !== undefined) {
      return seen;
    }
    const now = this.nowMs();
    const entry: SeenStream = {
      createdAt: now,
      startedAt: fork.status === 'initiated' ? null : now,
      endedAt: fork.closed ? now : null,
      stopReason: null,
      error: null,
    };
    this.#seenStreams.set(fork, entry);
    fork.on('status', (status) => {
      if (status === 'in-progress') {
        entry.startedAt ??= this.nowMs();
      }
    });
    fork.on('ended', (end) => {
      entry.endedAt = this.nowMs();
      entry.stopReason = end.reason;
      entry.error = end.error ?? null;
    });
    return entry;
  }

  #describeStream(callUuid: string, fork: StreamFork): StreamRecord {
    const seen = this.#seen(fork);
    return streamRecordOf(fork, callUuid, {
      status: fork.status,
      createdAt: seen.createdAt,
      startedAt: seen.startedAt,
      endedAt: fork.closed ? (seen.endedAt ?? this.nowMs()) : null,
      stopReason: seen.stopReason,
      error: seen.error,
    });
  }

  #describeCall(session: CallSession): CallRecord {
    let firstSeen = this.#seenCalls.get(session);
    if (firstSeen === undefined) {
      firstSeen = this.nowMs();
      this.#seenCalls.set(session, firstSeen);
    }
    const hangup = session.hangupInfo;
    const live = session.status === 'in-progress';
    return {
      callUuid: session.callUuid,
      direction: 'inbound',
      from: '',
      to: '',
      status: live ? 'in-progress' : 'completed',
      answerUrl: null,
      requestUuid: null,
      parentCallUuid: null,
      startedAt: firstSeen,
      answeredAt: firstSeen,
      endedAt: null,
      hangupCause: hangup?.cause ?? null,
      hangupCauseCode: hangup === undefined ? null : hangupCauseCodeOf(hangup.cause),
      hangupSource: hangup?.source ?? null,
      durationSec: null,
      billDurationSec: null,
      error: session.errors.length === 0 ? null : [...session.errors],
      sipCallId: null,
      endedAbnormally: false,
      lastSeenAt: null,
    };
  }
}
