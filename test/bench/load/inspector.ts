/**
 * A minimal Chrome DevTools Protocol client for the load harness (issue 6, `--gc-rss`): forces a full GC
 * in `streamfork serve` (started with `--inspect=127.0.0.1:0`) before each RSS reading, so RSS per stream is
 * not heap-growth / GC-timing noise. Only `HeapProfiler.collectGarbage` and `Runtime.getHeapUsage` are
 * used; no domain is enabled (no Debugger, no Runtime events). The forced GCs still cost the server CPU in
 * the steps after them (docs/benchmarks/load.md), hence opt-in. The session must be closed before the
 * server is asked to exit: node waits for an attached debugger to disconnect before it exits.
 */
import { readFileSync } from 'node:fs';

import { WebSocket } from 'ws';

/** The `ws://127.0.0.1:<port>/<uuid>` of a "Debugger listening on …" line, if present and on loopback. */
export function inspectorUrl(stderr: string): string | undefined {
  const m = /Debugger listening on (ws:\/\/\S+)/.exec(stderr);
  if (m?.[1] === undefined) {
    return undefined;
  }
  const url = new URL(m[1]);
  if (url.hostname !== '127.0.0.1') {
    throw new Error(`inspector bound to ${url.hostname}, not 127.0.0.1: refusing to use it`);
  }
  return m[1];
}

/** RSS and V8 heap after a forced full GC. */
export interface GcSample {
  readonly rssKb: number;
  readonly heapUsedKb: number;
  readonly heapTotalKb: number;
  /** How long the collectGarbage call took (the server's GC pause, plus the round trip). */
  readonly gcMs: number;
}

export class Inspector {
  readonly #ws: WebSocket;
  #id = 0;
  readonly #pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      const m = JSON.parse((data as Buffer).toString()) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      const p = m.id === undefined ? undefined : this.#pending.get(m.id);
      if (p !== undefined && m.id !== undefined) {
        this.#pending.delete(m.id);
        if (m.error === undefined) {
          p.resolve(m.result);
        } else {
          p.reject(new Error(m.error.message));
        }
      }
    });
    ws.on('close', () => {
      for (const p of this.#pending.values()) {
        p.reject(new Error('inspector closed'));
      }
      this.#pending.clear();
    });
    ws.on('error', () => undefined);
  }

  static async connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        resolve();
      });
      ws.once('error', reject);
    });
    return new Inspector(ws);
  }

  call<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    const id = ++this.#id;
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`inspector: no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (r) => {
          clearTimeout(t);
          resolve(r as T);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /**
   * `HeapProfiler.collectGarbage` (V8's memory-reducing "all available garbage" GC: several mark-compacts,
   * shrinks the young generation, releases free pages), the heap use right after it, then `settleMs` for the
   * allocator to return pages, and VmRSS of `pid`.
   */
  async gcSample(pid: number, settleMs = 200): Promise<GcSample> {
    const t = performance.now();
    await this.call('HeapProfiler.collectGarbage');
    const gcMs = performance.now() - t;
    const heap = await this.call<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
    await new Promise((r) => setTimeout(r, settleMs));
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return {
      rssKb,
      heapUsedKb: Math.round(heap.usedSize / 1024),
      heapTotalKb: Math.round(heap.totalSize / 1024),
      gcMs: Math.round(gcMs * 10) / 10,
    };
  }

  /** Closes the session and waits (up to 2 s) for the close, so the server can exit. */
  async close(): Promise<void> {
    if (this.#ws.readyState === WebSocket.CLOSED) {
      return;
    }
    const closed = new Promise<void>((r) =>
      this.#ws.once('close', () => {
        r();
      }),
    );
    this.#ws.close();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
  }
}
