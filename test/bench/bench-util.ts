/**
 * A small benchmark helper: runs `fn` in batches until `minMs` of wall time has passed, after a warm-up,
 * and reports nanoseconds per operation (median of batches). Benchmarks are run by `npm run bench`,
 * never by `npm test`; results go to docs/benchmarks.md.
 */
import { performance } from 'node:perf_hooks';

export interface BenchResult {
  readonly name: string;
  readonly nsPerOp: number;
  readonly opsPerSec: number;
  readonly batches: number;
}

export function bench(
  name: string,
  fn: () => void,
  opts: { minMs?: number; batch?: number } = {},
): BenchResult {
  const batch = opts.batch ?? 1000;
  const minMs = opts.minMs ?? 1000;
  for (let i = 0; i < batch * 3; i++) {
    fn();
  }
  const samples: number[] = [];
  const started = performance.now();
  while (performance.now() - started < minMs) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) {
      fn();
    }
    samples.push(((performance.now() - t0) * 1e6) / batch);
  }
  samples.sort((a, b) => a - b);
  const nsPerOp = samples[Math.floor(samples.length / 2)] ?? Number.NaN;
  return { name, nsPerOp, opsPerSec: 1e9 / nsPerOp, batches: samples.length };
}

export function formatRow(r: BenchResult, extra = ''): string {
  return `| ${r.name} | ${(r.nsPerOp / 1000).toFixed(3)} µs | ${Math.round(r.opsPerSec).toLocaleString('en-US')} | ${extra} |`;
}
