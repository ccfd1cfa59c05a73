/**
 * The callback outbox half of the `CallStore` contract (`ports/callback-outbox.ts`): rows written before
 * a callback is sent, their attempts, delivery and give-up, and the claim a restarted process makes.
 */
import assert from 'node:assert/strict';

import type { CallStore } from '../../src/ports/call-store.js';
import type { NewOutboxEntry } from '../../src/ports/callback-outbox.js';

export type WithStore = (title: string, body: (store: CallStore) => Promise<void>) => void;

const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);

/** Outbox entry `n` on `lane`, owned by `owner`. */
export function outboxEntry(n: number, lane = 'hangup:c1', owner = 'proc-a'): NewOutboxEntry {
  return {
    id: `cb-${n}`,
    lane,
    callUuid: n % 2 === 0 ? `call-${n}` : null,
    url: `http://127.0.0.1:9000/cb?n=${n}`,
    method: n % 3 === 0 ? 'GET' : 'POST',
    // A repeated name and an empty value must come back as they went in.
    params: [
      ['Event', 'Hangup'],
      ['X-PH-Tag', 'a'],
      ['X-PH-Tag', 'b'],
      ['Empty', ''],
      ['N', String(n)],
    ],
    owner,
    createdAt: T0 + n,
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

export function outboxCases(withStore: WithStore): void {
  withStore(
    'outbox: an enqueued callback round-trips as pending, due now, with an increasing seq',
    async (store) => {
      const first = await store.enqueueCallback(outboxEntry(1));
      const second = await store.enqueueCallback(outboxEntry(2, 'stream:s1'));
      assert.ok(second.seq > first.seq);
      const expected = {
        ...outboxEntry(1),
        signing: 'plivo',
        seq: first.seq,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: T0 + 1,
        lastError: null,
        finishedAt: null,
      };
      assert.deepEqual(first, expected);
      assert.deepEqual(await store.getCallback('cb-1'), expected);
      assert.equal(await store.getCallback('cb-404'), undefined);
      assert.equal(await codeOf(() => store.enqueueCallback(outboxEntry(1))), 'ERR_STORAGE_DUPLICATE');
    },
  );

  withStore(
    "outbox: a row keeps its signature scheme (a Twilio stream's callback recovered after a restart is signed Twilio's way)",
    async (store) => {
      await store.enqueueCallback({ ...outboxEntry(1, 'stream:tw'), signing: 'twilio' });
      await store.enqueueCallback({ ...outboxEntry(2, 'stream:pl'), signing: 'plivo' });
      await store.enqueueCallback(outboxEntry(3, 'stream:old'));
      assert.deepEqual(
        [
          (await store.getCallback('cb-1'))?.signing,
          (await store.getCallback('cb-2'))?.signing,
          (await store.getCallback('cb-3'))?.signing,
        ],
        ['twilio', 'plivo', 'plivo'],
      );
      const claimed = await store.claimCallbacks({ owner: 'proc-b', limit: 10 });
      assert.deepEqual(
        claimed.map((e) => [e.id, e.signing]),
        [
          ['cb-1', 'twilio'],
          ['cb-2', 'plivo'],
          ['cb-3', 'plivo'],
        ],
      );
    },
  );

  withStore(
    'outbox: failed attempts keep it pending with the next time; delivered and given-up are final',
    async (store) => {
      for (const n of [1, 2, 3]) {
        await store.enqueueCallback(outboxEntry(n));
      }
      await store.markCallbackFailed('cb-1', 1, T0 + 500, 'HTTP 503');
      await store.markCallbackFailed('cb-1', 2, T0 + 1500, 'connect: ECONNREFUSED');
      const failed = await store.getCallback('cb-1');
      assert.deepEqual(
        [failed?.status, failed?.attempts, failed?.nextAttemptAt, failed?.lastError],
        ['pending', 2, T0 + 1500, 'connect: ECONNREFUSED'],
      );
      await store.markCallbackDelivered('cb-1', 3, T0 + 1600);
      await store.giveUpCallback('cb-2', 3, T0 + 1700, '3 attempt(s) failed; last: HTTP 503');
      const delivered = await store.getCallback('cb-1');
      assert.deepEqual(
        [delivered?.status, delivered?.attempts, delivered?.finishedAt],
        ['delivered', 3, T0 + 1600],
      );
      // The last error stays on a delivered row (it tells that a retry was needed).
      assert.equal(delivered?.lastError, 'connect: ECONNREFUSED');
      const givenUp = await store.getCallback('cb-2');
      assert.deepEqual(
        [givenUp?.status, givenUp?.attempts, givenUp?.finishedAt, givenUp?.lastError],
        ['given-up', 3, T0 + 1700, '3 attempt(s) failed; last: HTTP 503'],
      );
      // A finished row does not move again.
      await store.markCallbackFailed('cb-1', 9, T0 + 9000, 'late');
      await store.giveUpCallback('cb-1', 9, T0 + 9000, 'late');
      assert.deepEqual(await store.getCallback('cb-1'), delivered);
      assert.deepEqual(
        (await store.pendingCallbacks(10)).map((r) => r.id),
        ['cb-3'],
      );
    },
  );

  withStore('outbox: a claim takes pending rows of other owners, in seq order, once', async (store) => {
    await store.enqueueCallback(outboxEntry(1, 'stream:s1', 'dead'));
    await store.enqueueCallback(outboxEntry(2, 'hangup:c1', 'dead'));
    await store.enqueueCallback(outboxEntry(3, 'stream:s1', 'dead'));
    await store.enqueueCallback(outboxEntry(4, 'stream:s2', 'other'));
    await store.enqueueCallback(outboxEntry(5, 'stream:s9', 'me'));
    await store.enqueueCallback(outboxEntry(6, 'stream:s1', 'dead'));
    await store.markCallbackDelivered('cb-6', 1, T0 + 10);
    await store.markCallbackFailed('cb-3', 1, T0 + 60_000, 'HTTP 503');

    const due = await store.claimCallbacks({ owner: 'me', from: 'dead', dueBy: T0 + 1000, limit: 10 });
    assert.deepEqual(
      due.map((r) => r.id),
      ['cb-1', 'cb-2'],
    );
    assert.ok(due.every((r) => r.owner === 'me'));
    assert.equal((await store.getCallback('cb-1'))?.owner, 'me');

    const rest = await store.claimCallbacks({ owner: 'me', limit: 10 });
    assert.deepEqual(
      rest.map((r) => r.id),
      ['cb-3', 'cb-4'],
      'not yet due, other owners; never a finished row',
    );
    assert.deepEqual([rest[0]?.attempts, rest[0]?.nextAttemptAt], [1, T0 + 60_000]);
    assert.deepEqual(await store.claimCallbacks({ owner: 'me', limit: 10 }), [], 'nothing twice');

    // A later process takes over what the previous claimer left pending, limited.
    const next = await store.claimCallbacks({ owner: 'next', limit: 2 });
    assert.deepEqual(
      next.map((r) => r.id),
      ['cb-1', 'cb-2'],
    );
    assert.deepEqual(next[0]?.params, outboxEntry(1).params);
  });

  withStore(
    'outbox: a claim from itself takes back the claimer’s own rows, and only those',
    async (store) => {
      await store.enqueueCallback(outboxEntry(1, 'stream:s1', 'node-a'));
      await store.enqueueCallback(outboxEntry(2, 'stream:s2', 'node-b'));
      await store.enqueueCallback(outboxEntry(3, 'hangup:c1', 'node-a'));
      await store.markCallbackDelivered('cb-3', 1, T0 + 10);
      assert.deepEqual(await store.claimCallbacks({ owner: 'node-a', limit: 10 }), [
        { ...(await store.getCallback('cb-2')), owner: 'node-a' },
      ]);
      await store.enqueueCallback(outboxEntry(4, 'stream:s4', 'node-b'));
      const own = await store.claimCallbacks({ owner: 'node-a', from: 'node-a', limit: 10 });
      assert.deepEqual(
        own.map((r) => [r.id, r.owner]),
        [
          ['cb-1', 'node-a'],
          ['cb-2', 'node-a'],
        ],
        'its own pending rows (cb-2 it claimed before); not node-b’s cb-4, never a finished row',
      );
      assert.equal((await store.getCallback('cb-4'))?.owner, 'node-b');
    },
  );

  withStore(
    'outbox: pruning deletes finished rows older than the cut, never a pending one',
    async (store) => {
      for (const n of [1, 2, 3, 4]) {
        await store.enqueueCallback(outboxEntry(n));
      }
      await store.markCallbackDelivered('cb-1', 1, T0 + 100);
      await store.giveUpCallback('cb-2', 3, T0 + 200, 'spent');
      await store.markCallbackDelivered('cb-3', 1, T0 + 900);
      assert.equal(await store.pruneCallbacks(T0 + 500), 2);
      assert.equal(await store.getCallback('cb-1'), undefined);
      assert.equal(await store.getCallback('cb-2'), undefined);
      assert.equal((await store.getCallback('cb-3'))?.status, 'delivered');
      assert.equal((await store.getCallback('cb-4'))?.status, 'pending');
      assert.equal(await store.pruneCallbacks(T0 + 10_000_000), 1);
      assert.equal((await store.pendingCallbacks(10)).length, 1);
    },
  );

  withStore('outbox: a closed store refuses outbox work', async (store) => {
    await store.enqueueCallback(outboxEntry(1));
    await store.close();
    assert.equal(await codeOf(() => store.enqueueCallback(outboxEntry(2))), 'ERR_STORAGE_CLOSED');
    assert.equal(await codeOf(() => store.claimCallbacks({ owner: 'x', limit: 1 })), 'ERR_STORAGE_CLOSED');
    assert.equal(await codeOf(() => store.markCallbackDelivered('cb-1', 1, T0)), 'ERR_STORAGE_CLOSED');
  });
}
