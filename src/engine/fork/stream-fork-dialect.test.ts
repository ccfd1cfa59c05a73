/**
 * The fork is protocol-neutral (issue 10 item 1): every frame it sends or reads goes through the
 * dialect its spec names, taken from the injected registry; and rendering playback, which runs inside
 * the call's mix, sends nothing: the checkpoint acknowledgements and their callbacks leave afterwards.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FakeClock } from '../../../test/fakes/fake-clock.js';
import { FakeHttp, settle } from '../../../test/fakes/fake-http.js';
import { nullLogger } from '../../ports/logger.js';
import type { WsConnection, WsConnectOptions } from '../../ports/ws-client.js';
import type {
  StreamCommand,
  StreamDialect,
  StreamDialectContext,
  StreamDialectRegistry,
  StreamStatusEvent,
  StreamTrack,
} from '../../protocol/stream-dialect.types.js';
import { BUILT_IN_STREAM_DIALECTS } from '../../protocol/stream-dialects.js';
import {
  CallbackDelivery,
  type CallbackRequest,
  type CallbackSendOptions,
} from '../callbacks/callback-delivery.js';
import { FRAME_SAMPLES } from '../call/media-leg.types.js';
import { CallEventBus } from '../events/call-event-bus.js';
import { defaultStreamSettings } from './stream-defaults.js';
import { StreamFork } from './stream-fork.js';
import type { StreamSpec } from './stream-fork.types.js';

class AppSocket implements WsConnection {
  readonly sent: string[] = [];
  readonly bufferedAmount = 0;
  closed: [number, string] | undefined;
  #onMessage: ((data: string | Uint8Array, isBinary: boolean) => void) | undefined;
  send(text: string): void {
    this.sent.push(text);
  }
  close(code: number, reason: string): void {
    this.closed = [code, reason];
  }
  terminate(): void {
    /* not used */
  }
  onMessage(listener: (data: string | Uint8Array, isBinary: boolean) => void): void {
    this.#onMessage = listener;
  }
  onClose(): void {
    /* the app never closes */
  }
  say(text: string, isBinary = false): void {
    this.#onMessage?.(text, isBinary);
  }
  events(): string[] {
    return this.sent.map((t) => (JSON.parse(t) as { event: string }).event);
  }
}

/** Records the status callbacks the fork queues, by event, without sending them. */
class RecordingDelivery extends CallbackDelivery {
  readonly events: string[] = [];
  override send(_lane: string, req: CallbackRequest, _opts?: CallbackSendOptions): void {
    this.events.push(req.params.find(([k]) => k === 'Event')?.[1] ?? '?');
  }
}

function setup(spec: Partial<StreamSpec>, dialects: StreamDialectRegistry = BUILT_IN_STREAM_DIALECTS) {
  const clock = new FakeClock();
  const sockets: AppSocket[] = [];
  const connects: WsConnectOptions[] = [];
  const callbacks = new RecordingDelivery({
    http: new FakeHttp(clock, 0),
    timers: clock,
    random: { uuid: () => 'u', bytes: (n) => new Uint8Array(n), int: () => 0 },
    logger: nullLogger,
    authToken: 'token',
  });
  const digits: string[] = [];
  const fork = new StreamFork(
    { callUuid: 'call-1', sendDtmf: (d) => digits.push(d) },
    'stream-1',
    {
      serviceUrl: 'ws://app.test/s',
      bidirectional: true,
      audioTrack: 'inbound',
      streamTimeoutSec: 86400,
      statusCallbackUrl: 'http://app.test/status',
      statusCallbackMethod: 'POST',
      contentType: 'audio/x-mulaw;rate=8000',
      keepCallAlive: false,
      ...spec,
    },
    defaultStreamSettings('MAXXXXXXXXXXXXXXXXXX', 'token'),
    {
      ws: {
        connect: (_url, options) => {
          connects.push(options);
          const s = new AppSocket();
          sockets.push(s);
          return Promise.resolve(s);
        },
      },
      callbacks,
      clock,
      timers: clock,
      random: { uuid: () => 'u', bytes: (n) => new Uint8Array(n).fill(7), int: () => 0 },
      logger: nullLogger,
      dialects,
      events: new CallEventBus(nullLogger),
    },
  );
  return { fork, sockets, connects, callbacks, digits };
}

const play = (bytes: number): string =>
  JSON.stringify({ event: 'playAudio', media: { payload: Buffer.alloc(bytes, 0x55).toString('base64') } });

test('renderPlayback sends nothing; reportPlayback (after the mix) sends the playedStream acks and queues their callbacks, oldest first', async () => {
  const { fork, sockets, callbacks } = setup({});
  fork.start();
  await settle();
  const app = sockets[0];
  assert.ok(app !== undefined);
  app.say(play(160));
  app.say('{"event":"checkpoint","name":"one"}');
  app.say(play(160));
  app.say('{"event":"checkpoint","name":"two"}');
  assert.deepEqual(app.events(), ['start']);
  assert.deepEqual(callbacks.events, ['StartStream']);

  const out = new Int16Array(FRAME_SAMPLES);
  assert.equal(fork.renderPlayback(out), true);
  assert.equal(fork.renderPlayback(out), true);
  // Both checkpoints are reached, neither is acknowledged yet: the mix sent nothing.
  assert.deepEqual(app.events(), ['start']);
  assert.deepEqual(callbacks.events, ['StartStream']);
  assert.equal(fork.stats.checkpointsAcked, 0);

  fork.reportPlayback();
  assert.deepEqual(app.events(), ['start', 'playedStream', 'playedStream']);
  assert.deepEqual(
    app.sent.slice(1).map((t) => (JSON.parse(t) as { name: string }).name),
    ['one', 'two'],
  );
  assert.deepEqual(callbacks.events, ['StartStream', 'PlayedStream', 'PlayedStream']);
  assert.equal(fork.stats.checkpointsAcked, 2);
  // Reported once: the record is emptied.
  fork.reportPlayback();
  assert.equal(app.sent.length, 3);
});

/** A made-up protocol of plain words, to show the fork needs nothing of Plivo's. */
class WordDialect implements StreamDialect {
  readonly contexts: StreamDialectContext[] = [];
  constructor(ctx: StreamDialectContext) {
    this.contexts.push(ctx);
  }
  upgradeHeaders(nonce: string): Readonly<Record<string, string>> {
    return { 'X-Word-Nonce': nonce };
  }
  start(startEpochMs: number): readonly string[] {
    return [w('hello'), w(`start ${startEpochMs}`)];
  }
  resume(startEpochMs: number): readonly string[] {
    return [w(`resume ${startEpochMs}`)];
  }
  media(track: StreamTrack, timestampMs: number, payload: Uint8Array): string {
    return w(`media ${track} ${timestampMs} ${payload.length}`);
  }
  dtmf(digit: string): string | undefined {
    return w(`dtmf ${digit}`);
  }
  checkpointPlayed(name: string): string | undefined {
    return w(`mark ${name}`);
  }
  /** As Twilio does: every pending mark is echoed on clear. */
  cleared(dropped: readonly string[]): readonly string[] {
    return dropped.map((name) => w(`mark ${name}`));
  }
  stop(reason: string): string | undefined {
    return w(`bye ${reason}`);
  }
  /** A protocol with no callback for played checkpoints. */
  statusCallback(event: StreamStatusEvent, timestampMs: number): [string, string][] | undefined {
    return event.type === 'checkpointPlayed' ? undefined : [['Event', `${event.type}@${timestampMs}`]];
  }
  parse(data: string | Uint8Array): StreamCommand {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
    const [verb = '', arg = ''] = text.split(' ');
    switch (verb) {
      case 'play':
        return { type: 'play', audio: new Uint8Array(Number(arg)).fill(0x55) };
      case 'mark':
        return { type: 'checkpoint', name: arg };
      case 'clear':
        return { type: 'clear' };
      case 'digits':
        return { type: 'sendDtmf', digits: arg };
      case 'bye':
        return { type: 'stop' };
      default:
        return { type: 'error', code: 'ERR_STREAM_BAD_MESSAGE', detail: `no verb ${verb}` };
    }
  }
}

/** The words dialect writes JSON text, so the test socket can read it like any other. */
function w(text: string): string {
  return JSON.stringify({ event: text });
}

test('the fork speaks only through the dialect its spec names, from the injected registry (start, media, acks, clear, DTMF, stop, errors, upgrade headers)', async () => {
  let made: WordDialect | undefined;
  const registry: StreamDialectRegistry = {
    plivo: (ctx) => (made = new WordDialect(ctx)),
    twilio: () => assert.fail('the spec names plivo'),
  };
  const { fork, sockets, connects, callbacks, digits } = setup(
    { dialect: 'plivo', audioTrack: 'both', extraHeaders: 'a=1' },
    registry,
  );
  fork.start();
  await settle();
  const app = sockets[0];
  assert.ok(app !== undefined && made !== undefined);
  assert.deepEqual(made.contexts[0], {
    callId: 'call-1',
    streamId: 'stream-1',
    tracks: ['inbound', 'outbound'],
    format: fork.format,
    spec: fork.spec,
    settings: defaultStreamSettings('MAXXXXXXXXXXXXXXXXXX', 'token'),
  });
  const headers = connects[0]?.headers ?? {};
  assert.deepEqual(Object.keys(headers), ['X-Word-Nonce']);
  assert.ok((headers['X-Word-Nonce'] ?? '').length > 0);
  const start = 1_700_000_000_000;
  assert.deepEqual(app.events(), ['hello', `start ${start}`]);

  const pcm = new Int16Array(FRAME_SAMPLES);
  fork.onInbound(pcm);
  fork.onOutbound(pcm);
  fork.onInbound(pcm);
  fork.onDtmf('7');
  app.say('play 240');
  app.say('mark a');
  app.say('play 160');
  app.say('mark b');
  app.say('mark c');
  app.say('digits 12');
  app.say('nonsense');
  assert.deepEqual(digits, ['12']);
  assert.equal(fork.stats.appErrors, 1);
  assert.equal(fork.stats.lastAppError, 'ERR_STREAM_BAD_MESSAGE');

  const out = new Int16Array(FRAME_SAMPLES);
  fork.renderPlayback(out);
  fork.renderPlayback(out);
  fork.reportPlayback();
  app.say('clear');
  app.say('bye');
  assert.deepEqual(app.events().slice(2), [
    `media inbound ${start} 160`,
    `media outbound ${start} 160`,
    `media inbound ${start + 20} 160`,
    'dtmf 7',
    // 240 + 160 bytes: "a" is reached in the second frame (its partial frame is padded).
    'mark a',
    // The clear echoes the marks whose audio never played.
    'mark b',
    'mark c',
    'bye Stopped by app',
  ]);
  assert.deepEqual(app.closed, [1000, 'stream stopped']);
  // The fork asks the dialect what each callback says (none for a played checkpoint here).
  assert.deepEqual(
    callbacks.events,
    ['started', 'cleared', 'stopped'].map((e) => `${e}@${start}`),
  );
});

test('a spec naming a dialect the registry lacks is refused when the stream is built', () => {
  assert.throws(() => setup({ dialect: 'plivo' }, {} as StreamDialectRegistry), {
    name: 'TypeError',
    message: 'no stream dialect "plivo" in the registry',
  });
});
