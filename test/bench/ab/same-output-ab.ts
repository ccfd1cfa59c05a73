/**
 * Old-versus-new output check for the G.722 and SRTP rewrites: `node --import tsx
 * test/bench/ab/same-output-ab.ts --base DIR` loads `src/` from DIR (e.g. a `git worktree` of main)
 * and from this checkout and fails unless both give the same bytes for
 * - G.722: 60 signals of 2 s (white noise, full-scale tones, square waves, quiet noise) encoded in
 *   chunks of 2–400 samples, and the codes (or random octets) decoded, with a reset halfway;
 * - SRTP: 200,000 packets (three ROC steps, 2 % from a second SSRC, 5 % odd payload sizes up to 612
 *   octets, 3 % swapped neighbours on the wire) protected by both, the old code's output unprotected
 *   by both (every packet must authenticate).
 * Not a test: it needs the second checkout. The unit tests hold each to its references.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface G722Module {
  G722Encoder: new () => { encode(pcm: Int16Array, out: Uint8Array): void; reset(): void };
  G722Decoder: new () => { decode(codes: Uint8Array, out: Int16Array): void; reset(): void };
}
type Result = { ok: true; length: number } | { ok: false; reason: string };
interface SrtpContextLike {
  protectRtp(buf: Uint8Array, length: number): Result;
  unprotectRtp(buf: Uint8Array, length: number): Result;
}
interface SrtpModule {
  SrtpContext: new (m: {
    suite: 'AES_CM_128_HMAC_SHA1_80';
    key: Uint8Array;
    salt: Uint8Array;
  }) => SrtpContextLike;
}

const i = process.argv.indexOf('--base');
if (i < 0 || process.argv[i + 1] === undefined) {
  throw new Error('usage: same-output-ab.ts --base DIR');
}
const roots = [resolve(process.argv[i + 1]!), resolve(new URL('../../..', import.meta.url).pathname)];
const load = <T>(root: string, p: string): Promise<T> =>
  import(pathToFileURL(resolve(root, p)).href) as Promise<T>;
const [oldG, newG] = await Promise.all(roots.map((r) => load<G722Module>(r, 'src/media/g722/g722.ts')));
const [oldS, newS] = await Promise.all(
  roots.map((r) => load<SrtpModule>(r, 'src/protocol/srtp/srtp-context.ts')),
);

let seed = 12345;
const rnd = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
let differences = 0;
const differ = (what: string): void => {
  differences++;
  if (differences <= 5) {
    console.log(`differs: ${what}`);
  }
};

// G.722
const encs = [new oldG!.G722Encoder(), new newG!.G722Encoder()];
const decs = [new oldG!.G722Decoder(), new newG!.G722Decoder()];
for (let trial = 0; trial < 60; trial++) {
  const n = 32000;
  const x = new Int16Array(n);
  for (let k = 0; k < n; k++) {
    const kind = trial % 4;
    const v =
      kind === 0
        ? (rnd() * 2 - 1) * 32768
        : kind === 1
          ? 32767 * Math.sin(k * (0.01 + trial * 0.03))
          : kind === 2
            ? (k >> (trial % 7)) & 1
              ? 32767
              : -32768
            : (rnd() * 2 - 1) * 300 * (1 + (trial % 10) * 10);
    x[k] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  const chunk = 2 * (1 + ((trial * 37) % 200));
  const codes = encs.map((enc) => {
    const out = new Uint8Array(n / 2);
    for (let k = 0; k < n; k += chunk) {
      const m = Math.min(chunk, n - k);
      enc.encode(x.subarray(k, k + m), out.subarray(k / 2, (k + m) / 2));
    }
    return out;
  });
  if (Buffer.compare(codes[0]!, codes[1]!) !== 0) {
    differ(`G.722 encode, signal ${trial}`);
  }
  const input = trial % 2 ? codes[0]! : Uint8Array.from({ length: n / 2 }, () => Math.floor(rnd() * 256));
  const pcm = decs.map((dec) => {
    const y = new Int16Array(n);
    for (let k = 0; k < input.length; k += chunk / 2) {
      const m = Math.min(chunk / 2, input.length - k);
      dec.decode(input.subarray(k, k + m), y.subarray(2 * k, 2 * (k + m)));
    }
    return y;
  });
  if (Buffer.compare(new Uint8Array(pcm[0]!.buffer), new Uint8Array(pcm[1]!.buffer)) !== 0) {
    differ(`G.722 decode, signal ${trial}`);
  }
  if (trial === 30) {
    [...encs, ...decs].forEach((c) => {
      c.reset();
    });
  }
}

// SRTP
const master = {
  suite: 'AES_CM_128_HMAC_SHA1_80' as const,
  key: Uint8Array.from({ length: 16 }, (_, k) => k * 5 + 9),
  salt: Uint8Array.from({ length: 14 }, (_, k) => k * 3 + 1),
};
const tx = [new oldS!.SrtpContext(master), new newS!.SrtpContext(master)];
const rx = [new oldS!.SrtpContext(master), new newS!.SrtpContext(master)];
const sealed: Uint8Array[] = [];
for (let k = 0, seq = 65000; k < 200000; k++, seq++) {
  const r = rnd();
  const ssrc = r < 0.02 ? 0x99 : 0x1234;
  const len = r < 0.05 ? 12 + Math.floor(rnd() * 600) : r < 0.08 ? 332 : 172;
  const bufs = [new Uint8Array(1600), new Uint8Array(1600)];
  const p = bufs[0]!;
  p[0] = 0x80;
  p[2] = (seq >> 8) & 0xff;
  p[3] = seq & 0xff;
  p[8] = ssrc >>> 24;
  p[9] = (ssrc >>> 16) & 0xff;
  p[10] = (ssrc >>> 8) & 0xff;
  p[11] = ssrc & 0xff;
  for (let b = 12; b < len; b++) {
    p[b] = (b * 7 + seq) & 0xff;
  }
  bufs[1]!.set(p);
  const out = bufs.map((b, s) => {
    const res = tx[s]!.protectRtp(b, len);
    return res.ok ? b.subarray(0, res.length) : new Uint8Array(0);
  });
  if (out[0]!.length === 0 || Buffer.compare(out[0]!, out[1]!) !== 0) {
    differ(`SRTP protect, packet ${k}`);
  }
  sealed.push(out[0]!.slice());
}
const wire = sealed.map((_, k) => k);
for (let k = 0; k + 1 < wire.length; k++) {
  if (rnd() < 0.03) {
    [wire[k], wire[k + 1]] = [wire[k + 1]!, wire[k]!];
  }
}
for (const k of wire) {
  const bufs = [Uint8Array.from(sealed[k]!), Uint8Array.from(sealed[k]!)];
  const res = bufs.map((b, s) => rx[s]!.unprotectRtp(b, b.length));
  const a = res[0]!;
  const b = res[1]!;
  if (
    !a.ok ||
    !b.ok ||
    a.length !== b.length ||
    Buffer.compare(bufs[0]!.subarray(0, a.length), bufs[1]!.subarray(0, b.length)) !== 0
  ) {
    differ(`SRTP unprotect, packet ${k}`);
  }
}
if (differences > 0) {
  console.log(`${differences} differences`);
  process.exitCode = 1;
} else {
  console.log(
    'same output: G.722 60 signals (encode and decode), SRTP 200,000 packets (protect and unprotect)',
  );
}
