/**
 * Shared plumbing of the CI fuzzers (issue 11): the run's seed and size, a seed-driven runner that saves
 * any failing input into the corpus, the corpus itself (`test/vectors/fuzz/<target>/`, replayed every
 * run), and a byte-level mutator ("havoc" in the AFL sense) over real seed messages.
 *
 * Seed: `FUZZ_SEED` when set, else today's UTC date as YYYYMMDD, so a CI failure replays the same day
 * without any setting and with `FUZZ_SEED=<printed seed>` on any other. Size: `FUZZ_RUNS` replaces each
 * target's default number of inputs (10,000 or more), for longer campaigns (docs/fuzzing.md).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

import fc from 'fast-check';

/** The run's base seed (printed by every property). */
export const FUZZ_SEED: number = readSeed();

function readSeed(): number {
  const raw = process.env['FUZZ_SEED'];
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw);
    assert.ok(Number.isSafeInteger(n), `FUZZ_SEED must be an integer, not ${raw}`);
    return n;
  }
  const d = new Date();
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

/** How many inputs a property runs: `FUZZ_RUNS` when set, else `byDefault`. */
export function fuzzRuns(byDefault: number): number {
  const raw = process.env['FUZZ_RUNS'];
  if (raw === undefined || raw.trim() === '') {
    return byDefault;
  }
  const n = Number(raw);
  assert.ok(Number.isSafeInteger(n) && n > 0, `FUZZ_RUNS must be a positive integer, not ${raw}`);
  return n;
}

/** 32-bit FNV-1a: a per-property seed offset, so the properties of one run do not draw the same values. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  return h;
}

const corpusRoot = new URL('../vectors/fuzz/', import.meta.url);

/** What a corpus entry's sidecar says about it. */
export interface CorpusSidecar {
  /** The property that failed on it (or, for a hand-written entry, the one it guards). */
  readonly property: string;
  /** How it was found: seed and date, or "hand-written from ...". */
  readonly provenance: string;
  /** What was wrong and what holds now. */
  readonly note: string;
}

/** One input of `test/vectors/fuzz/<target>/`. */
export interface CorpusEntry {
  readonly name: string;
  readonly bytes: Buffer;
  readonly sidecar: CorpusSidecar;
}

/**
 * Every corpus entry of `target`: each file other than `*.json` and `README.md`, with its sidecar
 * `<name>.json` beside it. Inputs that are themselves JSON (event scripts, frame lists) end in `.case`.
 */
export function corpus(target: string): CorpusEntry[] {
  const dir = new URL(`${target}/`, corpusRoot);
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir)
    .filter((f) => !f.endsWith('.json') && f !== 'README.md')
    .sort()
    .map((name) => {
      const sidecarUrl = new URL(`${name.replace(/\.[^.]*$/, '')}.json`, dir);
      assert.ok(existsSync(sidecarUrl), `corpus entry ${target}/${name} has no .json sidecar`);
      return {
        name,
        bytes: readFileSync(new URL(name, dir)),
        sidecar: JSON.parse(readFileSync(sidecarUrl, 'utf8')) as CorpusSidecar,
      };
    });
}

/** Writes a failing input into the corpus (the file to commit with the fix) and returns its path. */
function saveFailure(target: string, property: string, bytes: Uint8Array, ext: string, seed: number): string {
  const dir = new URL(`${target}/`, corpusRoot);
  mkdirSync(dir, { recursive: true });
  const id = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  const file = new URL(`found-${id}.${ext}`, dir);
  writeFileSync(file, bytes);
  const sidecar: CorpusSidecar = {
    property,
    provenance: `found by the CI fuzzer, FUZZ_SEED=${FUZZ_SEED} (property seed ${seed}), ${new Date().toISOString().slice(0, 10)}`,
    note: 'TODO: say what was wrong once it is fixed',
  };
  writeFileSync(new URL(`found-${id}.json`, dir), `${JSON.stringify(sidecar, null, 2)}\n`);
  return file.pathname;
}

function defaultBytes(input: unknown): Uint8Array {
  if (input instanceof Uint8Array) {
    return input;
  }
  return Buffer.from(typeof input === 'string' ? input : JSON.stringify(input), 'utf8');
}

/** Options of {@link runFuzz}. */
export interface FuzzOptions<T> {
  /** Corpus folder under test/vectors/fuzz/. */
  readonly target: string;
  /** Default number of inputs (FUZZ_RUNS replaces it). */
  readonly runs: number;
  /** The input as the bytes to keep in the corpus when the property fails on it. Default: bytes as they
   * are, strings as UTF-8, anything else as JSON. */
  readonly toBytes?: (input: T) => Uint8Array;
  /** File extension of a saved input. Default `bin`. */
  readonly ext?: string;
  /** Save a failing input into the corpus. Default true; false for `todo` properties (known failures). */
  readonly save?: boolean;
}

/**
 * Runs `check` on `runs` inputs drawn from `arb` with this run's seed. On failure the shrunk input is saved
 * into the corpus and the fast-check report (with the seed and replay path) is thrown. Returns the number
 * of inputs run.
 */
export function runFuzz<T>(
  property: string,
  arb: fc.Arbitrary<T>,
  check: (input: T) => void,
  opts: FuzzOptions<T>,
): number {
  const numRuns = fuzzRuns(opts.runs);
  const seed = propertySeed(property);
  const details = fc.check(
    fc.property(arb, (input) => {
      check(input);
    }),
    { numRuns, seed },
  );
  return report(property, details, seed, opts);
}

/** {@link runFuzz} for an asynchronous check (the REST API through `inject`). */
export async function runFuzzAsync<T>(
  property: string,
  arb: fc.Arbitrary<T>,
  check: (input: T) => Promise<void>,
  opts: FuzzOptions<T>,
): Promise<number> {
  const numRuns = fuzzRuns(opts.runs);
  const seed = propertySeed(property);
  const details = await fc.check(fc.asyncProperty(arb, check), { numRuns, seed });
  return report(property, details, seed, opts);
}

function propertySeed(property: string): number {
  return (FUZZ_SEED ^ hash32(property)) | 0;
}

function report<T>(
  property: string,
  details: fc.RunDetails<[T]>,
  seed: number,
  opts: FuzzOptions<T>,
): number {
  console.log(`  fuzz ${opts.target}: "${property}" ${details.numRuns} inputs, FUZZ_SEED=${FUZZ_SEED}`);
  if (details.failed) {
    const example = details.counterexample?.[0];
    const saved =
      example === undefined || opts.save === false
        ? '(not saved)'
        : saveFailure(
            opts.target,
            property,
            (opts.toBytes ?? defaultBytes)(example),
            opts.ext ?? 'bin',
            seed,
          );
    const cause =
      details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(
      `${fc.defaultReportMessage(details) ?? 'property failed'}\n${cause}\nreplay: FUZZ_SEED=${FUZZ_SEED}; failing input saved to ${saved}`,
    );
  }
  return details.numRuns;
}

/** An arbitrary that draws one of `values`, or a havoc mutation of one. */
export function havoc(
  seeds: readonly Uint8Array[],
  dictionary: readonly string[],
  maxSteps = 6,
): fc.Arbitrary<Uint8Array> {
  assert.ok(seeds.length > 0, 'havoc needs at least one seed');
  const enc = new TextEncoder();
  const words = dictionary.map((w) => enc.encode(w));
  const step = fc.record({
    op: fc.integer({ min: 0, max: 9 }),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 64 }),
    byte: fc.integer({ min: 0, max: 255 }),
    pick: fc.nat(),
  });
  return fc.tuple(fc.nat(), fc.array(step, { minLength: 0, maxLength: maxSteps })).map(([which, steps]) => {
    let b: Buffer = Buffer.from(seeds[which % seeds.length] ?? new Uint8Array(0));
    for (const s of steps) {
      b = applyStep(b, s, seeds, words);
    }
    return new Uint8Array(b);
  });
}

interface Step {
  readonly op: number;
  readonly at: number;
  readonly len: number;
  readonly byte: number;
  readonly pick: number;
}

const interesting = ['0', '-1', '65535', '65536', '99999', '4294967296', '99999999999999999999', '1e3', ''];

function applyStep(b: Buffer, s: Step, seeds: readonly Uint8Array[], words: readonly Uint8Array[]): Buffer {
  const at = b.length === 0 ? 0 : s.at % (b.length + 1);
  const end = Math.min(b.length, at + s.len);
  switch (s.op) {
    case 0: {
      // Overwrite one byte.
      const c = Buffer.from(b);
      if (at < c.length) {
        c[at] = s.byte;
      }
      return c;
    }
    case 1:
      return Buffer.concat([b.subarray(0, at), Buffer.of(s.byte), b.subarray(at)]);
    case 2:
      return Buffer.concat([b.subarray(0, at), b.subarray(end)]);
    case 3:
      // Duplicate a span (a repeated header line, a doubled attribute).
      return Buffer.concat([b.subarray(0, end), b.subarray(at, end), b.subarray(end)]);
    case 4:
      return b.subarray(0, at);
    case 5: {
      const w = words[s.pick % Math.max(1, words.length)] ?? new Uint8Array(0);
      return Buffer.concat([b.subarray(0, at), w, b.subarray(at)]);
    }
    case 6: {
      // Splice: our head, another seed's tail.
      const other = seeds[s.pick % seeds.length] ?? new Uint8Array(0);
      const from = other.length === 0 ? 0 : s.len % other.length;
      return Buffer.concat([b.subarray(0, at), other.subarray(from)]);
    }
    case 7: {
      // Replace the next run of digits with an edge-case number.
      const text = b.toString('latin1');
      const m = /\d+/.exec(text.slice(at));
      if (m === null) {
        return b;
      }
      const start = at + m.index;
      const n = interesting[s.pick % interesting.length] ?? '0';
      return Buffer.concat([b.subarray(0, start), Buffer.from(n, 'latin1'), b.subarray(start + m[0].length)]);
    }
    case 8: {
      // Swap two lines.
      const lines = b.toString('latin1').split('\n');
      const i = s.at % lines.length;
      const j = s.pick % lines.length;
      [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      return Buffer.from(lines.join('\n'), 'latin1');
    }
    default: {
      // Replace a span with a dictionary word.
      const w = words[s.pick % Math.max(1, words.length)] ?? new Uint8Array(0);
      return Buffer.concat([b.subarray(0, at), w, b.subarray(end)]);
    }
  }
}

/** Reads every file of `dir` (a URL folder) whose name ends with `ext`. */
export function readSeeds(dir: URL, ext: string): Buffer[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => readFileSync(new URL(f, dir)));
}
