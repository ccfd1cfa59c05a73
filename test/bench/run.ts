/**
 * `npm run bench`: runs every `test/bench/*.bench.ts` (or those named on the command line) in turn.
 * Each bench module exports `run(): Promise<string>` returning a Markdown section with its figures.
 */
import { readdirSync } from 'node:fs';
import os from 'node:os';

const dir = new URL('.', import.meta.url);
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `# streamfork benchmarks\n\nMachine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}\n`,
);
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { run: () => Promise<string> };
  console.log(await mod.run());
}
