/**
 * Acceptance (issue 3): playback semantics per content type, on the fake-clock harness (moved from
 * test/integration, where it ran on real sockets and the real clock).
 * - A checkpoint is acknowledged only once the audio queued before it has been played (D2).
 * - `clearAudio` in the middle of a long playAudio stops playback within one 20 ms frame of media time,
 *   and nothing queued before it (not even resampler history) is heard afterwards; the checkpoint inside
 *   the cleared audio is never acknowledged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { mulawDecode, mulawEncode } from '../../src/media/codecs/g711.js';
import { l16Decode, l16Encode } from '../../src/media/codecs/l16.js';
import { Downsampler2x } from '../../src/media/resample/half-band.js';
import { generateTone, rms, tonePower } from '../../src/media/analysis.js';
import { CallHarness } from '../harness/harness.js';
import { mediaOf } from '../helpers/scenario.js';

const FRAME = 160;

/** A tone in the wire format of `contentType`. */
function wireTone(contentType: string, hz: number, ms: number): Uint8Array {
  if (contentType === 'audio/x-mulaw;rate=8000') {
    const pcm = generateTone(hz, 8000, ms, 8000);
    const out = new Uint8Array(pcm.length);
    mulawEncode(pcm, out);
    return out;
  }
  const rate = contentType.endsWith('16000') ? 16000 : 8000;
  const pcm = generateTone(hz, rate, ms, 8000);
  const out = new Uint8Array(pcm.length * 2);
  l16Encode(pcm, out, true);
  return out;
}

/** The first 20 ms of `wire` decoded by a decoder with no history (8 kHz out). */
function freshFirstFrame(contentType: string, wire: Uint8Array): Int16Array {
  const out = new Int16Array(FRAME);
  if (contentType === 'audio/x-mulaw;rate=8000') {
    mulawDecode(wire.subarray(0, FRAME), out);
  } else if (contentType === 'audio/x-l16;rate=8000') {
    l16Decode(wire.subarray(0, FRAME * 2), out, true);
  } else {
    const wide = new Int16Array(FRAME * 2);
    l16Decode(wire.subarray(0, FRAME * 4), wide, true);
    new Downsampler2x().process(wide, out);
  }
  return out;
}

/**
 * Power (dB) of a tone in one 20 ms frame of heard audio. A Hann window keeps the other tone's spectral
 * leakage (1000 Hz vs 440 Hz, 11 bins apart) some 80 dB down, so what is measured is the tone itself.
 */
function frameTone(heard: Int16Array, frame: number, hz: number): number {
  const slice = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (FRAME - 1));
    slice[i] = Math.round((heard[frame * FRAME + i] ?? 0) * w);
  }
  return 10 * Math.log10(tonePower(slice, 8000, hz) + 1e-12);
}

for (const contentType of ['audio/x-mulaw;rate=8000', 'audio/x-l16;rate=8000', 'audio/x-l16;rate=16000']) {
  test(
    `Plivo <Stream bidirectional> ${contentType}: playedStream only after the audio played; clearAudio cuts within one frame`,
    { timeout: 30_000 },
    async () => {
      const h = new CallHarness();
      const app = h.app('/bot');
      h.web.serve(
        '/answer',
        `<Response><Stream bidirectional="true" keepCallAlive="true" contentType="${contentType}">${app.url}</Stream></Response>`,
      );
      let clearFrame = -1;
      let playedAtAck = -1;
      let callFrames: () => number = () => 0;
      const call = h.start({
        callerAudio: new Int16Array(8000 * 4),
        durationMs: 8000,
        onEvent: (e) => {
          if (e.type === 'playedStream' && e.detail?.['name'] === 'first-second') {
            playedAtAck = callFrames();
          }
          if (e.type === 'clearedAudio') {
            clearFrame = callFrames();
          }
        },
      });
      callFrames = () => call.session.frames;
      await h.until(() => app.sessions[0] !== undefined && mediaOf(app.session(0)).length > 0, 5000, 'media');
      const session = app.session(0);
      // 1 s of 440 Hz, then a checkpoint: acknowledged only after 50 frames have played.
      session.playAudio(wireTone(contentType, 440, 1000));
      session.checkpoint('first-second');
      await h.until(() => session.playedCheckpoints.length === 1, 5000, 'playedStream');
      // 4 s of 440 Hz with a checkpoint at its end; cleared after 0.5 s.
      session.playAudio(wireTone(contentType, 440, 4000));
      session.checkpoint('inside-cleared-audio');
      await h.advance(500);
      session.clearAudio();
      await h.until(() => session.clearedCount === 1, 5000, 'clearedAudio');
      // A pause, then new audio: 1000 Hz only.
      await h.advance(200);
      session.playAudio(wireTone(contentType, 1000, 500));
      session.checkpoint('after-clear');
      await h.until(() => session.playedCheckpoints.includes('after-clear'), 5000, 'after-clear played');
      void session.close(1000);
      const result = await call.end();

      app.assertClean();
      assert.deepEqual(session.playedCheckpoints, ['first-second', 'after-clear']);
      const stream = result.streams[0];
      assert.ok(stream);
      assert.equal(stream.stats.appErrors, 0);
      assert.equal(stream.stats.clears, 1);

      // The first checkpoint: its whole second of audio was in the heard signal before the ack.
      const heard = result.heard;
      const firstToneFrame = Array.from({ length: heard.length / FRAME }, (_, i) => i).find(
        (i) => frameTone(heard, i, 440) > 60,
      );
      assert.ok(firstToneFrame !== undefined, 'the tone was heard');
      assert.ok(
        playedAtAck - firstToneFrame >= 50,
        `acked after ${playedAtAck - firstToneFrame} frames of playback (need 50)`,
      );

      // Before the clear the 440 Hz tone plays; from the first frame after the clear, silence until the
      // new audio; then never 440 Hz again (no pre-clear audio, no resampler history).
      assert.ok(clearFrame > 0);
      assert.ok(frameTone(heard, clearFrame - 1, 440) > 60, 'tone playing just before the clear');
      const reference = frameTone(heard, clearFrame - 1, 440);
      const frames = heard.length / FRAME;
      let newStart = clearFrame;
      while (newStart < frames && rms(heard.subarray(newStart * FRAME, (newStart + 1) * FRAME)) < 1) {
        newStart++;
      }
      assert.ok(
        newStart - clearFrame >= 5,
        `silence right after the clear (${newStart - clearFrame} frames)`,
      );
      // The first frame of the new audio is exactly what a fresh decoder makes of it: no history leaked.
      const expected = freshFirstFrame(contentType, wireTone(contentType, 1000, 500));
      const first = heard.subarray(newStart * FRAME, (newStart + 1) * FRAME);
      const worst = Math.max(...Array.from(first, (v, i) => Math.abs(v - (expected[i] ?? 0))));
      assert.ok(worst <= 1, `first frame after the clear differs from a fresh decode by ${worst}`);
      // Its onset is broadband; judge the 440 Hz content on the frames after it.
      for (let f = newStart + 1; f < frames; f++) {
        const level = frameTone(heard, f, 440);
        assert.ok(
          level < reference - 60,
          `frame ${f - clearFrame} after the clear still has 440 Hz (${(level - reference).toFixed(1)} dB)`,
        );
      }
      const after = Array.from({ length: heard.length / FRAME - clearFrame }, (_, i) =>
        frameTone(heard, clearFrame + i, 1000),
      );
      assert.ok(Math.max(...after) > 60, 'the audio sent after the clear is heard');
    },
  );
}
