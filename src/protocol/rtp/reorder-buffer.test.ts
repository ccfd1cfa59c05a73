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

type Arrival = readonly [timeMs: number, index: number, audio?: boolean];

/**
 * Drives the buffer: packets arrive at the given times (audio unless the third element is false),
 * media ticks run every 20 ms from 0 until `untilMs` and call `next` (or `take`, at the times in
 * `takeAt`). Each release is logged as `time:index`. At equal times, arrivals come before the tick.
 */
function drive(
  rb: ReorderBuffer,
  arrivals: readonly Arrival[],
  untilMs: number,
  seqBase = 1000,
  takeAt: readonly number[] = [],
): string[] {
  const log: string[] = [];
  const drain = (t: number): void => {
    for (let r = rb.next(t); r !== undefined; r = rb.next(t)) {
      log.push(`${t}:${idOf(r.payload)}`);
    }
  };
  const sorted = [...arrivals].sort((a, b) => a[0] - b[0]);
  let i = 0;
  for (let tick = 0; tick <= untilMs; tick += 20) {
    while (i < sorted.length && (sorted[i]?.[0] ?? Infinity) <= tick) {
      const [t, index, audio] = sorted[i] ?? [0, 0];
      rb.push(pkt(index, seqBase), t, audio ?? true);
      drain(t);
      i++;
    }
    drain(tick);
    if (takeAt.includes(tick)) {
      const r = rb.take(tick);
      if (r !== undefined) {
        log.push(`${tick}:take:${idOf(r.payload)}`);
      }
      drain(tick);
    }
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

test('jitter: a late-but-in-order packet is released on arrival', () => {
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

test('loss: a missing frame holds later ones back for at most 40 ms, then is given up', () => {
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
  assert.deepEqual(log, ['3:0', '23:1', '103:3', '103:4', '103:5']);
  assert.equal(rb.counters.lost, 1);
});

test('take: when the clock needs a frame, a gap is given up at once; with nothing held, nothing', () => {
  const rb = new ReorderBuffer();
  const log = drive(
    rb,
    [
      [3, 0],
      [23, 2],
      [43, 3],
    ],
    60,
    1000,
    [20, 40],
  );
  // At 20 nothing is held (take gives nothing); at 40, 2 waits for 1, and the clock takes it.
  assert.deepEqual(log, ['3:0', '40:take:2', '43:3']);
  assert.equal(rb.counters.lost, 1);
  assert.equal(rb.take(60), undefined);
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
  assert.deepEqual(log, ['3:0', '63:2', '63:3', '63:4', '83:5']);
  assert.equal(rb.counters.late, 1);
});

test('duplicates: of a held frame, dropped as duplicate; of a released one, dropped as late', () => {
  const rb = new ReorderBuffer();
  assert.equal(rb.push(pkt(0), 0), 'stored');
  assert.equal(rb.next(0)?.sequenceNumber, 1000);
  assert.equal(rb.push(pkt(0), 1), 'late');
  assert.equal(rb.push(pkt(2), 2), 'stored');
  assert.equal(rb.push(pkt(2), 3), 'duplicate');
  assert.equal(rb.next(3), undefined);
  assert.deepEqual([rb.counters.late, rb.counters.duplicate], [1, 1]);
});

test('the buffer releases audio only: nothing arriving releases nothing (the clock owner fills)', () => {
  const rb = new ReorderBuffer();
  assert.deepEqual(drive(rb, [], 400), []);
  assert.equal(rb.take(400), undefined);
});

test('skipNext: the frame the clock filled is given up, so its packet arriving now is late; a held one is kept', () => {
  const rb = new ReorderBuffer();
  rb.push(pkt(0), 0);
  rb.next(0);
  rb.skipNext(); // the clock filled frame 1
  assert.equal(rb.push(pkt(1), 25), 'late');
  assert.equal(rb.push(pkt(2), 30), 'stored');
  rb.skipNext(); // 2 is held: nothing to give up
  assert.equal(rb.next(30)?.sequenceNumber, 1002);
  assert.deepEqual([rb.counters.lost, rb.counters.late], [1, 1]);
});

test('skipNext: a talkspurt start (marker bit) for the given-up number is taken back, not dropped', () => {
  const rb = new ReorderBuffer();
  rb.push(pkt(0), 0);
  rb.next(0);
  rb.skipNext(); // the sender stopped (silence suppression): the clock filled in
  assert.equal(rb.push(pkt(1), 500, true, true), 'stored');
  assert.equal(rb.next(500)?.sequenceNumber, 1001);
  assert.equal(rb.counters.lost, 0);
  // Once anything else came after the give-up, a marker packet for it is just late.
  rb.skipNext();
  rb.push(pkt(3), 520);
  assert.equal(rb.push(pkt(2), 521, true, true), 'late');
});

test('packets without audio (RFC 4733 events) take their sequence numbers: the audio after them is not held', () => {
  const rb = new ReorderBuffer();
  // Audio 0-1, then five event packets (2-6) instead of audio, then audio again.
  const events: Arrival[] = [2, 3, 4, 5, 6].map((i) => [20 * i + 3, i, false] as const);
  const log = drive(rb, [[3, 0], [23, 1], ...events, [143, 7], [163, 8]], 180);
  assert.deepEqual(log, ['3:0', '23:1', '143:7', '163:8']);
  assert.equal(rb.counters.marked, 5);
  assert.equal(rb.counters.lost, 0);
});

test('an event packet that is reordered behind the audio after it is waited for like any gap', () => {
  const rb = new ReorderBuffer();
  const log = drive(
    rb,
    [
      [3, 0],
      [23, 1, false],
      [43, 3],
      [45, 2, false],
    ],
    60,
  );
  assert.deepEqual(log, ['3:0', '45:3']);
  assert.equal(rb.counters.lost, 0);
});

test('silence suppression: the sequence continues across the pause, so the next spurt goes out at once', () => {
  const rb = new ReorderBuffer();
  const log = drive(
    rb,
    [
      [3, 0],
      [23, 1],
      [603, 2],
      [623, 3],
    ],
    640,
  );
  assert.deepEqual(log, ['3:0', '23:1', '603:2', '623:3']);
});

test('a stall with loss: the first packet after 200 ms without any goes out at once, the gap given up', () => {
  const rb = new ReorderBuffer();
  // 1..7 lost in a 240 ms outage; 8 arrives at 243 ms.
  const log = drive(
    rb,
    [
      [3, 0],
      [243, 8],
      [263, 9],
    ],
    280,
  );
  assert.deepEqual(log, ['3:0', '243:8', '263:9']);
  assert.equal(rb.counters.lost, 7);
});

test('a sequence jump without time passing is given up after the wait, never bursting the window', () => {
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
  assert.deepEqual(log, ['3:0', '23:1', '83:60', '83:61', '83:62']);
  // 58 missing: 9 + 1 + 1 skipped to keep 60, 61, 62 inside the 50-frame window, 47 when the gap was given up.
  assert.equal(rb.counters.overflow, 11);
  assert.equal(rb.counters.lost, 47);
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
  assert.ok(r !== undefined);
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
    ids.push(idOf(r.payload));
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

test('property: any arrival order, with or without audio, and any mix of next and take, releases every audio frame at most once, in increasing sequence order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 30 }), fc.boolean()), {
        maxLength: 60,
      }),
      fc.array(fc.boolean(), { minLength: 26, maxLength: 26 }),
      (arrivals, takes) => {
        const rb = new ReorderBuffer();
        const noAudio = new Set(arrivals.filter(([, , audio]) => !audio).map(([, index]) => index));
        const seen: number[] = [];
        const releasedSeq: number[] = [];
        const sorted = [...arrivals].sort((a, b) => a[0] - b[0]);
        let i = 0;
        const record = (r: { payload: Uint8Array; sequenceNumber: number }): void => {
          seen.push(idOf(r.payload));
          releasedSeq.push(r.sequenceNumber);
        };
        const drain = (t: number): void => {
          for (let r = rb.next(t); r !== undefined; r = rb.next(t)) {
            record(r);
          }
        };
        for (let tick = 0; tick <= 500; tick += 20) {
          while (i < sorted.length && (sorted[i]?.[0] ?? Infinity) <= tick) {
            const [t, index, audio] = sorted[i] ?? [0, 0, true];
            rb.push(pkt(index), t, audio);
            drain(t);
            i++;
          }
          drain(tick);
          const taken = takes[tick / 20] === true ? rb.take(tick) : undefined;
          if (taken !== undefined) {
            record(taken);
          } else if (takes[tick / 20] === true) {
            rb.skipNext(); // the clock filled in
          }
        }
        assert.equal(new Set(seen).size, seen.length, 'a frame released twice');
        for (let k = 1; k < releasedSeq.length; k++) {
          assert.ok(
            (releasedSeq[k] ?? 0) > (releasedSeq[k - 1] ?? 0),
            `out of order: ${releasedSeq.join(',')}`,
          );
        }
        // A packet sent without audio is never released, unless the same index also came with audio.
        const withAudio = new Set(arrivals.filter(([, , audio]) => audio).map(([, index]) => index));
        for (const id of seen) {
          assert.ok(!noAudio.has(id) || withAudio.has(id), `index ${id} had no audio`);
        }
        // Everything that arrived is released, passed over, still held, or counted as dropped (no
        // strays here: indexes stay within the resync threshold and the capacity window).
        const c = rb.counters;
        assert.equal(c.received, c.released + c.marked + c.late + c.duplicate + rb.size + c.discarded);
      },
    ),
    { numRuns: 500 },
  );
});
