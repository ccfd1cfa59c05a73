/**
 * One side of an A/B micro-benchmark of the SRTP and G.722 hot paths, for comparing two checkouts
 * in one run: `node --import tsx test/bench/ab/codec-ab.ts [--root DIR]` loads `src/` from DIR
 * (default: this checkout) and prints one JSON line of figures. `run-ab.ts` alternates two roots.
 *
 * Each figure is the median over batches of the process CPU time (user + system, so a busy
 * neighbour that preempts us does not count) per operation, after a warm-up:
 * - `g722`: G.722 encode of one 20 ms frame (320 samples, a 440 Hz + 5.3 kHz tone with noise) and
 *   decode of the octets, in µs per frame;
 * - `srtp`: one 20 ms PCMU packet (12-octet header + 160 octets) through `protectRtp` of a sender and
 *   `unprotectRtp` of a receiver (AES_CM_128_HMAC_SHA1_80), in µs per packet.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface G722Module {
  G722Encoder: new () => { encode(pcm: Int16Array, out: Uint8Array): void };
  G722Decoder: new () => { decode(codes: Uint8Array, out: Int16Array): void };
}
type Result = { ok: true; length: number } | { ok: false; reason: string };
interface SrtpModule {
  SrtpContext: new (m: { suite: 'AES_CM_128_HMAC_SHA1_80'; key: Uint8Array; salt: Uint8Array }) => {
    protectRtp(buf: Uint8Array, length: number): Result;
    unprotectRtp(buf: Uint8Array, length: number): Result;
  };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

/** Median CPU µs per op of `fn` over batches of `batch` ops for `ms` of CPU time. */
function cpuBench(fn: () => void, batch: number, ms: number): number {
  for (let i = 0; i < batch * 5; i++) {
    fn();
  }
  const samples: number[] = [];
  const start = process.cpuUsage();
  for (;;) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < batch; i++) {
      fn();
    }
    const t = process.cpuUsage(t0);
    samples.push((t.user + t.system) / batch);
    const all = process.cpuUsage(start);
    if (all.user + all.system > ms * 1000) {
      break;
    }
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

const root = resolve(arg('--root') ?? new URL('../../..', import.meta.url).pathname);
const load = <T>(p: string): Promise<T> => import(pathToFileURL(resolve(root, p)).href) as Promise<T>;
const g722 = await load<G722Module>('src/media/g722/g722.ts');
const srtp = await load<SrtpModule>('src/protocol/srtp/srtp-context.ts');

// G.722: 1 s of signal, encoded and decoded frame by frame.
const signal = new Int16Array(16000);
let seed = 1;
for (let i = 0; i < signal.length; i++) {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  const v =
    9000 * Math.sin((2 * Math.PI * 440 * i) / 16000) +
    3000 * Math.sin((2 * Math.PI * 5300 * i) / 16000) +
    ((seed / 2 ** 32) * 2 - 1) * 500;
  signal[i] = Math.round(v);
}
const enc = new g722.G722Encoder();
const dec = new g722.G722Decoder();
const octets = new Uint8Array(160);
const pcm = new Int16Array(320);
let frame = 0;
const g722Us = cpuBench(
  () => {
    enc.encode(signal.subarray(frame * 320, frame * 320 + 320), octets);
    dec.decode(octets, pcm);
    frame = frame === 49 ? 0 : frame + 1;
  },
  500,
  2000,
);

// SRTP: a PCMU packet through a sender and a receiver, sequence numbers counting up.
const master = {
  suite: 'AES_CM_128_HMAC_SHA1_80' as const,
  key: Uint8Array.from({ length: 16 }, (_, i) => i * 7 + 1),
  salt: Uint8Array.from({ length: 14 }, (_, i) => i * 13 + 2),
};
const tx = new srtp.SrtpContext(master);
const rx = new srtp.SrtpContext(master);
const buf = new Uint8Array(1514);
const payload = Uint8Array.from({ length: 160 }, (_, i) => (i * 31) & 0xff);
let seq = 0;
const srtpUs = cpuBench(
  () => {
    buf[0] = 0x80;
    buf[1] = 0;
    buf[2] = seq >>> 8;
    buf[3] = seq & 0xff;
    buf[4] = buf[5] = buf[6] = buf[7] = 0;
    buf[8] = buf[9] = buf[10] = 0;
    buf[11] = 42;
    buf.set(payload, 12);
    const p = tx.protectRtp(buf, 172);
    const u = rx.unprotectRtp(buf, p.ok ? p.length : 0);
    if (!u.ok || u.length !== 172) {
      throw new Error(`SRTP round trip failed at ${seq}`);
    }
    seq = (seq + 1) & 0xffff;
  },
  2000,
  2000,
);

console.log(JSON.stringify({ root, g722Us, srtpUs }));
