/**
 * D11 slow consumer with real kernel buffers, shrunk (issue 11 item 8): on the host, Linux loopback
 * absorbs megabytes (tcp_wmem/tcp_rmem autotuning) before a paused reader makes the engine's user-space
 * send buffer grow, so a minute of streaming never reached DegradedStream. Here the whole test (the
 * app's servers and streamfork) runs in a network namespace of its own whose TCP buffers are 4 KB
 * (`unshare --net`, lo up, the namespace's own net.ipv4.tcp_rmem/tcp_wmem; the host's are untouched),
 * and the app completes the WebSocket handshake and then stops reading (socket.pause()). Nothing is
 * corked or faked: the kernel fills, then the engine's buffer, until the stream is dropped.
 *
 * The outer test (needs root, as `unshare --net` does) re-runs this file inside the namespace with
 * STREAMFORK_NETNS_CHILD=1 and passes or fails with it. `stream.bufferSeconds` is 3 instead of the
 * default 40 so the call lasts seconds, not a minute; the levels and the drop are the same code path.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, test } from 'node:test';

import type { HttpRecorder } from '../helpers/http-recorder.js';
import { startStalledServer } from '../helpers/fault-peers.js';
import { Scenario, assertHealthyStream, mediaOf, runCall } from '../helpers/scenario.js';
import { startReferenceConsumer } from '../../src/testing/reference-consumer.js';
import { callerTone, probeConnections, responseXml, streamElement } from '../helpers/stream-call.js';

const TCP_BUFFERS = '4096 4096 4096';
const BUFFER_SECONDS = 3;
const CALL_MS = 7000;

if (process.env['STREAMFORK_NETNS_CHILD'] !== '1') {
  // A namespace of our own needs root (CAP_SYS_ADMIN); say so instead of failing where there is none.
  const skip =
    process.getuid?.() !== 0
      ? 'needs root for unshare --net'
      : spawnSync('unshare', ['--net', 'true']).status !== 0
        ? 'unshare --net is not permitted here'
        : false;
  test(
    'slow consumer with 4 KB kernel TCP buffers (own network namespace): Degraded 30/60/90, Dropped, the call goes on',
    { skip, timeout: 60_000 },
    async (t) => {
      const env: NodeJS.ProcessEnv = { ...process.env, STREAMFORK_NETNS_CHILD: '1' };
      // The child is a plain node:test run of its own; it must not report to this runner's protocol.
      delete env['NODE_TEST_CONTEXT'];
      const script =
        `ip link set lo up && sysctl -qw net.ipv4.tcp_rmem="${TCP_BUFFERS}" net.ipv4.tcp_wmem="${TCP_BUFFERS}" ` +
        '&& exec "$0" --import tsx --test-reporter=spec "$1"';
      const child = spawn(
        'unshare',
        ['--net', 'sh', '-c', script, process.execPath, fileURLToPath(import.meta.url)],
        { env, stdio: ['ignore', 'pipe', 'pipe'], signal: t.signal },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        child.on('error', () => undefined);
        child.on('close', resolve);
      });
      for (const line of out.split('\n').filter((l) => /^\s*ℹ? ?(capacity|kernel|callbacks|next)/.test(l))) {
        t.diagnostic(line.replace(/^\s*ℹ?\s*/, ''));
      }
      assert.equal(code, 0, `the test inside the namespace failed:\n${out}`);
      assert.match(out, /tests 1\b[\s\S]*pass 1\b/, `the inner test ran and passed:\n${out}`);
    },
  );
} else {
  let scenario = new Scenario();
  afterEach(async () => {
    await scenario.close();
    scenario = new Scenario();
  });

  const callbacksFor = (app: HttpRecorder, serviceUrl: string) =>
    app.requestsTo('/status').filter((r) => r.param('ServiceURL') === serviceUrl);

  test('inside the namespace: the app stops reading; the engine reports 30/60/90 %, drops the stream, and the call goes on', async (t) => {
    // The namespace really has small buffers (else this test proves nothing).
    assert.equal(
      readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/).join(' '),
      TCP_BUFFERS,
    );
    assert.equal(
      readFileSync('/proc/sys/net/ipv4/tcp_rmem', 'utf8').trim().split(/\s+/).join(' '),
      TCP_BUFFERS,
    );

    const runtime = scenario.runtime({ bufferSeconds: BUFFER_SECONDS });
    const probes = probeConnections(runtime);
    const stalled = scenario.own(await startStalledServer('/stalled'));
    let stalledAtMs = 0;
    stalled.onConnection = () => {
      stalledAtMs = Date.now();
    };
    const app = await scenario.app();
    const healthy = scenario.own(await startReferenceConsumer({ path: '/healthy' }));
    const next = scenario.own(await startReferenceConsumer({ path: '/next' }));
    app.serve(
      '/answer',
      responseXml(
        streamElement(healthy.url, { contentType: 'audio/x-mulaw;rate=8000' }),
        streamElement(stalled.url, {
          keepCallAlive: true,
          statusCallbackUrl: app.url('/status'),
          audioTrack: 'both',
          contentType: 'audio/x-l16;rate=16000',
        }),
        streamElement(next.url, { keepCallAlive: true, contentType: 'audio/x-mulaw;rate=8000' }),
      ),
    );
    const result = await runCall(runtime, {
      answerUrl: app.url('/answer'),
      callerAudio: callerTone(CALL_MS),
      durationMs: CALL_MS,
    });

    const faulty = result.streams.find((s) => s.serviceUrl === stalled.url);
    assert.ok(faulty, 'the call has the stalled stream');
    assert.equal(faulty.status, 'failed');
    assert.equal(faulty.endReason, 'Slow consumer');
    const dropped = await app.waitFor(
      (r) => r.param('ServiceURL') === stalled.url && r.param('Event') === 'DroppedStream',
      3000,
      'DroppedStream',
    );
    const cbs = callbacksFor(app, stalled.url);
    assert.deepEqual(
      cbs.map((r) => `${r.param('Event') ?? ''}${r.param('BufferUsage') ?? ''}`),
      ['StartStream', 'DegradedStream30', 'DegradedStream60', 'DegradedStream90', 'DroppedStream'],
    );
    assert.equal(dropped.param('Reason'), 'Slow consumer');
    assert.match(dropped.param('Error') ?? '', new RegExp(`did not read ${BUFFER_SECONDS} s of media`));

    // The real buffers: the kernel took only a few KB, the rest piled up in the engine until the drop.
    const probe = probes.find((p) => p.url === stalled.url);
    assert.ok(probe?.terminated, 'the engine dropped the connection');
    const perSecond = 2 * probe.maxFrameBytes * 50;
    const capacity = perSecond * BUFFER_SECONDS;
    const lastBuffered = probe.bufferedSamples.at(-1)?.bytes ?? 0;
    // Upper bound of what the engine handed to the kernel: every frame at the largest size, plus the
    // 8-byte header of a masked client frame of 126..65535 bytes.
    const kernelBytes = probe.sends * (probe.maxFrameBytes + 8) - lastBuffered;
    assert.ok(
      lastBuffered >= capacity * 0.95,
      `the engine's buffer reached capacity (${lastBuffered} of ${capacity})`,
    );
    assert.ok(kernelBytes < capacity / 4, `the kernel absorbed ${kernelBytes} B (capacity ${capacity} B)`);
    // Levels fall due at 30/60/90/100 % of BUFFER_SECONDS after the app stopped reading, plus what the
    // kernel absorbed; generous bounds, as the machine is shared.
    const at = cbs.slice(1).map((r) => Number(r.param('Timestamp')) - stalledAtMs);
    const absorbMs = (kernelBytes / perSecond) * 1000;
    for (const [i, share] of [0.3, 0.6, 0.9, 1].entries()) {
      const expected = share * BUFFER_SECONDS * 1000 + absorbMs;
      const got = at[i] ?? Number.NaN;
      assert.ok(
        Math.abs(got - expected) < 1000,
        `callback ${i + 1} at ${got} ms after the stall, expected ~${expected}`,
      );
    }

    // The call went on: it lasted its full length, the XML went on to the next <Stream>, which got media
    // until the hang-up, and the stream started before the fault never noticed.
    assert.ok(result.durationMs >= CALL_MS - 100, `the call lasted ${result.durationMs} ms`);
    const dropAtMs = at[3] ?? 0;
    const session = next.sessions[0];
    assert.ok(session, 'the element after the dropped <Stream> ran');
    await session.waitForStart(1000);
    await session.closed;
    const nextSummary = result.streams.find((s) => s.serviceUrl === next.url);
    assert.equal(nextSummary?.endReason, 'Call hangup');
    const nextMedia = mediaOf(session).length;
    assert.ok(
      nextMedia * 20 >= CALL_MS - dropAtMs - 2500,
      `the next stream got ${nextMedia} frames after the drop`,
    );
    next.assertClean();
    await assertHealthyStream(healthy, healthy.sessions[0]!, result, 'the healthy stream');
    assert.deepEqual(
      runtime.logs.filter((l) => l.level === 'error'),
      [],
      'no error was logged',
    );
    console.log(
      `capacity ${capacity} B, kernel absorbed at most ${kernelBytes} B, engine buffered ${lastBuffered} B at the drop`,
    );
    console.log(`callbacks at ${at.map((v) => Math.round(v)).join('/')} ms after the app stopped reading`);
    t.diagnostic(`next stream: ${nextMedia} media frames after the drop`);
  });
}
