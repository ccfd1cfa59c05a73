import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mediaFormatOf } from '../../protocol/stream-ws/formats.js';
import { FRAME_SAMPLES } from '../call/media-leg.types.js';
import { StreamPlayback } from './stream-playback.js';

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
