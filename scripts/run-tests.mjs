#!/usr/bin/env node
// Runs the default test suite with node:test (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [file-or-folder ...]
// With no arguments it runs every *.test.ts under src/, test/ and examples/ (test/bench is not a test).
// The interop tests need real peers (sipp, baresip, espeak-ng, sox); scripts/ensure-system-deps.sh
// installs them with apt-get when missing and fails loudly when it cannot.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
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

// Load tests saturate both cores; run beside audio-quality tests they would make those measure the
// machine rather than the code. Audio-quality tests that judge real-time playback (a caller hearing its
// own echo through a bot, correlated sample by sample) are the other side of that: beside CPU-bound
// tests (fuzzers, load) they measure starvation. Both kinds run alone, after the others: load tests by
// their name (`*-load.test.ts`), real-time tests by a first line `// test-runner: exclusive …`.
const declaresExclusive = (f) =>
  /^\/\/ test-runner: exclusive\b/m.test(readFileSync(join(root, f), 'utf8').slice(0, 4096));
const exclusive = files.filter((f) => /(^|\/)[^/]*-load\.test\.ts$/.test(f) || declaresExclusive(f));
const shared = files.filter((f) => !exclusive.includes(f));
const concurrency = process.env.TEST_CONCURRENCY ?? '2';

/** Runs node:test on `group`, streaming its output; resolves with its exit code and pass/fail counts. */
function runGroup(group, groupConcurrency) {
  return new Promise((resolve) => {
    if (group.length === 0) {
      resolve({ code: 0, pass: 0, fail: 0 });
      return;
    }
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${groupConcurrency}`,
        '--test-reporter=spec',
        ...group,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_NO_WARNINGS: '1' } },
    );
    // node:test prints "ℹ pass N" / "ℹ fail N" before its list of failures, which can be long: the
    // counts are taken line by line as they stream past, not from the end of the output.
    const counts = { pass: 0, fail: 0 };
    let partial = '';
    const countLine = (line) => {
      const m = /^\u2139 (pass|fail) (\d+)$/.exec(line);
      if (m) {
        counts[m[1]] = Number(m[2]);
      }
    };
    // Decoded as a stream, so a character split between chunks arrives whole.
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(countLine);
    });
    child.on('close', (code) => {
      countLine(partial);
      const count = (name) => counts[name];
      resolve({ code: code ?? 1, pass: count('pass'), fail: count('fail') });
    });
  });
}

const results = [await runGroup(shared, concurrency), await runGroup(exclusive, '1')];
const pass = results.reduce((n, r) => n + r.pass, 0);
const fail = results.reduce((n, r) => n + r.fail, 0);
const code = results.some((r) => r.code !== 0) ? 1 : 0;
console.log(`\ntests: ${pass} passed, ${fail} failed`);
process.exit(code);
