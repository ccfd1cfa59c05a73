/**
 * Issue 11 item 2: Plivo's `time_limit` on `POST /Call/` ends the answered call. The full server dials a
 * `sip:` URI where sipp's built-in UAS answers (and waits for our BYE); the answer XML would wait for a
 * minute, the limit is 2 s, so the call must end with `Scheduled Hangup` after about 2 s.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { configForTesting } from '../../src/config/load.js';
import { startServer, type StreamforkServer } from '../../src/server.js';
import { startAppServer, type AppServer } from '../integration/call-control-harness.js';
import { until } from '../helpers/stream-call.js';
import { freeUdpPort, HOST, killChildren, runTool, sippArgs, waitForUdpListener } from './helpers/sipp.js';

const AUTH_ID = 'MATIMELIMITTEST00000';
const TOKEN = 'time-limit-token';
const auth = `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`;

let dir: string;
let server: StreamforkServer;
let app: AppServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-time-limit-'));
  app = await startAppServer();
  app.route('/answer', { body: '<Response><Wait length="60"/></Response>' });
  app.route('/hangup', { body: '' });
  server = await startServer(
    configForTesting({
      auth: { authId: AUTH_ID, authToken: TOKEN },
      sip: { host: HOST, port: await freeUdpPort(), transports: ['udp'] },
      http: { host: HOST, port: await freeUdpPort() },
    }),
  );
});

after(async () => {
  killChildren();
  await server.stop();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

test('REST time_limit=2: the answered call is hung up by streamfork after 2 s with Scheduled Hangup', async () => {
  const sippPort = await freeUdpPort();
  const sipp = runTool(
    'sipp',
    [...sippArgs('', sippPort, await freeUdpPort(true), 30).slice(1), '-sn', 'uas', '-m', '1'],
    40_000,
    dir,
  );
  await waitForUdpListener(sippPort, 10_000);

  const res = await fetch(`http://${HOST}:${server.httpPort}/v1/Account/${AUTH_ID}/Call/`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      from: '+14155550100',
      to: `sip:bot@${HOST}:${sippPort}`,
      answer_url: app.url('/answer'),
      hangup_url: app.url('/hangup'),
      time_limit: 2,
    }),
  });
  const created = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, 201, JSON.stringify(created));

  const cb = await app.waitFor((r) => r.path === '/hangup', 15_000, 'hangup_url');
  assert.equal(cb.param('HangupCause'), 'Scheduled Hangup');
  const duration = Number(cb.param('Duration'));
  assert.ok(duration >= 2 && duration <= 3, `the call lasted ${duration} s`);

  const run = await sipp;
  assert.equal(run.code, 0, `sipp's UAS got our BYE and answered it:\n${run.output.slice(-2000)}`);
  const callUuid = cb.param('CallUUID') ?? '';
  await until(() => server.store.getCall(callUuid)?.status === 'completed', 5000, 'the record is finished');
  assert.equal(server.store.getCall(callUuid)?.hangupCause, 'Scheduled Hangup');
});
