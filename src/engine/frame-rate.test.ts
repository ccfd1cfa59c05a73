/**
 * 50 media frames per second per track, whatever the caller sends (issue 11, item 7): one minute of
 * a call on a fake clock, through the real engine, media clock driver (4 phases), RTP leg and stream
 * forks, with the caller alternating speech, key presses (RFC 4733 events replacing audio), events
 * only, comfort noise, silence suppression, an outage, and packet loss; a second call sends no RTP at
 * all. Every `media` message the app gets is counted per track in 1-second windows of the call's time:
 * 50 in each, or 49/51 where the RTP leg's one frame of fill slack opens or closes, and 50 a second over
 * the minute.
 *
 * The media clock's timer wakes up late by a pseudo-random 0–2 ms each time (plus the driver's own
 * rounding to whole milliseconds), as real timers do; the caller's packets arrive 8 ms into the
 * frame. Windows are aligned to the call's ticks: window n is (W0 + 1000n, W0 + 1000(n + 1)] with W0
 * 4 ms after the tick just before the stream's first `media` message, so a frame handed over at a
 * (late) tick falls in the window of the 20 ms interval that tick closes, as does a caller's packet
 * arriving inside that interval. The streams start right after a tick, before the caller's packet of
 * that interval, so there is no start-up edge to allow for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { FakeClock } from '../../test/fakes/fake-clock.js';
import { MediaClockDriver } from '../adapters/system-clock/media-clock-driver.js';
import { generateTone } from '../media/analysis.js';
import { mulawEncode } from '../media/codecs/g711.js';
import { nullLogger } from '../ports/logger.js';
import type { Timers } from '../ports/clock.js';
import type { RtpAddress, RtpSocket, RtpSocketStats } from '../ports/rtp-socket.js';
import type { WsConnection } from '../ports/ws-client.js';
import type { RtpPacket } from '../protocol/rtp/packet.js';
import type { RtcpPacket } from '../protocol/rtp/rtcp.js';
import { RtpMediaLeg } from './call/rtp-media-leg.js';
import { Engine } from './engine.js';
import { BUILT_IN_STREAM_DIALECTS } from '../protocol/stream-dialects.js';
import { defaultStreamSettings } from './fork/stream-defaults.js';
import type { StreamSpec } from './fork/stream-fork.types.js';

const EVENT_PT = 101;
const CN_PT = 13;

/** The caller's RTP arrives here (`deliver`); what streamfork sends is dropped. */
class LoopSocket implements RtpSocket {
  readonly localAddress = '127.0.0.1';
  readonly rtpPort = 40000;
  readonly rtcpPort = 40001;
  readonly recvBufferBytes = 1 << 20;
  readonly remote: RtpAddress | undefined = { address: '127.0.0.1', port: 40002 };
  readonly latched = true;
  readonly stats = {} as RtpSocketStats;
  #onRtp: (p: RtpPacket) => void = () => undefined;
  setRemote(): void {
    /* fixed */
  }
  readonly srtp = false;
  setSrtp(): void {
    // plain RTP only
  }
  unlatch(): void {
    /* fixed */
  }
  onRtp(l: (p: RtpPacket) => void): void {
    this.#onRtp = l;
  }
  onRtcp(_l: (p: readonly RtcpPacket[]) => void): void {
    /* no RTCP from the caller */
  }
  onSendError(): void {
    /* the in-memory socket never fails */
  }
  sendRtp(): boolean {
    return true;
  }
  sendRtcp(): boolean {
    return true;
  }
  closed = false;
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  deliver(p: RtpPacket): void {
    this.#onRtp(p);
  }
}

/** One message the app received, with the (fake) time it arrived. */
interface Received {
  readonly atMs: number;
  readonly msg: {
    event: string;
    media?: { track: string; timestamp: string; chunk: number };
    dtmf?: { digit: string };
  };
}

class AppSocket implements WsConnection {
  readonly received: Received[] = [];
  readonly bufferedAmount = 0;
  constructor(private readonly clock: FakeClock) {}
  send(text: string): void {
    this.received.push({ atMs: this.clock.monotonicMs(), msg: JSON.parse(text) as Received['msg'] });
  }
  close(): void {
    /* the app stays */
  }
  terminate(): void {
    /* the app stays */
  }
  onMessage(): void {
    /* the app says nothing */
  }
  onClose(): void {
    /* never closes */
  }
}

type Segment =
  | 'speech'
  | 'presses' // speech, with a 160 ms key press every 2 s (events every 20 ms instead of audio)
  | 'events-only' // back-to-back 400 ms digits, an event packet every 50 ms, no audio at all
  | 'comfort-noise' // a CN packet (RFC 3389) at the start and every 500 ms, no audio
  | 'suppressed' // nothing sent (silence suppression without CN); the sequence continues after
  | 'outage' // packets sent but all lost (sequence numbers used up)
  | 'lossy'; // speech with every 7th packet lost

/** The caller's minute: [from ms, to ms, what it sends]. */
const SCRIPT: readonly (readonly [number, number, Segment])[] = [
  [0, 8000, 'speech'],
  [8000, 16000, 'presses'],
  [16000, 24000, 'events-only'],
  [24000, 28000, 'speech'],
  [28000, 34000, 'comfort-noise'],
  [34000, 38000, 'speech'],
  [38000, 44000, 'suppressed'],
  [44000, 46000, 'speech'],
  [46000, 52000, 'outage'],
  [52000, 56000, 'lossy'],
  [56000, 61000, 'speech'],
];

/**
 * A phone on its own drift-free 10 ms schedule, starting at `startMs` (3 ms into the call's frame):
 * audio on every other slot (20 ms), events on the cadence of the segment.
 */
class Phone {
  readonly #socket: LoopSocket;
  readonly #clock: FakeClock;
  readonly #startMs: number;
  readonly #audio: Uint8Array;
  #seq = 4000;
  #wasAudio = false;
  /** Timestamp and code of the event in progress, and when it started. */
  #event: { ts: number; code: number; startMs: number; lengthMs: number } | undefined;
  #nextCode = 0;
  digitsSent = '';

  constructor(socket: LoopSocket, clock: FakeClock, startMs: number) {
    this.#socket = socket;
    this.#clock = clock;
    this.#startMs = startMs;
    this.#audio = new Uint8Array(160);
    mulawEncode(generateTone(440, 8000, 20, 8000), this.#audio);
  }

  start(): void {
    const slot = (j: number): void => {
      this.#clock.after(this.#startMs + 10 * j - this.#clock.monotonicMs(), () => {
        this.#slot(j);
        slot(j + 1);
      });
    };
    slot(0);
  }

  #send(payloadType: number, timestamp: number, payload: Uint8Array, marker = false): void {
    const packet: RtpPacket = {
      marker,
      payloadType,
      sequenceNumber: this.#seq++ & 0xffff,
      timestamp: timestamp >>> 0,
      ssrc: 0x5eed,
      csrcs: [],
      extension: undefined,
      paddingLength: 0,
      payload,
    };
    this.#socket.deliver(packet);
  }

  #lose(): void {
    this.#seq++;
  }

  #eventPacket(end: boolean, nowMs: number): void {
    const ev = this.#event;
    if (ev === undefined) {
      return;
    }
    const duration = Math.min(0xffff, (nowMs - ev.startMs) * 8);
    const payload = Uint8Array.of(ev.code, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff);
    this.#send(EVENT_PT, ev.ts, payload, duration === 0);
  }

  /** Slot j: t = start + 10 j; media frame k = j / 2 on even slots (timestamp 160 k). */
  #slot(j: number): void {
    const t = 10 * j;
    const segment = SCRIPT.find(([from, to]) => t >= from && t < to)?.[2] ?? 'speech';
    const frameSlot = j % 2 === 0;
    const ts = 80 * j;
    const inSegment = t - (SCRIPT.find(([from, to]) => t >= from && t < to)?.[0] ?? 0);
    let sentAudio = false;
    switch (segment) {
      case 'speech':
        if (frameSlot) {
          this.#send(0, ts, this.#audio, !this.#wasAudio);
          sentAudio = true;
        }
        break;
      case 'lossy':
        if (frameSlot) {
          if ((j / 2) % 7 === 3) {
            this.#lose();
          } else {
            this.#send(0, ts, this.#audio);
          }
          sentAudio = true;
        }
        break;
      case 'outage':
        if (frameSlot) {
          this.#lose();
          sentAudio = true;
        }
        break;
      case 'suppressed':
        break;
      case 'comfort-noise':
        if (inSegment % 500 === 0) {
          this.#send(CN_PT, ts, Uint8Array.of(60));
        }
        break;
      case 'presses':
        this.#pressesSlot(t, inSegment, ts, frameSlot);
        sentAudio = this.#event === undefined && frameSlot;
        break;
      case 'events-only':
        this.#eventsOnlySlot(t, ts);
        break;
    }
    if (frameSlot) {
      this.#wasAudio = sentAudio;
    }
  }

  /** Speech, with a 160 ms key press starting at 1 s into every 2 s; events every 20 ms meanwhile. */
  #pressesSlot(t: number, inSegment: number, ts: number, frameSlot: boolean): void {
    if (!frameSlot) {
      return;
    }
    if (inSegment % 2000 === 1000) {
      this.#startEvent(t, ts, 160);
    }
    const ev = this.#event;
    if (ev === undefined) {
      this.#send(0, ts, this.#audio, !this.#wasAudio);
      return;
    }
    const end = t - ev.startMs >= ev.lengthMs;
    this.#eventPacket(end, t);
    if (end) {
      this.#eventPacket(true, t); // RFC 4733 §2.5.1.4: the end packet goes out three times
      this.#eventPacket(true, t);
      this.#event = undefined;
    }
  }

  /** Events only: 400 ms digits back to back, a packet every 50 ms, three end packets each. */
  #eventsOnlySlot(t: number, ts: number): void {
    if (t % 50 !== 0) {
      return;
    }
    if (this.#event === undefined) {
      this.#startEvent(t, ts, 400);
    }
    const ev = this.#event;
    if (ev === undefined) {
      return;
    }
    const end = t - ev.startMs >= ev.lengthMs;
    this.#eventPacket(end, t);
    if (end) {
      this.#eventPacket(true, t);
      this.#eventPacket(true, t);
      this.#event = undefined;
    }
  }

  #startEvent(t: number, ts: number, lengthMs: number): void {
    const code = this.#nextCode++ % 10;
    this.#event = { ts, code, startMs: t, lengthMs };
    this.digitsSent += String(code);
  }
}

/** Timers on `clock` that fire late by a pseudo-random 0..maxLateMs (deterministic). */
function lateTimers(clock: FakeClock, maxLateMs: number): Timers {
  let seed = 12345;
  return {
    after: (delayMs, fn) => {
      seed = (seed * 48271) % 0x7fffffff;
      return clock.after(delayMs + (seed / 0x7fffffff) * maxLateMs, fn);
    },
  };
}

const spec: StreamSpec = {
  serviceUrl: 'ws://127.0.0.1:1/app',
  bidirectional: false,
  audioTrack: 'both',
  streamTimeoutSec: 86400,
  statusCallbackMethod: 'POST',
  contentType: 'audio/x-mulaw;rate=8000',
  keepCallAlive: false,
};

/**
 * Per-window counts of one track's `media` messages, and the checks on its timestamps; what is wrong
 * is added to `problems`.
 */
function checkTrack(
  problems: string[],
  label: string,
  received: readonly Received[],
  track: string,
  windowStartMs: number,
  endMs: number,
): void {
  const media = received.filter((r) => r.msg.event === 'media' && r.msg.media?.track === track);
  if (media.length === 0) {
    problems.push(`${label} ${track}: no media`);
    return;
  }
  const windows = Math.floor((endMs - windowStartMs) / 1000);
  const counts = new Array<number>(windows).fill(0);
  for (const r of media) {
    const n = Math.ceil((r.atMs - windowStartMs) / 1000) - 1;
    if (n >= 0 && n < windows) {
      counts[n] = (counts[n] ?? 0) + 1;
    }
  }
  // 50 a window, give or take the one frame the RTP leg may lag the clock (FILL_SLACK_FRAMES): a window
  // where that lag opens (the caller falls silent) has 49, one where it closes (audio again) has 51. The
  // media-time check below bounds the drift, so the windows cannot wander further than that.
  const off = counts.map((c, n) => [n, c] as const).filter(([, c]) => c < 49 || c > 51);
  if (off.length > 0) {
    problems.push(
      `${label} ${track}: 1-s windows without 50 ± 1 frames ([window, frames]): ${JSON.stringify(off)}`,
    );
  }
  const total = counts.reduce((a, c) => a + c, 0);
  if (Math.abs(total - 50 * windows) > 1) {
    problems.push(`${label} ${track}: ${total} frames in ${windows} s, more than one frame off 50/s`);
  }
  // D5: timestamps and chunks step by one frame, and the media time never slips from the call's.
  const first = media[0];
  const t0 = Number(first?.msg.media?.timestamp);
  let worstLag = 0;
  let worstLead = 0;
  let steps = 0;
  media.forEach((r, i) => {
    const m = r.msg.media;
    if (Number(m?.timestamp) !== t0 + 20 * i || m?.chunk !== i + 1) {
      steps++;
    }
    const lag = r.atMs - (first?.atMs ?? 0) - 20 * i; // > 0: the media time is behind the call's
    worstLag = Math.max(worstLag, lag);
    worstLead = Math.max(worstLead, -lag);
  });
  if (steps > 0) {
    problems.push(`${label} ${track}: ${steps} frames whose timestamp or chunk is not one frame on`);
  }
  if (worstLag >= 20 + 3) {
    problems.push(`${label} ${track}: media time fell ${worstLag.toFixed(1)} ms behind the call's`);
  }
  if (worstLead > 60) {
    problems.push(`${label} ${track}: media time ran ${worstLead.toFixed(1)} ms ahead of the call's`);
  }
}

test('a minute of speech, key presses, events only, comfort noise, silence, an outage and loss: 50 frames/s on each track, timestamps 20 ms apart', async () => {
  const clock = new FakeClock(0);
  const driver = new MediaClockDriver({ clock, timers: lateTimers(clock, 2), phases: 4 });
  const apps: AppSocket[] = [];
  const engine = new Engine(
    {
      ticker: driver,
      ws: {
        connect: () => {
          const app = new AppSocket(clock);
          apps.push(app);
          return Promise.resolve(app);
        },
      },
      http: { request: () => Promise.resolve({ ok: true, status: 200, contentType: '', body: '' }) },
      clock,
      timers: clock,
      random: { uuid: () => crypto.randomUUID(), bytes: (n) => new Uint8Array(n), int: () => 0 },
      logger: nullLogger,
      dialects: BUILT_IN_STREAM_DIALECTS,
    },
    { stream: defaultStreamSettings('MAXXXXXXXXXXXXXXXXXX', 'token') },
  );
  const leg = (socket: LoopSocket): RtpMediaLeg =>
    new RtpMediaLeg({
      socket,
      clock,
      random: { uuid: () => 'x', bytes: (n) => new Uint8Array(n), int: () => 0 },
      codec: 'PCMU',
      telephoneEventPayloadType: EVENT_PT,
      cname: 'test',
    });
  const talkerSocket = new LoopSocket();
  const talker = engine.addCall(leg(talkerSocket)); // phase 0: ticks at 20 k
  const mute = engine.addCall(leg(new LoopSocket())); // phase 1: ticks at 20 k + 5, never any RTP
  const phone = new Phone(talkerSocket, clock, 1008);

  // Run 1 s first (frames before any stream), then start both streams just after a tick of each call.
  clock.advanceTo(1001);
  talker.startStream(spec);
  clock.advanceTo(1006);
  mute.startStream(spec);
  await new Promise((resolve) => setImmediate(resolve)); // the fake WebSocket connects
  phone.start();
  const started = performance.now();
  clock.advanceTo(1009 + 60_000);
  const wallMs = performance.now() - started;

  const [talkerApp, muteApp] = apps;
  assert.ok(talkerApp !== undefined && muteApp !== undefined);
  const end = clock.monotonicMs();
  const problems: string[] = [];
  checkTrack(problems, 'talker', talkerApp.received, 'inbound', 1004, end);
  checkTrack(problems, 'talker', talkerApp.received, 'outbound', 1004, end);
  checkTrack(problems, 'no RTP', muteApp.received, 'inbound', 1009, end);
  checkTrack(problems, 'no RTP', muteApp.received, 'outbound', 1009, end);
  assert.deepEqual(problems, []);
  const digits = talkerApp.received
    .flatMap((r) => (r.msg.event === 'dtmf' ? [r.msg.dtmf?.digit] : []))
    .join('');
  assert.equal(digits, phone.digitsSent, 'every key press reached the app once');
  assert.ok(phone.digitsSent.length >= 20, `${phone.digitsSent.length} digits`);
  assert.ok(wallMs < 5000, `a minute on the fake clock took ${wallMs.toFixed(0)} ms`);
  driver.stop();
});
