import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { type ReorderPacket, ReorderBuffer } from './reorder-buffer.js';

const SSRC = 0x1234;

/** A packet whose payload carries its index, so the output can be checked. */
function pkt(index: number, seqBase = 1000, ssrc = SSRC): ReorderPacket {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, index);
  return { sequenceNumber: (seqBase + index) & 0xffff, ssrc, payload };
}

function idOf(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset).getUint32(0);
}

type Arrival = readonly [timeMs: number, index: number];

/**
 * Drives the buffer: packets arrive at the given times, media ticks run every 20 ms from 0 until
 * `untilMs`. Each release is logged as `time:what`, where what is the packet index, `L` (lost) or `S`
 * (silence). At equal times, arrivals come before the tick.
 */
function drive(rb: ReorderBuffer, arrivals: readonly Arrival[], untilMs: number, seqBase = 1000): string[] {
  const log: string[] = [];
  const drain = (t: number): void => {
    for (let r = rb.next(t); r !== undefined; r = rb.next(t)) {
      log.push(
        `${t}:${r.kind === 'audio' && r.payload !== null ? idOf(r.payload) : r.kind === 'lost' ? 'L' : 'S'}`,
      );
    }
  };
  const sorted = [...arrivals].sort((a, b) => a[0] - b[0]);
  let i = 0;
  for (let tick = 0; tick <= untilMs; tick += 20) {
    while (i < sorted.length && (sorted[i]?.[0] ?? Infinity) <= tick) {
      const [t, index] = sorted[i] ?? [0, 0];
      rb.push(pkt(index, seqBase), t);
      drain(t);
      i++;
    }
    drain(tick);
  }
  return log;
}

/** Packet i arrives at 20·i + offset ms. */
const steady = (n: number, offset = 3): Arrival[] =>
  Array.from({ length: n }, (_, i) => [20 * i + offset, i] as const);

test('in order: each packet is released the moment it arrives, no added delay', () => {
  const rb = new ReorderBuffer();
  assert.deepEqual(drive(rb, steady(5), 100), ['3:0', '23:1', '43:2', '63:3', '83:4']);
  assert.equal(rb.counters.released, 5);
  assert.equal(rb.size, 0);
});

test('jitter: a late-but-in-order packet is released on arrival, with no silence inserted', () => {
  const rb = new ReorderBuffer();
  // Packet 2 is 35 ms late, packet 3 right behind it.
  const log = drive(
    rb,
    [
      [3, 0],
      [23, 1],
      [78, 2],
      [79, 3],
      [83, 4],
    ],
    100,
  );
  assert.deepEqual(log, ['3:0', '23:1', '78:2', '79:3', '83:4']);
  assert.equal(rb.counters.silence, 0);
});

test('reorder: a swapped pair waits only for the missing packet, then both go out in order', () => {
  const rb = new ReorderBuffer();
  const log = drive(
    rb,
    [
      [3, 0],
      [23, 2],
      [27, 1],
      [63, 3],
    ],
    80,
  );
  assert.deepEqual(log, ['3:0', '27:1', '27:2', '63:3']);
  assert.equal(rb.counters.late, 0);
  assert.equal(rb.counters.lost, 0);
});

test('loss: a missing frame holds later ones back for at most 40 ms, then is released as lost', () => {
  const rb = new ReorderBuffer();
  const log = drive(
    rb,
    [
      [3, 0],
      [23, 1],
      [63, 3],
      [83, 4],
      [103, 5],
    ],
    120,
  );
  // 3 arrives at 63 and waits for 2; at 103, 40 ms later, 2 is given up.
  assert.deepEqual(log, ['3:0', '23:1', '103:L', '103:3', '103:4', '103:5']);
  assert.equal(rb.counters.lost, 1);
});

test('a packet arriving after its frame was given up is late and dropped', () => {
  const rb = new ReorderBuffer();
  const log = drive(
    rb,
    [
      [3, 0],
      [23, 2],
      [43, 3],
      [63, 4],
      [70, 1],
      [83, 5],
    ],
    100,
  );
  assert.deepEqual(log, ['3:0', '63:L', '63:2', '63:3', '63:4', '83:5']);
  assert.equal(rb.counters.late, 1);
});

test('duplicates: of a held frame, dropped as duplicate; of a released one, dropped as late', () => {
  const rb = new ReorderBuffer();
  assert.equal(rb.push(pkt(0), 0), 'stored');
  assert.equal(rb.next(0)?.kind, 'audio');
  assert.equal(rb.push(pkt(0), 1), 'late');
  assert.equal(rb.push(pkt(2), 2), 'stored');
  assert.equal(rb.push(pkt(2), 3), 'duplicate');
  assert.equal(rb.next(3), undefined);
  assert.deepEqual([rb.counters.late, rb.counters.duplicate], [1, 1]);
});

test('silence: nothing arriving yields one silence frame per 20 ms after 200 ms, until packets resume', () => {
  const rb = new ReorderBuffer();
  // Nothing at all from the start: silence keeps the fork's frames coming.
  const before = drive(rb, [], 280);
  assert.deepEqual(before, ['200:S', '220:S', '240:S', '260:S', '280:S']);
});

test('a packet late by less than the silence wait is not preceded by an inserted silence frame', () => {
  const rb = new ReorderBuffer();
  // Packet 2 is 150 ms late (a stalled sender or network), then everything catches up.
  const log = drive(
    rb,
    [
      [3, 0],
      [23, 1],
      [193, 2],
      [194, 3],
      [195, 4],
      [196, 5],
      [197, 6],
      [198, 7],
      [203, 8],
    ],
    220,
  );
  assert.ok(!log.some((e) => e.endsWith(':S')), log.join(' '));
  assert.equal(rb.counters.released, 9);
});

test('silence suppression: a talkspurt gap is filled with silence, and the next spurt goes out at once', () => {
  const rb = new ReorderBuffer({ silenceAfterMs: 60 });
  // Packets 0-2, then the sender stops (DTX, sequence numbers continue), then 3-4 at 203 ms.
  const log = drive(
    rb,
    [
      [3, 0],
      [23, 1],
      [43, 2],
      [203, 3],
      [223, 4],
    ],
    240,
  );
  assert.deepEqual(log, [
    '3:0',
    '23:1',
    '43:2',
    '120:S',
    '140:S',
    '160:S',
    '180:S',
    '200:S',
    '203:3',
    '223:4',
  ]);
  assert.equal(rb.counters.skipped, 0);
});

test('a stall with loss: frames already covered by silence are skipped, the rest go out without waiting', () => {
  const rb = new ReorderBuffer({ silenceAfterMs: 60 });
  // 1..7 lost in a 160 ms outage; 8 arrives at 163 ms.
  const log = drive(
    rb,
    [
      [3, 0],
      [163, 8],
      [183, 9],
    ],
    200,
  );
  assert.deepEqual(log, [
    '3:0',
    '80:S',
    '100:S',
    '120:S',
    '140:S',
    '160:S',
    '163:L',
    '163:L',
    '163:8',
    '183:9',
  ]);
  assert.equal(rb.counters.skipped, 5);
  assert.equal(rb.counters.lost, 2);
});

test('a sequence jump without time passing releases at most three lost frames, never a burst', () => {
  const rb = new ReorderBuffer();
  const log = drive(
    rb,
    [
      [3, 0],
      [23, 1],
      [43, 60],
      [63, 61],
      [83, 62],
    ],
    100,
  );
  assert.deepEqual(log, ['3:0', '23:1', '83:L', '83:L', '83:L', '83:60', '83:61', '83:62']);
  assert.equal(rb.counters.lost, 3);
  // 58 missing: 9 + 1 + 1 skipped to keep 60, 61, 62 inside the 50-frame window, 44 when the gap was given up.
  assert.equal(rb.counters.overflow, 11);
  assert.equal(rb.counters.skipped, 44);
});

test('sequence numbers wrap around 65535 without a glitch', () => {
  const rb = new ReorderBuffer();
  const log = drive(rb, steady(6), 120, 65533);
  assert.deepEqual(log, ['3:0', '23:1', '43:2', '63:3', '83:4', '103:5']);
});

test('a new SSRC restarts the buffer at once, releasing its first packet', () => {
  const rb = new ReorderBuffer();
  rb.push(pkt(0), 0);
  rb.next(0);
  assert.equal(rb.push(pkt(500, 7000, 0x9999), 20), 'resync');
  const r = rb.next(20);
  assert.ok(r?.kind === 'audio' && r.payload !== null);
  assert.equal(idOf(r.payload), 500);
  assert.equal(rb.counters.resync, 1);
});

test('one stray packet far ahead is set aside; a confirmed jump restarts play-out there', () => {
  const rb = new ReorderBuffer();
  rb.push(pkt(0), 0);
  rb.next(0);
  assert.equal(rb.push(pkt(5000), 10), 'stray');
  assert.equal(rb.push(pkt(1), 20), 'stored');
  assert.equal(rb.next(20)?.sequenceNumber, 1001);
  assert.equal(rb.push(pkt(9000), 30), 'stray');
  assert.equal(rb.push(pkt(9001), 40), 'resync');
  const ids: number[] = [];
  for (let r = rb.next(40); r !== undefined; r = rb.next(40)) {
    if (r.payload !== null) {
      ids.push(idOf(r.payload));
    }
  }
  assert.deepEqual(ids, [9000, 9001]);
});

test('a packet beyond the capacity window moves play-out forward (overflow)', () => {
  const rb = new ReorderBuffer({ capacityFrames: 8 });
  rb.push(pkt(0), 0);
  rb.next(0);
  assert.equal(rb.push(pkt(20), 1), 'stored');
  assert.equal(rb.counters.overflow, 12);
  assert.equal(rb.size, 1);
});

test('property: any arrival order releases every frame at most once, in increasing sequence order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 30 })), {
        maxLength: 60,
      }),
      (arrivals) => {
        const rb = new ReorderBuffer();
        const seen: number[] = [];
        const releasedSeq: number[] = [];
        const sorted = [...arrivals].sort((a, b) => a[0] - b[0]);
        let i = 0;
        const drain = (t: number): void => {
          for (let r = rb.next(t); r !== undefined; r = rb.next(t)) {
            if (r.kind === 'audio' && r.payload !== null) {
              seen.push(idOf(r.payload));
            }
            if (r.kind !== 'silence') {
              releasedSeq.push(r.sequenceNumber);
            }
          }
        };
        for (let tick = 0; tick <= 500; tick += 20) {
          while (i < sorted.length && (sorted[i]?.[0] ?? Infinity) <= tick) {
            const [t, index] = sorted[i] ?? [0, 0];
            rb.push(pkt(index), t);
            drain(t);
            i++;
          }
          drain(tick);
        }
        assert.equal(new Set(seen).size, seen.length, 'a frame released twice');
        for (let k = 1; k < releasedSeq.length; k++) {
          assert.ok(
            (releasedSeq[k] ?? 0) > (releasedSeq[k - 1] ?? 0),
            `out of order: ${releasedSeq.join(',')}`,
          );
        }
        // Everything that arrived is released, still held, or counted as dropped (no strays here:
        // indexes stay within the resync threshold and the capacity window).
        const c = rb.counters;
        assert.equal(c.received, c.released + c.late + c.duplicate + rb.size + c.discarded);
      },
    ),
    { numRuns: 500 },
  );
});
