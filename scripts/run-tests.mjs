#!/usr/bin/env node
// Runs the default test suite with node:test (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [file-or-folder ...]
// With no arguments it runs every *.test.ts under src/, test/ and examples/ (test/bench is not a test).
// The interop tests need real peers (sipp, baresip, espeak-ng, sox); scripts/ensure-system-deps.sh
// installs them with apt-get when missing and fails loudly when it cannot.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'bench' || name.startsWith('.')) {
      continue;
    }
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      collect(path, out);
    } else if (name.endsWith('.test.ts')) {
      out.push(relative(root, path));
    }
  }
  return out;
}

const args = process.argv.slice(2);
const targets = args.length > 0 ? args : ['src', 'test', 'examples'];
const files = [];
for (const target of targets) {
  const path = join(root, target);
  if (statSync(path).isDirectory()) {
    collect(path, files);
  } else {
    files.push(relative(root, path));
  }
}
files.sort();

if (files.some((f) => f.startsWith('test/interop/'))) {
  const deps = spawnSync('bash', [join(root, 'scripts/ensure-system-deps.sh')], { stdio: 'inherit' });
  if (deps.status !== 0) {
    console.error('run-tests: the system test peers could not be installed; see the messages above.');
    process.exit(1);
  }
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);
process.exit(result.status ?? 1);
