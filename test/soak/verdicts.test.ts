// The soak's judgement (issue 11): the line fit, the "flat" rule over the last 2/3 of the in-run samples,
// and the end-of-run verdicts. The soak itself (`npm run soak`) is not part of the test run; this is.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type Sample, flatness, linearFit } from './sampler.js';
import { judge, shownSamples } from './verdicts.js';

function sample(tS: number, over: Partial<Sample> = {}): Sample {
  return {
    phase: 'run',
    tS,
    rssKb: 150_000,
    rssAfterGcKb: 120_000,
    heapUsedKb: 33_000,
    gcMs: 50,
    fds: 56,
    udpSockets: 11,
    rtpPorts: 10,
    lagMs: { p50: 0.3, p99: 5, max: 40, n: 5000 },
    cpuPct: 6,
    liveCalls: 5,
    finishedRecords: 0,
    harnessCalls: 5,
    openStreams: 5,
    loadAvg1: 1,
    ...over,
  };
}

/** A run: an idle start, one sample a minute for `minutes`, then the drained sample. */
function run(minutes: number, heap: (min: number) => number): Sample[] {
  return [
    sample(0, { phase: 'start', rtpPorts: 0, fds: 38, liveCalls: 0, openStreams: 0 }),
    ...Array.from({ length: minutes }, (_, i) => sample((i + 1) * 60, { heapUsedKb: heap(i + 1) })),
    sample(minutes * 60 + 100, { phase: 'drained', rtpPorts: 0, fds: 40, liveCalls: 0, openStreams: 0 }),
  ];
}

const records = { checked: 1, unfinished: [], streams: 1, liveStreams: 0, causes: {}, hangupCallbacks: 1 };
const base = {
  liveAfterDrain: [],
  records,
  sigterm: { exited: true, ms: 40 },
  rssTolKb: 10_240,
  heapTolKb: 4096,
  fdTol: 4,
};

test('linearFit recovers an exact line', () => {
  const { slope, intercept } = linearFit([
    [0, 3],
    [1, 5],
    [2, 7],
    [5, 13],
  ]);
  assert.ok(Math.abs(slope - 2) < 1e-9);
  assert.ok(Math.abs(intercept - 3) < 1e-9);
});

test('flatness: a steady series is flat, one growing past the tolerance is not', () => {
  const steady = flatness(
    run(60, () => 33_000),
    'heap',
    (s) => s.heapUsedKb,
    4096,
    'kB',
  );
  assert.equal(steady.flat, true);
  assert.equal(steady.fitted, 40);
  assert.equal(steady.spanMin, 39);
  // 200 kB a minute: ~7.8 MB over the 39 fitted minutes.
  const leak = flatness(
    run(60, (m) => 33_000 + 200 * m),
    'heap',
    (s) => s.heapUsedKb,
    4096,
    'kB',
  );
  assert.equal(leak.flat, false);
  assert.ok(Math.abs(leak.growth - 7800) < 1);
  assert.ok(Math.abs(leak.slopePerHour - 12_000) < 1);
});

test('flatness: growth in the first third (warm-up) is not judged; a shrinking series is flat', () => {
  const warm = flatness(
    run(60, (m) => (m <= 20 ? 20_000 + 600 * m : 33_000)),
    'heap',
    (s) => s.heapUsedKb,
    4096,
    'kB',
  );
  assert.equal(warm.flat, true);
  const shrink = flatness(
    run(60, (m) => 40_000 - 100 * m),
    'heap',
    (s) => s.heapUsedKb,
    4096,
    'kB',
  );
  assert.equal(shrink.flat, true);
});

test('flatness: fewer than 5 fitted samples is too short to judge', () => {
  assert.equal(
    flatness(
      run(6, (m) => 1000 * m),
      'heap',
      (s) => s.heapUsedKb,
      1,
      'kB',
    ).flat,
    null,
  );
});

test('judge passes a clean run and names each failure', () => {
  const clean = judge({ ...base, samples: run(30, () => 33_000) });
  assert.equal(clean.pass, true, clean.failed.join('; '));

  const samples = run(30, (m) => 33_000 + 500 * m);
  const last = samples.length - 1;
  samples[last] = sample(3000, { phase: 'drained', rtpPorts: 2, fds: 50, liveCalls: 1, openStreams: 1 });
  const bad = judge({
    ...base,
    samples,
    liveAfterDrain: [{ uuid: 'u', kind: 'bad-port' }],
    records: { ...records, unfinished: [{ id: 2, kind: 'bad-port', uuid: 'u', status: 'in-progress' }] },
    sigterm: { exited: false, ms: 30_000 },
  });
  assert.equal(bad.pass, false);
  assert.deepEqual(bad.failed, [
    'calls live after the drain',
    'records not finished',
    'heap grew',
    'fds not back to idle',
    'RTP ports still bound',
    'SIGTERM did not end the server',
  ]);
});

test('shownSamples keeps a short run whole and thins a long one to every 10 minutes', () => {
  assert.equal(shownSamples(run(10, () => 1)).length, 12);
  const shown = shownSamples(run(60, () => 1)).map((s) => `${s.phase}@${s.tS / 60}`);
  assert.deepEqual(shown, [
    'start@0',
    'run@10',
    'run@20',
    'run@30',
    'run@40',
    'run@50',
    `run@60`,
    `drained@${(3600 + 100) / 60}`,
  ]);
});
