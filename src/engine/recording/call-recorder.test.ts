import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RecordingFile } from '../../ports/recording-files.js';
import { parseWav } from '../../media/wav.js';
import { FRAME_SAMPLES } from '../call/media-leg.types.js';
import { CallRecorder } from './call-recorder.js';

/** An in-memory file; `failAfter` appends succeed, then every write rejects with ENOSPC. */
class MemoryFile implements RecordingFile {
  bytes = new Uint8Array(0);
  closed = false;
  appends = 0;
  release: (() => void) | undefined;
  constructor(
    readonly failAfter = Infinity,
    readonly hold = false,
  ) {}
  async append(b: Uint8Array): Promise<void> {
    if (this.hold) {
      await new Promise<void>((r) => (this.release = r));
    }
    if (this.appends++ >= this.failAfter) {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    }
    const next = new Uint8Array(this.bytes.length + b.length);
    next.set(this.bytes);
    next.set(b, this.bytes.length);
    this.bytes = next;
  }
  writeAt(offset: number, b: Uint8Array): Promise<void> {
    this.bytes.set(b, offset);
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function frame(value: number): Int16Array {
  return new Int16Array(FRAME_SAMPLES).fill(value);
}

/** Sample `ch` of frame `f` of an interleaved 16-bit file. */
function sampleAt(bytes: Uint8Array, channels: number, f: number, ch: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return view.getInt16(44 + 2 * (f * FRAME_SAMPLES * channels + ch), true);
}

test('stereo: the caller on the left, what the caller heard on the right, one frame per tick', async () => {
  const file = new MemoryFile();
  const taps: ((t: 'inbound' | 'outbound', p: Int16Array) => void)[] = [];
  const rec = new CallRecorder({ channels: 2, file, chunkFrames: 3 });
  rec.attach({
    addTap: (t) => {
      taps.push(t);
      return () => taps.splice(taps.indexOf(t), 1);
    },
  });
  const tap = taps[0]!;
  tap('inbound', frame(100));
  tap('outbound', frame(-7));
  tap('outbound', frame(-8));
  tap('inbound', frame(101)); // late by one tick (the leg's fill slack): still beside -8
  tap('inbound', frame(102)); // early: waits for its tick
  tap('outbound', frame(-9));
  tap('outbound', frame(-10)); // the caller's frame for this tick never comes: silence on the left
  const result = await rec.stop();
  assert.equal(taps.length, 0, 'the tap is removed');
  assert.equal(result.state, 'completed');
  assert.equal(result.frames, 4);
  assert.equal(result.durationMs, 80);
  assert.equal(result.inboundGaps, 1);
  assert.equal(file.bytes.length, 44 + 4 * FRAME_SAMPLES * 4);
  assert.equal(result.sizeBytes, file.bytes.length);
  assert.ok(file.closed);
  const left = [0, 1, 2, 3].map((f) => sampleAt(file.bytes, 2, f, 0));
  const right = [0, 1, 2, 3].map((f) => sampleAt(file.bytes, 2, f, 1));
  assert.deepEqual(left, [100, 101, 102, 0]);
  assert.deepEqual(right, [-7, -8, -9, -10]);
  const parsed = parseWav(file.bytes);
  assert.ok(parsed.ok);
  assert.equal(parsed.value.channels, 2);
  assert.equal(parsed.value.sampleRateHz, 8000);
  assert.equal(parsed.value.samples.length, 4 * FRAME_SAMPLES);
});

test('mono is the sum of both sides, clipped', async () => {
  const file = new MemoryFile();
  const rec = new CallRecorder({ channels: 1, file });
  rec.onFrame('inbound', frame(30000));
  rec.onFrame('outbound', frame(30000));
  rec.onFrame('inbound', frame(5));
  rec.onFrame('outbound', frame(-2));
  await rec.stop();
  assert.equal(file.bytes.length, 44 + 2 * FRAME_SAMPLES * 2);
  assert.equal(sampleAt(file.bytes, 1, 0, 0), 32767);
  assert.equal(sampleAt(file.bytes, 1, 1, 0), 3);
});

test('maxFrames stops the recording at that length', async () => {
  const file = new MemoryFile();
  const rec = new CallRecorder({ channels: 1, file, maxFrames: 5 });
  for (let i = 0; i < 9; i++) {
    rec.onFrame('outbound', frame(1));
  }
  const result = await rec.done;
  assert.equal(result.reason, 'max-length');
  assert.equal(result.frames, 5);
  assert.equal(file.bytes.length, 44 + 5 * FRAME_SAMPLES * 2);
});

test('silenceFrames stops after that many quiet caller frames in a row', async () => {
  const file = new MemoryFile();
  const rec = new CallRecorder({ channels: 1, file, silenceFrames: 3 });
  const levels = [1000, 1000, 0, 0, 1000, 0, 0, 0, 1000];
  for (const l of levels) {
    rec.onFrame('inbound', frame(l));
    rec.onFrame('outbound', frame(0));
  }
  const result = await rec.done;
  assert.equal(result.reason, 'silence');
  // The third quiet frame in a row is the eighth; the ninth tick, held, is written at the stop.
  assert.equal(result.frames, 9);
});

test('a write that fails (full disk) marks the recording failed and removes the tap', async () => {
  const file = new MemoryFile(1);
  let removed = false;
  let done: unknown;
  const rec = new CallRecorder({
    channels: 2,
    file,
    chunkFrames: 2,
    onDone: (r) => (done = r),
  });
  rec.attach({ addTap: () => () => (removed = true) });
  for (let i = 0; i < 4; i++) {
    rec.onFrame('outbound', frame(1));
  }
  const result = await rec.done;
  assert.equal(result.state, 'failed');
  assert.match(result.failureReason ?? '', /ENOSPC/);
  assert.ok(removed);
  assert.ok(file.closed);
  assert.deepEqual(done, result);
  // Frames after the failure are ignored, and stopping again changes nothing.
  rec.onFrame('outbound', frame(1));
  assert.deepEqual(await rec.stop(), result);
});

test('a disk that falls behind past maxBufferedBytes fails the recording', async () => {
  const file = new MemoryFile(Infinity, true);
  const rec = new CallRecorder({ channels: 2, file, chunkFrames: 1, maxBufferedBytes: 3000 });
  for (let i = 0; i < 8; i++) {
    rec.onFrame('outbound', frame(1));
  }
  assert.equal(rec.recording, false);
  // Let the held writes go.
  const releaseAll = setInterval(() => file.release?.(), 1);
  const result = await rec.done;
  clearInterval(releaseAll);
  assert.equal(result.state, 'failed');
  assert.match(result.failureReason ?? '', /fell behind/);
});

test('a caller whose every frame comes just after its tick (the leg fill slack) stays aligned, no gaps', async () => {
  const file = new MemoryFile();
  const rec = new CallRecorder({ channels: 2, file, chunkFrames: 7 });
  for (let k = 1; k <= 100; k++) {
    rec.onFrame('outbound', frame(-k));
    rec.onFrame('inbound', frame(k));
  }
  const result = await rec.stop();
  assert.equal(result.frames, 100);
  assert.equal(result.inboundGaps, 0);
  for (let f = 0; f < 100; f++) {
    assert.equal(sampleAt(file.bytes, 2, f, 0), f + 1, `caller frame ${f}`);
    assert.equal(sampleAt(file.bytes, 2, f, 1), -(f + 1), `heard frame ${f}`);
  }
});
