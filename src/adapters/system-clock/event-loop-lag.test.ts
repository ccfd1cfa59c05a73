import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EventLoopLagMonitor } from './event-loop-lag.js';

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: the event loop cannot run
  }
}

test('the monitor reads nothing before its first window, then each window; 60 ms blocks show in the p99', async () => {
  const m = new EventLoopLagMonitor({ windowMs: 300 });
  const windows: { p99Ms: number; maxMs: number }[] = [];
  m.onWindow((w) => windows.push(w));
  m.start();
  try {
    assert.equal(m.lagMs(), 0, 'nothing measured before the first window');
    await new Promise((r) => setTimeout(r, 650));
    // No bound on the idle figure: a loaded test machine delays timers too; only that windows close.
    assert.ok(windows.length >= 1, 'a window closed');
    // Blocks of 60 ms, several per window, so the p99 sees them.
    const blocker = setInterval(() => {
      block(60);
    }, 40);
    await new Promise((r) => setTimeout(r, 700));
    clearInterval(blocker);
    const busy = windows.at(-1);
    assert.ok(busy !== undefined && busy.p99Ms >= 40, `busy window p99 ${busy?.p99Ms} ms`);
    assert.equal(m.lagMs(), busy.p99Ms);
  } finally {
    m.stop();
  }
});
