/**
 * Issue 3 benchmark: all per-stream media work of the engine per 20 ms frame (leg read, mixing,
 * playback decode, wire encode incl. 8→16 kHz resampling, `media` message build, back-pressure check),
 * measured through `CallSession.tick` with an in-memory socket, side by side with a null forwarder
 * (the same bytes base64-ed into a fixed JSON template and handed to the same socket). Sockets and the
 * kernel are excluded on both sides: this is the CPU the engine adds.
 */
import { Engine } from '../../src/engine/engine.js';
import { BUILT_IN_STREAM_DIALECTS } from '../../src/protocol/stream-dialects.js';
import { RtpMediaLeg } from '../../src/engine/call/rtp-media-leg.js';
import { VirtualLeg } from '../../src/engine/call/virtual-leg.js';
import type { InboundSink, MediaLeg } from '../../src/engine/call/media-leg.types.js';
import { defaultStreamSettings } from '../../src/engine/fork/stream-defaults.js';
import type { StreamSpec } from '../../src/engine/fork/stream-fork.types.js';
import { generateTone } from '../../src/media/analysis.js';
import { mulawEncode } from '../../src/media/codecs/g711.js';
import type { Clock } from '../../src/ports/clock.js';
import { nullLogger } from '../../src/ports/logger.js';
import type { RtpSocket, RtpSocketStats } from '../../src/ports/rtp-socket.js';
import type { RtpPacket } from '../../src/protocol/rtp/packet.js';
import type { WsConnection, WsConnector } from '../../src/ports/ws-client.js';
import type { ContentType } from '../../src/protocol/stream-ws/formats.js';

class NullConnection implements WsConnection {
  bytes = 0;
  readonly bufferedAmount = 0;
  #onMessage: ((d: string | Uint8Array, b: boolean) => void) | undefined;
  send(text: string): void {
    this.bytes += text.length;
  }
  close(): void {
    /* Nothing to close. */
  }
  terminate(): void {
    /* Nothing to drop. */
  }
  onMessage(l: (d: string | Uint8Array, b: boolean) => void): void {
    this.#onMessage = l;
  }
  onClose(): void {
    /* Never closes. */
  }
  /** A text frame from the app, as bytes: that is how ws hands text frames over. */
  deliver(frame: Uint8Array): void {
    this.#onMessage?.(frame, false);
  }
}

/**
 * A leg that costs next to nothing: the caller's frame is a precomputed tone, what the caller hears is
 * dropped. Leg I/O is per call, not per stream (a real RTP leg's work is measured by the rtp bench), so
 * this isolates the stream's own work.
 */
class ConstantLeg implements MediaLeg {
  readonly #frame = generateTone(440, 8000, 20, 8000);
  #sink: InboundSink | undefined;
  setInboundSink(sink: InboundSink): void {
    this.#sink = sink;
  }
  tickInbound(): void {
    this.#sink?.(this.#frame, true);
  }
  writeOutbound(): void {
    /* Dropped. */
  }
  sendDtmf(): void {
    /* None. */
  }
  hangup(): void {
    /* Never. */
  }
  close(): void {
    /* Never. */
  }
  readonly closed = false;
  on(): void {
    /* No events. */
  }
  off(): void {
    /* No events. */
  }
}

/**
 * An in-memory RTP socket: what the leg sends is dropped; `deliver` hands a parsed packet to the leg's
 * receive callback, as the UDP adapter does.
 */
class NullRtpSocket implements RtpSocket {
  readonly localAddress = '127.0.0.1';
  readonly rtpPort = 40000;
  readonly rtcpPort = 40001;
  readonly recvBufferBytes = 1 << 20;
  readonly remote = { address: '127.0.0.1', port: 40002 };
  readonly latched = true;
  readonly stats = {} as RtpSocketStats;
  #onRtp: ((p: RtpPacket) => void) | undefined;
  setRemote(): void {
    /* Fixed. */
  }
  readonly srtp = false;
  setSrtp(): void {
    // plain RTP only
  }
  unlatch(): void {
    /* Fixed. */
  }
  onRtp(l: (p: RtpPacket) => void): void {
    this.#onRtp = l;
  }
  onRtcp(): void {
    /* No RTCP. */
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
    this.#onRtp?.(p);
  }
}

/** The caller's μ-law packets, one per frame, consecutive sequence numbers; shared by every call. */
function callerPackets(frames: number): RtpPacket[] {
  const pcm = generateTone(440, 8000, 20, 8000);
  const payload = new Uint8Array(160);
  mulawEncode(pcm, payload);
  return Array.from({ length: frames }, (_, f) => ({
    marker: f === 0,
    payloadType: 0,
    sequenceNumber: (1000 + f) & 0xffff,
    timestamp: f * 160,
    ssrc: 0x1234,
    csrcs: [],
    extension: undefined,
    paddingLength: 0,
    payload,
  }));
}

type LegKind = 'stream only' | 'virtual call leg' | 'RTP call leg';

interface Rig {
  engine: Engine;
  tick: (frame: number) => void;
  connections: NullConnection[];
}

function rig(streams: number, spec: StreamSpec, leg: LegKind, packets: RtpPacket[]): Promise<Rig> {
  const listeners: ((f: number, phase: number) => void)[] = [];
  const connections: NullConnection[] = [];
  const ws: WsConnector = {
    connect: () => {
      const c = new NullConnection();
      connections.push(c);
      return Promise.resolve(c);
    },
  };
  let t = 0;
  const clock: Clock = { monotonicMs: () => t, epochMs: () => 1_700_000_000_000 + t };
  const sockets: NullRtpSocket[] = [];
  const engine = new Engine(
    {
      ticker: { phases: 1, add: (l) => (listeners.push(l), () => undefined) },
      ws,
      http: { request: () => Promise.resolve({ ok: true, status: 200, contentType: '', body: '' }) },
      clock,
      timers: { after: () => ({ cancel: () => undefined }) },
      random: { uuid: () => crypto.randomUUID(), bytes: (n) => new Uint8Array(n), int: () => 0 },
      logger: nullLogger,
      dialects: BUILT_IN_STREAM_DIALECTS,
    },
    { stream: defaultStreamSettings('MAXXXXXXXXXXXXXXXXXX', 'token'), maxStreamsPerCall: 8 },
  );
  const caller = generateTone(440, 8000, 10_000, 8000);
  for (let i = 0; i < streams; i++) {
    let callLeg: MediaLeg;
    if (leg === 'RTP call leg') {
      const socket = new NullRtpSocket();
      sockets.push(socket);
      callLeg = new RtpMediaLeg({
        socket,
        clock,
        random: { uuid: () => 'x', bytes: (n) => new Uint8Array(n), int: () => 0 },
        codec: 'PCMU',
        telephoneEventPayloadType: 101,
        cname: 'bench',
      });
    } else if (leg === 'virtual call leg') {
      callLeg = new VirtualLeg({ callerAudio: caller, loop: true });
    } else {
      callLeg = new ConstantLeg();
    }
    const call = engine.addCall(callLeg);
    call.startStream(spec);
  }
  return new Promise((resolve) =>
    setImmediate(() => {
      resolve({
        engine,
        connections,
        tick: (f) => {
          // The caller's packet for this frame arrives half a frame before the tick.
          t = f * 20 - 10;
          const p = packets[f];
          if (p !== undefined) {
            for (const s of sockets) {
              s.deliver(p);
            }
          }
          t = f * 20;
          for (const l of listeners) {
            l(f, 0);
          }
        },
      });
    }),
  );
}

/** CPU µs per stream per frame over `frames` ticks of `streams` calls. */
function measure(r: Rig, streams: number, frames: number, perFrame?: (f: number) => void): number {
  for (let f = 0; f < 200; f++) {
    perFrame?.(f);
    r.tick(f);
  }
  const c0 = process.cpuUsage();
  for (let f = 200; f < 200 + frames; f++) {
    perFrame?.(f);
    r.tick(f);
  }
  const cpu = process.cpuUsage(c0);
  return (cpu.user + cpu.system) / (frames * streams);
}

function nullForwarder(streams: number, frames: number, frameBytes: number): number {
  const payload = new Uint8Array(frameBytes);
  const sink = new NullConnection();
  const prefix = '{"event":"media","sequenceNumber":';
  for (let f = 0; f < 200 + frames; f++) {
    if (f === 200) {
      sink.bytes = 0;
    }
  }
  const c0 = process.cpuUsage();
  for (let f = 0; f < frames; f++) {
    for (let s = 0; s < streams; s++) {
      const b64 = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
      sink.send(prefix + String(f) + ',"media":{"payload":"' + b64 + '"}}');
    }
  }
  const cpu = process.cpuUsage(c0);
  return (cpu.user + cpu.system) / (frames * streams);
}

function spec(contentType: ContentType, bidirectional: boolean): StreamSpec {
  return {
    serviceUrl: 'ws://127.0.0.1:9/ws',
    bidirectional,
    audioTrack: 'inbound',
    streamTimeoutSec: 86400,
    statusCallbackMethod: 'POST',
    contentType,
    keepCallAlive: false,
  };
}

export async function run(): Promise<string> {
  const streams = 200;
  const frames = 1500;
  const rows: string[] = [];
  const cases: [string, ContentType, boolean, number][] = [
    ['inbound μ-law 8k', 'audio/x-mulaw;rate=8000', false, 160],
    ['inbound L16 16k (resampled 8→16)', 'audio/x-l16;rate=16000', false, 640],
    ['bidirectional μ-law 8k, app plays 20 ms per frame', 'audio/x-mulaw;rate=8000', true, 160],
    ['bidirectional L16 16k, app plays 20 ms per frame', 'audio/x-l16;rate=16000', true, 640],
  ];
  const packets = callerPackets(200 + frames);
  // The RTP leg runs last: a third leg class makes the call's leg calls polymorphic for every case
  // after it, so running it first would make the other rows incomparable with earlier runs of this
  // bench, which had only two leg classes (measured: bidirectional μ-law 16 % slower when it ran first).
  const runs: [(typeof cases)[number], LegKind][] = [
    ...cases.flatMap((c) =>
      (['stream only', 'virtual call leg'] as const).map((l) => [c, l] as [typeof c, LegKind]),
    ),
    [cases[0]!, 'RTP call leg'],
  ];
  for (const [[name, ct, bidi, frameBytes], leg] of runs) {
    const r = await rig(streams, spec(ct, bidi), leg, packets);
    let feed: ((f: number) => void) | undefined;
    if (bidi) {
      const pcm = generateTone(1000, 8000, 20, 8000);
      const bytes = new Uint8Array(frameBytes);
      if (frameBytes === 160) {
        mulawEncode(pcm, bytes);
      }
      const msg = Buffer.from(
        JSON.stringify({
          event: 'playAudio',
          media: {
            contentType: ct.split(';')[0],
            sampleRate: frameBytes === 640 ? 16000 : 8000,
            payload: Buffer.from(bytes).toString('base64'),
          },
        }),
      );
      feed = () => {
        for (const c of r.connections) {
          c.deliver(msg);
        }
      };
    }
    const us = measure(r, streams, frames, feed);
    const base = nullForwarder(streams, frames, frameBytes);
    rows.push(
      `| ${name} | ${leg} | ${us.toFixed(2)} µs | ${(((us * 50) / 1e6) * 100).toFixed(4)} % | ${base.toFixed(2)} µs | ${(us / base).toFixed(1)}× |`,
    );
  }
  return [
    '## Engine: per-stream media work per 20 ms frame (`CallSession.tick`, in-memory socket)',
    '',
    `${streams} calls with one stream each, ${frames} frames, process CPU time (user+system) per stream per frame.`,
    '',
    '"stream only": a leg that costs nothing, so the figure is the stream\'s own work (encode, resample, `media` message, playAudio parse/queue/decode, mixing). "virtual call leg": the same with the `VirtualLeg` of `streamfork call` (per-sample read, level meters, recording). "RTP call leg": an `RtpMediaLeg` on an in-memory socket, the caller\'s parsed μ-law packet delivered 10 ms before each tick (reorder buffer, decode, the leg\'s frame accounting, RTP send).',
    '',
    '| case | leg | engine CPU / stream / frame | % of one core per stream (50 frames/s) | null forwarder | ratio |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
