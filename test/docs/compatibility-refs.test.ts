// Every compatibility reference in the repository (a decision `D1`–`D16`, or a section `compatibility §n`)
// names a heading of docs/compatibility.md, and nothing points at a document outside the repository.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/compatibility.md'), 'utf8');

const decisions = new Set([...doc.matchAll(/^### (D\d+):/gm)].map((m) => m[1]));
const sections = new Set([...doc.matchAll(/^#{3,4} §(\d+(?:\.\d+)?) /gm)].map((m) => m[1]));

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) {
      continue;
    }
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      walk(path, out);
    } else if (/\.(ts|mjs|js|md|json)$/.test(name) && !path.endsWith('docs/compatibility.md')) {
      out.push(path);
    }
  }
  return out;
}

const files = ['src', 'test', 'examples', 'scripts', 'docs']
  .flatMap((d) => walk(join(root, d), []))
  .concat([join(root, 'README.md'), join(root, 'AGENTS.md')]);

/** `compatibility §2.2`, `compatibility §3–§6`, `compatibility §8, §9, D13`: the sections named. */
function sectionRefs(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/compatibility ((?:§\d+(?:\.\d+)?(?:[–-]§\d+(?:\.\d+)?)?(?:, )?)+)/g)) {
    for (const s of (m[1] ?? '').matchAll(/§(\d+(?:\.\d+)?)/g)) {
      out.push(s[1] ?? '');
    }
  }
  return out;
}

test('docs/compatibility.md defines D1–D16 and the numbered sections §1–§12', () => {
  for (let i = 1; i <= 16; i++) {
    assert.ok(decisions.has(`D${i}`), `D${i} has no heading`);
  }
  for (let i = 1; i <= 12; i++) {
    assert.ok(sections.has(String(i)), `§${i} has no heading`);
  }
});

test('every decision and section the repository cites resolves to a heading', () => {
  const missing: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file);
    for (const m of text.matchAll(/\bD(\d{1,2})\b(?![-.\w])/g)) {
      // `D1`–`D16` are decisions; other numbers are not ours to check (e.g. SIP's "D" digit tables).
      if (Number(m[1]) >= 1 && Number(m[1]) <= 16 && !decisions.has(`D${m[1]}`)) {
        missing.push(`${where}: D${m[1]}`);
      }
    }
    for (const s of sectionRefs(text)) {
      if (!sections.has(s)) {
        missing.push(`${where}: compatibility §${s}`);
      }
    }
  }
  assert.deepEqual(missing, []);
});

test('nothing points at the compatibility reference outside the repository', () => {
  const outside = files.filter((f) => /plivo-stream\.md|shared\/spec/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(
    outside.map((f) => relative(root, f)),
    [],
  );
});
