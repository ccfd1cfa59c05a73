import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mediaFormatOf } from '../../protocol/stream-ws/formats.js';
import { FRAME_SAMPLES } from '../call/media-leg.types.js';
import { StreamPlayback, UNDERRUN_WINDOW_FRAMES } from './stream-playback.js';

const mulaw = mediaFormatOf('audio/x-mulaw;rate=8000');

test('render records the checkpoints it reaches, in order, in one reused array; forgetReached empties it', () => {
  const playback = new StreamPlayback(mulaw, { l16LittleEndian: true, maxQueuedMs: 1000 });
  const out = new Int16Array(FRAME_SAMPLES);
  assert.ok(playback.enqueue(new Uint8Array(160).fill(0xff)).ok);
  assert.ok(playback.checkpoint('a').ok);
  assert.ok(playback.checkpoint('b').ok);
  assert.ok(playback.enqueue(new Uint8Array(160).fill(0xff)).ok);
  assert.ok(playback.checkpoint('c').ok);
  const reached = playback.reached;
  assert.deepEqual(reached, []);
  assert.equal(playback.render(out), true);
  assert.deepEqual(playback.reached, ['a', 'b']);
  assert.equal(playback.render(out), true);
  assert.deepEqual(playback.reached, ['a', 'b', 'c']);
  playback.forgetReached();
  assert.deepEqual(playback.reached, []);
  assert.equal(playback.reached, reached, 'the same array for the stream’s life');
  assert.equal(playback.render(out), false);
});

test('clear drops the queued audio and its checkpoints, keeps the ones already reached', () => {
  const playback = new StreamPlayback(mulaw, { l16LittleEndian: true, maxQueuedMs: 1000 });
  const out = new Int16Array(FRAME_SAMPLES);
  playback.enqueue(new Uint8Array(160));
  playback.checkpoint('played');
  playback.enqueue(new Uint8Array(320));
  playback.checkpoint('dropped');
  playback.render(out);
  assert.equal(playback.queuedMs, 40);
  assert.deepEqual(playback.clear(), { droppedMs: 40, droppedCheckpoints: ['dropped'] });
  assert.deepEqual(playback.reached, ['played']);
  assert.equal(playback.queuedMs, 0);
  assert.equal(playback.render(out), false);
});

test('an underrun is the queue running dry while playing with more audio within the window; a pause or a clear is not', () => {
  const playback = new StreamPlayback(mulaw, { l16LittleEndian: true, maxQueuedMs: 1000 });
  const out = new Int16Array(FRAME_SAMPLES);
  const frame = new Uint8Array(160).fill(0xff);
  playback.enqueue(frame);
  playback.render(out);
  // Dry for 3 frames, then more audio: the app was late.
  for (let i = 0; i < 3; i++) {
    assert.equal(playback.render(out), false);
  }
  playback.enqueue(frame);
  assert.equal(playback.underruns, 1);
  playback.render(out);
  // Dry past the window: the end of an utterance, then a new one.
  for (let i = 0; i < UNDERRUN_WINDOW_FRAMES + 1; i++) {
    playback.render(out);
  }
  playback.enqueue(frame);
  assert.equal(playback.underruns, 1);
  playback.render(out);
  // A clear (barge-in) and new audio at once: not an underrun.
  playback.enqueue(frame);
  playback.clear();
  playback.render(out);
  playback.enqueue(frame);
  assert.equal(playback.underruns, 1);
  // Audio before anything ever played is not one either.
  const fresh = new StreamPlayback(mulaw, { l16LittleEndian: true, maxQueuedMs: 1000 });
  fresh.render(out);
  fresh.enqueue(frame);
  assert.equal(fresh.underruns, 0);
});
