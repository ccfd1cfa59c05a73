import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { Clock } from '../../ports/clock.js';
import type { Random } from '../../ports/random.js';
import type { RtpAddress, RtpSocket, RtpSocketStats } from '../../ports/rtp-socket.js';
import { parseRtpPacket, type RtpPacket } from '../../protocol/rtp/packet.js';
import { parseRtcpCompound, type RtcpPacket } from '../../protocol/rtp/rtcp.js';
import { FRAME_SAMPLES, type LegHangup } from './media-leg.types.js';
import { RtpMediaLeg } from './rtp-media-leg.js';

/** An in-memory RtpSocket: what one side sends is parsed and handed to its peer (or dropped by `drop`). */
class FakeRtpSocket implements RtpSocket {
  readonly localAddress = '127.0.0.1';
  readonly rtpPort = 40000;
  readonly rtcpPort = 40001;
  readonly recvBufferBytes = 1 << 20;
  readonly remote: RtpAddress | undefined = { address: '127.0.0.1', port: 40002 };
  readonly latched = true;
  readonly stats = {} as RtpSocketStats;
  peer: FakeRtpSocket | undefined;
  drop: (p: RtpPacket) => boolean = () => false;
  readonly rtcpSent: RtcpPacket[][] = [];
  closed = false;
  deliverRtp: (p: RtpPacket) => void = () => undefined;
  deliverRtcp: (p: readonly RtcpPacket[]) => void = () => undefined;
  setRemote(): void {
    /* not used */
  }
  unlatch(): void {
    /* not used */
  }
  onRtp(l: (p: RtpPacket) => void): void {
    this.deliverRtp = l;
  }
  onRtcp(l: (p: readonly RtcpPacket[]) => void): void {
    this.deliverRtcp = l;
  }
  onSendError(): void {
    /* the in-memory socket never fails */
  }
  sendRtp(bytes: Uint8Array): boolean {
    const p = parseRtpPacket(bytes.slice());
    assert.ok(p.ok);
    if (!this.drop(p.value)) {
      this.peer?.deliverRtp(p.value);
    }
    return true;
  }
  sendRtcp(bytes: Uint8Array): boolean {
    const p = parseRtcpCompound(bytes);
    assert.ok(p.ok);
    this.rtcpSent.push(p.value);
    this.peer?.deliverRtcp(p.value);
    return true;
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function setup(opts: { eventPt?: number; mediaTimeoutMs?: number } = {}) {
  let now = 0;
  const clock: Clock = { monotonicMs: () => now, epochMs: () => 1_700_000_000_000 + now };
  let seed = 7;
  const random: Random = {
    uuid: () => 'x',
    bytes: (n) => new Uint8Array(n),
    int: (max) => (seed = (seed * 48271) % 0x7fffffff) % max,
  };
  const sa = new FakeRtpSocket();
  const sb = new FakeRtpSocket();
  sa.peer = sb;
  sb.peer = sa;
  const hangups: string[] = [];
  const common = {
    clock,
    random,
    codec: 'PCMU' as const,
    telephoneEventPayloadType: opts.eventPt,
    cname: 'test',
  };
  const a = new RtpMediaLeg({ ...common, socket: sa, onHangupRequested: (c) => hangups.push(c) });
  const b = new RtpMediaLeg({
    ...common,
    socket: sb,
    ...(opts.mediaTimeoutMs === undefined ? {} : { mediaTimeoutMs: opts.mediaTimeoutMs }),
    onHangupRequested: (c) => hangups.push(`b:${c}`),
  });
  /** What b handed over: the frame, whether it carried audio, and the tick it came in. */
  const heard: { frame: Int16Array; audio: boolean; tick: number }[] = [];
  let ticks = 0;
  b.setInboundSink((frame, audio) => heard.push({ frame: frame.slice(), audio, tick: ticks }));
  a.setInboundSink(() => undefined);
  /** One media tick: a sends `frameA` (b receives it at once: the fake socket is synchronous). */
  const tick = (frameA: Int16Array): void => {
    a.writeOutbound(frameA);
    b.writeOutbound(new Int16Array(FRAME_SAMPLES));
    b.tickInbound();
    a.tickInbound();
    now += 20;
    ticks++;
  };
  return { a, b, sa, sb, tick, hangups, heard };
}

const tone = (k: number) =>
  Int16Array.from({ length: FRAME_SAMPLES }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * 440 * (k * FRAME_SAMPLES + i)) / 8000)),
  );

test('G.711 audio crosses two legs with no added delay: each frame is handed over as its packet arrives', () => {
  const { tick, heard } = setup();
  let maxErr = 0;
  for (let k = 0; k < 20; k++) {
    tick(tone(k));
  }
  assert.equal(heard.length, 20);
  heard.forEach((h, k) => {
    assert.equal(h.tick, k, `frame ${k} was handed over in tick ${h.tick}`);
    assert.equal(h.audio, true);
    const sent = tone(k);
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      maxErr = Math.max(maxErr, Math.abs((h.frame[i] ?? 0) - (sent[i] ?? 0)));
    }
  });
  assert.ok(maxErr < 260, `μ-law round trip error ${maxErr}`); // half a step of the top segment at 8000
});

test('a lost packet is concealed by the previous frame at -6 dB once the 40 ms wait is over', () => {
  const { tick, sa, heard } = setup();
  let n = 0;
  sa.drop = (p) => p.payloadType === 0 && n++ === 5;
  for (let k = 0; k < 10; k++) {
    tick(tone(k));
  }
  assert.equal(heard.length, 10);
  assert.ok(heard.every((h) => h.audio));
  const prev = heard[4]?.frame ?? new Int16Array();
  assert.deepEqual(
    heard[5]?.frame,
    prev.map((v) => v >> 1),
  );
  // Frame 6 arrived in tick 6 and waited for 5; both went out two ticks (40 ms) later, then 7 and 8.
  assert.deepEqual(
    heard.slice(5, 9).map((h) => h.tick),
    [8, 8, 8, 8],
  );
});

test('when the far end goes quiet, silence frames keep coming at one per tick after 200 ms', () => {
  const { tick, heard, sa } = setup();
  let k = 0;
  sa.drop = (p) => p.payloadType === 0 && k >= 5;
  for (; k < 25; k++) {
    tick(tone(k));
  }
  // 5 audio frames (ticks 0-4); from 200 ms after the last one (tick 14) one frame per tick: the -6 dB
  // repeat, then silence.
  assert.deepEqual(
    heard.map((h) => h.audio),
    [true, true, true, true, true, true, ...new Array<boolean>(10).fill(false)],
  );
  assert.deepEqual(
    heard.slice(5).map((h) => h.tick),
    [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
  );
});

test('RFC 4733: digits sent by one leg are reported once each by the other', () => {
  const { a, b, tick } = setup({ eventPt: 101 });
  const digits: string[] = [];
  b.on('dtmf', (d) => digits.push(d));
  a.sendDtmf('12#');
  for (let k = 0; k < 40; k++) {
    tick(tone(k));
  }
  assert.deepEqual(digits, ['1', '2', '#']);
  assert.equal(b.stats.unknownPayloadType, 0);
});

test('RFC 3550 §6: SR + SDES every 250 ticks; hangup sends BYE once and closes the socket', () => {
  const { a, b, sa, tick, hangups } = setup();
  for (let k = 0; k < 250; k++) {
    tick(tone(k));
  }
  const report = sa.rtcpSent[0] ?? [];
  assert.deepEqual(
    report.map((p) => p.type),
    ['sr', 'sdes'],
  );
  const sr = report[0];
  assert.ok(sr?.type === 'sr');
  assert.equal(sr.packetCount, 250);
  assert.equal(sr.reports[0]?.ssrc, b.ssrc);
  a.hangup('NORMAL_CLEARING');
  a.hangup('NORMAL_CLEARING');
  assert.deepEqual(hangups, ['NORMAL_CLEARING']);
  assert.equal(sa.closed, true);
  assert.deepEqual(
    sa.rtcpSent.at(-1)?.map((p) => p.type),
    ['sr', 'sdes', 'bye'],
  );
  const remote: LegHangup[] = [];
  b.on('hangup', (h) => remote.push(h));
  b.remoteHangup({ cause: 'NORMAL_CLEARING', source: 'caller' });
  b.remoteHangup({ cause: 'NORMAL_CLEARING', source: 'caller' });
  assert.equal(remote.length, 1);
});

test('media timeout: no RTP for the timeout hangs up once (BYE requested, MEDIA_TIMEOUT); on hold it waits', () => {
  const { b, sa, tick, hangups } = setup({ mediaTimeoutMs: 200 });
  const ended: LegHangup[] = [];
  b.on('hangup', (h) => ended.push(h));
  for (let k = 0; k < 5; k++) {
    tick(tone(k));
  }
  sa.drop = () => true; // the far end goes silent
  b.setRemoteSending(false); // ... because it put the call on hold: no timeout
  for (let k = 0; k < 30; k++) {
    tick(tone(k));
  }
  assert.deepEqual(ended, []);
  b.setRemoteSending(true); // resumed, but still silent: the timeout counts from the resume
  for (let k = 0; k < 9; k++) {
    tick(tone(k));
  }
  assert.deepEqual(ended, [], 'fired before 200 ms after the resume');
  for (let k = 0; k < 3; k++) {
    tick(tone(k));
  }
  assert.deepEqual(ended, [{ cause: 'MEDIA_TIMEOUT', source: 'error' }]);
  assert.deepEqual(hangups, ['b:MEDIA_TIMEOUT']);
  for (let k = 0; k < 20; k++) {
    tick(tone(k));
  }
  assert.equal(ended.length, 1);
});
