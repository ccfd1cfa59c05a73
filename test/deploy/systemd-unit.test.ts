/**
 * The systemd units in deploy/systemd, checked by scripts/check-systemd-unit.sh (systemd-analyze verify
 * and the offline security score; docs/deploy.md). The script must pass on the shipped units and fail
 * on a misspelt directive (systemd itself only warns and ignores it) and on a unit stripped of its
 * hardening. The stop timeout must cover the server's own shutdown bound at the default config.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { shutdownLimitMs } from '../../src/cli/serve.js';
import { loadConfigOrThrow } from '../../src/config/load.js';

const root = join(import.meta.dirname, '..', '..');
const script = join(root, 'scripts', 'check-systemd-unit.sh');
const single = join(root, 'deploy', 'systemd', 'streamfork.service');
const template = join(root, 'deploy', 'systemd', 'streamfork@.service');
const dir = mkdtempSync(join(tmpdir(), 'streamfork-unit-test-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function check(...units: string[]): { status: number | null; out: string } {
  const r = spawnSync('bash', [script, ...units], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 2 && r.stderr.includes('systemd-analyze not found')) {
    assert.fail('systemd-analyze is missing: install the Debian package systemd');
  }
  return { status: r.status, out: r.stdout + r.stderr };
}

/** A copy of the single-node unit under `name` in the temp dir, changed by `edit`. */
function variant(name: string, edit: (text: string) => string): string {
  const file = join(dir, name);
  const text = readFileSync(single, 'utf8');
  const changed = edit(text);
  assert.notEqual(changed, text, 'the edit changed nothing');
  writeFileSync(file, changed);
  return file;
}

test('the shipped units pass systemd-analyze verify and stay at or below the exposure threshold', () => {
  const { status, out } = check();
  assert.equal(status, 0, out);
  for (const name of ['streamfork.service', 'streamfork@.service']) {
    assert.match(out, new RegExp(`ok   ${name}: systemd-analyze verify printed nothing`), out);
    const score = new RegExp(`ok   ${name}: exposure ([0-9.]+) \\(at most 2\\.0\\)`).exec(out);
    assert.ok(score !== null, out);
    assert.ok(Number(score[1]) <= 2, out);
  }
});

test('a misspelt directive fails the check, naming the line', () => {
  const file = variant('streamfork.service', (t) => t.replace('ProtectSystem=strict', 'ProtectSytem=strict'));
  const { status, out } = check(file);
  assert.equal(status, 1, out);
  assert.match(out, /FAIL streamfork\.service: systemd-analyze verify/);
  assert.match(out, /ProtectSytem/);
});

test('a directive in the wrong section fails the check', () => {
  const file = variant('streamfork.service', (t) => t.replace('[Install]\n', '[Install]\nRestart=always\n'));
  const { status, out } = check(file);
  assert.equal(status, 1, out);
  assert.match(out, /Unknown key 'Restart' in section \[Install\]/);
});

test('a unit without its hardening fails on the exposure score', () => {
  const file = variant('streamfork.service', (t) =>
    t
      .split('\n')
      .filter((line) => !/^(Protect|Private|Restrict|SystemCall|CapabilityBoundingSet)/.test(line))
      .join('\n'),
  );
  const { status, out } = check(file);
  assert.equal(status, 1, out);
  assert.match(out, /FAIL streamfork\.service: exposure [0-9.]+ is above 2\.0/);
});

test('a unit that no longer starts the installed binary fails', () => {
  const file = variant('streamfork.service', (t) =>
    t.replace('ExecStart=/usr/local/bin/streamfork ', 'ExecStart=/usr/bin/streamfork '),
  );
  const { status, out } = check(file);
  assert.equal(status, 1, out);
  assert.match(out, /ExecStart does not start \/usr\/local\/bin\/streamfork/);
});

test('TimeoutStopSec covers the server’s own shutdown bound (drain, grace) at the default config', () => {
  const limitSec = shutdownLimitMs(loadConfigOrThrow({ env: { STREAMFORK_AUTH_AUTH_TOKEN: 'x' } })) / 1000;
  for (const unit of [single, template]) {
    const text = readFileSync(unit, 'utf8');
    const m = /^TimeoutStopSec=(\d+)$/m.exec(text);
    assert.ok(m !== null, `${unit} sets TimeoutStopSec`);
    assert.ok(Number(m[1]) > limitSec, `${unit}: TimeoutStopSec=${m[1]} must exceed ${limitSec} s`);
    assert.match(text, /^KillSignal=SIGTERM$/m);
    assert.match(text, /^KillMode=mixed$/m);
    assert.match(text, /^Restart=on-failure$/m);
    assert.match(text, /^User=streamfork$/m);
    // V8 needs writable and executable pages: MemoryDenyWriteExecute=yes would stop Node at start.
    assert.doesNotMatch(text, /^MemoryDenyWriteExecute=yes/m);
  }
});
