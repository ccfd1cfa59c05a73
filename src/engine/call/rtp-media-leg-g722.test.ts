import assert from 'node:assert/strict';
import { test } from 'node:test';

import { generateTone, tonePower } from '../../media/analysis.js';
import { G722Decoder, G722Encoder } from '../../media/g722/g722.js';
import type { Clock } from '../../ports/clock.js';
import type { Random } from '../../ports/random.js';
import type { RtpAddress, RtpSocket, RtpSocketStats } from '../../ports/rtp-socket.js';
import { parseRtpPacket, type RtpPacket } from '../../protocol/rtp/packet.js';
import { FRAME_SAMPLES, WIDE_FRAME_SAMPLES } from './media-leg.types.js';
import { RtpMediaLeg } from './rtp-media-leg.js';

/** An in-memory socket: records what the leg sends; the test delivers packets by hand. */
class RecordingSocket implements RtpSocket {
  readonly localAddress = '127.0.0.1';
  readonly rtpPort = 40000;
  readonly rtcpPort = 40001;
  readonly recvBufferBytes = 1 << 20;
  readonly remote: RtpAddress | undefined = { address: '127.0.0.1', port: 40002 };
  readonly latched = true;
  readonly stats = {} as RtpSocketStats;
  readonly sent: RtpPacket[] = [];
  closed = false;
  deliver: (p: RtpPacket) => void = () => undefined;
  setRemote(): void {
    /* not used */
  }
  unlatch(): void {
    /* not used */
  }
  readonly srtp = false;
  setSrtp(): void {
    /* plain RTP */
  }
  onRtp(l: (p: RtpPacket) => void): void {
    this.deliver = l;
  }
  onRtcp(): void {
    /* not used */
  }
  onSendError(): void {
    /* never fails */
  }
  sendRtp(bytes: Uint8Array): boolean {
    const p = parseRtpPacket(bytes.slice());
    assert.ok(p.ok);
    this.sent.push(p.value);
    return true;
  }
  sendRtcp(): boolean {
    return true;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function setup() {
  let now = 0;
  const clock: Clock = { monotonicMs: () => now, epochMs: () => 1_700_000_000_000 + now };
  const random: Random = { uuid: () => 'x', bytes: (n) => new Uint8Array(n), int: () => 1000 };
  const socket = new RecordingSocket();
  const leg = new RtpMediaLeg({ socket, clock, random, codec: 'G722', cname: 'test' });
  const narrow: Int16Array[] = [];
  const wide: Int16Array[] = [];
  const audio: boolean[] = [];
  leg.setInboundSink((frame, isAudio, w) => {
    assert.equal(frame.length, FRAME_SAMPLES);
    assert.ok(w !== undefined, 'a G.722 leg hands over the 16 kHz frame');
    assert.equal(w.length, WIDE_FRAME_SAMPLES);
    narrow.push(frame.slice());
    wide.push(w.slice());
    audio.push(isAudio);
  });
  const advance = (): void => {
    now += 20;
  };
  return { leg, socket, narrow, wide, audio, advance };
}

function packet(seq: number, payload: Uint8Array): RtpPacket {
  return {
    marker: seq === 0,
    payloadType: 9,
    sequenceNumber: seq,
    timestamp: 5000 + seq * 160,
    ssrc: 0x1234,
    csrcs: [],
    extension: undefined,
    paddingLength: 0,
    payload,
  };
}

function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  frames.forEach((f, i) => {
    out.set(f, i * f.length);
  });
  return out;
}

function db(a: number, b: number): number {
  return 10 * Math.log10(a / b);
}

test('G.722 leg inbound: the 16 kHz frame keeps a 6 kHz tone, the 8 kHz frame has it filtered out', () => {
  const { leg, socket, narrow, wide, audio, advance } = setup();
  const frames = 50;
  const low = generateTone(1000, 16000, frames * 20, 8000);
  const high = generateTone(6000, 16000, frames * 20, 8000);
  const input = Int16Array.from(low, (v, i) => v + high[i]!);
  const enc = new G722Encoder();
  const payload = new Uint8Array(160);
  for (let f = 0; f < frames; f++) {
    enc.encode(input.subarray(f * 320, f * 320 + 320), payload);
    socket.deliver(packet(f, payload.slice()));
    leg.tickInbound();
    advance();
  }
  assert.equal(narrow.length, frames);
  assert.ok(audio.every(Boolean));
  const w = concat(wide).subarray(1600);
  const n = concat(narrow).subarray(800);
  const inPower = tonePower(input.subarray(1600), 16000, 6000);
  // Wideband: the 6 kHz tone arrives within 1 dB, and the 1 kHz one too.
  assert.ok(Math.abs(db(tonePower(w, 16000, 6000), inPower)) < 1);
  assert.ok(Math.abs(db(tonePower(w, 16000, 1000), tonePower(input.subarray(1600), 16000, 1000))) < 1);
  // Narrowband: 1 kHz kept, 6 kHz gone (no alias at 2 kHz either).
  assert.ok(Math.abs(db(tonePower(n, 8000, 1000), tonePower(input.subarray(1600), 16000, 1000))) < 1);
  assert.ok(db(tonePower(n, 8000, 1000), tonePower(n, 8000, 2000)) > 60, 'no 6 kHz alias at 2 kHz');
});

test('G.722 leg inbound: a lost packet is concealed in both frames, then silence', () => {
  const { leg, socket, narrow, wide, audio, advance } = setup();
  const tone = generateTone(1000, 16000, 200, 8000);
  const enc = new G722Encoder();
  const payload = new Uint8Array(160);
  for (let f = 0; f < 10; f++) {
    enc.encode(tone.subarray(f * 320, f * 320 + 320), payload);
    if (f < 5) {
      socket.deliver(packet(f, payload.slice()));
    }
    leg.tickInbound();
    advance();
  }
  // Ten ticks: five frames of audio, the -6 dB repeat, then silence, the fillers one tick late (the
  // fill slack), so the tenth is not out yet.
  assert.deepEqual(audio, [true, true, true, true, true, true, false, false, false]);
  // The first filler is the last frame at half amplitude, at 16 kHz; then silence.
  assert.deepEqual(
    wide[5],
    Int16Array.from(wide[4]!, (v) => v >> 1),
  );
  assert.ok(wide[7]!.every((v) => v === 0));
  assert.ok(narrow[5]!.some((v) => v !== 0));
});

test('G.722 leg outbound: PT 9, 160 octets per 20 ms, timestamps step 160 (RFC 3551), the audio decodes back', () => {
  const { leg, socket } = setup();
  const frames = 50;
  const tone = generateTone(1000, 8000, frames * 20, 10000);
  for (let f = 0; f < frames; f++) {
    leg.writeOutbound(tone.subarray(f * 160, f * 160 + 160));
  }
  assert.equal(socket.sent.length, frames);
  const dec = new G722Decoder();
  const out = new Int16Array(frames * 320);
  socket.sent.forEach((p, i) => {
    assert.equal(p.payloadType, 9);
    assert.equal(p.payload.length, 160);
    if (i > 0) {
      assert.equal((p.timestamp - socket.sent[i - 1]!.timestamp) >>> 0, 160);
    }
    dec.decode(p.payload, out.subarray(i * 320, i * 320 + 320));
  });
  const heard = out.subarray(1600);
  const sentPower = tonePower(tone.subarray(800), 8000, 1000);
  assert.ok(Math.abs(db(tonePower(heard, 16000, 1000), sentPower)) < 1);
  // Upsampled 8 kHz audio: nothing (no image) at 7 kHz.
  assert.ok(db(tonePower(heard, 16000, 1000), tonePower(heard, 16000, 7000)) > 40);
});

test('G.722 leg outbound: a 16 kHz mix from the call is encoded as it is (a 6 kHz tone reaches the caller)', () => {
  const { leg, socket } = setup();
  assert.equal(leg.wideband, true);
  const frames = 50;
  const wide = generateTone(6000, 16000, frames * 20, 8000);
  const narrow = new Int16Array(FRAME_SAMPLES);
  for (let f = 0; f < frames; f++) {
    leg.writeOutbound(narrow, wide.subarray(f * 320, f * 320 + 320));
  }
  const dec = new G722Decoder();
  const out = new Int16Array(frames * 320);
  socket.sent.forEach((p, i) => {
    dec.decode(p.payload, out.subarray(i * 320, i * 320 + 320));
  });
  const heard = out.subarray(1600);
  assert.ok(Math.abs(db(tonePower(heard, 16000, 6000), tonePower(wide.subarray(1600), 16000, 6000))) < 1);
});
