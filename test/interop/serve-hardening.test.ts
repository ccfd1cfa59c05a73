/**
 * Issue 11 against `streamfork serve` as a user runs it (a child process on loopback):
 * - a SIP or REST API port already in use: one line naming the address, transport and setting, exit 1,
 *   no stack trace;
 * - a call whose every RTP send fails (c=255.255.255.255) and a delayed offer whose ACK has no answer
 *   each end with a finished record (cause, end time) while another call stays up; then SIGTERM ends
 *   the live call and the process exits by itself, within its bound, with status 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { audioSdp, RawSipPeer, rtpCounter, statusOf } from '../helpers/raw-sip-peer.js';
import { apiGet, freeTcpPort, startServe, waitUntil } from './helpers/serve.js';
import { children, freeUdpPort, HOST, killChildren } from './helpers/sipp.js';

const AUTH_ID = 'MAHARDENTEST00000000';
const TOKEN = 'hardening-test-token';
const root = new URL('../..', import.meta.url).pathname;
const cleanups: (() => unknown)[] = [];
after(async () => {
  killChildren();
  for (const c of cleanups.reverse()) {
    await c();
  }
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-harden-'));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Runs `streamfork serve` to its exit (bounded); resolves to its status and stderr. */
function serveToExit(
  args: readonly string[],
  timeoutMs: number,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(root, 'bin/streamfork.js'), 'serve', ...args], { cwd: root });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not exit within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const baseArgs = (dataDir: string, sipPort: number, httpPort: number): string[] => [
  '--data-dir',
  dataDir,
  '--sip-port',
  String(sipPort),
  '--http-port',
  String(httpPort),
  '--auth-id',
  AUTH_ID,
  '--auth-token',
  TOKEN,
  '--log-level',
  'error',
];

test(
  'issue 11: a SIP port in use prints one line naming it and sip.port, and exits 1',
  { timeout: 60_000 },
  async () => {
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, HOST, r));
    cleanups.push(() => taken.close());
    const sipPort = taken.address().port;
    const run = await serveToExit(baseArgs(tempDir(), sipPort, await freeTcpPort()), 30_000);
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stderr.trim().split('\n');
    assert.deepEqual(
      lines.filter((l) => !l.includes('auth token')),
      [
        `streamfork serve: cannot listen on ${HOST}:${sipPort} (UDP, sip.port (--sip-port, STREAMFORK_SIP_PORT)): the port is already in use (EADDRINUSE)`,
      ],
    );
    assert.doesNotMatch(run.stderr, /^\s+at /m);
  },
);

test(
  'issue 11: a REST API port in use prints one line naming it and http.port, and exits 1',
  { timeout: 60_000 },
  async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, HOST, r));
    cleanups.push(() => new Promise((r) => taken.close(r)));
    const httpPort = (taken.address() as AddressInfo).port;
    const run = await serveToExit(baseArgs(tempDir(), await freeUdpPort(), httpPort), 30_000);
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(run.stderr.trim().split('\n'), [
      `streamfork serve: cannot listen on ${HOST}:${httpPort} (HTTP, http.port (--http-port, STREAMFORK_HTTP_PORT)): the port is already in use (EADDRINUSE)`,
    ]);
  },
);

test(
  'issue 11: failed-send and no-answer calls get finished records; SIGTERM with a live call exits 0 within its bound',
  { timeout: 90_000 },
  async () => {
    const answer: Server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end('<Response><Wait length="60"/></Response>');
    });
    await new Promise<void>((r) => answer.listen(0, HOST, r));
    cleanups.push(() => new Promise((r) => answer.close(r)));
    const answerUrl = `http://${HOST}:${(answer.address() as AddressInfo).port}/answer`;
    const sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    // No drain (tuning.drainTimeoutSec 0): SIGTERM ends the live call at once (the drain has its own test).
    const serve = await startServe(
      [...baseArgs(tempDir(), sipPort, httpPort), '--answer-url', answerUrl, '--log-level', 'warn'],
      { STREAMFORK_TUNING_DRAIN_TIMEOUT_SEC: '0' },
    );
    const peer = await RawSipPeer.open(sipPort);
    cleanups.push(() => {
      peer.close();
    });
    const media = await rtpCounter();
    cleanups.push(() => {
      media.close();
    });
    const api = (path: string): Promise<Record<string, unknown>> => apiGet(httpPort, path, AUTH_ID, TOKEN);
    const calls = async (): Promise<Record<string, unknown>[]> =>
      ((await api('Call/?limit=20')) as { objects: Record<string, unknown>[] }).objects;

    const live = await peer.invite(audioSdp(`IN IP4 ${HOST}`, media.port));
    assert.equal(statusOf(live.response), 200);
    const bad = await peer.invite(audioSdp('IN IP4 255.255.255.255', 40000));
    assert.equal(statusOf(bad.response), 200);
    await peer.answerBye(bad.dialog?.callId ?? '', 5000);
    const noAnswer = await peer.invite('');
    assert.equal(statusOf(noAnswer.response), 200);
    await peer.answerBye(noAnswer.dialog?.callId ?? '', 5000);

    await waitUntil(
      'two finished records',
      async () => (await calls()).filter((c) => c['call_status'] === 'completed').length === 2,
      10_000,
    ).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(await calls())}\n${serve.stderr()}`);
    });
    const byCause = new Map((await calls()).map((c) => [c['hangup_cause_name'], c]));
    for (const cause of ['NETWORK_OUT_OF_ORDER', 'INCOMPATIBLE_DESTINATION']) {
      const record = byCause.get(cause);
      assert.ok(record !== undefined, `a record with ${cause}: ${JSON.stringify([...byCause.keys()])}`);
      assert.equal(record['call_status'], 'completed');
      assert.equal(record['hangup_source'], 'Error');
      assert.equal(typeof record['end_time'], 'string');
    }

    // The live call never noticed.
    const before = media.count();
    await waitUntil('the live call still sending RTP', () => media.count() > before + 10, 5000);

    const t0 = Date.now();
    serve.child.kill('SIGTERM');
    const bye = await peer.answerBye(live.dialog?.callId ?? '', 5000);
    assert.ok(bye.startsWith('BYE '));
    const code = await serve.exited;
    const tookMs = Date.now() - t0;
    assert.equal(code, 0, serve.stderr());
    assert.ok(tookMs < 25_000, `exited after ${tookMs} ms`);
    assert.match(serve.stderr(), /streamfork serve: stopped\n/);
    assert.doesNotMatch(serve.stderr(), /handle\(s\) still open|did not finish/);
  },
);
