/**
 * Resumable streams (issue 16 item 3): `<Stream resumeTimeout="N">`. On the fake clock: the app's socket
 * drops without a close frame mid-call; streamfork reconnects, says `"resumed": true` in a start with
 * the same streamId, replays what the app missed, and goes on, so the app sees every 20 ms frame once,
 * in order, with continuous sequence numbers and timestamps; the call never ends. When the app does
 * not come back within N s the stream ends as an unresumable one does (DroppedStream); a stream without
 * the attribute behaves as Plivo's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { CallHarness } from '../harness/harness.js';
import type { MemoryAppOptions } from '../harness/memory-app.js';
import { mediaOf } from '../helpers/scenario.js';
import { callerTone, responseXml, streamElement } from '../helpers/stream-call.js';

const MULAW = 'audio/x-mulaw;rate=8000';

function resumeCall(resumeTimeout: number | undefined, app: MemoryAppOptions = {}) {
  const h = new CallHarness();
  const bot = h.app('/bot', app);
  h.web.serve(
    '/answer',
    responseXml(
      streamElement(bot.url, {
        keepCallAlive: true,
        contentType: MULAW,
        statusCallbackUrl: h.web.url('/status'),
        ...(resumeTimeout === undefined ? {} : { resumeTimeout }),
      }),
    ),
  );
  return { h, bot };
}

describe('resumable streams', () => {
  test('a drop mid-call: reconnect, resumed start with the same streamId, every frame once and in order, the call goes on', async () => {
    const { h, bot } = resumeCall(5);
    const call = h.start({ callerAudio: callerTone(6000), durationMs: 6000 });
    await h.until(() => bot.sessions[0] !== undefined && mediaOf(bot.session(0)).length >= 50, 3000, 'media');
    bot.session(0).terminate();
    await h.until(() => bot.sessions[1]?.start !== undefined, 3000, 'the reconnect');
    const result = await call.end();

    const first = bot.session(0);
    const second = bot.session(1);
    const start2 = second.messages[0] as {
      event: string;
      sequenceNumber: number;
      start: Record<string, unknown>;
    };
    assert.equal(start2.event, 'start');
    assert.equal(start2.start['resumed'], true);
    assert.equal(start2.start['streamId'], first.start?.start.streamId, 'the same stream');
    assert.equal(
      first.start?.start['resumed' as keyof typeof first.start.start],
      undefined,
      'the first start is Plivo’s shape',
    );
    bot.assertClean();

    const media = [...mediaOf(first), ...mediaOf(second)];
    const stamps = media.map((m) => Number(m.timestamp));
    for (let i = 1; i < stamps.length; i++) {
      assert.equal(stamps[i]! - stamps[i - 1]!, 20, `frame ${i}: ${stamps[i - 1]} then ${stamps[i]}`);
    }
    const chunks = media.map((m) => m.chunk);
    assert.deepEqual(
      chunks,
      chunks.map((_, i) => i + 1),
      'chunks run on across the two sockets',
    );
    const seq = [...first.messages, ...second.messages].map((m) => m['sequenceNumber'] as number);
    const resumedAt = first.messages.length;
    assert.equal(seq[resumedAt], seq[resumedAt - 1]! + 1, 'the resumed start follows the last message');
    assert.ok(media.length >= 290, `${media.length} frames for a 6 s call`);

    const s = result.streams[0];
    assert.ok(s !== undefined);
    assert.equal(s.status, 'completed', JSON.stringify(s));
    assert.equal(s.stats.resumes, 1);
    assert.equal(s.stats.resumeDroppedMessages, 0);
    assert.equal(result.hangupSource, 'caller', 'the call ran to its end');
    await h.drainCallbacks();
    assert.deepEqual(
      h.web.requestsTo('/status').map((r) => r.param('Event')),
      ['StartStream', 'StopStream'],
      'no DroppedStream for a stream that resumed',
    );
  });

  test('the app does not come back within resumeTimeout: the stream ends with DroppedStream, then the XML goes on', async () => {
    const { h, bot } = resumeCall(2, { connect: (attempt) => (attempt === 1 ? 'accept' : 'refuse') });
    const call = h.start({ callerAudio: callerTone(6000), durationMs: 6000 });
    await h.until(() => bot.sessions[0] !== undefined && mediaOf(bot.session(0)).length >= 25, 3000, 'media');
    bot.session(0).terminate();
    const result = await call.end();
    const s = result.streams[0];
    assert.ok(s !== undefined);
    assert.equal(s.status, 'failed');
    assert.match(s.error ?? '', /did not reconnect within 2 s/);
    // keepCallAlive: the XML waited for the stream, then ran to its end (the call was not cut short).
    assert.equal(result.hangupSource, 'xml-end');
    assert.ok(
      result.durationMs >= 2500,
      `the call lasted ${result.durationMs} ms: the stream held it through the window`,
    );
    await h.drainCallbacks();
    assert.deepEqual(
      h.web.requestsTo('/status').map((r) => r.param('Event')),
      ['StartStream', 'DroppedStream'],
    );
  });

  test('the call ends while the stream reconnects: it completes, and a socket that opens late is closed', async () => {
    const { h, bot } = resumeCall(10, { connect: (attempt) => (attempt === 1 ? 'accept' : 'refuse') });
    const call = h.start({ callerAudio: callerTone(2000), durationMs: 2000 });
    await h.until(() => bot.sessions[0] !== undefined && mediaOf(bot.session(0)).length >= 25, 3000, 'media');
    bot.session(0).terminate();
    const result = await call.end();
    const s = result.streams[0];
    assert.ok(s !== undefined);
    assert.equal(s.status, 'completed');
    assert.equal(s.endReason, 'Call hangup');
    assert.equal(bot.sessions.length, 1, 'no second session');
  });

  test('without resumeTimeout a drop ends the stream at once, as on Plivo', async () => {
    const { h, bot } = resumeCall(undefined);
    const call = h.start({ callerAudio: callerTone(3000), durationMs: 3000 });
    await h.until(() => bot.sessions[0] !== undefined && mediaOf(bot.session(0)).length >= 25, 3000, 'media');
    bot.session(0).terminate();
    const result = await call.end();
    assert.equal(result.streams[0]?.status, 'failed');
    assert.equal(bot.sessions.length, 1);
  });
});
