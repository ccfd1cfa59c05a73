/**
 * An in-memory `CallStore` for unit and component tests. Same semantics as the SQLite adapter (the
 * shared contract test runs against both); nothing survives the process.
 */
import { ServerError } from '../../errors/server-error.js';
import {
  abnormalCallEnd,
  abnormalStreamEnd,
  applyPatch,
  isLiveCallStatus,
  LiveStreamStatuses,
  SERVER_RESTART_CAUSE,
  SERVER_RESTART_CAUSE_CODE,
  type AbnormalEndCounts,
  type CallPatch,
  type CallRecord,
  type CallStore,
  type ListCallsOptions,
  type Page,
  type PageOptions,
  type StreamPatch,
  type StreamRecord,
} from '../../ports/call-store.js';

function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) {
      freeze(child);
    }
  }
  return value;
}

/** A frozen deep copy, so callers can neither see nor cause later mutation. */
function snapshot<T>(value: T): T {
  return freeze(structuredClone(value));
}

function page<T>(all: readonly T[], options: PageOptions): Page<T> {
  return { items: all.slice(options.offset, options.offset + options.limit), total: all.length };
}

function checkPage(options: PageOptions): void {
  if (
    !Number.isInteger(options.limit) ||
    options.limit < 0 ||
    !Number.isInteger(options.offset) ||
    options.offset < 0
  ) {
    throw new TypeError(`invalid page: limit ${options.limit}, offset ${options.offset}`);
  }
}

/** See the module comment. */
export class MemoryCallStore implements CallStore {
  readonly #calls = new Map<string, CallRecord>();
  readonly #streams = new Map<string, StreamRecord>();
  #closed = false;

  #open(): void {
    if (this.#closed) {
      throw new ServerError('ERR_STORAGE_CLOSED');
    }
  }

  insertCall(call: CallRecord): void {
    this.#open();
    if (this.#calls.has(call.callUuid)) {
      throw new ServerError('ERR_STORAGE_DUPLICATE', `call ${call.callUuid} already exists`);
    }
    this.#calls.set(call.callUuid, snapshot(call));
  }

  updateCall(callUuid: string, patch: CallPatch): CallRecord | undefined {
    this.#open();
    const current = this.#calls.get(callUuid);
    if (current === undefined) {
      return undefined;
    }
    const next = snapshot(applyPatch(current, patch));
    this.#calls.set(callUuid, next);
    return next;
  }

  getCall(callUuid: string): CallRecord | undefined {
    this.#open();
    return this.#calls.get(callUuid);
  }

  listCalls(options: ListCallsOptions): Page<CallRecord> {
    this.#open();
    checkPage(options);
    const all = [...this.#calls.values()]
      .filter(
        (c) => options.status === undefined || isLiveCallStatus(c.status) === (options.status === 'live'),
      )
      .sort(
        (a, b) =>
          b.startedAt - a.startedAt || (a.callUuid < b.callUuid ? -1 : a.callUuid > b.callUuid ? 1 : 0),
      );
    return page(all, options);
  }

  insertStream(stream: StreamRecord): void {
    this.#open();
    if (this.#streams.has(stream.streamId)) {
      throw new ServerError('ERR_STORAGE_DUPLICATE', `stream ${stream.streamId} already exists`);
    }
    if (!this.#calls.has(stream.callUuid)) {
      throw new ServerError(
        'ERR_STORAGE_UNKNOWN_CALL',
        `stream ${stream.streamId} refers to unknown call ${stream.callUuid}`,
      );
    }
    this.#streams.set(stream.streamId, snapshot(stream));
  }

  updateStream(callUuid: string, streamId: string, patch: StreamPatch): StreamRecord | undefined {
    this.#open();
    const current = this.getStream(callUuid, streamId);
    if (current === undefined) {
      return undefined;
    }
    const next = snapshot(applyPatch(current, patch));
    this.#streams.set(streamId, next);
    return next;
  }

  getStream(callUuid: string, streamId: string): StreamRecord | undefined {
    this.#open();
    const stream = this.#streams.get(streamId);
    return stream?.callUuid === callUuid ? stream : undefined;
  }

  listStreams(callUuid: string, options: PageOptions): Page<StreamRecord> {
    this.#open();
    checkPage(options);
    const all = [...this.#streams.values()]
      .filter((s) => s.callUuid === callUuid)
      .sort(
        (a, b) =>
          a.createdAt - b.createdAt || (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0),
      );
    return page(all, options);
  }

  touchLiveCalls(nowMs: number): number {
    this.#open();
    let n = 0;
    for (const call of this.#calls.values()) {
      if (isLiveCallStatus(call.status)) {
        this.#calls.set(call.callUuid, snapshot({ ...call, lastSeenAt: nowMs }));
        n += 1;
      }
    }
    return n;
  }

  markLiveAsAbnormal(
    nowMs: number,
    cause: string = SERVER_RESTART_CAUSE,
    causeCode: number | null = cause === SERVER_RESTART_CAUSE ? SERVER_RESTART_CAUSE_CODE : null,
  ): AbnormalEndCounts {
    this.#open();
    const endedAt = new Map<string, number>();
    for (const call of this.#calls.values()) {
      if (isLiveCallStatus(call.status)) {
        const ended = abnormalCallEnd(call, nowMs, cause, causeCode);
        this.#calls.set(call.callUuid, snapshot(ended));
        endedAt.set(call.callUuid, ended.endedAt ?? nowMs);
      }
    }
    let streams = 0;
    for (const stream of this.#streams.values()) {
      if (LiveStreamStatuses.includes(stream.status)) {
        const callEnd = endedAt.get(stream.callUuid) ?? this.#calls.get(stream.callUuid)?.endedAt ?? nowMs;
        this.#streams.set(stream.streamId, snapshot(abnormalStreamEnd(stream, callEnd, cause)));
        streams += 1;
      }
    }
    return { calls: endedAt.size, streams };
  }

  integrityCheck(): string {
    this.#open();
    for (const stream of this.#streams.values()) {
      if (!this.#calls.has(stream.callUuid)) {
        return `stream ${stream.streamId} refers to missing call ${stream.callUuid}`;
      }
    }
    return 'ok';
  }

  close(): void {
    this.#closed = true;
  }
}
