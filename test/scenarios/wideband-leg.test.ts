/**
 * A call on a wideband leg (what a G.722 RTP leg looks like to the engine) on the fake-clock harness:
 * a 16 kHz bidirectional stream gets the leg's 16 kHz frames as they are (a 6 kHz tone survives), and
 * the app's 16 kHz playback reaches the leg's 16 kHz mix with its 5 kHz tone, while the 8 kHz mix (the
 * outbound track, and what a narrowband leg would get) has it filtered out. Narrowband streams on the
 * same call get the 8 kHz frame.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  FRAME_SAMPLES,
  WIDE_FRAME_SAMPLES,
  type InboundSink,
  type MediaLeg,
  type MediaLegEvents,
} from '../../src/engine/call/media-leg.types.js';
import { TypedEmitter } from '../../src/engine/util/typed-emitter.js';
import { generateTone, tonePower } from '../../src/media/analysis.js';
import { l16Encode } from '../../src/media/codecs/l16.js';
import { Downsampler2x } from '../../src/media/resample/half-band.js';
import { CallHarness } from '../harness/harness.js';

/** A wideband leg: hands over a 16 kHz tone (and its 8 kHz version) each tick, records both mixes. */
class WidebandLeg extends TypedEmitter<MediaLegEvents> implements MediaLeg {
  readonly wideband = true;
  closed = false;
  #sink: InboundSink | undefined;
  #frame = 0;
  readonly #caller: Int16Array;
  readonly #narrow = new Int16Array(FRAME_SAMPLES);
  readonly #down = new Downsampler2x();
  readonly narrowOut: Int16Array[] = [];
  readonly wideOut: Int16Array[] = [];

  constructor(caller: Int16Array) {
    super();
    this.#caller = caller;
  }

  setInboundSink(sink: InboundSink): void {
    this.#sink = sink;
  }

  tickInbound(): void {
    const at = (this.#frame++ * WIDE_FRAME_SAMPLES) % this.#caller.length;
    const wide = this.#caller.subarray(at, at + WIDE_FRAME_SAMPLES);
    this.#down.process(wide, this.#narrow);
    this.#sink?.(this.#narrow, true, wide);
  }

  writeOutbound(frame: Int16Array, wide?: Int16Array): void {
    assert.ok(wide !== undefined, 'a wideband leg gets the 16 kHz mix');
    this.narrowOut.push(frame.slice());
    this.wideOut.push(wide.slice());
  }

  sendDtmf(): void {
    /* not used */
  }

  hangup(): void {
    if (!this.closed) {
      this.closed = true;
      this.emit('closed');
    }
  }

  close(): void {
    this.hangup();
  }
}

function concat(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

function db(a: number, b: number): number {
  return 10 * Math.log10(a / b);
}

test('wideband leg: 16 kHz streams get and play real wideband audio; 8 kHz streams and the 8 kHz mix are band-limited', async () => {
  const h = new CallHarness();
  const wideApp = h.app('/wide');
  const narrowApp = h.app('/narrow');
  const caller = Int16Array.from(
    generateTone(1000, 16000, 1000, 6000),
    (v, i) => v + Math.round(6000 * Math.sin((2 * Math.PI * 6000 * i) / 16000)),
  );
  const leg = new WidebandLeg(caller);
  const call = h.engine.addCall(leg);
  const spec = {
    bidirectional: true,
    audioTrack: 'inbound' as const,
    streamTimeoutSec: 86400,
    statusCallbackMethod: 'POST' as const,
    keepCallAlive: true,
  };
  call.startStream({ ...spec, serviceUrl: wideApp.url, contentType: 'audio/x-l16;rate=16000' });
  call.startStream({ ...spec, serviceUrl: narrowApp.url, contentType: 'audio/x-l16;rate=8000' });
  await h.until(
    () => wideApp.sessions[0]?.start !== undefined && narrowApp.sessions[0]?.start !== undefined,
    5000,
    'both streams started',
  );
  // The app plays 1 s of a 5 kHz tone at 16 kHz.
  const played = generateTone(5000, 16000, 1000, 8000);
  const bytes = new Uint8Array(played.length * 2);
  l16Encode(played, bytes, true);
  wideApp.session(0).playAudio(bytes, { chunkMs: 20 });
  await h.advance(1200);
  call.hangup('NORMAL_CLEARING', 'server');
  await h.advance(100);

  // Caller → 16 kHz stream: the 6 kHz tone as the leg had it; → 8 kHz stream: only 1 kHz.
  const wideIn = wideApp.session(0).inboundPcm.subarray(3200, 16000);
  const ref = (6000 * 6000) / 2;
  assert.ok(Math.abs(db(tonePower(wideIn, 16000, 6000), ref)) < 0.5, 'the 6 kHz tone on the 16 kHz stream');
  assert.ok(Math.abs(db(tonePower(wideIn, 16000, 1000), ref)) < 0.5);
  const narrowIn = narrowApp.session(0).inboundPcm.subarray(1600, 8000);
  assert.ok(Math.abs(db(tonePower(narrowIn, 8000, 1000), ref)) < 0.5);
  assert.ok(db(tonePower(narrowIn, 8000, 1000), tonePower(narrowIn, 8000, 2000)) > 80, 'no alias of 6 kHz');

  // App → caller: the 16 kHz mix carries the 5 kHz tone at its level; the 8 kHz mix has none of it.
  const wideOut = concat(leg.wideOut);
  const start = wideOut.findIndex((v) => v !== 0);
  assert.ok(start >= 0, 'the playback reached the 16 kHz mix');
  const heard = wideOut.subarray(start + 320, start + 320 + 12800);
  assert.ok(
    Math.abs(db(tonePower(heard, 16000, 5000), (8000 * 8000) / 2)) < 0.5,
    '5 kHz tone in the 16 kHz mix',
  );
  const narrowOut = concat(leg.narrowOut).subarray(Math.floor(start / 2) + 160, Math.floor(start / 2) + 6560);
  assert.ok(
    db((8000 * 8000) / 2, tonePower(narrowOut, 8000, 3000)) > 80,
    'no alias of 5 kHz in the 8 kHz mix',
  );
  wideApp.assertClean();
  narrowApp.assertClean();
});
