/**
 * `streamfork cluster up|down` when things go wrong: bad flags (exit 2), `down` on a directory with no
 * cluster, a port of `--base-port` already taken (nothing started), and a node that cannot start: `up`
 * names it and its log, stops what it had started (PostgreSQL, Redis, the other node) and exits 1.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { isRunning } from '../../src/adapters/launch/child-process.js';
import { readClusterState } from '../../src/adapters/launch/cluster-state.js';
import { clusterCli } from './helpers/cluster.js';
import { killChildren } from './helpers/sipp.js';

const root = mkdtempSync(join(tmpdir(), 'streamfork-cluster-cli-'));
chmodSync(root, 0o755);
after(() => {
  killChildren();
  rmSync(root, { recursive: true, force: true });
});

test('bad flags exit 2 with the flag named', async () => {
  const dir = join(root, 'flags');
  for (const [args, message] of [
    [['--nodes', '0'], /--nodes must be a whole number from 1 to 100, got 0/],
    [['--nodes', '2', '--base-port', '80'], /--base-port must be a port from 1024/],
    [['--nodes', '1', '--answer-url', 'ftp://x'], /--answer-url must be an http/],
    [['--nodes', '1', '--config', join(root, 'missing.json')], /--config .*missing\.json/],
  ] as const) {
    const run = await clusterCli(['up', '--dir', dir, ...args], 20_000);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '');
  }
  assert.equal(existsSync(dir), false, 'nothing created');
});

test('down on a directory without a cluster exits 1', async () => {
  const run = await clusterCli(['down', '--dir', root], 20_000);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /holds no cluster\.json/);
});

/** A UDP socket bound on the first free port from 40000 (low enough for a base port of a few nodes). */
async function holdUdpPort(): Promise<dgram.Socket> {
  for (let port = 40000; port < 50000; port += 2) {
    const socket = dgram.createSocket('udp4');
    const bound = await new Promise<boolean>((resolve) => {
      socket.once('error', () => {
        resolve(false);
      });
      socket.bind(port, '127.0.0.1', () => {
        resolve(true);
      });
    });
    if (bound) {
      return socket;
    }
    socket.close();
  }
  throw new Error('no free UDP port in 40000-50000');
}

test('a --base-port port already taken: up starts nothing and says which port', async () => {
  const socket = await holdUdpPort();
  try {
    const dir = join(root, 'taken');
    const port = socket.address().port;
    const run = await clusterCli(['up', '--nodes', '1', '--dir', dir, '--base-port', String(port)], 20_000);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`port ${port} \\(udp\\) is not free`));
    assert.equal(readClusterState(dir), undefined, 'no process was started');
  } finally {
    socket.close();
  }
});

test('a node that cannot start: up names it and its log, stops what it started, exits 1', async () => {
  const dir = join(root, 'broken');
  const config = join(root, 'broken.json');
  writeFileSync(config, JSON.stringify({ tuning: { maxCalls: -1 } }));
  const run = await clusterCli(['up', '--nodes', '2', '--dir', dir, '--config', config], 60_000);
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, '');
  assert.match(run.stderr, /node-\d exited while starting .*its log is .*node-\d\.log/);
  assert.match(run.stderr, /tuning\.maxCalls/, 'the node log tail says why');
  const state = readClusterState(dir);
  assert.equal(state?.state, 'stopped');
  assert.ok(state.processes.some((p) => p.name === 'postgres'));
  for (const p of state.processes) {
    assert.equal(isRunning(p), false, `${p.name} stopped after the failed start`);
  }
  const purge = await clusterCli(['down', '--dir', dir, '--purge'], 30_000);
  assert.equal(purge.code, 0, purge.stderr);
  assert.equal(existsSync(dir), false, 'up created DIR, so --purge removed it');
});
