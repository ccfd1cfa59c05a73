/**
 * The outbox proof (issue 10 item 3): `streamfork serve` is killed with SIGKILL while callbacks are
 * pending because the app's callback endpoint answers 503 — the hangup callback of a call that just
 * ended, and the status callbacks of a call still live — then restarted on the same data dir with the
 * endpoint healthy. Every callback arrives, and each is accepted exactly once (the app counts by
 * callback id and by call and event), in order per stream; and the call that was live at the kill gets
 * its hangup callback too (`Server Restart`, source `Error`, ended when it was last seen), written by
 * recovery from the call's record.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import Database from 'better-sqlite3';

import { startReferenceConsumer } from '../consumer/reference-consumer.js';
import { freeTcpPort, startServe, waitUntil } from './helpers/serve.js';
import { freeUdpPort, killChildren, runTool, sippArgs } from './helpers/sipp.js';

const AUTH_ID = 'MAOUTBOXTEST00000000';
const TOKEN = 'outbox-test-token';
const cleanups: (() => Promise<unknown> | undefined)[] = [];
after(async () => {
  killChildren();
  for (const c of cleanups.reverse()) {
    await c();
  }
});

interface Hit {
  readonly path: string;
  readonly id: string;
  readonly callUuid: string;
  readonly event: string;
  readonly cause: string;
  readonly status: number;
}

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
  }
  return new URLSearchParams(body);
}

/** The app's callback endpoint: answers 503 while `down`, else 200; records every request. */
function callbackApp(): { server: Server; hits: Hit[]; setDown: (down: boolean) => void } {
  const hits: Hit[] = [];
  let down = true;
  const server = createServer((req, res) => {
    void formOf(req).then((form) => {
      const status = down ? 503 : 200;
      hits.push({
        path: new URL(req.url ?? '/', 'http://x').pathname,
        id: String(req.headers['x-streamfork-callback-id'] ?? ''),
        callUuid: form.get('CallUUID') ?? '',
        event: form.get('Event') ?? '',
        cause: `${form.get('HangupCause') ?? ''}/${form.get('HangupSource') ?? ''}`,
        status,
      });
      res.writeHead(status).end();
    });
  });
  return { server, hits, setDown: (d) => (down = d) };
}

test(
  'kill -9 with a hangup callback and status callbacks pending (endpoint 503), restart: each arrives once',
  { timeout: 120_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'streamfork-outbox-'));
    cleanups.push(() => {
      rmSync(dataDir, { recursive: true, force: true });
      return undefined;
    });
    const ws = await startReferenceConsumer();
    cleanups.push(() => ws.close());
    const cb = callbackApp();
    await new Promise<void>((r) => cb.server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => cb.server.close(r)));
    const cbBase = `http://127.0.0.1:${(cb.server.address() as AddressInfo).port}`;
    const answer: Server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(
          `<Response><Stream keepCallAlive="true" statusCallbackUrl="${cbBase}/status">${ws.url}</Stream></Response>`,
        );
    });
    await new Promise<void>((r) => answer.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => answer.close(r)));
    const answerUrl = `http://127.0.0.1:${(answer.address() as AddressInfo).port}/answer`;

    const sipPort = await freeUdpPort();
    const httpPort = await freeTcpPort();
    const args = [
      ...['--data-dir', dataDir, '--sip-port', String(sipPort), '--http-port', String(httpPort)],
      ...['--answer-url', answerUrl, '--hangup-url', `${cbBase}/hangup`],
      ...['--auth-id', AUTH_ID, '--auth-token', TOKEN, '--log-level', 'warn'],
    ];
    // Enough attempts that nothing is given up before the kill (the default back-off: 0.5 s, 1 s, 2 s …).
    process.env['STREAMFORK_TUNING_CALLBACK_ATTEMPTS'] = '20';
    const first = await startServe(args);
    const target = `127.0.0.1:${sipPort}`;

    // A call that ends: its StartStream, StopStream and hangup callbacks all meet the 503.
    const short = await runTool(
      'sipp',
      [
        '-sn',
        'uac',
        ...sippArgs(target, await freeUdpPort(), await freeUdpPort(true), 30),
        '-m',
        '1',
        '-d',
        '1000',
      ],
      30_000,
    );
    assert.equal(short.code, 0, short.output.slice(0, 3000));
    await waitUntil(
      'the hangup callback refused once',
      () => cb.hits.some((h) => h.path === '/hangup'),
      10_000,
    );
    // A call that stays up: its StartStream meets the 503 while the call is live.
    void runTool(
      'sipp',
      [
        '-sn',
        'uac',
        ...sippArgs(target, await freeUdpPort(), await freeUdpPort(true), 120),
        '-m',
        '1',
        '-d',
        '120000',
      ],
      130_000,
    );
    const shortCall = cb.hits.find((h) => h.path === '/hangup')?.callUuid ?? '';
    await waitUntil(
      'the live call StartStream refused',
      () => cb.hits.some((h) => h.event === 'StartStream' && h.callUuid !== shortCall),
      20_000,
    );
    const liveCall =
      cb.hits.find((h) => h.event === 'StartStream' && h.callUuid !== shortCall)?.callUuid ?? '';

    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed by a signal');
    killChildren();
    assert.ok(
      cb.hits.every((h) => h.status === 503),
      'nothing was accepted before the kill',
    );
    cb.setDown(false);

    const second = await startServe(args);
    const accepted = (): Hit[] => cb.hits.filter((h) => h.status === 200);
    const expected = [
      `${shortCall} StartStream`,
      `${shortCall} StopStream`,
      `${shortCall} Hangup`,
      `${liveCall} StartStream`,
      `${liveCall} Hangup`,
    ].sort();
    await waitUntil(
      'the pending callbacks delivered after the restart',
      () => accepted().length >= 5,
      20_000,
    );
    // Give a duplicate time to show up.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const got = accepted().map((h) => `${h.callUuid} ${h.event}`);
    assert.deepEqual([...got].sort(), expected, 'each callback accepted exactly once');
    assert.equal(new Set(accepted().map((h) => h.id)).size, 5, 'five distinct callback ids');
    assert.deepEqual(
      accepted()
        .filter((h) => h.event === 'Hangup')
        .map((h) => `${h.callUuid} ${h.cause}`)
        .sort(),
      [`${shortCall} NORMAL_CLEARING/Caller`, `${liveCall} Server Restart/Error`].sort(),
      'the live call’s hangup callback says the server restarted',
    );
    for (const hit of cb.hits) {
      const ok = accepted().find((h) => h.callUuid === hit.callUuid && h.event === hit.event);
      assert.equal(
        hit.id,
        ok?.id,
        'every attempt of a callback carries the same id, before and after the kill',
      );
    }
    assert.ok(
      got.indexOf(`${shortCall} StartStream`) < got.indexOf(`${shortCall} StopStream`),
      'StartStream before StopStream (one stream, one lane)',
    );
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);

    const db = new Database(join(dataDir, 'streamfork.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT status, COUNT(*) AS n FROM callback_outbox GROUP BY status').all();
      assert.deepEqual(
        rows,
        [{ status: 'delivered', n: 5 }],
        'the outbox holds five delivered rows, none pending',
      );
    } finally {
      db.close();
    }
  },
);
