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

function setup(opts: { eventPt?: number } = {}) {
  let now = 0;
  const clock: Clock = { monotonicMs: () => now, epochMs: () => 1_700_000_000_000 + now };
  let seed = 7;
  const random: Random = { uuid: () => 'x', bytes: (n) => new Uint8Array(n), int: (max) => (seed = (seed * 48271) % 0x7fffffff) % max };
  const sa = new FakeRtpSocket();
  const sb = new FakeRtpSocket();
  sa.peer = sb;
  sb.peer = sa;
  const hangups: string[] = [];
  const common = { clock, random, codec: 'PCMU' as const, telephoneEventPayloadType: opts.eventPt, cname: 'test' };
  const a = new RtpMediaLeg({ ...common, socket: sa, onHangupRequested: (c) => hangups.push(c) });
  const b = new RtpMediaLeg({ ...common, socket: sb });
  const tick = (frameA: Int16Array, outB: Int16Array): boolean => {
    a.writeOutbound(frameA);
    b.writeOutbound(new Int16Array(FRAME_SAMPLES));
    const got = b.readInbound(outB);
    a.readInbound(new Int16Array(FRAME_SAMPLES));
    now += 20;
    return got;
  };
  return { a, b, sa, sb, tick, hangups };
}

const tone = (k: number) => Int16Array.from({ length: FRAME_SAMPLES }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * (k * FRAME_SAMPLES + i)) / 8000)));

test('G.711 audio crosses two legs through the jitter buffer, 40 ms later', () => {
  const { tick } = setup();
  const out = new Int16Array(FRAME_SAMPLES);
  const got: boolean[] = [];
  let maxErr = 0;
  for (let k = 0; k < 20; k++) {
    got.push(tick(tone(k), out));
    if (k >= 2) {
      const sent = tone(k - 2);
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        maxErr = Math.max(maxErr, Math.abs((out[i] ?? 0) - (sent[i] ?? 0)));
      }
    }
  }
  assert.deepEqual(got.slice(0, 3), [false, false, true]);
  assert.ok(maxErr < 260, `μ-law round trip error ${maxErr}`); // half a step of the top segment at 8000
});

test('a lost packet is concealed by the previous frame at -6 dB, then play-out resumes', () => {
  const { tick, sa } = setup();
  let n = 0;
  sa.drop = (p) => p.payloadType === 0 && n++ === 5;
  const out = new Int16Array(FRAME_SAMPLES);
  const frames: Int16Array[] = [];
  for (let k = 0; k < 10; k++) {
    assert.equal(tick(tone(k), out), k >= 2);
    frames.push(out.slice());
  }
  const prev = frames[6] ?? new Int16Array();
  const concealed = frames[7] ?? new Int16Array();
  assert.deepEqual(concealed, prev.map((v) => v >> 1));
});

test('RFC 4733: digits sent by one leg are reported once each by the other', () => {
  const { a, b, tick } = setup({ eventPt: 101 });
  const digits: string[] = [];
  b.on('dtmf', (d) => digits.push(d));
  a.sendDtmf('12#');
  const out = new Int16Array(FRAME_SAMPLES);
  for (let k = 0; k < 40; k++) {
    tick(tone(k), out);
  }
  assert.deepEqual(digits, ['1', '2', '#']);
  assert.equal(b.stats.unknownPayloadType, 0);
});

test('RFC 3550 §6: SR + SDES every 250 ticks; hangup sends BYE once and closes the socket', () => {
  const { a, b, sa, tick, hangups } = setup();
  const out = new Int16Array(FRAME_SAMPLES);
  for (let k = 0; k < 250; k++) {
    tick(tone(k), out);
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
