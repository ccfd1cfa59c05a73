/**
 * A/B driver: `node --import tsx test/bench/ab/run-ab.ts --base DIR [--rounds 5]` runs `codec-ab.ts`
 * alternately against DIR (the old code, e.g. a `git worktree` of main) and this checkout, one child
 * process at a time, and prints each round and the medians as a Markdown table.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const argv = process.argv;
const at = (n: string): string | undefined => {
  const i = argv.indexOf(n);
  return i < 0 ? undefined : argv[i + 1];
};
const base = at('--base');
if (base === undefined) {
  throw new Error('usage: run-ab.ts --base DIR [--rounds N]');
}
const rounds = Number(at('--rounds') ?? 5);
const here = resolve(new URL('../../..', import.meta.url).pathname);
const script = new URL('codec-ab.ts', import.meta.url).pathname;
const runs: Record<'base' | 'new', { g722Us: number; srtpUs: number }[]> = { base: [], new: [] };
for (let r = 0; r < rounds; r++) {
  for (const [label, root] of [
    ['base', resolve(base)],
    ['new', here],
  ] as const) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', script, '--root', root], {
      encoding: 'utf8',
      cwd: here,
    });
    if (child.status !== 0) {
      throw new Error(`${label}: ${child.stderr}`);
    }
    const fig = JSON.parse(child.stdout.trim().split('\n').pop()!) as { g722Us: number; srtpUs: number };
    runs[label].push(fig);
    console.log(
      `round ${r + 1} ${label}: G.722 ${fig.g722Us.toFixed(2)} µs/frame, SRTP ${fig.srtpUs.toFixed(3)} µs/packet`,
    );
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const row = (label: 'base' | 'new'): string =>
  `| ${label} | ${median(runs[label].map((f) => f.g722Us)).toFixed(2)} µs | ${median(runs[label].map((f) => f.srtpUs)).toFixed(3)} µs |`;
console.log(
  [
    '',
    `| code (median of ${rounds}) | G.722 encode + decode per 20 ms frame | SRTP protect + unprotect per PCMU packet |`,
    '| --- | --- | --- |',
    row('base'),
    row('new'),
  ].join('\n'),
);
