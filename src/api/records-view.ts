/**
 * What the API reads about calls and streams: the record store, which call control keeps current for
 * every call and every stream (XML or REST). The API never reads engine objects.
 */
import type { CallRecord, CallStore, StreamRecord } from '../ports/call-store.js';
import type { Clock } from '../ports/clock.js';

/** Streams per call read from the store in one go (a call has a handful; the API pages in memory). */
const STORE_STREAM_WINDOW = 1000;

/** Live calls read per store page when listing them. */
const LIVE_PAGE = 1000;

export class RecordsView {
  readonly #store: CallStore;
  readonly #clock: Pick<Clock, 'epochMs'>;

  constructor(store: CallStore, clock: Pick<Clock, 'epochMs'>) {
    this.#store = store;
    this.#clock = clock;
  }

  nowMs(): number {
    return this.#clock.epochMs();
  }

  call(callUuid: string): Promise<CallRecord | undefined> {
    return this.#store.getCall(callUuid);
  }

  /** UUIDs of calls not ended, in store order. */
  async liveCallUuids(): Promise<string[]> {
    const uuids: string[] = [];
    let offset = 0;
    for (;;) {
      const page = await this.#store.listCalls({ status: 'live', limit: LIVE_PAGE, offset });
      uuids.push(...page.items.map((c) => c.callUuid));
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) {
        return uuids;
      }
    }
  }

  /** Every stream of the call, oldest first. */
  async streams(callUuid: string): Promise<StreamRecord[]> {
    const page = await this.#store.listStreams(callUuid, { limit: STORE_STREAM_WINDOW, offset: 0 });
    return [...page.items].sort((a, b) => a.createdAt - b.createdAt || a.streamId.localeCompare(b.streamId));
  }

  stream(callUuid: string, streamId: string): Promise<StreamRecord | undefined> {
    return this.#store.getStream(callUuid, streamId);
  }
}
