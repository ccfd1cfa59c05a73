import assert from 'node:assert/strict';
import { test } from 'node:test';

import { nullLogger } from '../ports/logger.js';
import type { WsConnection } from '../ports/ws-client.js';
import type { InboundSink, MediaLeg } from './call/media-leg.types.js';
import { FRAME_SAMPLES } from './call/media-leg.types.js';
import { Engine } from './engine.js';
import { BUILT_IN_STREAM_DIALECTS } from '../protocol/stream-dialects.js';
import { defaultStreamSettings } from './fork/stream-defaults.js';
import type { StreamSpec } from './fork/stream-fork.types.js';

/** A leg the test drives: `arrive` hands a frame over as an RTP leg does on packet arrival. */
class ScriptedLeg implements MediaLeg {
  written = 0;
  tickedInbound = 0;
  #sink: InboundSink | undefined;
  readonly writtenInPhase: number[] = [];
  constructor(private readonly phaseNow: () => number) {}
  arrive(value: number): void {
    this.#sink?.(new Int16Array(FRAME_SAMPLES).fill(value), true);
  }
  setInboundSink(sink: InboundSink): void {
    this.#sink = sink;
  }
  tickInbound(): void {
    this.tickedInbound++;
  }
  /** A copy of the last frame the caller was sent. */
  readonly heard = new Int16Array(FRAME_SAMPLES);
  writeOutbound(pcm: Int16Array): void {
    this.heard.set(pcm);
    this.written++;
    this.writtenInPhase.push(this.phaseNow());
  }
  sendDtmf(): void {
    /* none */
  }
  hangup(): void {
    /* none */
  }
  close(): void {
    /* none */
  }
  readonly closed = false;
  readonly #dtmf: ((digit: string) => void)[] = [];
  press(digit: string): void {
    for (const l of this.#dtmf) {
      l(digit);
    }
  }
  on(event: string, listener: (arg: never) => void): void {
    if (event === 'dtmf') {
      this.#dtmf.push(listener as (digit: string) => void);
    }
  }
  off(): void {
    /* none */
  }
}

class RecordingConnection implements WsConnection {
  readonly sent: string[] = [];
  readonly bufferedAmount = 0;
  broken = false;
  send(text: string): void {
    if (this.broken) {
      throw new Error('socket exploded');
    }
    this.sent.push(text);
  }
  close(): void {
    /* open for the test */
  }
  terminate(): void {
    /* open for the test */
  }
  onMessage(): void {
    /* the app says nothing */
  }
  onClose(): void {
    /* never closes */
  }
}

function rig(phases: number) {
  let listener: ((frameIndex: number, phase: number) => void) | undefined;
  let phaseNow = -1;
  const connections: RecordingConnection[] = [];
  let now = 0;
  const engine = new Engine(
    {
      ticker: {
        phases,
        add: (l) => {
          listener = l;
          return () => (listener = undefined);
        },
      },
      ws: {
        connect: () => {
          const c = new RecordingConnection();
          connections.push(c);
          return Promise.resolve(c);
        },
      },
      http: { request: () => Promise.resolve({ ok: true, status: 200, contentType: '', body: '' }) },
      clock: { monotonicMs: () => now, epochMs: () => 1_700_000_000_000 + now },
      timers: { after: () => ({ cancel: () => undefined }) },
      random: { uuid: () => crypto.randomUUID(), bytes: (n) => new Uint8Array(n), int: () => 0 },
      logger: nullLogger,
      dialects: BUILT_IN_STREAM_DIALECTS,
    },
    { stream: defaultStreamSettings('MAXXXXXXXXXXXXXXXXXX', 'token') },
  );
  const frame = (f: number): void => {
    now = f * 20;
    for (let p = 0; p < phases; p++) {
      phaseNow = p;
      listener?.(f, p);
    }
  };
  return { engine, frame, connections, leg: () => new ScriptedLeg(() => phaseNow) };
}

const spec = (audioTrack: StreamSpec['audioTrack']): StreamSpec => ({
  serviceUrl: 'ws://127.0.0.1:1/app',
  bidirectional: false,
  audioTrack,
  streamTimeoutSec: 86400,
  statusCallbackMethod: 'POST',
  contentType: 'audio/x-mulaw;rate=8000',
  keepCallAlive: false,
});

test('phases: calls are spread evenly over the phases, and each is ticked once per frame, always in its phase', () => {
  const { engine, frame, leg } = rig(4);
  const legs = Array.from({ length: 10 }, () => leg());
  for (const l of legs) {
    engine.addCall(l);
  }
  for (let f = 0; f < 5; f++) {
    frame(f);
  }
  const phaseOf = legs.map((l) => {
    assert.equal(l.written, 5);
    assert.equal(l.tickedInbound, 5);
    assert.equal(new Set(l.writtenInPhase).size, 1, 'a call changed phase');
    return l.writtenInPhase[0] ?? -1;
  });
  const perPhase = [0, 1, 2, 3].map((p) => phaseOf.filter((x) => x === p).length).sort();
  assert.deepEqual(perPhase, [2, 2, 3, 3]);
});

test('phases: a call that ends leaves its phase, and the next call takes the place', () => {
  const { engine, frame, leg } = rig(2);
  const a = engine.addCall(leg()); // phase 0
  const bLeg = leg();
  engine.addCall(bLeg); // phase 1
  const c = engine.addCall(leg()); // phase 0
  a.hangup('NORMAL_CLEARING', 'server');
  c.hangup('NORMAL_CLEARING', 'server');
  // Phase 0 is empty now; were the ended calls still counted there, d would join b's phase.
  const dLeg = leg();
  engine.addCall(dLeg);
  frame(0);
  assert.notEqual(dLeg.writtenInPhase[0], bLeg.writtenInPhase[0]);
});

test('inbound audio goes to the stream when the leg hands it over, without waiting for a tick', async () => {
  const { engine, frame, connections, leg } = rig(4);
  const l = leg();
  const call = engine.addCall(l);
  call.startStream(spec('both'));
  await new Promise((r) => setImmediate(r));
  const ws = connections[0];
  assert.ok(ws !== undefined);
  assert.equal(ws.sent.length, 1); // start
  l.arrive(1000);
  assert.equal(ws.sent.length, 2, 'the inbound frame was not sent at once');
  const media = JSON.parse(ws.sent[1] ?? '{}') as {
    media: { track: string; chunk: number; timestamp: string };
  };
  assert.equal(media.media.track, 'inbound');
  assert.equal(media.media.chunk, 1);
  l.arrive(1000);
  frame(0); // the outbound track goes out on the tick
  const tracks = ws.sent
    .slice(1)
    .map((t) => (JSON.parse(t) as { media: { track: string; timestamp: string } }).media);
  assert.deepEqual(
    tracks.map((m) => m.track),
    ['inbound', 'inbound', 'outbound'],
  );
  // D5: per track, timestamps advance by 20 ms per frame from the stream's start.
  const t0 = Number(tracks[0]?.timestamp);
  assert.deepEqual(
    tracks.map((m) => Number(m.timestamp) - t0),
    [0, 20, 0],
  );
});

test('a digit pressed before any audio arrived is still forwarded (after start)', async () => {
  const { engine, connections, leg } = rig(4);
  const l = leg();
  engine.addCall(l).startStream(spec('inbound'));
  await new Promise((r) => setImmediate(r));
  const ws = connections[0];
  assert.ok(ws !== undefined);
  l.press('1');
  const events = ws.sent.map((t) => (JSON.parse(t) as { event: string }).event);
  assert.deepEqual(events, ['start', 'dtmf']);
});

test("a fork that throws while forwarding the caller's audio hangs that call up, and only that call", async () => {
  const { engine, frame, connections, leg } = rig(4);
  const bad = leg();
  const good = leg();
  const badCall = engine.addCall(bad);
  const goodCall = engine.addCall(good);
  badCall.startStream(spec('inbound'));
  goodCall.startStream(spec('inbound'));
  await new Promise((r) => setImmediate(r));
  const [badWs, goodWs] = connections;
  assert.ok(badWs !== undefined && goodWs !== undefined);
  badWs.broken = true;
  bad.arrive(1);
  good.arrive(1);
  frame(0);
  assert.deepEqual(badCall.hangupInfo, { cause: 'Internal Error', source: 'error' });
  assert.equal(goodCall.status, 'in-progress');
  assert.equal(goodWs.sent.length, 2); // start, media
});

test('what the caller hears: one source as it is, several summed and clipped, none as silence', () => {
  const { engine, frame, leg } = rig(1);
  const l = leg();
  const call = engine.addCall(l);
  const ramp = Int16Array.from({ length: FRAME_SAMPLES }, (_, i) => i * 200 - 16000);
  const source = (fill: (out: Int16Array) => boolean) => ({ render: fill });
  const rampSource = source((out) => (out.set(ramp), true));
  const loud = source((out) => (out.fill(20000), true));
  const quietNegative = source((out) => (out.fill(-30000), true));
  let idle = true;
  const sometimes = source((out) => (idle ? false : (out.fill(7), true)));

  frame(0);
  assert.deepEqual(l.heard, new Int16Array(FRAME_SAMPLES), 'no source: silence');
  call.addSource(rampSource);
  call.addSource(sometimes);
  frame(1);
  assert.deepEqual(l.heard, ramp, 'one source that renders: exactly its samples');
  idle = false;
  frame(2);
  assert.deepEqual(
    l.heard,
    ramp.map((v) => v + 7),
    'two sources: summed',
  );
  call.addSource(loud);
  frame(3);
  assert.deepEqual(
    l.heard,
    ramp.map((v) => Math.min(32767, v + 7 + 20000)),
    'three sources: summed in 32 bits, clipped once',
  );
  call.removeSource(rampSource);
  call.removeSource(sometimes);
  call.addSource(quietNegative);
  call.addSource(source((out) => (out.fill(-30000), true)));
  frame(4);
  assert.deepEqual(l.heard, new Int16Array(FRAME_SAMPLES).fill(-32768), 'clipped at the bottom too');
  call.removeSource(loud);
  frame(5);
  assert.deepEqual(l.heard, new Int16Array(FRAME_SAMPLES).fill(-32768), '-60000 clips');
  call.removeSource(quietNegative);
  frame(6);
  assert.deepEqual(l.heard, new Int16Array(FRAME_SAMPLES).fill(-30000), 'back to one source: no stale mix');
});

test('issue 11: a leg whose send and hangup both throw ends its call; the other calls of the phase still get their tick', () => {
  const { engine, frame, leg } = rig(1);
  const bad = leg();
  bad.writeOutbound = () => {
    throw new RangeError('ERR_SOCKET_BAD_PORT');
  };
  bad.hangup = () => {
    throw new RangeError('ERR_SOCKET_BAD_PORT');
  };
  const good = leg();
  const badCall = engine.addCall(bad);
  const goodCall = engine.addCall(good);
  assert.doesNotThrow(() => {
    frame(0);
  });
  assert.deepEqual(badCall.hangupInfo, { cause: 'Internal Error', source: 'error' });
  assert.equal(badCall.status, 'completed');
  assert.equal(good.written, 1);
  frame(1);
  assert.equal(good.written, 2);
  assert.equal(goodCall.status, 'in-progress');
});
