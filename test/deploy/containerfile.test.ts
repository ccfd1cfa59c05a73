/**
 * A static check of the Containerfile (docs/deploy.md): it cannot be built here (no base image can be
 * pulled), so this parses it and checks its structure, not a build. Two stages (node:20-bookworm build,
 * node:20-bookworm-slim runtime); every COPY from the build context names a file that exists and that
 * .containerignore does not drop; every COPY from the build stage names something that stage copied or
 * made (node_modules by npm ci, the compiler's outDir by npm run build); a non-root USER; the default
 * SIP, API and RTP ports exposed; a /healthz HEALTHCHECK; STOPSIGNAL SIGTERM; the data directory a VOLUME.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { loadConfigOrThrow } from '../../src/config/load.js';

const root = join(import.meta.dirname, '..', '..');

interface Instruction {
  readonly op: string;
  readonly args: string;
  readonly line: number;
}

interface Stage {
  readonly image: string;
  readonly name: string | undefined;
  readonly body: Instruction[];
}

/** Instructions with their continuation lines joined; comments and blank lines dropped. */
function parse(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) {
      return;
    }
    if (pending !== '' && line.startsWith('#')) {
      return;
    }
    if (pending === '') {
      start = i + 1;
    }
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = pending + line;
    pending = '';
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(full);
    assert.ok(m !== null, `Containerfile:${start}: not an instruction: ${full}`);
    out.push({ op: m[1]!.toUpperCase(), args: m[2]!, line: start });
  });
  assert.equal(pending, '', 'the Containerfile ends inside a continued line');
  return out;
}

function stages(list: Instruction[]): Stage[] {
  const out: Stage[] = [];
  for (const ins of list) {
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      assert.ok(m !== null, `Containerfile:${ins.line}: FROM ${ins.args}`);
      out.push({ image: m[1]!, name: m[2], body: [] });
    } else if (out.length === 0) {
      assert.ok(ins.op === 'ARG', `Containerfile:${ins.line}: ${ins.op} before the first FROM`);
    } else {
      out[out.length - 1]!.body.push(ins);
    }
  }
  return out;
}

/** COPY's flags, sources and destination (the shell form; the JSON form is not used here). */
function copyParts(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith('--') === true) {
    const flag = words.shift()!;
    if (flag.startsWith('--from=')) {
      from = flag.slice('--from='.length);
    }
  }
  assert.ok(words.length >= 2, `COPY needs a source and a destination: ${args}`);
  const dest = words.pop()!;
  return { from, sources: words, dest };
}

const KNOWN = new Set([
  'FROM',
  'RUN',
  'COPY',
  'ADD',
  'ENV',
  'ARG',
  'WORKDIR',
  'USER',
  'EXPOSE',
  'VOLUME',
  'HEALTHCHECK',
  'STOPSIGNAL',
  'ENTRYPOINT',
  'CMD',
  'LABEL',
  'SHELL',
]);

const text = readFileSync(join(root, 'Containerfile'), 'utf8');
const all = parse(text);
const [build, runtime, ...extra] = stages(all);

test('the Containerfile has a node:20-bookworm build stage and a node:20-bookworm-slim runtime stage', () => {
  for (const ins of all) {
    assert.ok(KNOWN.has(ins.op), `Containerfile:${ins.line}: unknown instruction ${ins.op}`);
  }
  assert.equal(extra.length, 0, 'exactly two stages');
  assert.ok(build !== undefined && runtime !== undefined);
  assert.match(build.image, /(^|\/)node:20-bookworm$/);
  assert.equal(build.name, 'build');
  assert.match(runtime.image, /(^|\/)node:20-bookworm-slim$/);
  const runs = build.body.filter((i) => i.op === 'RUN').map((i) => i.args);
  const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((cmd) =>
    runs.findIndex((r) => r.includes(cmd)),
  );
  assert.ok(
    order.every((i) => i >= 0),
    `the build stage runs npm ci, npm run build, npm prune --omit=dev: ${runs.join(' | ')}`,
  );
  assert.ok(order[0]! <= order[1]! && order[1]! <= order[2]!, 'in that order');
});

test('every COPY source exists: in the build context (not ignored) or made by the build stage', () => {
  assert.ok(build !== undefined && runtime !== undefined);
  const ignored = readFileSync(join(root, '.containerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  assert.equal(
    readFileSync(join(root, '.dockerignore'), 'utf8'),
    readFileSync(join(root, '.containerignore'), 'utf8'),
    '.dockerignore is the same as .containerignore',
  );
  const outDir = (
    JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { outDir: string };
    }
  ).compilerOptions.outDir;
  // What the build stage holds in its WORKDIR: what it copied in, plus node_modules and the outDir.
  const workdir = build.body.find((i) => i.op === 'WORKDIR')?.args;
  assert.ok(workdir !== undefined, 'the build stage sets a WORKDIR');
  const made = new Set(['node_modules', outDir]);
  let copies = 0;
  for (const stage of [build, runtime]) {
    for (const ins of stage.body.filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
      assert.equal(ins.op, 'COPY', `Containerfile:${ins.line}: COPY, not ADD`);
      const { from, sources } = copyParts(ins.args);
      for (const src of sources) {
        copies += 1;
        if (from === undefined) {
          assert.ok(
            existsSync(join(root, src)),
            `Containerfile:${ins.line}: ${src} is not in the repository`,
          );
          const top = src.replace(/^\.\//, '').split('/')[0]!;
          assert.ok(
            !ignored.includes(top),
            `Containerfile:${ins.line}: ${src} is excluded by .containerignore`,
          );
          if (stage === build) {
            made.add(top);
          }
        } else {
          assert.equal(from, 'build', `Containerfile:${ins.line}: --from names the build stage`);
          assert.ok(src.startsWith(`${workdir}/`), `Containerfile:${ins.line}: ${src} is under ${workdir}`);
          const top = src.slice(workdir.length + 1).split('/')[0]!;
          assert.ok(
            made.has(top),
            `Containerfile:${ins.line}: the build stage neither copies nor makes ${top}`,
          );
        }
      }
    }
  }
  assert.ok(copies >= 8, `the Containerfile copies its inputs (${copies} sources)`);
  // The runtime gets the compiled output and the production dependencies, never the sources.
  const runtimeSources = runtime.body
    .filter((i) => i.op === 'COPY')
    .flatMap((i) => copyParts(i.args).sources);
  for (const needed of ['/src/dist', '/src/node_modules', '/src/bin', '/src/package.json']) {
    assert.ok(runtimeSources.includes(needed), `the runtime copies ${needed}`);
  }
  assert.ok(!runtimeSources.some((s) => /(^|\/)src$/.test(s) || s === 'src'), 'the runtime has no sources');
});

test('the runtime stage: non-root user, default ports exposed, /healthz check, SIGTERM, data volume', () => {
  assert.ok(runtime !== undefined);
  const one = (op: string): string => {
    const found = runtime.body.filter((i) => i.op === op);
    assert.equal(found.length, 1, `one ${op} in the runtime stage`);
    return found[0]!.args;
  };
  const user = one('USER');
  assert.doesNotMatch(user, /^(root|0)(:|$)/, 'the runtime does not run as root');
  assert.match(user, /^streamfork(:streamfork)?$/);
  assert.ok(
    runtime.body.some((i) => i.op === 'RUN' && /useradd .*streamfork/.test(i.args)),
    'the user is created',
  );

  const config = loadConfigOrThrow({ env: { STREAMFORK_AUTH_AUTH_TOKEN: 'x' } });
  const exposed = new Set(one('EXPOSE').split(/\s+/));
  for (const port of [
    `${config.sip.port}/udp`,
    `${config.sip.port}/tcp`,
    `${config.http.port}/tcp`,
    `${config.rtp.portMin}-${config.rtp.portMax}/udp`,
  ]) {
    assert.ok(exposed.has(port), `EXPOSE ${port} (the default in src/config/schema.ts)`);
  }

  const health = one('HEALTHCHECK');
  assert.match(health, /\/healthz/);
  assert.match(health, /\bCMD\b/);
  assert.match(health, new RegExp(`'${config.http.port}'`), 'the check falls back to the default API port');
  assert.equal(one('STOPSIGNAL'), 'SIGTERM');

  const volume = JSON.parse(one('VOLUME')) as string[];
  const env = runtime.body
    .filter((i) => i.op === 'ENV')
    .map((i) => i.args)
    .join(' ');
  const dataDir = /STREAMFORK_STORAGE_DATA_DIR=(\S+)/.exec(env)?.[1];
  assert.ok(dataDir !== undefined, 'the runtime sets STREAMFORK_STORAGE_DATA_DIR');
  assert.deepEqual(volume, [dataDir], 'the data directory is the volume');
  for (const key of ['STREAMFORK_SIP_HOST', 'STREAMFORK_RTP_HOST', 'STREAMFORK_HTTP_HOST']) {
    assert.match(env, new RegExp(`${key}=0\\.0\\.0\\.0`), `${key} binds every address in the container`);
  }
  assert.match(one('ENTRYPOINT'), /bin\/streamfork\.js/);
  assert.equal(one('CMD'), '["serve"]');
});
