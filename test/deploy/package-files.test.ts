/**
 * What `npm pack` puts in the package that docs/deploy.md installs with `npm install --global`: the
 * units and the docs they name, the command, and no sources or tests (the compiled dist/ is there only
 * after `npm run build`, so it is not required here).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');

test('the npm package holds the systemd units, the docs they point at and the command, not the sources', () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const [pack] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  assert.ok(pack !== undefined);
  const files = new Set(pack.files.map((f) => f.path));
  for (const needed of [
    'package.json',
    'bin/streamfork.js',
    'deploy/systemd/streamfork.service',
    'deploy/systemd/streamfork@.service',
    'docs/deploy.md',
    'docs/cluster.md',
    'docs/config.md',
  ]) {
    assert.ok(files.has(needed), `the package holds ${needed}`);
  }
  assert.ok(![...files].some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests');
  // Documentation= in each unit names a file under the installed package's directory.
  for (const unit of ['streamfork.service', 'streamfork@.service']) {
    const text = readFileSync(join(root, 'deploy', 'systemd', unit), 'utf8');
    const doc = /^Documentation=file:\/\/\/usr\/local\/lib\/node_modules\/streamfork\/(\S+)$/m.exec(
      text,
    )?.[1];
    assert.ok(doc !== undefined, `${unit} points Documentation= into the installed package`);
    assert.ok(files.has(doc), `${unit}: the package holds ${doc}`);
  }
});
