import assert from 'node:assert/strict';
import { test } from 'node:test';

import { captureLogger } from '../../../test/helpers/stream-call.js';
import { CallEventBus } from './call-event-bus.js';
import type { CallEvent } from './call-events.js';

const checkpoint = (name: string): CallEvent => ({
  type: 'stream.checkpoint',
  callUuid: 'c1',
  atMs: 1,
  streamId: 's1',
  name,
  latencyMs: null,
});

test('the bus delivers every event to every listener, in order, synchronously; unsubscribe stops one', () => {
  const bus = new CallEventBus(captureLogger());
  const a: string[] = [];
  const b: string[] = [];
  const stopA = bus.subscribe((e) => a.push(e.type === 'stream.checkpoint' ? e.name : e.type));
  bus.subscribe((e) => b.push(e.type === 'stream.checkpoint' ? e.name : e.type));
  bus.emit(checkpoint('one'));
  assert.deepEqual(a, ['one'], 'delivered before emit returns');
  stopA();
  bus.emit(checkpoint('two'));
  assert.deepEqual(a, ['one']);
  assert.deepEqual(b, ['one', 'two']);
});

test('a listener that throws is logged with the event and the call; the others still get the event', () => {
  const logger = captureLogger();
  const bus = new CallEventBus(logger);
  const seen: string[] = [];
  bus.subscribe(() => {
    throw new Error('observer bug');
  });
  bus.subscribe((e) => seen.push(e.type));
  assert.doesNotThrow(() => {
    bus.emit(checkpoint('x'));
  });
  assert.deepEqual(seen, ['stream.checkpoint']);
  const err = logger.entries.find((l) => l.level === 'error');
  assert.ok(err !== undefined, 'an error is logged');
  assert.equal(err.msg, 'call event listener threw');
  assert.equal(err.fields['event'], 'stream.checkpoint');
  assert.equal(err.fields['callUuid'], 'c1');
});

test('a listener that unsubscribes while an event is delivered does not stop the others getting it', () => {
  const bus = new CallEventBus(captureLogger());
  const seen: string[] = [];
  const stop = bus.subscribe(() => {
    stop();
    seen.push('first');
  });
  bus.subscribe(() => seen.push('second'));
  bus.emit(checkpoint('x'));
  bus.emit(checkpoint('y'));
  assert.deepEqual(seen, ['first', 'second', 'second']);
});
