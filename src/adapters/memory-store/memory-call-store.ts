/**
 * An in-memory `CallStore` for unit and component tests. Same semantics as the SQLite adapter (the
 * shared contract test runs against both); nothing survives the process.
 */
import { ServerError } from '../../errors/server-error.js';
import {
  abnormalCallEnd,
  abnormalHangupCallback,
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
import {
  isClaimable,
  newOutboxRow,
  type ClaimOptions,
  type NewOutboxEntry,
  type OutboxEntry,
} from '../../ports/callback-outbox.js';

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

/** Runs `fn` now and settles the port's Promise with its result or its error (never a synchronous throw). */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** True when `call` is live and, with `nodeId`, runs on that node. */
function isLiveOn(call: CallRecord, nodeId: string | undefined): boolean {
  return isLiveCallStatus(call.status) && (nodeId === undefined || call.nodeId === nodeId);
}

/** See the module comment. */
export class MemoryCallStore implements CallStore {
  readonly #calls = new Map<string, CallRecord>();
  readonly #streams = new Map<string, StreamRecord>();
  readonly #outbox = new Map<string, OutboxEntry>();
  #seq = 0;
  #closed = false;

  #open(): void {
    if (this.#closed) {
      throw new ServerError('ERR_STORAGE_CLOSED');
    }
  }

  insertCall(call: CallRecord): Promise<void> {
    return settle(() => {
      this.#open();
      if (this.#calls.has(call.callUuid)) {
        throw new ServerError('ERR_STORAGE_DUPLICATE', `call ${call.callUuid} already exists`);
      }
      this.#calls.set(call.callUuid, snapshot(call));
    });
  }

  updateCall(callUuid: string, patch: CallPatch): Promise<CallRecord | undefined> {
    return settle(() => {
      this.#open();
      const current = this.#calls.get(callUuid);
      if (current === undefined) {
        return undefined;
      }
      const next = snapshot(applyPatch(current, patch));
      this.#calls.set(callUuid, next);
      return next;
    });
  }

  getCall(callUuid: string): Promise<CallRecord | undefined> {
    return settle(() => {
      this.#open();
      return this.#calls.get(callUuid);
    });
  }

  listCalls(options: ListCallsOptions): Promise<Page<CallRecord>> {
    return settle(() => {
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
    });
  }

  insertStream(stream: StreamRecord): Promise<void> {
    return settle(() => {
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
    });
  }

  updateStream(callUuid: string, streamId: string, patch: StreamPatch): Promise<StreamRecord | undefined> {
    return settle(() => {
      this.#open();
      const current = this.#stream(callUuid, streamId);
      if (current === undefined) {
        return undefined;
      }
      const next = snapshot(applyPatch(current, patch));
      this.#streams.set(streamId, next);
      return next;
    });
  }

  getStream(callUuid: string, streamId: string): Promise<StreamRecord | undefined> {
    return settle(() => this.#stream(callUuid, streamId));
  }

  #stream(callUuid: string, streamId: string): StreamRecord | undefined {
    this.#open();
    const stream = this.#streams.get(streamId);
    return stream?.callUuid === callUuid ? stream : undefined;
  }

  listStreams(callUuid: string, options: PageOptions): Promise<Page<StreamRecord>> {
    return settle(() => {
      this.#open();
      checkPage(options);
      const all = [...this.#streams.values()]
        .filter((s) => s.callUuid === callUuid)
        .sort(
          (a, b) =>
            a.createdAt - b.createdAt || (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0),
        );
      return page(all, options);
    });
  }

  touchLiveCalls(nowMs: number, nodeId?: string): Promise<number> {
    return settle(() => {
      this.#open();
      let n = 0;
      for (const call of this.#calls.values()) {
        if (isLiveOn(call, nodeId)) {
          this.#calls.set(call.callUuid, snapshot({ ...call, lastSeenAt: nowMs }));
          n += 1;
        }
      }
      return n;
    });
  }

  markLiveAsAbnormal(
    nowMs: number,
    cause: string = SERVER_RESTART_CAUSE,
    causeCode: number | null = cause === SERVER_RESTART_CAUSE ? SERVER_RESTART_CAUSE_CODE : null,
    nodeId?: string,
  ): Promise<AbnormalEndCounts> {
    return settle(() => {
      this.#open();
      const endedAt = new Map<string, number>();
      let hangupCallbacks = 0;
      for (const call of this.#calls.values()) {
        if (isLiveOn(call, nodeId)) {
          const ended = abnormalCallEnd(call, nowMs, cause, causeCode);
          this.#calls.set(call.callUuid, snapshot(ended));
          endedAt.set(call.callUuid, ended.endedAt ?? nowMs);
          const hangup = abnormalHangupCallback(ended, nodeId, nowMs);
          if (hangup !== undefined && !this.#outbox.has(hangup.id)) {
            this.#outbox.set(hangup.id, snapshot(newOutboxRow(hangup, ++this.#seq)));
            hangupCallbacks += 1;
          }
        }
      }
      let streams = 0;
      for (const stream of this.#streams.values()) {
        const ofNode = nodeId === undefined || this.#calls.get(stream.callUuid)?.nodeId === nodeId;
        if (ofNode && LiveStreamStatuses.includes(stream.status)) {
          const callEnd = endedAt.get(stream.callUuid) ?? this.#calls.get(stream.callUuid)?.endedAt ?? nowMs;
          this.#streams.set(stream.streamId, snapshot(abnormalStreamEnd(stream, callEnd, cause)));
          streams += 1;
        }
      }
      return { calls: endedAt.size, streams, hangupCallbacks };
    });
  }

  integrityCheck(): Promise<string> {
    return settle(() => {
      this.#open();
      for (const stream of this.#streams.values()) {
        if (!this.#calls.has(stream.callUuid)) {
          return `stream ${stream.streamId} refers to missing call ${stream.callUuid}`;
        }
      }
      return 'ok';
    });
  }

  close(): Promise<void> {
    return settle(() => {
      this.#closed = true;
    });
  }

  enqueueCallback(entry: NewOutboxEntry): Promise<OutboxEntry> {
    return settle(() => {
      this.#open();
      if (this.#outbox.has(entry.id)) {
        throw new ServerError('ERR_STORAGE_DUPLICATE', `callback ${entry.id} already exists`);
      }
      const row = newOutboxRow(entry, ++this.#seq);
      this.#outbox.set(entry.id, snapshot(row));
      return this.#outbox.get(entry.id) ?? row;
    });
  }

  claimCallbacks(options: ClaimOptions): Promise<OutboxEntry[]> {
    return settle(() => {
      this.#open();
      const claimed: OutboxEntry[] = [];
      for (const row of this.#pendingRows()) {
        if (claimed.length >= options.limit) {
          break;
        }
        if (isClaimable(row, options)) {
          const next = snapshot({ ...row, owner: options.owner });
          this.#outbox.set(row.id, next);
          claimed.push(next);
        }
      }
      return claimed;
    });
  }

  markCallbackFailed(id: string, attempts: number, nextAttemptAt: number, error: string): Promise<void> {
    return settle(() => {
      this.#patchPending(id, { attempts, nextAttemptAt, lastError: error });
    });
  }

  markCallbackDelivered(id: string, attempts: number, nowMs: number): Promise<void> {
    return settle(() => {
      this.#patchPending(id, { status: 'delivered', attempts, finishedAt: nowMs });
    });
  }

  giveUpCallback(id: string, attempts: number, nowMs: number, reason: string): Promise<void> {
    return settle(() => {
      this.#patchPending(id, { status: 'given-up', attempts, finishedAt: nowMs, lastError: reason });
    });
  }

  getCallback(id: string): Promise<OutboxEntry | undefined> {
    return settle(() => {
      this.#open();
      return this.#outbox.get(id);
    });
  }

  pendingCallbacks(limit: number): Promise<OutboxEntry[]> {
    return settle(() => {
      this.#open();
      return this.#pendingRows().slice(0, limit);
    });
  }

  pruneCallbacks(finishedBefore: number): Promise<number> {
    return settle(() => {
      this.#open();
      let n = 0;
      for (const row of this.#outbox.values()) {
        if (row.finishedAt !== null && row.finishedAt < finishedBefore) {
          this.#outbox.delete(row.id);
          n += 1;
        }
      }
      return n;
    });
  }

  #pendingRows(): OutboxEntry[] {
    return [...this.#outbox.values()].filter((r) => r.status === 'pending').sort((a, b) => a.seq - b.seq);
  }

  /** Updates a row still pending (a finished row is left as it is, as the SQL adapters do). */
  #patchPending(id: string, patch: Partial<OutboxEntry>): void {
    this.#open();
    const row = this.#outbox.get(id);
    if (row?.status === 'pending') {
      this.#outbox.set(id, snapshot({ ...row, ...patch }));
    }
  }
}
