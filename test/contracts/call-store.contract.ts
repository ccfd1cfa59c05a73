/**
 * The behaviour every `CallStore` adapter must show, as node:test cases: records (calls, streams, crash
 * recovery) and the callback outbox (`outbox.contract.ts`). Each adapter's test file calls
 * `callStoreContract` with a factory (`test/contracts/memory-store.test.ts`,
 * `test/contracts/sqlite-store.test.ts`, `test/contracts/postgres-store.test.ts` on a real server);
 * add a case here, and every backend is held to it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  RECOVERED_OUTBOX_OWNER,
  type CallRecord,
  type CallStore,
  type StreamRecord,
} from '../../src/ports/call-store.js';
import { hangupCallbackId } from '../../src/ports/callback-outbox.js';
import { plivoTime } from '../../src/protocol/plivo-time.js';
import { outboxCases, type WithStore } from './outbox.contract.js';

/** A fresh, empty store; `dispose` closes it and removes whatever it created. */
export interface OpenedStore {
  readonly store: CallStore;
  readonly dispose: () => void | Promise<void>;
}

/** Opens a fresh, empty store (at once, or asynchronously for a networked database). */
export type CallStoreFactory = () => OpenedStore | Promise<OpenedStore>;

const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);

/** A deterministic UUID-shaped id for fixture `n` of kind `k` (one hex digit). */
export function fixtureUuid(kind: number, n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${kind.toString(16)}0000000-0000-4000-8000-${hex}`;
}

/** A finished call with every field set (no nulls), `n` seconds after a fixed epoch. */
export function finishedCall(n: number, overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    callUuid: fixtureUuid(1, n),
    direction: n % 2 === 0 ? 'inbound' : 'outbound',
    from: `+1415555${String(n).padStart(4, '0')}`,
    to: `sip:agent${n}@127.0.0.1:5070`,
    status: 'completed',
    answerUrl: `http://127.0.0.1:9000/answer?n=${n}`,
    requestUuid: fixtureUuid(2, n),
    parentCallUuid: fixtureUuid(3, n),
    startedAt: T0 + n * 1000,
    answeredAt: T0 + n * 1000 + 1500,
    endedAt: T0 + n * 1000 + 61_500,
    hangupCause: 'Normal Hangup',
    hangupCauseCode: 4000,
    hangupSource: 'Caller',
    durationSec: 62,
    billDurationSec: 60,
    error: {
      validation: [{ element: 'Stream', attribute: 'audioTrack', line: 3, column: 9 }],
      note: `call ${n}`,
    },
    sipCallId: `call-${n}@127.0.0.1`,
    endedAbnormally: false,
    lastSeenAt: T0 + n * 1000 + 60_000,
    nodeId: `node-${n % 3}`,
    hangupCallback: {
      url: `http://127.0.0.1:9000/hangup?n=${n}`,
      method: n % 2 === 0 ? 'POST' : 'GET',
      params: [
        ['CallUUID', fixtureUuid(1, n)],
        ['CallStatus', 'completed'],
        ['X-PH-Tag', `t${n}`],
      ],
    },
    ...overrides,
  };
}

/** A live call (answered, in progress) with the nullable end fields null. */
export function liveCall(n: number, overrides: Partial<CallRecord> = {}): CallRecord {
  return finishedCall(n, {
    status: 'in-progress',
    endedAt: null,
    hangupCause: null,
    hangupCauseCode: null,
    hangupSource: null,
    durationSec: null,
    billDurationSec: null,
    error: null,
    ...overrides,
  });
}

/** Stream `k` of a call, finished unless overridden. */
export function streamOf(call: CallRecord, k: number, overrides: Partial<StreamRecord> = {}): StreamRecord {
  return {
    streamId: fixtureUuid(4, (Number.parseInt(call.callUuid.slice(-12), 16) % 100000) * 10 + k),
    callUuid: call.callUuid,
    serviceUrl: `wss://app.example/ws?call=${call.callUuid}&k=${k}`,
    bidirectional: k % 2 === 0,
    audioTrack: k % 2 === 0 ? 'inbound' : 'both',
    streamTimeoutSec: 86400,
    statusCallbackUrl: 'http://127.0.0.1:9000/stream-status',
    statusCallbackMethod: k % 2 === 0 ? 'POST' : 'GET',
    contentType: 'audio/x-mulaw;rate=8000',
    extraHeaders: 'a=1,b=2',
    status: 'completed',
    createdAt: call.startedAt + 2000 + k,
    startedAt: call.startedAt + 2100 + k,
    endedAt: call.startedAt + 30_000 + k,
    stopReason: 'Call hangup',
    error: null,
    ...overrides,
  };
}

async function codeOf(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

/** Registers the contract suite for one adapter. */
export function callStoreContract(name: string, factory: CallStoreFactory): void {
  const withStore: WithStore = (title, body) => {
    void test(title, async () => {
      const { store, dispose } = await factory();
      try {
        await body(store);
      } finally {
        await dispose();
      }
    });
  };
  void describe(`CallStore contract: ${name}`, () => {
    callCases(withStore);
    streamCases(withStore);
    recoveryCases(withStore);
    outboxCases(withStore);
  });
}

function callCases(withStore: WithStore): void {
  withStore('a call round-trips field for field, as a frozen snapshot', async (store) => {
    const call = finishedCall(1);
    await store.insertCall(call);
    const got = await store.getCall(call.callUuid);
    assert.deepEqual(got, call);
    assert.ok(Object.isFrozen(got));
    const live = liveCall(2, {
      answerUrl: null,
      requestUuid: null,
      parentCallUuid: null,
      answeredAt: null,
      sipCallId: null,
    });
    await store.insertCall(live);
    assert.deepEqual(await store.getCall(live.callUuid), live);
    assert.equal(await store.getCall(fixtureUuid(1, 999)), undefined);
  });

  withStore('duplicate call ids are refused with ERR_STORAGE_DUPLICATE', async (store) => {
    await store.insertCall(finishedCall(1));
    assert.equal(
      await codeOf(async () => {
        await store.insertCall(finishedCall(1, { from: 'other' }));
      }),
      'ERR_STORAGE_DUPLICATE',
    );
    assert.equal((await store.getCall(fixtureUuid(1, 1)))?.from, finishedCall(1).from);
  });

  withStore('updateCall merges a patch, ignores undefined, returns the new record', async (store) => {
    const call = liveCall(1);
    await store.insertCall(call);
    const patch = {
      status: 'completed',
      endedAt: T0 + 99_000,
      hangupCause: 'Normal Hangup',
      error: { reason: 'x' },
    } as const;
    const updated = await store.updateCall(call.callUuid, { ...patch, from: undefined });
    const expected = { ...call, ...patch };
    assert.deepEqual(updated, expected);
    assert.deepEqual(await store.getCall(call.callUuid), expected);
    assert.equal(await store.updateCall(fixtureUuid(1, 999), { status: 'failed' }), undefined);
  });

  withStore('listCalls: newest first, live/completed filters, totals and paging', async (store) => {
    for (let i = 0; i < 7; i += 1) {
      const status = i === 0 ? 'queued' : i === 1 ? 'ringing' : 'in-progress';
      await store.insertCall(i < 3 ? liveCall(i, { status }) : finishedCall(i));
    }
    const all = await store.listCalls({ limit: 100, offset: 0 });
    assert.equal(all.total, 7);
    assert.deepEqual(
      all.items.map((c) => c.callUuid),
      [6, 5, 4, 3, 2, 1, 0].map((i) => fixtureUuid(1, i)),
    );
    const live = await store.listCalls({ status: 'live', limit: 2, offset: 1 });
    assert.equal(live.total, 3);
    assert.deepEqual(
      live.items.map((c) => c.callUuid),
      [1, 0].map((i) => fixtureUuid(1, i)),
    );
    const done = await store.listCalls({ status: 'completed', limit: 2, offset: 0 });
    assert.equal(done.total, 4);
    assert.deepEqual(
      done.items.map((c) => c.callUuid),
      [6, 5].map((i) => fixtureUuid(1, i)),
    );
    assert.deepEqual(await store.listCalls({ limit: 5, offset: 10 }), { items: [], total: 7 });
    await assert.rejects(() => store.listCalls({ limit: -1, offset: 0 }), TypeError);
  });
}

function streamCases(withStore: WithStore): void {
  withStore('streams round-trip, belong to one call, and list oldest first', async (store) => {
    const call = finishedCall(1);
    await store.insertCall(call);
    const streams = [2, 0, 1].map((k) => streamOf(call, k));
    for (const s of streams) {
      await store.insertStream(s);
    }
    const first = streams[1];
    assert.ok(first !== undefined);
    assert.deepEqual(await store.getStream(call.callUuid, first.streamId), first);
    assert.equal(await store.getStream(fixtureUuid(1, 2), first.streamId), undefined);
    const page = await store.listStreams(call.callUuid, { limit: 2, offset: 0 });
    assert.equal(page.total, 3);
    assert.deepEqual(
      page.items.map((s) => s.streamId),
      [0, 1].map((k) => streamOf(call, k).streamId),
    );
    assert.deepEqual(await store.listStreams(fixtureUuid(1, 2), { limit: 20, offset: 0 }), {
      items: [],
      total: 0,
    });
  });

  withStore('insertStream refuses duplicates and unknown calls', async (store) => {
    const call = finishedCall(1);
    await store.insertCall(call);
    await store.insertStream(streamOf(call, 0));
    assert.equal(
      await codeOf(async () => {
        await store.insertStream(streamOf(call, 0));
      }),
      'ERR_STORAGE_DUPLICATE',
    );
    assert.equal(
      await codeOf(async () => {
        await store.insertStream(streamOf(finishedCall(2), 0));
      }),
      'ERR_STORAGE_UNKNOWN_CALL',
    );
  });

  withStore('updateStream walks initiated → in-progress → completed', async (store) => {
    const call = liveCall(1);
    await store.insertCall(call);
    const s = streamOf(call, 0, { status: 'initiated', startedAt: null, endedAt: null, stopReason: null });
    await store.insertStream(s);
    await store.updateStream(call.callUuid, s.streamId, { status: 'in-progress', startedAt: T0 + 5 });
    const done = await store.updateStream(call.callUuid, s.streamId, {
      status: 'completed',
      endedAt: T0 + 9,
      stopReason: 'API request',
    });
    assert.deepEqual(done, {
      ...s,
      status: 'completed',
      startedAt: T0 + 5,
      endedAt: T0 + 9,
      stopReason: 'API request',
    });
    assert.deepEqual(await store.getStream(call.callUuid, s.streamId), done);
    assert.equal(await store.updateStream(fixtureUuid(1, 2), s.streamId, { status: 'failed' }), undefined);
  });
}

function recoveryCases(withStore: WithStore): void {
  withStore('touchLiveCalls stamps lastSeenAt on live calls only', async (store) => {
    const done = finishedCall(1);
    const live = liveCall(2, { lastSeenAt: null });
    const queued = liveCall(3, { status: 'queued', answeredAt: null, lastSeenAt: null });
    for (const c of [done, live, queued]) {
      await store.insertCall(c);
    }
    assert.equal(await store.touchLiveCalls(T0 + 7000), 2);
    assert.equal((await store.getCall(live.callUuid))?.lastSeenAt, T0 + 7000);
    assert.equal((await store.getCall(queued.callUuid))?.lastSeenAt, T0 + 7000);
    assert.deepEqual(await store.getCall(done.callUuid), done);
  });

  withStore(
    'markLiveAsAbnormal ends live calls at their last-seen time, and their live streams',
    async (store) => {
      const done = finishedCall(1);
      // Answered at +1.5 s, last seen at +41.5 s; the restart comes much later.
      const answered = liveCall(2, { lastSeenAt: T0 + 2000 + 41_500 });
      const ringing = liveCall(3, { status: 'ringing', answeredAt: null, lastSeenAt: null });
      const neverSeen = liveCall(4, { lastSeenAt: null });
      for (const c of [done, answered, ringing, neverSeen]) {
        await store.insertCall(c);
      }
      const finishedStream = streamOf(done, 0);
      const liveStream = streamOf(answered, 0, { status: 'in-progress', endedAt: null, stopReason: null });
      const pending = streamOf(ringing, 1, {
        status: 'initiated',
        startedAt: null,
        endedAt: null,
        stopReason: null,
      });
      for (const s of [finishedStream, liveStream, pending]) {
        await store.insertStream(s);
      }
      const now = T0 + 500_000;
      assert.deepEqual(await store.markLiveAsAbnormal(now), { calls: 3, streams: 2, hangupCallbacks: 3 });
      assert.deepEqual(await store.getCall(done.callUuid), done);
      const abnormal = {
        hangupCause: 'Server Restart',
        hangupCauseCode: 5040,
        hangupSource: 'Error',
        endedAbnormally: true,
      };
      const lastSeen = T0 + 2000 + 41_500;
      assert.deepEqual(await store.getCall(answered.callUuid), {
        ...answered,
        ...abnormal,
        status: 'completed',
        endedAt: lastSeen,
        durationSec: 42,
        billDurationSec: 40,
      });
      // Never refreshed: the last time it is known to have been alive is its start (or its answer).
      assert.deepEqual(await store.getCall(ringing.callUuid), {
        ...ringing,
        ...abnormal,
        status: 'failed',
        endedAt: ringing.startedAt,
        durationSec: 0,
        billDurationSec: 0,
      });
      assert.equal((await store.getCall(neverSeen.callUuid))?.endedAt, neverSeen.answeredAt);
      assert.deepEqual(await store.getStream(done.callUuid, finishedStream.streamId), finishedStream);
      assert.deepEqual(await store.getStream(answered.callUuid, liveStream.streamId), {
        ...liveStream,
        status: 'failed',
        endedAt: lastSeen,
        stopReason: 'Server Restart',
      });
      // A stream never ends before it was created, even when its call is only known up to its start.
      assert.deepEqual(await store.getStream(ringing.callUuid, pending.streamId), {
        ...pending,
        status: 'failed',
        endedAt: pending.createdAt,
        stopReason: 'Server Restart',
      });
      assert.deepEqual(await store.markLiveAsAbnormal(now + 1, 'Other'), {
        calls: 0,
        streams: 0,
        hangupCallbacks: 0,
      });
      assert.equal((await store.listCalls({ status: 'live', limit: 10, offset: 0 })).total, 0);
    },
  );

  withStore('touchLiveCalls with a node id stamps only that node’s live calls', async (store) => {
    const mine = liveCall(1, { nodeId: 'node-a', lastSeenAt: null });
    const theirs = liveCall(2, { nodeId: 'node-b', lastSeenAt: null });
    const legacy = liveCall(3, { nodeId: null, lastSeenAt: null });
    const doneMine = finishedCall(4, { nodeId: 'node-a' });
    for (const c of [mine, theirs, legacy, doneMine]) {
      await store.insertCall(c);
    }
    assert.equal(await store.touchLiveCalls(T0 + 7000, 'node-a'), 1);
    assert.equal((await store.getCall(mine.callUuid))?.lastSeenAt, T0 + 7000);
    assert.deepEqual(await store.getCall(theirs.callUuid), theirs);
    assert.deepEqual(await store.getCall(legacy.callUuid), legacy);
    assert.deepEqual(await store.getCall(doneMine.callUuid), doneMine);
    assert.equal(await store.touchLiveCalls(T0 + 8000, 'node-z'), 0);
    assert.equal(await store.touchLiveCalls(T0 + 9000), 3, 'without a node id: every live call');
  });

  withStore(
    'markLiveAsAbnormal with a node id ends only that node’s live calls and their streams',
    async (store) => {
      const mine = liveCall(1, { nodeId: 'node-a', lastSeenAt: T0 + 30_000 });
      const theirs = liveCall(2, { nodeId: 'node-b', lastSeenAt: T0 + 30_000 });
      const legacy = liveCall(3, { nodeId: null });
      for (const c of [mine, theirs, legacy]) {
        await store.insertCall(c);
      }
      const live = { status: 'in-progress', endedAt: null, stopReason: null } as const;
      const myStream = streamOf(mine, 0, live);
      const theirStream = streamOf(theirs, 0, live);
      for (const s of [myStream, theirStream]) {
        await store.insertStream(s);
      }
      const now = T0 + 500_000;
      assert.deepEqual(await store.markLiveAsAbnormal(now, 'Node Lost', null, 'node-a'), {
        calls: 1,
        streams: 1,
        hangupCallbacks: 1,
      });
      const ended = await store.getCall(mine.callUuid);
      assert.deepEqual(
        [ended?.status, ended?.endedAt, ended?.hangupCause, ended?.hangupCauseCode, ended?.endedAbnormally],
        ['completed', T0 + 30_000, 'Node Lost', null, true],
      );
      assert.deepEqual([(await store.getStream(mine.callUuid, myStream.streamId))?.status], ['failed']);
      assert.deepEqual(await store.getCall(theirs.callUuid), theirs, 'another node’s call is untouched');
      assert.deepEqual(await store.getStream(theirs.callUuid, theirStream.streamId), theirStream);
      assert.deepEqual(await store.getCall(legacy.callUuid), legacy);
      assert.deepEqual(await store.markLiveAsAbnormal(now, undefined, undefined, 'node-a'), {
        calls: 0,
        streams: 0,
        hangupCallbacks: 0,
      });
      assert.deepEqual(await store.markLiveAsAbnormal(now), { calls: 2, streams: 1, hangupCallbacks: 2 });
    },
  );

  withStore(
    'markLiveAsAbnormal writes each ended call’s hangup callback to the outbox, once, owned by its node',
    async (store) => {
      // Answered at +1.5 s, last seen at +41.5 s; a ringing call; a call with no hangup_url.
      const answered = liveCall(2, { nodeId: 'node-a', lastSeenAt: T0 + 2000 + 41_500 });
      const ringing = liveCall(3, {
        nodeId: 'node-a',
        status: 'ringing',
        answeredAt: null,
        lastSeenAt: null,
      });
      const silent = liveCall(4, { nodeId: 'node-a', hangupCallback: null });
      const other = liveCall(5, { nodeId: 'node-b' });
      for (const c of [answered, ringing, silent, other]) {
        await store.insertCall(c);
      }
      // The live path had already written the ringing call's hangup callback before the node stopped.
      const early = {
        id: hangupCallbackId(ringing.callUuid),
        lane: `hangup:${ringing.callUuid}`,
        callUuid: ringing.callUuid,
        url: 'http://127.0.0.1:9000/hangup?early',
        method: 'POST' as const,
        params: [['Event', 'Hangup']] as const,
        owner: 'node-a',
        createdAt: T0 + 10,
      };
      await store.enqueueCallback(early);
      const now = T0 + 500_000;
      assert.deepEqual(await store.markLiveAsAbnormal(now, 'Node Lost', 5041, 'node-a'), {
        calls: 3,
        streams: 0,
        hangupCallbacks: 1,
      });
      const row = await store.getCallback(hangupCallbackId(answered.callUuid));
      assert.ok(row !== undefined, 'the answered call’s hangup callback is pending');
      const template = answered.hangupCallback;
      assert.ok(template !== null);
      assert.deepEqual(
        [row.lane, row.callUuid, row.url, row.method, row.owner, row.status, row.attempts, row.createdAt],
        [
          `hangup:${answered.callUuid}`,
          answered.callUuid,
          template.url,
          template.method,
          'node-a',
          'pending',
          0,
          now,
        ],
      );
      const end = T0 + 2000 + 41_500;
      assert.deepEqual(row.params, [
        ['CallUUID', answered.callUuid],
        ['CallStatus', 'completed'],
        ['X-PH-Tag', 't2'],
        ['Event', 'Hangup'],
        ['HangupCause', 'Node Lost'],
        ['HangupCauseCode', '5041'],
        ['HangupSource', 'Error'],
        ['Duration', '42'],
        ['BillDuration', '40'],
        ['StartTime', plivoTime(answered.startedAt)],
        ['AnswerTime', plivoTime(answered.answeredAt ?? 0)],
        ['EndTime', plivoTime(end)],
      ]);
      assert.equal((await store.getCallback(early.id))?.url, early.url, 'a row the live path wrote is kept');
      const pending = await store.pendingCallbacks(10);
      assert.deepEqual(
        pending.map((p) => p.callUuid).sort(),
        [answered.callUuid, ringing.callUuid].sort(),
        'no row for a call without hangup_url, nor for another node’s call',
      );
      // Another node's leftovers (no node id: a single node's recovery) are owned by `recovered`.
      assert.deepEqual(await store.markLiveAsAbnormal(now), { calls: 1, streams: 0, hangupCallbacks: 1 });
      assert.equal(
        (await store.getCallback(hangupCallbackId(other.callUuid)))?.owner,
        RECOVERED_OUTBOX_OWNER,
      );
      const params = new Map((await store.getCallback(hangupCallbackId(other.callUuid)))?.params);
      assert.deepEqual(
        [params.get('HangupCause'), params.get('HangupCauseCode'), params.get('CallStatus')],
        ['Server Restart', '5040', 'completed'],
      );
    },
  );

  withStore('integrityCheck is ok; a closed store refuses work; close is idempotent', async (store) => {
    await store.insertCall(finishedCall(1));
    assert.equal(await store.integrityCheck(), 'ok');
    await store.close();
    await store.close();
    assert.equal(await codeOf(() => store.getCall(fixtureUuid(1, 1))), 'ERR_STORAGE_CLOSED');
  });
}
