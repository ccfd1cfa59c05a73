/**
 * Issue 12 (drain): SIGTERM on `streamfork serve` with a live sipp call. At once OPTIONS gets 503
 * (draining) and a new INVITE 503, while the live call goes on: when sipp hangs up, its BYE gets 200 and
 * the call's record ends normally (not `Server Shutdown`); then the process exits 0 by itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import Database from 'better-sqlite3';

import { audioSdp, headerOf, RawSipPeer, statusOf } from '../helpers/raw-sip-peer.js';
import { apiGet, AUTH_ID, freeTcpPort, startServe, TOKEN, waitUntil } from './helpers/serve.js';
import {
  fillScenario,
  freeUdpPort,
  HOST,
  killChildren,
  runTool,
  sippArgs,
  sippTotals,
} from './helpers/sipp.js';

const cleanups: (() => unknown)[] = [];
after(async () => {
  killChildren();
  for (const c of cleanups.reverse()) {
    await c();
  }
});

/** How long sipp stays on the line after the SIGTERM before it sends its BYE. */
const HOLD_AFTER_SIGTERM_MS = 3000;

test(
  'SIGTERM drains: OPTIONS and a new INVITE get 503, the live call ends normally when sipp hangs up, then exit 0',
  { timeout: 60_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfork-drain-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const answer: Server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end('<Response><Wait length="60"/></Response>');
    });
    await new Promise<void>((r) => answer.listen(0, HOST, r));
    cleanups.push(() => new Promise((r) => answer.close(r)));
    const sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    const serve = await startServe([
      '--data-dir',
      dir,
      '--sip-port',
      String(sipPort),
      '--http-port',
      String(httpPort),
      '--answer-url',
      `http://${HOST}:${(answer.address() as AddressInfo).port}/answer`,
      '--auth-id',
      AUTH_ID,
      '--auth-token',
      TOKEN,
      '--log-level',
      'warn',
    ]);
    const probe = await RawSipPeer.open(sipPort);
    cleanups.push(() => {
      probe.close();
    });
    assert.equal(statusOf(await probe.options()), 200, 'a ready node answers OPTIONS 200');

    // sipp: INVITE, ACK, then it holds the call long enough for the SIGTERM to land mid-call, and hangs up.
    const scenario = fillScenario('uac-stream-audio.xml', dir, {
      CASE: 'drain',
      MEDIA: '',
      HOLD_MS: String(2000 + HOLD_AFTER_SIGTERM_MS),
    });
    const sipp = runTool(
      'sipp',
      [
        ...sippArgs(`${HOST}:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 30),
        '-sf',
        scenario,
        '-m',
        '1',
      ],
      40_000,
      dir,
    );
    const live = async (): Promise<string[]> =>
      ((await apiGet(httpPort, 'Call/?status=live')) as { calls: string[] }).calls;
    await waitUntil('the sipp call live', async () => (await live()).length === 1, 5000);
    const [callUuid] = await live();

    const signalledAt = Date.now();
    serve.child.kill('SIGTERM');
    await waitUntil('OPTIONS answered 503', async () => statusOf(await probe.options()) === 503, 2000);
    const options = await probe.options();
    assert.match(options, /^SIP\/2\.0 503 Service Unavailable \(draining\)\r\n/);
    assert.equal(headerOf(options, 'Retry-After'), '30');
    const refused = await probe.invite(audioSdp(`IN IP4 ${HOST}`, 40000));
    assert.equal(statusOf(refused.response), 503, 'a new INVITE while draining gets 503');
    assert.equal(headerOf(refused.response, 'Retry-After'), '30');

    const run = await sipp;
    assert.equal(run.code, 0, `sipp exit ${run.code}:\n${run.output.slice(-3000)}\n${serve.stderr()}`);
    assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 }, 'its BYE got 200');
    const code = await serve.exited;
    const tookMs = Date.now() - signalledAt;
    assert.equal(code, 0, serve.stderr());
    assert.ok(
      tookMs >= HOLD_AFTER_SIGTERM_MS - 1500,
      `the node waited for the live call (exited ${tookMs} ms after SIGTERM)`,
    );
    assert.ok(tookMs < 15_000, `exited ${tookMs} ms after SIGTERM, well inside tuning.drainTimeoutSec`);
    assert.match(serve.stderr(), /SIGTERM: draining/);
    assert.doesNotMatch(serve.stderr(), /drain time over|handle\(s\) still open|did not finish/);

    const db = new Database(join(dir, 'streamfork.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT call_uuid, status, hangup_cause FROM calls ORDER BY started_at').all();
      assert.deepEqual(rows, [{ call_uuid: callUuid, status: 'completed', hangup_cause: 'NORMAL_CLEARING' }]);
    } finally {
      db.close();
    }
  },
);
