/**
 * Acceptance (issue 5): sipp calls `streamfork serve`; the answer URL returns <Speak>, then
 * <Stream keepCallAlive="true">, then <Speak>. The app sees the stream; when it closes the socket the
 * second <Speak> is heard (energy in the RTP streamfork sends, captured on a socket the test owns), and
 * the hangup URL receives the right cause and duration, signed.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import plivo from 'plivo';

import { mulawDecode } from '../../src/media/codecs/g711.js';
import { rms } from '../../src/media/analysis.js';
import { startReferenceConsumer } from '../consumer/reference-consumer.js';
import { startHttpRecorder } from '../helpers/http-recorder.js';
import { TOKEN, freeTcpPort, serveArgs, startServe } from './helpers/serve.js';
import { fillScenario, freeUdpPort, killChildren, runTool, sippArgs } from './helpers/sipp.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  killChildren();
  for (const c of cleanups.reverse()) {
    await c();
  }
});

interface Captured {
  readonly atMs: number;
  readonly level: number;
}

test(
  'sipp → serve: <Speak>, <Stream keepCallAlive>, <Speak>: the second Speak is heard after the app closes; hangup_url signed with cause and duration',
  { timeout: 90_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfork-speak-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
    const app = await startReferenceConsumer();
    cleanups.push(() => app.close());
    const web = await startHttpRecorder();
    cleanups.push(() => web.close());
    web.serve(
      '/answer',
      `<Response><Speak>Hello, thanks for calling.</Speak><Stream keepCallAlive="true">${app.url}</Stream>` +
        `<Speak>The stream has ended. Goodbye.</Speak></Response>`,
    );

    // The caller's RTP goes to a socket the test owns: it records what streamfork sends.
    const rtpPort = await freeUdpPort(true);
    const sink = dgram.createSocket('udp4');
    const captured: Captured[] = [];
    const pcm = new Int16Array(160);
    sink.on('message', (msg) => {
      if (msg.length === 12 + 160 && (msg[1] ?? 0) % 128 === 0) {
        mulawDecode(msg.subarray(12), pcm);
        captured.push({ atMs: Date.now(), level: rms(pcm) });
      }
    });
    await new Promise<void>((r) => sink.bind(rtpPort, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          sink.close(() => {
            r(undefined);
          });
        }),
    );

    const sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    const server = await startServe([
      ...serveArgs({ dataDir: dir, sipPort, httpPort, answerUrl: web.url('/answer') }),
      '--hangup-url',
      web.url('/hangup'),
    ]);
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });

    let closedAt = 0;
    const appScript = app.waitForSession(20_000).then(async (session) => {
      await session.waitFor((m) => m.event === 'media', 5000);
      await new Promise((r) => setTimeout(r, 1000));
      closedAt = Date.now();
      await session.close(1000);
      return session;
    });
    const scenario = fillScenario('uac-until-bye.xml', dir, { RTP_PORT: String(rtpPort) });
    const startedAt = Date.now();
    const sipp = await runTool(
      'sipp',
      [
        '-sf',
        scenario,
        ...sippArgs(`127.0.0.1:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 60),
        '-m',
        '1',
      ],
      70_000,
    );
    assert.equal(sipp.code, 0, sipp.output.slice(0, 3000));
    const session = await appScript;
    assert.ok(session.start, 'the app saw the stream start');
    app.assertClean();

    const before = captured.filter((c) => c.atMs < closedAt && c.atMs > startedAt);
    const afterClose = captured.filter((c) => c.atMs > closedAt + 100);
    const loud = (xs: Captured[]): number => xs.filter((c) => c.level > 500).length;
    assert.ok(loud(before) >= 25, `the first Speak is heard in the RTP (${loud(before)} loud frames)`);
    assert.ok(
      loud(afterClose) >= 25,
      `the second Speak is heard after the app closed (${loud(afterClose)} loud frames)`,
    );

    const hangup = await web.waitFor((r) => r.path === '/hangup', 10_000, 'hangup_url');
    assert.equal(hangup.param('HangupCause'), 'End Of XML Instructions');
    const duration = Number(hangup.param('Duration'));
    const expected = (Date.now() - startedAt) / 1000;
    assert.ok(
      duration >= 2 && duration <= expected + 1,
      `Duration ${duration} s for a call of about ${expected.toFixed(1)} s`,
    );
    const params: Record<string, string> = {};
    for (const [k, v] of hangup.params) {
      params[k] = v;
    }
    const signature = String(hangup.headers['x-plivo-signature-v3'] ?? '');
    const nonce = String(hangup.headers['x-plivo-signature-v3-nonce'] ?? '');
    assert.ok(
      plivo.validateV3Signature('POST', web.url('/hangup'), nonce, TOKEN, signature, params),
      'hangup_url is signed',
    );
  },
);
