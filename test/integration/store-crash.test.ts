// Crash test for the SQLite record store: a child process writes 50 finished calls, 20 live calls with
// live streams, prints "ready", then keeps committing small transactions until it is killed with
// SIGKILL. The parent reopens the database, runs crash recovery and checks every record.
//
// This file is both the test and the child: with STORE_CRASH_CHILD_DIR set it runs the writer.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

import { finishedCall, fixtureUuid, liveCall, streamOf } from '../contracts/call-store.contract.js';
import { openSqliteCallStoreIn } from '../../src/adapters/sqlite-store/sqlite-call-store.js';
import {
  SERVER_RESTART_CAUSE,
  SERVER_RESTART_CAUSE_CODE,
  type CallRecord,
  type StreamRecord,
} from '../../src/ports/call-store.js';

const FINISHED = 50;
const LIVE = 20;
const STREAMS_PER_CALL = 2;

function finishedRecords(): { calls: CallRecord[]; streams: StreamRecord[] } {
  const calls = Array.from({ length: FINISHED }, (_, i) => finishedCall(i));
  return {
    calls,
    streams: calls.flatMap((c) => Array.from({ length: STREAMS_PER_CALL }, (_, k) => streamOf(c, k))),
  };
}

function liveRecords(): { calls: CallRecord[]; streams: StreamRecord[] } {
  const calls = Array.from({ length: LIVE }, (_, i) => liveCall(1000 + i));
  const streams = calls.flatMap((c) => [
    streamOf(c, 0, { status: 'in-progress', endedAt: null, stopReason: null }),
    streamOf(c, 1, { status: 'initiated', startedAt: null, endedAt: null, stopReason: null }),
  ]);
  return { calls, streams };
}

/** The child: write, announce, then keep committing "noise" calls until killed. */
async function runChild(dir: string): Promise<void> {
  const store = openSqliteCallStoreIn(dir);
  for (const set of [finishedRecords(), liveRecords()]) {
    for (const call of set.calls) {
      await store.insertCall(call);
    }
    for (const stream of set.streams) {
      await store.insertStream(stream);
    }
  }
  process.stdout.write('ready\n');
  let n = 0;
  const tick = async (): Promise<void> => {
    // Each noise call is one committed transaction, so SIGKILL lands between or inside commits.
    const call = liveCall(100_000 + n, { callUuid: fixtureUuid(9, n) });
    await store.insertCall(call);
    await store.insertStream(
      streamOf(call, 0, { streamId: fixtureUuid(10, n), status: 'in-progress', endedAt: null }),
    );
    n += 1;
    setImmediate(() => void tick());
  };
  await tick();
}

const childDir = process.env['STORE_CRASH_CHILD_DIR'];
if (childDir !== undefined) {
  void runChild(childDir);
} else {
  test('SQLite store: kill -9 mid-write loses no committed record and recovery marks live ones abnormal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'streamfork-crash-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
        env: { ...process.env, STORE_CRASH_CHILD_DIR: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`child never became ready: ${stderr}`));
        }, 30_000);
        child.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`child exited early (${String(code)}): ${stderr}`));
        });
      });
      // Let the noise writer commit for a while so the kill lands mid-stream.
      await new Promise((resolve) => setTimeout(resolve, 150));
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.on('exit', (_code, signal) => {
          resolve(signal);
        }),
      );
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');

      const nowMs = Date.UTC(2024, 5, 1);
      const store = openSqliteCallStoreIn(dir);
      try {
        assert.equal(await store.integrityCheck(), 'ok');
        const noise = (await store.listCalls({ limit: 0, offset: 0 })).total - FINISHED - LIVE;
        assert.ok(noise >= 0, 'no call lost');

        // Noise calls were committed in order: all of 0..noise-1 exist. The kill may fall between a
        // call's commit and its stream's, so the last call may have no stream.
        let noiseStreams = 0;
        for (let n = 0; n < noise; n += 1) {
          assert.ok((await store.getCall(fixtureUuid(9, n))) !== undefined, `noise call ${n} present`);
          noiseStreams += (await store.listStreams(fixtureUuid(9, n), { limit: 1, offset: 0 })).total;
        }
        assert.ok(
          noiseStreams === noise || noiseStreams === noise - 1,
          `${noiseStreams} streams for ${noise} calls`,
        );

        const counts = await store.markLiveAsAbnormal(nowMs);
        // Every fixture call has a hangup_url: each ended call gets its hangup callback in the outbox.
        assert.deepEqual(counts, {
          calls: LIVE + noise,
          streams: LIVE * 2 + noiseStreams,
          hangupCallbacks: LIVE + noise,
        });

        const finished = finishedRecords();
        for (const call of finished.calls) {
          assert.deepEqual(await store.getCall(call.callUuid), call);
        }
        for (const stream of finished.streams) {
          assert.deepEqual(await store.getStream(stream.callUuid, stream.streamId), stream);
        }

        const live = liveRecords();
        // Issue 11: a lost call ends when it was last seen alive, not at the restart.
        const lastSeen = new Map(live.calls.map((c) => [c.callUuid, c.lastSeenAt ?? 0]));
        for (const call of live.calls) {
          const end = call.lastSeenAt ?? 0;
          assert.ok(end > 0 && end < nowMs);
          assert.deepEqual(await store.getCall(call.callUuid), {
            ...call,
            status: 'completed', // They had been answered; unanswered ones become 'failed'.
            endedAt: end,
            hangupCause: SERVER_RESTART_CAUSE,
            hangupCauseCode: SERVER_RESTART_CAUSE_CODE,
            hangupSource: 'Error',
            durationSec: Math.ceil((end - call.startedAt) / 1000),
            billDurationSec: Math.ceil((end - (call.answeredAt ?? 0)) / 1000),
            endedAbnormally: true,
          });
        }
        for (const stream of live.streams) {
          assert.deepEqual(await store.getStream(stream.callUuid, stream.streamId), {
            ...stream,
            status: 'failed',
            endedAt: lastSeen.get(stream.callUuid),
            stopReason: SERVER_RESTART_CAUSE,
          });
        }
        assert.equal((await store.listCalls({ status: 'live', limit: 1, offset: 0 })).total, 0);
        assert.equal(
          (await store.listCalls({ status: 'completed', limit: 1, offset: 0 })).total,
          FINISHED + LIVE + noise,
        );
        assert.equal(await store.integrityCheck(), 'ok');
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
