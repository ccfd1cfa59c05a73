import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseRtpPacket } from '../rtp/packet.js';
import {
  type DtmfDigitOutput,
  DtmfReceiver,
  type DtmfSendPacket,
  DtmfSender,
  parseTelephoneEvent,
  serializeTelephoneEvent,
} from './rfc4733.js';

/**
 * Provenance: /usr/share/sip-tester/dtmf_2833_1.pcap (Debian `sip-tester` 3.6.1), the RTP packets of
 * the digit "1" as sipp plays them, 20 ms apart; the last three are the repeated end packet.
 * Each: 12-octet RTP header (PT 101, SSRC 0x0e05384e, timestamp 0x33e0 for every packet of the event)
 * then the 4-octet telephone-event payload.
 */
const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
const SIPP_DIGIT_1 = [
  '80e51f30000033e00e05384e010a0000', // M=1 PT=101 seq 7984 | event 1, E=0, volume 10, duration 0
  '80651f31000033e00e05384e010a0140', // seq 7985 | duration 320
  '80651f32000033e00e05384e010a0280', // duration 640
  '80651f33000033e00e05384e010a03c0', // duration 960
  '80651f34000033e00e05384e010a0500', // duration 1280
  '80651f35000033e00e05384e010a0640', // duration 1600
  '80651f36000033e00e05384e010a0780', // duration 1920
  '80651f37000033e00e05384e018a08c0', // seq 7991 | E=1, duration 2240 (280 ms)
  '80651f37000033e00e05384e018a08c0', // end, repeated (same seq in this capture)
  '80651f37000033e00e05384e018a08c0', // end, repeated again
].map(hex);

function feed(rx: DtmfReceiver, packets: readonly Uint8Array[], startMs = 0): DtmfDigitOutput[] {
  const out: DtmfDigitOutput[] = [];
  packets.forEach((bytes, i) => {
    const p = parseRtpPacket(bytes);
    assert.ok(p.ok);
    out.push(
      ...rx.handle(
        { type: 'packet', timestamp: p.value.timestamp, payload: p.value.payload },
        startMs + i * 20,
      ),
    );
  });
  return out;
}

/** A synthetic event: `n` packets E=0 then three E=1, all at `timestamp`. */
function event(digitEvent: number, timestamp: number, n = 4): Uint8Array[] {
  const pkts: Uint8Array[] = [];
  for (let i = 0; i < n + 3; i++) {
    const end = i >= n;
    const payload = serializeTelephoneEvent({
      event: digitEvent,
      end,
      volume: 10,
      duration: Math.min(i + 1, n + 1) * 160,
    });
    pkts.push(
      Uint8Array.from([
        0x80,
        i === 0 ? 0xe5 : 0x65,
        0,
        i,
        timestamp >>> 24,
        (timestamp >>> 16) & 255,
        (timestamp >>> 8) & 255,
        timestamp & 255,
        0,
        0,
        0,
        1,
        ...payload,
      ]),
    );
  }
  return pkts;
}

test('RFC 4733 §2.3: parses the telephone-event payload of a sipp capture', () => {
  const p = parseRtpPacket(SIPP_DIGIT_1[7] ?? new Uint8Array());
  assert.ok(p.ok);
  assert.equal(p.value.payloadType, 101);
  const ev = parseTelephoneEvent(p.value.payload);
  assert.deepEqual(ev, { ok: true, value: { event: 1, end: true, volume: 10, duration: 2240 } });
  assert.deepEqual(
    serializeTelephoneEvent({ event: 1, end: true, volume: 10, duration: 2240 }),
    p.value.payload,
  );
  const short = parseTelephoneEvent(Uint8Array.from([1, 2, 3]));
  assert.equal(short.ok ? '' : short.error.code, 'ERR_RTP_EVENT_TOO_SHORT');
});

test('RFC 4733 §2.5.1.4: the end packet repeated three times yields ONE digit (sipp capture)', () => {
  const rx = new DtmfReceiver();
  const digits = feed(rx, SIPP_DIGIT_1);
  assert.deepEqual(digits, [{ type: 'digit', digit: '1', event: 1, durationMs: 280, reason: 'end' }]);
  assert.deepEqual(rx.handle({ type: 'tick' }, 5000), [], 'no second report on timeout');
});

test('RFC 4733 §2.5.2: a lost start packet still yields the digit once', () => {
  const rx = new DtmfReceiver();
  const digits = feed(rx, SIPP_DIGIT_1.slice(3));
  assert.deepEqual(
    digits.map((d) => d.digit),
    ['1'],
  );
});

test('RFC 4733: all end packets lost -> reported once when the next event starts', () => {
  const rx = new DtmfReceiver();
  const first = event(5, 1000).slice(0, 4); // only the E=0 packets of "5"
  const second = event(7, 2600);
  const digits = feed(rx, [...first, ...second]);
  assert.deepEqual(
    digits.map((d) => [d.digit, d.reason]),
    [
      ['5', 'next-event'],
      ['7', 'end'],
    ],
  );
});

test('RFC 4733: all end packets lost -> reported once after the timeout', () => {
  const rx = new DtmfReceiver({ endTimeoutMs: 500 });
  feed(rx, event(11, 1000).slice(0, 4)); // "#" without its ends, last packet at 60 ms
  assert.deepEqual(rx.handle({ type: 'tick' }, 500), []);
  const d = rx.handle({ type: 'tick' }, 560);
  assert.deepEqual(
    d.map((x) => [x.digit, x.reason]),
    [['#', 'timeout']],
  );
  assert.deepEqual(rx.handle({ type: 'tick' }, 2000), []);
  assert.deepEqual(
    feed(rx, event(11, 1000).slice(4), 600),
    [],
    'late end packets of the reported event are ignored',
  );
});

test('RFC 4733 §2.5.1.1: the same digit twice (different timestamps) yields two digits', () => {
  const rx = new DtmfReceiver();
  const digits = feed(rx, [...event(3, 8000), ...event(3, 9600), ...event(3, 9600).slice(-1)]);
  assert.deepEqual(
    digits.map((d) => d.digit),
    ['3', '3'],
  );
});

test('non-DTMF events and malformed payloads are ignored and counted', () => {
  const rx = new DtmfReceiver();
  assert.deepEqual(
    rx.handle({ type: 'packet', timestamp: 1, payload: Uint8Array.from([16, 0x80, 0, 160]) }, 0),
    [],
  );
  assert.deepEqual(rx.handle({ type: 'packet', timestamp: 2, payload: Uint8Array.from([1]) }, 0), []);
  assert.equal(rx.ignored, 2);
});

function play(tx: DtmfSender, ticks: number, ts0 = 0xfffffe00): (DtmfSendPacket | null)[] {
  const out: (DtmfSendPacket | null)[] = [];
  for (let i = 0; i < ticks; i++) {
    out.push(tx.tick((ts0 + i * 160) >>> 0));
  }
  return out;
}

test('RFC 4733 §2.5.1: one digit = marker start, continuations, three ends, same timestamp, then a gap', () => {
  const tx = new DtmfSender();
  assert.equal(tx.enqueue('9'), true);
  const out = play(tx, 11);
  const events = out.map((p) =>
    p === null ? null : { m: p.marker, ts: p.timestamp, ev: parseTelephoneEvent(p.payload) },
  );
  assert.deepEqual(
    events.map((e) =>
      e === null
        ? '-'
        : e.ev.ok
          ? `${e.m ? 'M' : ''}${e.ev.value.event}${e.ev.value.end ? 'E' : ''}:${e.ev.value.duration}`
          : '?',
    ),
    ['M9:160', '9:320', '9:480', '9:640', '9E:800', '9E:800', '9E:800', '-', '-', '-', '-'],
  );
  assert.ok(
    events.every((e) => e === null || e.ts === 0xfffffe00),
    'one timestamp per event',
  );
  assert.equal(tx.busy, false);
});

test('sender output fed to the receiver yields the digits once each, in order', () => {
  const tx = new DtmfSender();
  assert.equal(tx.enqueue('1#1*AbD0'), true);
  const rx = new DtmfReceiver();
  const got: string[] = [];
  const ticks = play(tx, 8 * 10 + 5, 12345);
  ticks.forEach((p, i) => {
    if (p !== null) {
      got.push(
        ...rx
          .handle({ type: 'packet', timestamp: p.timestamp, payload: p.payload }, i * 20)
          .map((d) => d.digit),
      );
    }
  });
  assert.equal(got.join(''), '1#1*ABD0');
  const starts = ticks.map((p, i) => (p?.marker === true ? i : -1)).filter((i) => i >= 0);
  assert.deepEqual(starts, [0, 10, 20, 30, 40, 50, 60, 70], '200 ms per digit: 100 ms tone + 100 ms gap');
});

test('w pauses 500 ms, W one second; an invalid character queues nothing', () => {
  const tx = new DtmfSender();
  assert.equal(tx.enqueue('1x'), false);
  assert.equal(tx.busy, false);
  assert.equal(tx.enqueue('1w2'), true);
  const starts = play(tx, 60)
    .map((p, i) => (p?.marker === true ? i : -1))
    .filter((i) => i >= 0);
  assert.deepEqual(starts, [0, 35]); // 10 ticks for "1", 25 for "w"
});
