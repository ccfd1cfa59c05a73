/**
 * The call events of whole virtual calls on the fake-clock harness: the hangup source is the one set
 * where the hangup was asked for, a rejected document is parsed once (its issues reach the flow's
 * outcome and the `call.error` event as one array), and the record projector writes what the bus says.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MemoryCallStore } from '../../src/adapters/memory-store/memory-call-store.js';
import { RecordProjector } from '../../src/app/records/record-projector.js';
import type { CallEvent } from '../../src/engine/events/call-events.js';
import { CallHarness } from '../harness/harness.js';
import { responseXml } from '../helpers/stream-call.js';

function recorded(h: CallHarness) {
  const store = new MemoryCallStore();
  const records = new RecordProjector({ store, logger: h.runtime.logger, events: h.engine.events });
  const events: CallEvent[] = [];
  h.engine.events.subscribe((e) => events.push(e));
  return { store, records, events };
}

test('<Hangup/>, the end of the XML and a server hangup, all with their own source, whatever the cause', async () => {
  const h = new CallHarness();
  const { store, records, events } = recorded(h);
  h.web.serve('/hangup', responseXml('<Hangup/>'));
  h.web.serve('/end', responseXml('<Wait length="1"/>'));
  h.web.serve('/wait', responseXml('<Wait length="30"/>'));
  const byXml = await h.run({ answerUrl: h.web.url('/hangup'), durationMs: 5000 });
  const byEnd = await h.run({ answerUrl: h.web.url('/end'), durationMs: 5000 });
  const call = h.start({ answerUrl: h.web.url('/wait'), durationMs: 60_000 });
  await h.advance(2000);
  call.session.hangup('NORMAL_CLEARING', 'server');
  const byServer = await call.end();

  assert.deepEqual(
    [byXml.hangupSource, byEnd.hangupSource, byServer.hangupSource],
    ['xml-hangup', 'xml-end', 'server'],
  );
  const ends = events.filter((e) => e.type === 'call.ended');
  assert.deepEqual(
    ends.map((e) => [e.cause, e.source]),
    [
      ['NORMAL_CLEARING', 'xml-hangup'],
      ['End Of XML Instructions', 'xml-end'],
      ['NORMAL_CLEARING', 'server'],
    ],
  );
  await records.idle();
  // The same cause, two sources: the old guess from the cause string named both `Answer XML`.
  assert.equal((await store.getCall(byXml.callUuid))?.hangupSource, 'Answer XML');
  assert.equal((await store.getCall(byEnd.callUuid))?.hangupSource, 'Plivo');
  assert.equal((await store.getCall(byServer.callUuid))?.hangupSource, 'Plivo');
  assert.equal((await store.getCall(byServer.callUuid))?.hangupCauseCode, 4000);
});

test('a rejected document is parsed once: the flow outcome and the call.error carry the same issues', async () => {
  const h = new CallHarness();
  const { store, records, events } = recorded(h);
  h.web.serve('/bad', responseXml('<Stream bidirectional="maybe">not-a-url</Stream>'));
  const result = await h.run({ answerUrl: h.web.url('/bad'), durationMs: 5000 });

  assert.ok(result.flow.end === 'error', `flow ended with ${result.flow.end}`);
  assert.equal(result.flow.code, 'ERR_CALL_XML_INVALID');
  assert.equal(result.flow.url, h.web.url('/bad'));
  const issues = result.flow.issues ?? [];
  assert.ok(issues.length >= 2, JSON.stringify(issues));
  const errors = events.filter((e) => e.type === 'call.error');
  assert.equal(errors.length, 1);
  const [error] = errors;
  assert.ok(error !== undefined);
  assert.equal(error.code, 'ERR_CALL_XML_INVALID');
  assert.equal(error.issues, issues, 'one parse: the very same issue list, not a second parse');
  assert.equal(result.hangupSource, 'error');

  await records.idle();
  const rec = await store.getCall(result.callUuid);
  assert.ok(rec !== undefined);
  assert.equal(rec.hangupCause, 'Invalid Answer XML');
  assert.equal(rec.hangupSource, 'Error');
  const json = rec.error as { messages: string[]; validation: { url: string; errors: unknown[] } };
  assert.equal(json.messages.length, 1);
  assert.match(json.messages[0] ?? '', /^Invalid Answer XML: /);
  assert.equal(json.validation.url, h.web.url('/bad'));
  assert.equal(json.validation.errors.length, issues.length);
});

test('the events of one call: how many, in which order (none per media frame)', async () => {
  const h = new CallHarness();
  const { events } = recorded(h);
  const app = h.app('/s');
  h.web.serve(
    '/stream',
    responseXml(`<Stream keepCallAlive="true" contentType="audio/x-mulaw;rate=8000">${app.url}</Stream>`),
  );
  const result = await h.run({ answerUrl: h.web.url('/stream'), durationMs: 3000 });
  assert.equal(result.durationMs, 3000);
  assert.deepEqual(
    events.map((e) => (e.type === 'stream.status' ? `${e.type}:${e.status}` : e.type)),
    [
      'call.started',
      'call.answered',
      'call.xml',
      'stream.started',
      'stream.status:in-progress',
      'stream.status:completed',
      'call.ended',
    ],
    '150 media frames each way, seven events',
  );
});
