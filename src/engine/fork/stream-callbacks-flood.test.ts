/**
 * Issue 11 item 3 through the whole engine: an app acknowledges 10,000 checkpoints and sends 5,000
 * clearAudio while its status-callback endpoint is slow (250 ms per request), and its WebSocket goes
 * through 30/60/90 % of the D11 send buffer in the middle of it. On fakes (clock, timers, HTTP, WS).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FakeClock } from '../../../test/fakes/fake-clock.js';
import { FakeHttp, settle } from '../../../test/fakes/fake-http.js';
import type { Logger } from '../../ports/logger.js';
import type { WsConnection } from '../../ports/ws-client.js';
import type { InboundSink, MediaLeg } from '../call/media-leg.types.js';
import { FRAME_SAMPLES } from '../call/media-leg.types.js';
import { Engine } from '../engine.js';
import { BUILT_IN_STREAM_DIALECTS } from '../../protocol/stream-dialects.js';
import { defaultStreamSettings } from './stream-defaults.js';
import type { StreamSpec } from './stream-fork.types.js';

class Leg implements MediaLeg {
  #sink: InboundSink | undefined;
  arrive(): void {
    this.#sink?.(new Int16Array(FRAME_SAMPLES).fill(100), true);
  }
  setInboundSink(sink: InboundSink): void {
    this.#sink = sink;
  }
  tickInbound(): void {
    /* audio arrives through arrive() */
  }
  writeOutbound(): void {
    /* the caller's ear is not checked here */
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
  on(): void {
    /* no events */
  }
  off(): void {
    /* none */
  }
}

/** The app's side of one WebSocket: records what streamfork sent, lets the test speak and stall. */
class AppSocket implements WsConnection {
  readonly sent: string[] = [];
  bufferedAmount = 0;
  #onMessage: ((data: string, isBinary: boolean) => void) | undefined;
  send(text: string): void {
    this.sent.push(text);
  }
  close(): void {
    /* the engine closes; nothing to do */
  }
  terminate(): void {
    /* the engine drops; nothing to do */
  }
  onMessage(listener: (data: string | Uint8Array, isBinary: boolean) => void): void {
    this.#onMessage = listener;
  }
  onClose(): void {
    /* the app never closes */
  }
  say(message: object): void {
    this.#onMessage?.(JSON.stringify(message), false);
  }
  count(event: string): number {
    return this.sent.filter((t) => t.includes(`"event":"${event}"`)).length;
  }
}

interface Line {
  readonly level: string;
  readonly fields: Record<string, unknown>;
}

function captureLogger(lines: Line[], bindings: object = {}): Logger {
  const at = (level: string) => (fields: object) => {
    lines.push({ level, fields: { ...bindings, ...fields } });
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => captureLogger(lines, { ...bindings, ...more }),
  };
}

const spec = (statusCallbackUrl: string, serviceUrl: string): StreamSpec => ({
  serviceUrl,
  bidirectional: true,
  audioTrack: 'inbound',
  streamTimeoutSec: 86400,
  statusCallbackUrl,
  statusCallbackMethod: 'POST',
  contentType: 'audio/x-mulaw;rate=8000',
  keepCallAlive: false,
});

test('10,000 checkpoints and 5,000 clearAudio against a slow callback endpoint: every lifecycle callback arrives, drops are counted, logging is bounded, the other stream loses nothing', async () => {
  const clock = new FakeClock();
  const http = new FakeHttp(clock, 250);
  const lines: Line[] = [];
  const sockets: AppSocket[] = [];
  let tick: ((frameIndex: number, phase: number) => void) | undefined;
  const engine = new Engine(
    {
      ticker: { phases: 1, add: (l) => ((tick = l), () => (tick = undefined)) },
      ws: {
        connect: () => {
          const s = new AppSocket();
          sockets.push(s);
          return Promise.resolve(s);
        },
      },
      http,
      clock,
      timers: clock,
      random: { uuid: () => crypto.randomUUID(), bytes: (n) => new Uint8Array(n), int: () => 0 },
      logger: captureLogger(lines),
      dialects: BUILT_IN_STREAM_DIALECTS,
    },
    { stream: defaultStreamSettings('MAXXXXXXXXXXXXXXXXXX', 'token') },
  );
  const floodLeg = new Leg();
  const quietLeg = new Leg();
  const floodCall = engine.addCall(floodLeg);
  const quietCall = engine.addCall(quietLeg);
  const flood = floodCall.startStream(spec('http://bot.test/status', 'ws://bot.test/flood'));
  const quiet = quietCall.startStream(spec('http://other.test/status', 'ws://other.test/quiet'));
  await settle();
  const [app, other] = sockets;
  assert.ok(app !== undefined && other !== undefined);

  let frameIndex = 0;
  const frame = async (): Promise<void> => {
    floodLeg.arrive();
    quietLeg.arrive();
    clock.advance(20);
    tick?.(frameIndex++, 0);
    await settle();
  };
  const oneFrame = Buffer.alloc(160, 0xff).toString('base64');
  const playAndMark = (socket: AppSocket, name: string): void => {
    socket.say({
      event: 'playAudio',
      media: { contentType: 'audio/x-mulaw', sampleRate: 8000, payload: oneFrame },
    });
    socket.say({ event: 'checkpoint', streamId: 'x', name });
  };

  await frame();
  // D11 capacity of this stream, from the size of one media message (one track).
  const mediaBytes = app.sent.find((t) => t.includes('"event":"media"'))?.length ?? 0;
  const capacity = mediaBytes * 50 * 40;
  for (let i = 0; i < 10_000; i++) {
    playAndMark(app, `cp${i}`);
    if (i % 100 === 0) {
      playAndMark(other, `q${i / 100}`);
    }
    // The app's socket stalls through 30, 60 and 90 % in the middle of the flood, then recovers.
    const stall = new Map([
      [2000, 0.35],
      [4000, 0.65],
      [6000, 0.95],
      [6001, 0],
    ]).get(i);
    if (stall !== undefined) {
      app.bufferedAmount = Math.round(capacity * stall);
    }
    await frame();
  }
  for (let i = 0; i < 5000; i++) {
    app.say({ event: 'clearAudio', streamId: 'x' });
  }
  await frame();
  floodCall.hangup('NORMAL_CLEARING', 'server');
  quietCall.hangup('NORMAL_CLEARING', 'server');
  const done = { idle: false };
  void engine.callbacks.idle().then(() => (done.idle = true));
  while (!done.idle) {
    clock.advance(250);
    await settle();
  }

  // The WebSocket side was never the problem: every checkpoint and clear was acknowledged there.
  assert.equal(app.count('playedStream'), 10_000);
  assert.equal(app.count('clearedAudio'), 5000);

  const events = http.to('http://bot.test/status').map((r) => r.param('Event') ?? '');
  const lifecycle = http
    .to('http://bot.test/status')
    .filter((r) => r.param('Event') !== 'PlayedStream' && r.param('Event') !== 'ClearedAudio')
    .map((r) => `${r.param('Event') ?? ''}${r.param('BufferUsage') ?? ''}`);
  assert.deepEqual(lifecycle, [
    'StartStream',
    'DegradedStream30',
    'DegradedStream60',
    'DegradedStream90',
    'StopStream',
  ]);
  const played = events.filter((e) => e === 'PlayedStream').length;
  const cleared = events.filter((e) => e === 'ClearedAudio').length;
  const { callbacksDropped, callbacksCoalesced } = flood.stats;
  assert.ok(
    played > 0 && cleared > 0,
    `some of each arrived (${played} PlayedStream, ${cleared} ClearedAudio)`,
  );
  assert.equal(
    played + cleared + callbacksDropped + callbacksCoalesced,
    15_000,
    'each one arrived or was counted',
  );
  assert.ok(callbacksCoalesced >= 4900, `a run of clears collapses (${callbacksCoalesced} coalesced)`);
  const names = http
    .to('http://bot.test/status')
    .map((r) => r.param('Name'))
    .filter((n) => n !== undefined)
    .map((n) => Number(n.slice(2)));
  assert.ok(
    names.every((n, i) => i === 0 || n > (names[i - 1] ?? -1)),
    'the PlayedStream that arrived are in checkpoint order',
  );
  assert.equal(engine.callbacks.stats.dropped, callbacksDropped, 'the totals match the stream counters');
  assert.equal(engine.callbacks.stats.coalesced, callbacksCoalesced);

  const quietEvents = http.to('http://other.test/status').map((r) => r.param('Name') ?? r.param('Event'));
  assert.deepEqual(quietEvents, [
    'StartStream',
    ...Array.from({ length: 100 }, (_v, i) => `q${i}`),
    'StopStream',
  ]);
  assert.equal(quiet.stats.callbacksDropped, 0);

  // ~210 s of fake time: the flood may log a first line, a summary per 10 s and one when it drains.
  const seconds = clock.monotonicMs() / 1000;
  const callbackWarns = lines.filter((l) => l.level === 'warn' && l.fields['component'] === 'callbacks');
  assert.ok(
    callbackWarns.length <= 2 + Math.ceil(seconds / 10),
    `${callbackWarns.length} lines in ${seconds} s`,
  );
  assert.ok(
    callbackWarns.every((l) => l.fields['lane'] === flood.streamId),
    'only the flooding stream logged',
  );
});
