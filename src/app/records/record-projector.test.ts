import assert from 'node:assert/strict';
import { test } from 'node:test';

import { captureLogger } from '../../../test/helpers/stream-call.js';
import { MemoryCallStore } from '../../adapters/memory-store/memory-call-store.js';
import type { HangupSource } from '../../engine/call/media-leg.types.js';
import { CallEventBus } from '../../engine/events/call-event-bus.js';
import type { CallEvent, CallStartedEvent } from '../../engine/events/call-events.js';
import type { StreamSpec } from '../../engine/fork/stream-fork.types.js';
import type { StreamRecord } from '../../ports/call-store.js';
import { RecordProjector } from './record-projector.js';

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

function started(callUuid: string, extra: Partial<CallStartedEvent> = {}): CallStartedEvent {
  return {
    type: 'call.started',
    callUuid,
    atMs: T0,
    direction: 'inbound',
    from: '+14155550100',
    to: '+14155550199',
    answerUrl: 'http://app.test/answer',
    requestUuid: null,
    sipCallId: 'sip-1',
    startedAtMs: T0,
    nodeId: null,
    hangupCallback: null,
    ...extra,
  };
}

const spec: StreamSpec = {
  serviceUrl: 'ws://app.test/s',
  bidirectional: false,
  audioTrack: 'inbound',
  streamTimeoutSec: 86400,
  statusCallbackMethod: 'POST',
  contentType: 'audio/x-mulaw;rate=8000',
  keepCallAlive: false,
};

function setup(store = new MemoryCallStore()) {
  const logger = captureLogger();
  const bus = new CallEventBus(logger);
  const projector = new RecordProjector({ store, logger, events: bus });
  const emit = (...events: CallEvent[]): void => {
    for (const e of events) {
      bus.emit(e);
    }
  };
  return { store, logger, bus, projector, emit };
}

const ended = (callUuid: string, atMs: number, cause: string, source: HangupSource): CallEvent => ({
  type: 'call.ended',
  callUuid,
  atMs,
  status: 'completed',
  cause,
  causeCode: 4000,
  source,
});

test('events in, records out: an answered call with a stream, its errors and its end', async () => {
  const { store, projector, emit } = setup();
  emit(
    started('c1'),
    {
      type: 'call.answered',
      callUuid: 'c1',
      atMs: T0 + 1000,
      answerUrl: 'http://app.test/answer',
      sipCallId: 'sip-1',
      hangupCallback: null,
    },
    { type: 'stream.started', callUuid: 'c1', atMs: T0 + 1100, streamId: 's1', spec },
  );
  await projector.settled('c1');
  assert.equal((await store.getCall('c1'))?.status, 'in-progress', 'inserted answered, never queued');
  assert.equal((await store.getCall('c1'))?.answeredAt, T0 + 1000);
  assert.equal((await store.getStream('c1', 's1'))?.status, 'initiated');
  emit(
    { type: 'stream.status', callUuid: 'c1', atMs: T0 + 1200, streamId: 's1', status: 'in-progress' },
    {
      type: 'stream.checkpoint',
      callUuid: 'c1',
      atMs: T0 + 1300,
      streamId: 's1',
      name: 'cp',
      latencyMs: null,
    },
    { type: 'call.error', callUuid: 'c1', atMs: T0 + 1400, code: 'ERR_TTS_FAILED', message: 'tts broke' },
    ended('c1', T0 + 5500, 'NORMAL_CLEARING', 'caller'),
    {
      type: 'stream.status',
      callUuid: 'c1',
      atMs: T0 + 5500,
      streamId: 's1',
      status: 'completed',
      reason: 'Call hangup',
      error: null,
    },
  );
  await projector.settled('c1');
  const call = await store.getCall('c1');
  assert.ok(call !== undefined);
  assert.equal(call.status, 'completed');
  assert.equal(call.endedAt, T0 + 5500);
  assert.equal(call.hangupCause, 'NORMAL_CLEARING');
  assert.equal(call.hangupSource, 'Caller');
  assert.equal(call.durationSec, 6, 'whole seconds, rounded up as Plivo');
  assert.equal(call.billDurationSec, 5);
  assert.deepEqual(call.error, { messages: ['tts broke'] });
  const stream = await store.getStream('c1', 's1');
  assert.deepEqual(
    [stream?.status, stream?.startedAt, stream?.endedAt, stream?.stopReason],
    ['completed', T0 + 1200, T0 + 5500, 'Call hangup'],
  );
  assert.equal(projector.calls, 0, 'forgotten once the call and its streams ended');
});

test('the source is never guessed: NORMAL_CLEARING from the server is Plivo, from <Hangup> Answer XML', async () => {
  const { store, projector, emit } = setup();
  emit(started('srv'), ended('srv', T0 + 10, 'NORMAL_CLEARING', 'server'));
  emit(started('xml'), ended('xml', T0 + 10, 'NORMAL_CLEARING', 'xml-hangup'));
  emit(started('end'), ended('end', T0 + 10, 'End Of XML Instructions', 'xml-end'));
  await Promise.all([projector.settled('srv'), projector.settled('xml'), projector.settled('end')]);
  assert.equal((await store.getCall('srv'))?.hangupSource, 'Plivo');
  assert.equal((await store.getCall('xml'))?.hangupSource, 'Answer XML');
  assert.equal((await store.getCall('end'))?.hangupSource, 'Plivo');
});

test('writes run in event order per call: a REST call queued, answered, ended never goes back', async () => {
  const order: string[] = [];
  class SlowStore extends MemoryCallStore {
    override async insertCall(...args: Parameters<MemoryCallStore['insertCall']>): Promise<void> {
      await new Promise((r) => setTimeout(r, 20));
      order.push(`insert ${args[0].status}`);
      return super.insertCall(...args);
    }
    override updateCall(
      ...args: Parameters<MemoryCallStore['updateCall']>
    ): ReturnType<MemoryCallStore['updateCall']> {
      order.push(`update ${args[1].status ?? 'error'}`);
      return super.updateCall(...args);
    }
  }
  const { store, projector, emit } = setup(new SlowStore());
  emit(started('r1', { direction: 'outbound', requestUuid: 'req-1' }));
  await new Promise((r) => setImmediate(r));
  emit(
    {
      type: 'call.answered',
      callUuid: 'r1',
      atMs: T0 + 2000,
      answerUrl: 'http://app.test/a',
      sipCallId: 'x',
      hangupCallback: null,
    },
    ended('r1', T0 + 3000, 'NORMAL_CLEARING', 'api'),
  );
  await projector.settled('r1');
  assert.deepEqual(order, ['insert queued', 'update in-progress', 'update completed']);
  const call = await store.getCall('r1');
  assert.ok(call !== undefined);
  assert.equal(call.status, 'completed');
  assert.equal(call.requestUuid, 'req-1');
  assert.equal(call.hangupSource, 'API Request');
});

test('a failed write is logged with the call and skipped; the next writes still run', async () => {
  class FlakyStore extends MemoryCallStore {
    override insertStream(_record: StreamRecord): Promise<void> {
      return Promise.reject(new Error('disk full'));
    }
  }
  const { store, logger, projector, emit } = setup(new FlakyStore());
  emit(
    started('f1'),
    { type: 'stream.started', callUuid: 'f1', atMs: T0, streamId: 's1', spec },
    ended('f1', T0 + 1000, 'NORMAL_CLEARING', 'caller'),
  );
  await projector.settled('f1');
  assert.equal((await store.getStream('f1', 's1')) === undefined, true);
  assert.equal((await store.getCall('f1'))?.status, 'completed', 'the write after the failed one ran');
  const err = logger.entries.find((l) => l.level === 'error');
  assert.ok(err !== undefined, 'an error is logged');
  assert.equal(err.msg, 'could not record the stream');
  assert.equal(err.fields['callUuid'], 'f1');
  assert.equal(err.fields['streamId'], 's1');
});

test('a rejected document: the call.error issues become error.validation; an error after the end is added', async () => {
  const { store, projector, emit } = setup();
  const issue = {
    severity: 'error' as const,
    code: 'ERR_XML_BAD_URL' as const,
    detail: 'not an absolute URL',
    line: 1,
    column: 20,
    offset: 19,
    path: 'Response/Stream[1]',
  };
  emit(started('v1'), {
    type: 'call.error',
    callUuid: 'v1',
    atMs: T0,
    code: 'ERR_CALL_XML_INVALID',
    message: 'Invalid Answer XML: 1:20 ERR_XML_BAD_URL',
    url: 'http://app.test/answer',
    issues: [issue],
  });
  emit(ended('v1', T0 + 10, 'Invalid Answer XML', 'error'));
  emit({ type: 'call.error', callUuid: 'v1', atMs: T0 + 20, code: 'ERR_INTERNAL', message: 'late' });
  await projector.settled('v1');
  assert.deepEqual((await store.getCall('v1'))?.error, {
    messages: ['Invalid Answer XML: 1:20 ERR_XML_BAD_URL', 'late'],
    validation: {
      url: 'http://app.test/answer',
      errors: [
        {
          line: 1,
          column: 20,
          code: 'ERR_XML_BAD_URL',
          element: 'Response/Stream[1]',
          attribute: null,
          detail: 'not an absolute URL',
        },
      ],
    },
  });
});

test('events of a call it never saw start (a virtual call) write nothing', async () => {
  const { store, projector, emit } = setup();
  emit(ended('ghost', T0, 'NORMAL_CLEARING', 'caller'));
  await projector.idle();
  assert.equal(await store.getCall('ghost'), undefined);
});
