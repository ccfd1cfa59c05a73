import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FakeClock } from '../../../test/fakes/fake-clock.js';
import { MediaClockDriver } from './media-clock-driver.js';
import { systemClock, systemTimers } from './system-clock.js';

function fakeDriver(clock: FakeClock, extra: { maxCatchUpFrames?: number; onError?: (e: unknown, i: number) => void } = {}): MediaClockDriver {
  return new MediaClockDriver({ clock, timers: clock, ...extra });
}

test('starts lazily on first add, ticks every 20 ms with consecutive indexes, stops with the last remover', () => {
  const clock = new FakeClock(1000);
  const driver = fakeDriver(clock);
  assert.equal(driver.running, false);
  const seen: [number, number][] = [];
  const remove = driver.add((i) => seen.push([i, clock.monotonicMs()]));
  assert.equal(driver.running, true);
  assert.equal(seen.length, 0, 'listeners never run synchronously inside add()');
  clock.advance(100);
  assert.deepEqual(seen, [[0, 1000], [1, 1020], [2, 1040], [3, 1060], [4, 1080], [5, 1100]]);
  assert.equal(clock.pendingTimers, 1, 'one timer for everything');
  remove();
  remove();
  assert.equal(driver.running, false);
  assert.equal(clock.pendingTimers, 0);
  assert.deepEqual(driver.stats(), { ticks: 6, lateP50Ms: 0, lateP99Ms: 0, lateMaxMs: 0, skippedFrames: 0 });
});

test('many listeners share one timer and run in insertion order', () => {
  const clock = new FakeClock();
  const driver = fakeDriver(clock);
  const order: string[] = [];
  const removers = ['a', 'b', 'c'].map((name) => driver.add((i) => order.push(`${name}${i}`)));
  clock.advance(20);
  assert.deepEqual(order, ['a0', 'b0', 'c0', 'a1', 'b1', 'c1']);
  assert.equal(clock.pendingTimers, 1);
  for (const r of removers) {
    r();
  }
  assert.equal(clock.pendingTimers, 0);
});

test('a throwing listener is isolated and reported to onError; others still run', () => {
  const clock = new FakeClock();
  const errors: [unknown, number][] = [];
  const driver = fakeDriver(clock, { onError: (e, i) => errors.push([e, i]) });
  const boom = new Error('boom');
  let after = 0;
  const r1 = driver.add(() => {
    throw boom;
  });
  const r2 = driver.add(() => {
    after++;
  });
  clock.advance(40);
  assert.equal(after, 3);
  assert.deepEqual(errors, [[boom, 0], [boom, 1], [boom, 2]]);
  r1();
  r2();
});

test('removal during a tick takes effect at once; additions run from the next tick', () => {
  const clock = new FakeClock();
  const driver = fakeDriver(clock);
  const calls: string[] = [];
  let removeB: () => void = () => undefined;
  let removeC: () => void = () => undefined;
  const removeA = driver.add((i) => {
    calls.push(`a${i}`);
    if (i === 1) {
      removeB();
      removeC = driver.add((j) => calls.push(`c${j}`));
    }
  });
  removeB = driver.add((i) => calls.push(`b${i}`));
  clock.advance(40);
  assert.deepEqual(calls, ['a0', 'b0', 'a1', 'a2', 'c2']);
  removeA();
  removeC();
  assert.equal(driver.running, false);
});

test('a listener may stop the driver mid-tick; no further frames run', () => {
  const clock = new FakeClock();
  const driver = fakeDriver(clock);
  const seen: number[] = [];
  const remove = driver.add((i) => {
    seen.push(i);
    if (i === 2) {
      driver.stop();
    }
  });
  clock.advance(200);
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(clock.pendingTimers, 0);
  remove();
});

/** A clock whose timers aimed at given times fire late by a set amount (a blocked event loop). */
class LateClock extends FakeClock {
  /** Target time (ms) → extra lateness (ms) for the timer aimed at it. */
  readonly lateAtMs = new Map<number, number>();
  override after(delayMs: number, fn: () => void): { cancel(): void } {
    const extra = this.lateAtMs.get(Math.round(this.monotonicMs() + delayMs)) ?? 0;
    return super.after(delayMs + extra, fn);
  }
}

test('late wake-ups: catch-up frames up to the cap, then skips; lateness statistics', () => {
  const clock = new LateClock();
  // The wake-up aimed at 60 comes at 105 (frames 60, 80, 100 due: all emitted, cap 3); the one aimed
  // at 120 comes at 320 (11 frames due: the 8 oldest skipped, 280/300/320 emitted).
  clock.lateAtMs.set(60, 45);
  clock.lateAtMs.set(120, 200);
  const driver = new MediaClockDriver({ clock, timers: clock, maxCatchUpFrames: 3 });
  const seen: [number, number][] = [];
  const remove = driver.add((i) => seen.push([i, clock.monotonicMs()]));
  clock.advance(330);
  assert.deepEqual(seen.map(([i]) => i), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(seen.map(([, t]) => t), [0, 20, 40, 105, 105, 105, 320, 320, 320]);
  const stats = driver.stats();
  assert.equal(stats.ticks, 9);
  assert.equal(stats.skippedFrames, 8);
  // Lateness of the emitted frames: 0, 0, 0, 45, 25, 5, 40, 20, 0.
  assert.equal(stats.lateMaxMs, 45);
  assert.equal(stats.lateP50Ms, 5);
  assert.equal(stats.lateP99Ms, 45);
  // Back on the original schedule: the next frame is due at 340.
  clock.advanceTo(340);
  assert.deepEqual(seen.at(-1), [9, 340]);
  remove();
});

test('explicit start() with no listeners runs, and a restart resets the schedule and stats', () => {
  const clock = new FakeClock();
  const driver = fakeDriver(clock);
  driver.start();
  driver.start();
  clock.advance(50);
  assert.equal(driver.stats().ticks, 3);
  driver.stop();
  assert.equal(clock.pendingTimers, 0);
  assert.equal(driver.stats().ticks, 3, 'stats are kept after stop');
  const seen: number[] = [];
  const remove = driver.add((i) => seen.push(i));
  clock.advance(20);
  assert.deepEqual(seen, [0, 1]);
  assert.equal(driver.stats().ticks, 2);
  remove();
});

test('systemClock is monotonic; systemTimers fire and cancel', async () => {
  const a = systemClock.monotonicMs();
  const b = systemClock.monotonicMs();
  assert.ok(b >= a);
  assert.ok(Math.abs(systemClock.epochMs() - Date.now()) < 1000);
  let fired = false;
  systemTimers.after(1, () => {
    fired = true;
  }).cancel();
  await new Promise<void>((resolve) => {
    systemTimers.after(5, resolve);
  });
  assert.equal(fired, false);
});

test('real time: about 50 ticks in 1 s, no drift beyond a frame', async () => {
  const driver = new MediaClockDriver();
  const started = systemClock.monotonicMs();
  let lastIndex = -1;
  const remove = driver.add((i) => {
    lastIndex = i;
  });
  await new Promise<void>((resolve) => {
    setTimeout(resolve, 1010);
  });
  const elapsedMs = systemClock.monotonicMs() - started;
  remove();
  assert.equal(driver.running, false);
  const stats = driver.stats();
  // Drift: the schedule is anchored at the start, so the frames consumed (emitted + skipped) match the
  // elapsed time to within one frame however late single wake-ups were on a loaded machine.
  const expectedSlots = Math.floor(elapsedMs / 20) + 1;
  assert.ok(Math.abs(stats.ticks + stats.skippedFrames - expectedSlots) <= 1, `${stats.ticks} ticks, ${elapsedMs} ms`);
  assert.equal(lastIndex, stats.ticks - 1);
  assert.ok(stats.ticks >= 48 && stats.ticks <= 52, `ticks ${stats.ticks}`);
  assert.ok(stats.lateP50Ms < 20, `median lateness ${stats.lateP50Ms} ms`);
  console.log(`  real driver: ${JSON.stringify(stats)}`);
});
