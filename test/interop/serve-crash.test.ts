/**
 * Acceptance (issue 5): `streamfork serve` with durable records. Five calls finish, twenty are live
 * (each streaming to an app), then the server is killed with SIGKILL and restarted on the same data dir:
 * every finished record is intact, the twenty are marked as ended abnormally, and the SQLite file passes
 * an integrity check. sipp places the calls.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import Database from 'better-sqlite3';

import { startReferenceConsumer } from '../consumer/reference-consumer.js';
import { apiGet, freeTcpPort, startServe, waitUntil } from './helpers/serve.js';
import { freeUdpPort, killChildren, runTool, sippArgs } from './helpers/sipp.js';

const AUTH_ID = 'MACRASHTEST000000000';
const TOKEN = 'crash-test-token';
const cleanups: (() => Promise<unknown> | undefined)[] = [];
after(async () => {
  killChildren();
  for (const c of cleanups.reverse()) {
    await c();
  }
});

const api = (port: number, path: string): Promise<Record<string, unknown>> =>
  apiGet(port, path, AUTH_ID, TOKEN);

test(
  'kill -9 with 20 live calls, then restart: finished records intact, live ones ended abnormally, integrity ok',
  { timeout: 120_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'streamfork-crash-'));
    cleanups.push(() => {
      rmSync(dataDir, { recursive: true, force: true });
      return undefined;
    });
    const app = await startReferenceConsumer();
    cleanups.push(() => app.close());
    const answer: Server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(`<Response><Stream keepCallAlive="true">${app.url}</Stream></Response>`);
    });
    await new Promise<void>((r) => answer.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => answer.close(r)));
    const answerUrl = `http://127.0.0.1:${(answer.address() as AddressInfo).port}/answer`;

    const sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    const args = [
      '--data-dir',
      dataDir,
      '--sip-port',
      String(sipPort),
      '--http-port',
      String(httpPort),
      '--answer-url',
      answerUrl,
      '--auth-id',
      AUTH_ID,
      '--auth-token',
      TOKEN,
      '--log-level',
      'warn',
    ];
    const first = await startServe(args);
    const target = `127.0.0.1:${sipPort}`;

    // Five calls that finish.
    const done = await runTool(
      'sipp',
      [
        '-sn',
        'uac',
        ...sippArgs(target, await freeUdpPort(), await freeUdpPort(true), 30),
        '-m',
        '5',
        '-r',
        '5',
        '-d',
        '500',
      ],
      40_000,
    );
    assert.equal(done.code, 0, done.output.slice(0, 3000));
    await waitUntil(
      '5 completed call records',
      async () =>
        ((await api(httpPort, 'Call/')) as { meta: { total_count: number } }).meta.total_count === 5,
      10_000,
    );
    const finishedBefore = ((await api(httpPort, 'Call/?limit=20')) as { objects: Record<string, unknown>[] })
      .objects;
    assert.equal(finishedBefore.length, 5);

    // Twenty calls that stay up, each streaming to the app.
    void runTool(
      'sipp',
      [
        '-sn',
        'uac',
        ...sippArgs(target, await freeUdpPort(), await freeUdpPort(true), 120),
        '-m',
        '20',
        '-r',
        '20',
        '-l',
        '20',
        '-d',
        '120000',
      ],
      130_000,
    );
    let live: string[] = [];
    await waitUntil(
      '20 live calls',
      async () => {
        live = ((await api(httpPort, 'Call/?status=live')) as { calls: string[] }).calls;
        return live.length === 20;
      },
      30_000,
    );
    await waitUntil('20 streams connected', () => Promise.resolve(app.sessions.length >= 20), 15_000);
    // The stream records are written through each call's write chain after the socket connects: wait for
    // them, so the kill tests recovery of written records, not a write still in flight.
    await waitUntil(
      'a stream record for every live call',
      async () => {
        for (const uuid of live) {
          const s = (await api(httpPort, `Call/${uuid}/Stream/`)) as { objects: unknown[] };
          if (s.objects.length === 0) {
            return false;
          }
        }
        return true;
      },
      15_000,
    );

    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed by a signal');
    killChildren();
    // Issue 11: the restart comes well after the crash, and the lost calls must not end at it.
    await new Promise((resolve) => setTimeout(resolve, 2500));

    const second = await startServe(args);
    const page = async (offset: number): Promise<Record<string, unknown>[]> =>
      ((await api(httpPort, `Call/?limit=20&offset=${offset}`)) as { objects: Record<string, unknown>[] })
        .objects;
    const all = [...(await page(0)), ...(await page(20))];
    assert.equal(all.length, 25);
    for (const before of finishedBefore) {
      const now = all.find((c) => c['call_uuid'] === before['call_uuid']);
      assert.deepEqual(now, before, 'a finished record is unchanged by the crash and restart');
    }
    for (const uuid of live) {
      const call = await api(httpPort, `Call/${uuid}/`);
      assert.equal(
        call['hangup_cause_name'],
        'Server Restart',
        `live call ${uuid} marked as ended abnormally`,
      );
      assert.notEqual(call['end_time'], null);
      assert.equal(call['ended_abnormally'], true);
      const endMs = Date.parse(String(call['end_time']).replace(' ', 'T').replace('+00:00', 'Z'));
      assert.ok(
        endMs <= killedAt,
        `end_time ${String(call['end_time'])} is the last-seen time, before the crash`,
      );
      assert.equal(call['hangup_cause_code'], 5040);
      const streams = (await api(httpPort, `Call/${uuid}/Stream/`)) as { objects: Record<string, unknown>[] };
      assert.equal(streams.objects.length, 1);
      assert.equal(streams.objects[0]?.['status'], 'failed');
    }
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0, 'SIGTERM stops the server cleanly');

    const db = new Database(join(dataDir, 'streamfork.sqlite'), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  },
);
