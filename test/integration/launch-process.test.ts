/**
 * The process launchers behind `streamfork cluster up` (src/adapters/launch/child-process.ts): a missing
 * program names its Debian package; a recorded process is stopped by PID (stop signal, then SIGKILL
 * after its bound), and a PID whose start time differs (reused by another process) is never signalled;
 * a process that exits or is not ready in time fails the start naming it and its log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import {
  findProgram,
  isRunning,
  launch,
  stopProcess,
  waitReady,
  type ProcessRecord,
} from '../../src/adapters/launch/child-process.js';
import { ServerError } from '../../src/errors/server-error.js';

const dir = mkdtempSync(join(tmpdir(), 'streamfork-launch-'));
const started: ProcessRecord[] = [];
after(async () => {
  for (const p of started) {
    await stopProcess({ ...p, stopSignal: 'SIGKILL', stopGraceMs: 1000 });
  }
  rmSync(dir, { recursive: true, force: true });
});

function sh(name: string, script: string, stopGraceMs = 5000): ProcessRecord {
  const rec = launch({
    name,
    program: findProgram('sh', 'dash'),
    args: ['-c', script],
    cwd: dir,
    logFile: join(dir, `${name}.log`),
    stopGraceMs,
  });
  started.push(rec);
  return rec;
}

test('a missing program is an ERR_LAUNCH_MISSING_BINARY error naming its Debian package', () => {
  assert.throws(
    () => findProgram('streamfork-no-such-program', 'some-package'),
    (err: unknown) =>
      err instanceof ServerError &&
      err.code === 'ERR_LAUNCH_MISSING_BINARY' &&
      err.message.includes('install the Debian package some-package'),
  );
});

test('stop by PID: the stop signal ends it; a record with another start time signals nothing', async () => {
  const rec = sh('sleeper', 'exec sleep 30');
  assert.equal(isRunning(rec), true);
  const impostor = { ...rec, startTicks: String(Number(rec.startTicks) + 1) };
  assert.equal(isRunning(impostor), false);
  assert.equal(await stopProcess(impostor), 'not-running');
  assert.equal(isRunning(rec), true, 'the real process was not signalled');
  assert.equal(await stopProcess(rec), 'stopped');
  assert.equal(isRunning(rec), false);
  assert.equal(await stopProcess(rec), 'not-running');
});

test('a process that ignores its stop signal is killed after its bound', async () => {
  const rec = sh('stubborn', "trap '' TERM; while :; do sleep 0.1; done", 300);
  // Give the shell time to install its trap.
  await waitReady(
    rec,
    'the trap',
    () =>
      new Promise((r) =>
        setTimeout(() => {
          r(true);
        }, 200),
      ),
    2000,
  );
  const t0 = Date.now();
  assert.equal(await stopProcess(rec), 'killed');
  assert.equal(isRunning(rec), false);
  assert.ok(Date.now() - t0 >= 300);
});

test('a process that exits while starting fails the start, naming it and its log', async () => {
  const rec = sh('crasher', 'echo "bad setting on line 3" >&2; exit 3');
  await assert.rejects(
    waitReady(rec, 'its port', () => Promise.resolve(false), 10_000),
    (err: unknown) =>
      err instanceof ServerError &&
      err.code === 'ERR_LAUNCH_FAILED' &&
      err.message.includes('crasher exited while starting (waiting for its port)') &&
      err.message.includes(join(dir, 'crasher.log')) &&
      err.message.includes('bad setting on line 3'),
  );
});

test('a process not ready in time is stopped and fails the start', async () => {
  const rec = sh('slowpoke', 'exec sleep 30');
  await assert.rejects(
    waitReady(rec, 'a PING', () => Promise.resolve(false), 300),
    (err: unknown) =>
      err instanceof ServerError &&
      err.code === 'ERR_LAUNCH_FAILED' &&
      err.message.includes('was not ready within'),
  );
  assert.equal(isRunning(rec), false, 'stopped by the failed start');
});
