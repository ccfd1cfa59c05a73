/**
 * Shared pieces of the load harness (issue 6): the time stamp carried inside μ-law payloads, the
 * shared monotonic clock, percentile summaries and the IPC message shapes.
 *
 * Timing method: every process reads `process.hrtime.bigint()`, which on Linux is CLOCK_MONOTONIC and so
 * one time base for all processes on the host. The sender of a frame writes its send time (µs, 48 bits)
 * into the first 14 bytes of the 160-byte μ-law payload; μ-law codes 0x30–0x4F survive a decode/encode
 * round trip unchanged, so the stamp reaches the far end even if the server transcodes through PCM.
 */

/** Monotonic microseconds, shared by every process on this host. */
export function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Magic of a stamp written by the load generator (RTP → WebSocket direction). */
export const MAGIC_GEN = 0x3a;
/** Magic of a stamp written by the consumer into `playAudio` (WebSocket → RTP direction). */
export const MAGIC_APP = 0x3c;
export const STAMP_BYTES = 14;

/** Writes magic, magic+1 and 12 nibbles (0x40|n) of `us` at the start of `buf`. */
export function writeStamp(buf: Uint8Array, offset: number, magic: number, us: number): void {
  buf[offset] = magic;
  buf[offset + 1] = magic + 1;
  let v = us;
  for (let i = 11; i >= 0; i--) {
    buf[offset + 2 + i] = 0x40 | (v % 16);
    v = Math.floor(v / 16);
  }
}

/** Reads a stamp with this magic, or -1 when there is none. */
export function readStamp(buf: Uint8Array, offset: number, magic: number): number {
  if (buf.length < offset + STAMP_BYTES || buf[offset] !== magic || buf[offset + 1] !== magic + 1) {
    return -1;
  }
  let v = 0;
  for (let i = 0; i < 12; i++) {
    const b = buf[offset + 2 + i] ?? 0;
    if ((b & 0xf0) !== 0x40) {
      return -1;
    }
    v = v * 16 + (b & 0x0f);
  }
  return v;
}

/** One 20 ms frame of a 400 Hz tone in μ-law (exactly 8 periods, so every frame is the same). */
export function toneFrame(): Buffer {
  const out = Buffer.alloc(160);
  for (let i = 0; i < 160; i++) {
    const s = Math.round(8000 * Math.sin((2 * Math.PI * 400 * i) / 8000));
    out[i] = linearToMulaw(s);
  }
  return out;
}

function linearToMulaw(sample: number): number {
  const BIAS = 0x84;
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) {
    s = -s;
  }
  s = Math.min(s, 32635) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) {
    exponent--;
  }
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** Added-latency thresholds (ms) whose exceedances are counted per step, in both directions. */
export const OVER_MS = [2, 20, 60] as const;
/** Frames over each threshold of OVER_MS, keyed by the threshold in ms ("2", "20", "60"). */
export type OverCounts = Record<string, number>;

/** Percentile summary of a sample set (values in ms). */
export interface Dist {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

export function dist(values: ArrayLike<number>): Dist {
  const a = Float64Array.from(values).sort();
  const at = (q: number): number =>
    a.length === 0 ? NaN : (a[Math.min(a.length - 1, Math.floor(q * a.length))] ?? NaN);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    n: a.length,
    p50: r(at(0.5)),
    p99: r(at(0.99)),
    p999: r(at(0.999)),
    max: r(a.length === 0 ? NaN : (a[a.length - 1] ?? NaN)),
  };
}

/** A growable sample buffer without per-sample allocation. */
export class Samples {
  #a = new Float64Array(1 << 16);
  #n = 0;
  push(v: number): void {
    if (this.#n === this.#a.length) {
      const b = new Float64Array(this.#a.length * 2);
      b.set(this.#a);
      this.#a = b;
    }
    this.#a[this.#n++] = v;
  }
  count(over: number): number {
    let c = 0;
    for (let i = 0; i < this.#n; i++) {
      if ((this.#a[i] ?? 0) > over) {
        c++;
      }
    }
    return c;
  }
  dist(): Dist {
    return dist(this.#a.subarray(0, this.#n));
  }
}

/** Measurement window on the shared monotonic clock: frames stamped inside it are counted. */
export interface Window {
  readonly fromUs: number;
  readonly toUs: number;
}

export function inWindow(w: Window | undefined, us: number): boolean {
  return w !== undefined && us >= w.fromUs && us < w.toUs;
}

/** Sends an IPC message to the parent (children are started with `fork`). */
export function reply(msg: unknown): void {
  process.send?.(msg);
}

/** CPU seconds (user + system) and RSS of a process, from /proc. */
export interface ProcSample {
  readonly cpuS: number;
  readonly rssKb: number;
}

/** A SIP message's first line, headers (lower-cased, compact forms expanded; the first of each) and body. */
export function headersOf(msg: string): { first: string; h: Map<string, string>; body: string } {
  const split = msg.indexOf('\r\n\r\n');
  const head = split < 0 ? msg : msg.slice(0, split);
  const body = split < 0 ? '' : msg.slice(split + 4);
  const lines = head.split('\r\n');
  const h = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    if (c > 0) {
      const name = line.slice(0, c).trim().toLowerCase();
      const short: Record<string, string> = {
        i: 'call-id',
        f: 'from',
        t: 'to',
        m: 'contact',
        v: 'via',
        l: 'content-length',
      };
      const key = short[name] ?? name;
      if (!h.has(key)) {
        h.set(key, line.slice(c + 1).trim());
      }
    }
  }
  return { first: lines[0] ?? '', h, body };
}
