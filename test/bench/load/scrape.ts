/** `--scrape-ms`: GET streamfork's /metrics during a measured window, as a Prometheus server would. */
import { nowUs } from './common.js';

/** What the scrapes of one window did. */
export interface Scrapes {
  count: number;
  ok: number;
  bytes: number;
  maxMs: number;
}

/** Scrapes `${base}/metrics` every `everyMs` until the returned stop is called. */
export function startScraping(base: string, everyMs: number): () => Promise<Scrapes> {
  const s: Scrapes = { count: 0, ok: 0, bytes: 0, maxMs: 0 };
  let inflight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inflight = (async () => {
      const t = nowUs();
      s.count++;
      try {
        const res = await fetch(`${base}/metrics`);
        const body = await res.text();
        s.ok += res.ok ? 1 : 0;
        s.bytes += body.length;
      } catch {
        // counted as not ok
      }
      s.maxMs = Math.max(s.maxMs, (nowUs() - t) / 1000);
    })();
  }, everyMs);
  return async () => {
    clearInterval(timer);
    await inflight;
    return s;
  };
}
