/**
 * Issue 11 item 8: after a crash, a call left `in-progress` used to get the restart time as its end.
 * The full server (startServer, SQLite store) refreshes the last-seen time of live calls; a server
 * that stops without ending a call (as a crash does) leaves it live, and the next start ends it at
 * its last-seen time, says so (cause Server Restart, code 5040, ended_abnormally) and shows it in
 * GET Call.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { liveCall } from '../../src/adapters/memory-store/call-store-contract.js';
import { configForTesting } from '../../src/config/load.js';
import { startServer } from '../../src/server.js';
import { delay, until } from '../helpers/stream-call.js';
import { freeUdpPort } from '../interop/helpers/sipp.js';

const HOST = '127.0.0.1';
const AUTH_ID = 'MARESTARTTEST0000000';
const TOKEN = 'restart-token';

test('a call lost in a crash ends at its last-seen time, not at the restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'streamfork-restart-'));
  try {
    const config = configForTesting({
      auth: { authId: AUTH_ID, authToken: TOKEN },
      storage: { driver: 'sqlite', dataDir },
      sip: { host: HOST, port: await freeUdpPort(), transports: ['udp'] },
      http: { host: HOST, port: await freeUdpPort() },
    });
    const first = await startServer(config, { lastSeenIntervalMs: 50 });
    // A call that was answered a minute ago and is still up (its record, as call control keeps it).
    const answeredAt = Date.now() - 60_000;
    const call = liveCall(1, { startedAt: answeredAt - 2000, answeredAt, lastSeenAt: null });
    first.store.insertCall(call);
    await until(() => first.store.getCall(call.callUuid)?.lastSeenAt !== null, 5000, 'a last-seen refresh');
    assert.equal(first.store.listCalls({ status: 'live', limit: 1, offset: 0 }).total, 1);
    await first.stop(); // No engine session holds the call: it stays in-progress, as after kill -9.
    const stoppedAt = Date.now();

    await delay(1500);
    const restartAt = Date.now();
    const second = await startServer(config, { lastSeenIntervalMs: 50 });
    try {
      const rec = second.store.getCall(call.callUuid);
      assert.ok(rec !== undefined);
      assert.ok(rec.endedAt !== null && rec.lastSeenAt !== null);
      assert.equal(rec.endedAt, rec.lastSeenAt);
      assert.ok(rec.endedAt <= stoppedAt && rec.endedAt < restartAt - 1000, 'ended before the restart');
      assert.equal(rec.status, 'completed');
      assert.equal(rec.hangupCause, 'Server Restart');
      assert.equal(rec.hangupCauseCode, 5040);
      assert.equal(rec.endedAbnormally, true);
      assert.equal(rec.billDurationSec, Math.ceil((rec.endedAt - answeredAt) / 1000));

      const auth = `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`;
      const res = await fetch(
        `http://${HOST}:${second.httpPort}/v1/Account/${AUTH_ID}/Call/${call.callUuid}/`,
        {
          headers: { authorization: auth },
        },
      );
      const cdr = (await res.json()) as Record<string, unknown>;
      assert.equal(res.status, 200, JSON.stringify(cdr));
      assert.equal(cdr['ended_abnormally'], true);
      assert.equal(cdr['hangup_cause_name'], 'Server Restart');
      assert.equal(cdr['hangup_cause_code'], 5040);
      const endTime = Date.parse(String(cdr['end_time']).replace(' ', 'T').replace('+00:00', 'Z'));
      assert.ok(Math.abs(endTime - rec.endedAt) < 1000, `end_time ${String(cdr['end_time'])}`);
      assert.equal(cdr['bill_duration'], rec.billDurationSec);
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
