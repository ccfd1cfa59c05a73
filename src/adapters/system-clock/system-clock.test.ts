import assert from 'node:assert/strict';
import { test } from 'node:test';

import { chainedTimers, MAX_TIMEOUT_MS, systemTimers, type TimerHost } from './system-clock.js';

/** A host that behaves like Node's setTimeout: delays above 2^31-1 ms become 1 ms. */
class OverflowingHost implements TimerHost<number> {
  nowMs = (): number => this.now;
  now = 0;
  readonly delays: number[] = [];
  #seq = 0;
  #pending = new Map<number, { dueMs: number; fn: () => void }>();

  set(fn: () => void, delayMs: number): number {
    this.delays.push(delayMs);
    const effective = delayMs > MAX_TIMEOUT_MS ? 1 : Math.max(1, delayMs);
    const id = ++this.#seq;
    this.#pending.set(id, { dueMs: this.now + effective, fn });
    return id;
  }

  clear(handle: number): void {
    this.#pending.delete(handle);
  }

  get pending(): number {
    return this.#pending.size;
  }

  /** Runs every timer due up to `targetMs`, in order. */
  advanceTo(targetMs: number): void {
    for (;;) {
      let next: [number, { dueMs: number; fn: () => void }] | undefined;
      for (const entry of this.#pending) {
        if (entry[1].dueMs <= targetMs && (next === undefined || entry[1].dueMs < next[1].dueMs)) {
          next = entry;
        }
      }
      if (next === undefined) {
        break;
      }
      this.#pending.delete(next[0]);
      this.now = Math.max(this.now, next[1].dueMs);
      next[1].fn();
    }
    this.now = Math.max(this.now, targetMs);
  }
}

const DAY_MS = 86_400_000;

test('issue 11 item 5: a 1,157-day delay (Wait length=99999999) fires at its time, never at once', () => {
  const host = new OverflowingHost();
  const timers = chainedTimers(host);
  const delayMs = 99_999_999 * 1000;
  let firedAt: number | undefined;
  timers.after(delayMs, () => {
    firedAt = host.now;
  });
  host.advanceTo(1000);
  assert.equal(firedAt, undefined, 'not fired in the first second');
  assert.ok(
    host.delays.every((d) => d <= MAX_TIMEOUT_MS),
    'no step is longer than setTimeout can hold',
  );
  host.advanceTo(delayMs - 1);
  assert.equal(firedAt, undefined, 'not fired 1 ms early');
  host.advanceTo(delayMs + 10);
  assert.equal(firedAt, delayMs);
  assert.equal(host.pending, 0);
});

test('chained timers: a delay just above 2^31-1 ms takes two steps; short delays take one; cancel stops a chain mid-way', () => {
  const host = new OverflowingHost();
  const timers = chainedTimers(host);
  const fired: string[] = [];
  timers.after(MAX_TIMEOUT_MS + 5, () => fired.push('long'));
  timers.after(30, () => fired.push('short'));
  const cancelled = timers.after(40 * DAY_MS, () => fired.push('cancelled'));
  host.advanceTo(30);
  assert.deepEqual(fired, ['short']);
  host.advanceTo(MAX_TIMEOUT_MS + 4);
  assert.deepEqual(fired, ['short']);
  host.advanceTo(MAX_TIMEOUT_MS + 5);
  assert.deepEqual(fired, ['short', 'long']);
  cancelled.cancel();
  host.advanceTo(50 * DAY_MS);
  assert.deepEqual(fired, ['short', 'long']);
  assert.equal(host.pending, 0);
});

test('chained timers: a step that fires late does not push the due time (the clock is re-read per step)', () => {
  const host = new OverflowingHost();
  const timers = chainedTimers(host, 1000);
  let firedAt: number | undefined;
  timers.after(2500, () => {
    firedAt = host.now;
  });
  // The first step wakes 300 ms late: the rest of the wait is measured from the clock, not summed.
  host.now = 1300;
  host.advanceTo(1300);
  host.advanceTo(2499);
  assert.equal(firedAt, undefined);
  host.advanceTo(2500);
  assert.equal(firedAt, 2500);
});

test('systemTimers: a delay above 2^31-1 ms does not fire at once on real Node timers', async () => {
  let fired = false;
  const handle = systemTimers.after(MAX_TIMEOUT_MS + 1000, () => {
    fired = true;
  });
  await new Promise<void>((resolve) => {
    setTimeout(resolve, 30);
  });
  handle.cancel();
  assert.equal(fired, false);
});
