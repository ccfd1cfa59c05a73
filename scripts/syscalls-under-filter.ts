/**
 * Which system calls `streamfork serve` (and every process and thread it starts) made in an strace log,
 * and which of them the unit's `SystemCallFilter=` would refuse (docs/deploy.md, "What is tested").
 * The filter is read from the unit file and expanded with `systemd-analyze syscall-filter`, so the
 * answer follows the unit. Also lists the socket families and the /proc files the server used
 * (`RestrictAddressFamilies=`, `ProcSubset=`).
 *
 *   strace -f -qq -o /tmp/trace.txt node scripts/run-tests.mjs test/interop/serve-sipp-speak.test.ts
 *   node --import tsx scripts/syscalls-under-filter.ts /tmp/trace.txt [deploy/systemd/streamfork.service]
 *
 * Exit 0 when nothing falls outside the filter, 1 otherwise (the report says which calls, and their
 * results in the log: a call that already failed there loses nothing when the filter refuses it).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [traceFile, unitFile = new URL('../deploy/systemd/streamfork.service', import.meta.url).pathname] =
  process.argv.slice(2);
if (traceFile === undefined) {
  process.stderr.write('usage: syscalls-under-filter.ts STRACE_LOG [UNIT_FILE]\n');
  process.exit(2);
}

const groups = new Map<string, Set<string>>();
/** A syscall set name (`@system-service`) or one syscall, expanded. */
function expand(name: string): Set<string> {
  if (!name.startsWith('@')) {
    return new Set([name]);
  }
  const known = groups.get(name);
  if (known !== undefined) {
    return known;
  }
  const text = execFileSync('systemd-analyze', ['syscall-filter', name], { encoding: 'utf8' });
  const out = new Set<string>();
  for (const raw of text.split('\n').slice(1)) {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) {
      for (const s of expand(line)) {
        out.add(s);
      }
    }
  }
  groups.set(name, out);
  return out;
}

/** The allowed set from the unit's SystemCallFilter= lines (an allow list, then `~` removals). */
function allowedBy(unit: string): Set<string> {
  const allowed = new Set<string>();
  for (const m of unit.matchAll(/^SystemCallFilter=(.*)$/gm)) {
    const value = m[1]!.trim();
    const deny = value.startsWith('~');
    for (const word of (deny ? value.slice(1) : value).split(/\s+/).filter((w) => w !== '')) {
      for (const s of expand(word)) {
        if (deny) {
          allowed.delete(s);
        } else {
          allowed.add(s);
        }
      }
    }
  }
  return allowed;
}

const parent = new Map<number, number>();
const serve = new Set<number>();
const calls = new Map<number, Map<string, number>>();
const failures = new Map<string, Map<string, number>>();
const lines = readFileSync(traceFile, 'utf8').split('\n');
for (const line of lines) {
  const clone = /^(\d+)\s+(?:<\.\.\. )?(?:clone3?|fork|vfork)\b.*= (\d+)$/.exec(line);
  if (clone !== null) {
    parent.set(Number(clone[2]), Number(clone[1]));
  }
  const exec = /^(\d+)\s+execve\("[^"]+", \[(.*?)\]/.exec(line);
  if (exec?.[2]?.includes('streamfork.js') === true && exec[2].includes('"serve"')) {
    serve.add(Number(exec[1]));
  }
  const call = /^(\d+)\s+(\w+)\(/.exec(line);
  if (call !== null) {
    const pid = Number(call[1]);
    const perPid = calls.get(pid) ?? new Map<string, number>();
    calls.set(pid, perPid);
    perPid.set(call[2]!, (perPid.get(call[2]!) ?? 0) + 1);
  }
}

function underServe(pid: number): boolean {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && hops < 64; p = parent.get(p), hops++) {
    if (serve.has(p)) {
      return true;
    }
  }
  return false;
}

const pids = new Set([...calls.keys()].filter(underServe));
const used = new Map<string, number>();
for (const pid of pids) {
  for (const [name, n] of calls.get(pid)!) {
    used.set(name, (used.get(name) ?? 0) + n);
  }
}
const families = new Map<string, number>();
const procFiles = new Map<string, number>();
for (const line of lines) {
  const m = /^(\d+)\s+(\w+)\((.*)$/.exec(line);
  if (m === null || !pids.has(Number(m[1]))) {
    continue;
  }
  const [, , name, rest] = m as unknown as [string, string, string, string];
  const failed = / = -1 (E[A-Z]+)/.exec(rest)?.[1];
  if (failed !== undefined) {
    const f = failures.get(name) ?? new Map<string, number>();
    failures.set(name, f);
    f.set(failed, (f.get(failed) ?? 0) + 1);
  }
  if (name === 'socket') {
    const family = rest.split(',')[0]!;
    families.set(family, (families.get(family) ?? 0) + 1);
  }
  const proc = /"(\/proc\/[^"]*)"/.exec(rest)?.[1];
  if (name === 'openat' && proc !== undefined) {
    const key = proc.replace(/^\/proc\/\d+/, '/proc/<pid>');
    procFiles.set(key, (procFiles.get(key) ?? 0) + 1);
  }
}

if (serve.size === 0) {
  process.stderr.write(`no execve of "streamfork.js ... serve" in ${traceFile}\n`);
  process.exit(2);
}
const allowed = allowedBy(readFileSync(unitFile, 'utf8'));
const outside = [...used].filter(([name]) => !allowed.has(name));
const total = [...used.values()].reduce((a, b) => a + b, 0);
const show = (m: Map<string, number>): string => [...m].map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
process.stdout.write(
  `serve processes: ${serve.size}; processes and threads under them: ${pids.size}\n` +
    `system calls: ${total} of ${used.size} kinds; the unit's filter allows ${allowed.size} kinds\n` +
    `outside the filter: ${outside.length === 0 ? 'none' : ''}\n` +
    outside
      .map(
        ([name, n]) =>
          `  ${name} x${n}; failed in the log: ${show(failures.get(name) ?? new Map<string, number>())}\n`,
      )
      .join('') +
    `socket families: ${show(families)}\n` +
    `/proc files opened: ${show(procFiles)}\n`,
);
process.exit(outside.length === 0 ? 0 : 1);
