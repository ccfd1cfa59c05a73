/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function and per source file,
 * top entries first. Usage: node --import tsx test/bench/load/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly hitCount?: number;
}
interface Profile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
  readonly startTime: number;
  readonly endTime: number;
}

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 30);
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i + 1] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const fnTotals = new Map<string, number>();
const fileTotals = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  if (n === undefined) {
    continue;
  }
  const where = n.callFrame.url === '' ? '' : `${basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const key = `${n.callFrame.functionName === '' ? '(anonymous)' : n.callFrame.functionName} ${where}`.trim();
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
  const f =
    n.callFrame.url === ''
      ? n.callFrame.functionName
      : n.callFrame.url.replace(/^.*node_modules\//, 'node_modules/').replace(/^file:\/\/.*\/src\//, 'src/');
  fileTotals.set(f, (fileTotals.get(f) ?? 0) + us);
}
const show = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`\n${title} (of ${(total / 1e6).toFixed(1)} s sampled)\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1e6).toFixed(2).padStart(7)} s  ${k}\n`,
    );
  }
};
show('self time by function', fnTotals);
show('self time by file', fileTotals);
