/**
 * The entity shape of docs/lifecycle.md on a virtual call (fake clock): the call, its leg and its
 * stream each fire `closed` exactly once, children before the call, whether the caller hung up or
 * our side closed the call (`CallSession.close()`); a second `close()` changes nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { CallSession } from '../../src/engine/call/call-session.js';
import { CallHarness } from '../harness/harness.js';
import { closeAgain, watchClosed } from '../helpers/closed-order.js';
import { responseXml, streamElement } from '../helpers/stream-call.js';

/** Starts a call with one connected stream and records the order of the `closed` events. */
async function callWithStream(durationMs: number): Promise<{
  h: CallHarness;
  session: CallSession;
  order: string[];
  end: () => Promise<unknown>;
}> {
  const h = new CallHarness();
  const app = h.app('/closed');
  h.web.serve('/answer', responseXml(streamElement(app.url, { keepCallAlive: true })));
  const call = h.start({ durationMs });
  const { session } = call;
  await h.until(() => session.liveStreams[0]?.status === 'in-progress', 2000, 'the stream connecting');
  const fork = session.liveStreams[0];
  assert.ok(fork);
  const entities = { call: session, leg: session.leg, fork };
  const order = watchClosed(entities);
  return {
    h,
    session,
    order,
    end: async () => {
      await call.end();
      closeAgain(entities);
    },
  };
}

test('the caller hangs up: the leg, then the stream, then the call close, each once', async () => {
  const { session, order, end } = await callWithStream(1000);
  await end();
  assert.deepEqual(order, ['leg', 'fork', 'call']);
  assert.deepEqual(session.hangupInfo, { cause: 'NORMAL_CLEARING', source: 'caller' });
});

test('CallSession.close() hangs up from the server: the leg, then the stream, then the call, each once', async () => {
  const { h, session, order, end } = await callWithStream(60_000);
  await h.advance(200);
  session.close();
  assert.deepEqual(order, ['leg', 'fork', 'call'], 'a connected stream closes synchronously with its call');
  await end();
  assert.deepEqual(order, ['leg', 'fork', 'call']);
  assert.deepEqual(session.hangupInfo, { cause: 'NORMAL_CLEARING', source: 'server' });
  assert.equal(session.allStreams[0]?.status, 'completed');
});
