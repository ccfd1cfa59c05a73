import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { JitterBuffer, type JitterPacket } from './jitter-buffer.js';

const SSRC = 0x1234;

/** A packet whose payload carries its index, so the output can be checked. */
function pkt(index: number, seqBase = 1000, ssrc = SSRC): JitterPacket {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, index);
  return { sequenceNumber: (seqBase + index) & 0xffff, ssrc, payload };
}

function idOf(payload: Uint8Array | null): number | null {
  return payload === null ? null : new DataView(payload.buffer, payload.byteOffset).getUint32(0);
}

/**
 * Drives the buffer on stepped time: `arrivals[t]` lists packet indexes arriving in tick t (before
 * that tick's pop); returns what each tick popped: an index, 'C' (concealed) or '-' (silence).
 */
function run(jb: JitterBuffer, arrivals: readonly (readonly number[])[], ticks: number, seqBase = 1000): (number | string)[] {
  const out: (number | string)[] = [];
  for (let t = 0; t < ticks; t++) {
    for (const i of arrivals[t] ?? []) {
      jb.push(pkt(i, seqBase), t * 20);
    }
    const r = jb.pop(t * 20);
    out.push(r.payload === null ? (r.concealed ? 'C' : '-') : (idOf(r.payload) ?? -1));
  }
  return out;
}

const steady = (n: number) => Array.from({ length: n }, (_, i) => [i]);

test('in order: play-out starts after the 40 ms target delay, one frame per tick', () => {
  const jb = new JitterBuffer();
  assert.deepEqual(run(jb, steady(8), 8), ['-', '-', 0, 1, 2, 3, 4, 5]);
  assert.equal(jb.counters.played, 6);
  assert.equal(jb.counters.concealed, 0);
});

test('reorder: packets swapped in flight come out in sequence order', () => {
  const jb = new JitterBuffer();
  assert.deepEqual(run(jb, [[0], [2], [1], [4], [3], [5]], 8), ['-', '-', 0, 1, 2, 3, 4, 5]);
  assert.equal(jb.counters.late, 0);
});

test('loss: a missing frame between held frames is concealed once and play-out continues', () => {
  const jb = new JitterBuffer();
  assert.deepEqual(run(jb, [[0], [1], [], [3], [4], [5]], 8), ['-', '-', 0, 1, 'C', 3, 4, 5]);
  assert.equal(jb.counters.concealed, 1);
  assert.equal(jb.counters.underrun, 0);
});

test('duplicates: a held duplicate is dropped; a duplicate of a played frame is late', () => {
  const jb = new JitterBuffer();
  const out = run(jb, [[0], [1, 1], [2], [3, 0], [4]], 7);
  assert.deepEqual(out, ['-', '-', 0, 1, 2, 3, 4]);
  assert.equal(jb.counters.duplicate, 1);
  assert.equal(jb.counters.late, 1);
});

test('late: a packet arriving after its slot was concealed is dropped', () => {
  const jb = new JitterBuffer();
  // packet 2 arrives 80 ms late, after tick 4 concealed it
  assert.deepEqual(run(jb, [[0], [1], [], [3], [4], [2, 5]], 8), ['-', '-', 0, 1, 'C', 3, 4, 5]);
  assert.equal(jb.counters.late, 1);
});

test('burst: a 100 ms stall underruns, re-buffers for the target delay, then plays the burst in order', () => {
  const jb = new JitterBuffer({ maxDelayMs: 1000 });
  const arrivals = [[0], [1], [2], [], [], [], [], [], [3, 4, 5, 6, 7, 8], [9], [10]];
  const out = run(jb, arrivals, 14);
  assert.deepEqual(out, ['-', '-', 0, 1, 2, 'C', 'C', 'C', 'C', 'C', 3, 4, 5, 6]);
  assert.equal(jb.counters.concealed, 5);
  assert.equal(jb.counters.underrun, 3); // ticks with nothing held at all
  assert.equal(jb.counters.late, 0);
});

test('latency cap: a burst deeper than maxDelayMs is trimmed back to the target delay', () => {
  const jb = new JitterBuffer({ maxDelayMs: 100 });
  const arrivals = [[0], [1], [2], [], [], [], [], [], [], [], [3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [13]];
  const out = run(jb, arrivals, 15);
  // the burst is cut to the target depth (the frame played plus 2) when play-out resumes
  assert.deepEqual(out.slice(12), [11, 12, 13]);
  assert.equal(jb.counters.trimmed, 8);
});

test('RFC 3550 §5.1: sequence numbers wrap from 65535 to 0 without a glitch', () => {
  const jb = new JitterBuffer();
  assert.deepEqual(run(jb, [[0], [2], [1], [3], [4], [5]], 8, 65533), ['-', '-', 0, 1, 2, 3, 4, 5]);
});

test('overflow: beyond capacity the oldest frames are dropped and play-out moves forward', () => {
  const jb = new JitterBuffer({ capacityFrames: 5 });
  for (let i = 0; i < 10; i++) {
    jb.push(pkt(i), 0);
    assert.ok(jb.size <= 5);
  }
  assert.equal(jb.counters.overflow, 5);
  assert.equal(idOf(jb.pop(40).payload), 5);
});

test('SSRC change restarts the buffer at once', () => {
  const jb = new JitterBuffer();
  run(jb, steady(4), 4);
  assert.equal(jb.push(pkt(0, 5000, 0x9999), 80), 'resync');
  assert.equal(jb.pop(80).concealed, true); // re-buffering
  jb.push(pkt(1, 5000, 0x9999), 100);
  assert.equal(jb.pop(100).concealed, true);
  assert.equal(idOf(jb.pop(120).payload), 0);
  assert.equal(jb.counters.resync, 1);
});

test('RFC 3550 A.1: one stray far-off packet is ignored; two consecutive ones resync', () => {
  const jb = new JitterBuffer();
  run(jb, steady(4), 4);
  assert.equal(jb.push(pkt(30_000), 80), 'stray');
  assert.equal(jb.push(pkt(4), 80), 'stored');
  assert.equal(idOf(jb.pop(80).payload), 2);
  assert.equal(jb.push(pkt(40_000), 100), 'stray');
  assert.equal(jb.push(pkt(40_001), 100), 'resync');
  assert.equal(jb.counters.stray, 2);
  assert.equal(jb.counters.resync, 1);
  assert.equal(jb.pop(100).payload, null);
  assert.equal(jb.pop(120).payload, null);
  assert.equal(idOf(jb.pop(140).payload), 40_000);
  assert.equal(idOf(jb.pop(160).payload), 40_001);
});

test('reordered first packets are still played in order', () => {
  const jb = new JitterBuffer();
  assert.deepEqual(run(jb, [[1], [0], [2], [3]], 5), ['-', '-', 0, 1, 2]);
});

interface NetEvent {
  readonly delayMs: number;
  readonly lost: boolean;
  readonly dup: boolean;
}

test('property: never plays a frame twice, plays in increasing order, stays within capacity (5,000 runs)', () => {
  const netArb = fc.array(
    fc.record({ delayMs: fc.integer({ min: 0, max: 150 }), lost: fc.boolean(), dup: fc.boolean() }).map(
      (e): NetEvent => ({ delayMs: e.delayMs, lost: e.lost && e.delayMs % 3 === 0, dup: e.dup && e.delayMs % 4 === 0 }),
    ),
    { minLength: 1, maxLength: 120 },
  );
  fc.assert(
    fc.property(
      netArb,
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 2, max: 30 }),
      fc.integer({ min: 0, max: 100 }),
      (net, seqBase, capacityFrames, targetDelayMs) => {
        const jb = new JitterBuffer({ capacityFrames, targetDelayMs });
        const arrivals: { atMs: number; index: number }[] = [];
        net.forEach((e, index) => {
          if (!e.lost) {
            arrivals.push({ atMs: index * 20 + e.delayMs, index });
            if (e.dup) {
              arrivals.push({ atMs: index * 20 + e.delayMs + 7, index });
            }
          }
        });
        arrivals.sort((a, b) => a.atMs - b.atMs);
        const seen = new Set<number>();
        let last = -1;
        let a = 0;
        for (let t = 0; t < net.length * 20 + 400; t += 20) {
          while (a < arrivals.length && (arrivals[a]?.atMs ?? Infinity) <= t) {
            jb.push(pkt(arrivals[a]?.index ?? 0, seqBase), arrivals[a]?.atMs ?? 0);
            a++;
            assert.ok(jb.size <= capacityFrames);
          }
          const id = idOf(jb.pop(t).payload);
          if (id !== null) {
            assert.ok(!seen.has(id), `frame ${id} played twice`);
            assert.ok(id > last, `frame ${id} after ${last}`);
            seen.add(id);
            last = id;
          }
        }
        const c = jb.counters;
        assert.equal(c.received, arrivals.length);
        assert.equal(c.played, seen.size);
        assert.equal(c.resync + c.stray, 0);
      },
    ),
    { numRuns: 5_000 },
  );
});
