import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { ContentTypes, mediaFormatOf } from './formats.js';
import { PlayoutQueue } from './playout-queue.js';

const mulaw = mediaFormatOf('audio/x-mulaw;rate=8000');
const l16 = mediaFormatOf('audio/x-l16;rate=8000');

/** Bytes 1, 2, 3… (mod 251, never 0 so padding is visible). */
function ramp(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => ((start + i) % 251) + 1);
}

function drain(
  q: PlayoutQueue,
  frameBytes: number,
): { bytes: number[]; frames: number; checkpoints: string[][] } {
  const out = new Uint8Array(frameBytes);
  const bytes: number[] = [];
  const checkpoints: string[][] = [];
  let frames = 0;
  for (;;) {
    const r = q.nextFrame(out);
    checkpoints.push([...r.checkpoints]);
    if (!r.played) {
      return { bytes, frames, checkpoints };
    }
    frames++;
    bytes.push(...out);
  }
}

test('Plivo stream §6: audio of any length is re-framed into exact 20 ms frames, last one zero-padded', () => {
  const q = new PlayoutQueue(mulaw);
  assert.deepEqual(q.enqueue(ramp(100)), { ok: true });
  assert.deepEqual(q.enqueue(ramp(150, 100)), { ok: true });
  assert.equal(q.queuedMs, 250 / 8);
  const { bytes, frames } = drain(q, 160);
  assert.equal(frames, 2);
  assert.deepEqual(bytes.slice(0, 250), [...ramp(250)]);
  assert.deepEqual(bytes.slice(250), new Array<number>(70).fill(0));
  assert.equal(q.queuedMs, 0);
});

test('nextFrame on an empty queue leaves out untouched and reports played false', () => {
  const q = new PlayoutQueue(l16);
  const out = new Uint8Array(320).fill(9);
  assert.deepEqual(q.nextFrame(out), { played: false, checkpoints: [] });
  assert.ok(out.every((b) => b === 9));
});

test('Plivo stream §5.2: a checkpoint on an empty queue is reported on the next call', () => {
  const q = new PlayoutQueue(mulaw);
  q.checkpoint('first');
  const out = new Uint8Array(160);
  assert.deepEqual(q.nextFrame(out), { played: false, checkpoints: ['first'] });
  assert.deepEqual(q.nextFrame(out), { played: false, checkpoints: [] });
});

test('Plivo stream §4.4: several checkpoints answered FIFO, each once its audio has played', () => {
  const q = new PlayoutQueue(mulaw);
  q.enqueue(ramp(320));
  q.checkpoint('a');
  q.checkpoint('b');
  q.enqueue(ramp(160));
  q.checkpoint('c');
  const { checkpoints } = drain(q, 160);
  assert.deepEqual(checkpoints, [[], ['a', 'b'], ['c'], []]);
});

test('a checkpoint between partial chunks pads the partial frame; the next audio starts a new frame', () => {
  const q = new PlayoutQueue(mulaw);
  q.enqueue(ramp(100));
  q.checkpoint('mid');
  q.enqueue(ramp(60, 100));
  const { bytes, checkpoints } = drain(q, 160);
  assert.deepEqual(bytes.slice(0, 100), [...ramp(100)]);
  assert.deepEqual(bytes.slice(100, 160), new Array<number>(60).fill(0));
  assert.deepEqual(bytes.slice(160, 220), [...ramp(60, 100)]);
  assert.deepEqual(checkpoints, [['mid'], [], []]);
});

test('D2: clear drops audio and pending checkpoints at once; reached-but-unreported ones survive', () => {
  const q = new PlayoutQueue(l16);
  q.checkpoint('already-played');
  q.enqueue(ramp(640 + 100));
  q.checkpoint('x');
  q.enqueue(ramp(320));
  q.checkpoint('y');
  const cleared = q.clear();
  assert.deepEqual(cleared.droppedCheckpoints, ['x', 'y']);
  assert.equal(cleared.droppedMs, (640 + 320 + 320) / 16);
  assert.equal(q.queuedMs, 0);
  assert.equal(q.pendingCheckpoints, 1);
  const out = new Uint8Array(320);
  assert.deepEqual(q.nextFrame(out), { played: false, checkpoints: ['already-played'] });
  // The queue works normally afterwards.
  q.enqueue(ramp(320));
  q.checkpoint('z');
  assert.deepEqual(q.nextFrame(out), { played: true, checkpoints: ['z'] });
  assert.deepEqual(q.clear(), { droppedMs: 0, droppedCheckpoints: [] });
});

test('overflow: a payload that would exceed maxQueuedMs is refused whole; smaller ones still fit', () => {
  const q = new PlayoutQueue(mulaw, { maxQueuedMs: 100 });
  assert.deepEqual(q.enqueue(ramp(700)), { ok: true });
  const refused = q.enqueue(ramp(101));
  assert.ok(!refused.ok);
  assert.equal(refused.code, 'ERR_STREAM_PLAYOUT_OVERFLOW');
  assert.equal(q.queuedMs, 700 / 8);
  assert.deepEqual(q.enqueue(ramp(100)), { ok: true });
  assert.equal(q.queuedMs, 100);
  // After a checkpoint pads, the bound still holds.
  q.checkpoint('full');
  assert.equal(q.enqueue(ramp(1)).ok, false);
  assert.throws(() => new PlayoutQueue(mulaw, { maxQueuedMs: 10 }), TypeError);
});

test('partial samples are refused without queuing anything', () => {
  const q = new PlayoutQueue(l16);
  const r = q.enqueue(ramp(3));
  assert.deepEqual(r.ok ? '' : r.code, 'ERR_STREAM_PARTIAL_SAMPLE');
  assert.equal(q.queuedBytes, 0);
});

test('checkpoints are bounded', () => {
  const q = new PlayoutQueue(mulaw, { maxCheckpoints: 2 });
  q.enqueue(ramp(160));
  assert.ok(q.checkpoint('a').ok && q.checkpoint('b').ok);
  const r = q.checkpoint('c');
  assert.equal(r.ok ? '' : r.code, 'ERR_STREAM_TOO_MANY_CHECKPOINTS');
});

test('the ring grows for a long payload and shrinks back once it empties', () => {
  const q = new PlayoutQueue(l16);
  const small = q.capacityBytesForTesting;
  q.enqueue(ramp(320 * 1000 + 10));
  assert.ok(q.capacityBytesForTesting >= 320 * 1001);
  const { frames, bytes } = drain(q, 320);
  assert.equal(frames, 1001);
  assert.deepEqual(bytes.slice(0, 320 * 1000 + 10), [...ramp(320 * 1000 + 10)]);
  q.enqueue(ramp(2));
  assert.equal(q.capacityBytesForTesting, small);
});

type Op = { kind: 'enqueue'; bytes: number } | { kind: 'checkpoint' } | { kind: 'frame' } | { kind: 'clear' };

test('property: bytes out = bytes in padded to frames, checkpoints FIFO, never above maxQueuedMs (5,000 runs)', () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.nat(2000).map((n) => ({ kind: 'enqueue' as const, bytes: n })) },
    { weight: 2, arbitrary: fc.constant({ kind: 'checkpoint' as const }) },
    { weight: 5, arbitrary: fc.constant({ kind: 'frame' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...ContentTypes),
      fc.integer({ min: 20, max: 1000 }),
      fc.array(op, { maxLength: 80 }),
      (ct, maxQueuedMs, ops) => {
        const format = mediaFormatOf(ct);
        const fb = format.frameBytes;
        const q = new PlayoutQueue(format, { maxQueuedMs });
        const out = new Uint8Array(fb);
        // Model: the expected byte stream (with padding) still to play, and checkpoints at byte offsets.
        let expected: number[] = [];
        let marks: { name: string; at: number }[] = [];
        let played = 0;
        let counter = 0;
        let nextName = 0;
        const acked: string[] = [];
        const expectedAcks: string[] = [];
        const padModel = (): void => {
          const rem = expected.length % fb;
          if (rem !== 0) {
            expected.push(...new Array<number>(fb - rem).fill(0));
          }
        };
        for (const o of ops) {
          switch (o.kind) {
            case 'enqueue': {
              const n = o.bytes - (o.bytes % format.bytesPerSample);
              const data = Uint8Array.from({ length: n }, () => (counter++ % 255) + 1);
              const fits = Math.ceil((expected.length + n) / fb) <= Math.floor(maxQueuedMs / 20);
              const r = q.enqueue(data);
              assert.equal(r.ok, fits || n === 0);
              if (r.ok) {
                expected.push(...data);
              }
              break;
            }
            case 'checkpoint': {
              const name = `c${nextName++}`;
              q.checkpoint(name);
              padModel();
              marks.push({ name, at: expected.length });
              break;
            }
            case 'frame': {
              const r = q.nextFrame(out);
              if (expected.length === 0) {
                assert.equal(r.played, false);
              } else {
                assert.equal(r.played, true);
                if (expected.length < fb) {
                  padModel();
                }
                assert.deepEqual([...out], expected.slice(0, fb));
                expected = expected.slice(fb);
                played += fb;
                marks = marks.map((m) => ({ ...m, at: m.at - fb }));
              }
              const due = marks.filter((m) => m.at <= 0);
              marks = marks.filter((m) => m.at > 0);
              expectedAcks.push(...due.map((m) => m.name));
              acked.push(...r.checkpoints);
              break;
            }
            case 'clear': {
              const r = q.clear();
              const dropped = marks.filter((m) => m.at > 0).map((m) => m.name);
              assert.deepEqual(r.droppedCheckpoints, dropped);
              assert.equal(r.droppedMs, expected.length / (fb / 20));
              marks = marks.filter((m) => m.at <= 0);
              expected = [];
              break;
            }
          }
          assert.equal(q.queuedBytes, expected.length);
          assert.ok(q.queuedMs <= maxQueuedMs);
          assert.ok(Math.ceil(q.queuedBytes / fb) * 20 <= maxQueuedMs);
          assert.deepEqual(acked, expectedAcks);
        }
        assert.equal(played % fb, 0);
      },
    ),
    { numRuns: 5000 },
  );
});
