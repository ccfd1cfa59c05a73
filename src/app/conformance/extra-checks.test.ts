/**
 * The 16 kHz and reconnect checks of the conformance kit on hand-made traces: each outcome the report can
 * give (pass, fail, warn, not applicable), so a bot that breaks the rule is told so and why.
 * test/integration/conformance.test.ts runs them against the example bots through the CLI.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { VirtualCallEvent, VirtualCallResult } from '../virtual-call.js';
import { extraScripts, reconnectCheck, widebandCheck } from './extra-checks.js';
import type { Trace } from './scenario-run.js';

const scripts = extraScripts(new Int16Array(800));

function trace(over: Partial<Trace> & { contentType?: string; status?: string; error?: string }): Trace {
  const stream = {
    streamId: 'b5c9d224-aab8-4e8b-994a-ef432024e379',
    serviceUrl: 'ws://bot',
    contentType: over.contentType ?? 'audio/x-l16;rate=16000',
    status: over.status ?? 'completed',
    endReason: 'Call hangup',
    error: over.error,
    stats: {},
    checkpoints: [],
  };
  return {
    script: scripts.wideband,
    result: { streams: [stream] } as unknown as VirtualCallResult,
    events: [],
    appErrors: [],
    ignored: [],
    queue: [],
    bidirectional: true,
    reactedAtMs: undefined,
    askedContentType: 'audio/x-l16;rate=16000',
    resumeTimeoutSec: 0,
    droppedAtMs: undefined,
    ...over,
  };
}

/** `n` playAudio of 20 ms at 16 kHz, `everyMs` apart from 2000 ms. */
function plays(n: number, everyMs: number): VirtualCallEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    t: 2000 + i * everyMs,
    type: 'playAudio',
    detail: { bytes: 640 },
  }));
}

test('WIDEBAND-16K: paced whole samples pass; a burst past the buffer fails on a stream the bot asked for', () => {
  const ok = widebandCheck(trace({ events: plays(100, 20) }), 30_000);
  assert.equal(ok.status, 'pass', ok.detail);
  assert.match(ok.detail, /2000 ms of 16 kHz audio/);
  const burst = widebandCheck(trace({ events: plays(2000, 0) }), 30_000);
  assert.equal(burst.status, 'fail');
  assert.match(burst.detail, /40000 ms ahead of real time \(buffer 30000 ms\)/);
});

test('WIDEBAND-16K: refused payloads fail when the bot asked for 16 kHz, only warn when the kit forced it', () => {
  const refused = [{ t: 2100, code: 'ERR_STREAM_PARTIAL_SAMPLE' }];
  const own = widebandCheck(trace({ events: plays(5, 20), appErrors: refused }), 30_000);
  assert.equal(own.status, 'fail');
  assert.match(own.detail, /ERR_STREAM_PARTIAL_SAMPLE/);
  const forced = widebandCheck(
    trace({ events: plays(5, 20), appErrors: refused, askedContentType: 'audio/x-mulaw;rate=8000' }),
    30_000,
  );
  assert.equal(forced.status, 'warn');
  assert.match(forced.detail, /asks for audio\/x-mulaw;rate=8000; the kit played 16 kHz/);
  assert.equal(widebandCheck(trace({}), 30_000).status, 'warn', 'nothing played: cannot judge');
  assert.equal(widebandCheck(trace({ contentType: 'audio/x-l16;rate=8000' }), 30_000).status, 'fail');
});

test('RECONNECT: not applicable without resumeTimeout; pass when the bot took the resumed stream', () => {
  const basic = trace({});
  const na = reconnectCheck(basic, undefined);
  assert.equal(na.status, 'skip');
  assert.match(na.detail, /^not applicable/);
  const asked = trace({ resumeTimeoutSec: 10 });
  const resumed = trace({
    script: scripts.reconnect,
    droppedAtMs: 1500,
    events: [{ t: 1530, type: 'resumed', detail: { replayed: 2, dropped: 0 } }],
  });
  const pass = reconnectCheck(asked, resumed);
  assert.equal(pass.status, 'pass', pass.detail);
  assert.match(pass.detail, /resumed 30 ms after the drop \(window 10 s; same streamId b5c9d224/);
});

test('RECONNECT: a bot that refuses the reconnect, or sends refused messages after it, fails', () => {
  const asked = trace({ resumeTimeoutSec: 2 });
  const refused = reconnectCheck(
    asked,
    trace({
      script: scripts.reconnect,
      droppedAtMs: 1500,
      status: 'failed',
      error: 'the app did not reconnect within 2 s (5 attempts, last: ECONNREFUSED)',
    }),
  );
  assert.equal(refused.status, 'fail');
  assert.match(refused.detail, /did not take the reconnect within 2 s .*ECONNREFUSED/);
  const garbled = reconnectCheck(
    asked,
    trace({
      script: scripts.reconnect,
      droppedAtMs: 1500,
      events: [{ t: 1600, type: 'resumed', detail: { replayed: 0 } }],
      appErrors: [{ t: 1700, code: 'ERR_STREAM_NOT_JSON' }],
    }),
  );
  assert.equal(garbled.status, 'fail');
  assert.match(garbled.detail, /refused ERR_STREAM_NOT_JSON/);
});
