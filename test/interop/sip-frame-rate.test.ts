/**
 * 50 media frames per second per track on real sockets (issue 11, item 7): sipp places the call (SIP
 * only; its SDP points RTP at a UDP socket this test owns), and the test sends the caller's RTP from
 * that socket on its own drift-free 20 ms schedule: speech, then a burst of RFC 4733 digits with no
 * audio, then nothing at all, then speech again. The strict reference consumer is the app; every
 * `media` message is timed as it arrives and counted per track in 1-second windows.
 *
 * Real timers and a shared machine jitter the ticks and the deliveries by a few milliseconds, so a
 * frame may land in the window next to the one it belongs to: each full window must hold 50 ± 2
 * frames per track. What cannot be jitter is checked exactly: the inbound track never falls behind
 * the outbound one (both are paced by the same media clock) by more than a few frames.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, test } from 'node:test';

import { generateTone } from '../../src/media/analysis.js';
import { mulawEncode } from '../../src/media/codecs/g711.js';
import { serializeTelephoneEvent } from '../../src/protocol/dtmf/rfc4733.js';
import { serializeRtpPacket } from '../../src/protocol/rtp/packet.js';
import { responseXml, streamElement, until, within } from '../helpers/stream-call.js';
import { HOST, killChildren, sippTotals } from './helpers/sipp.js';
import { startSippStreamRig, type SippStreamRig } from './helpers/sipp-stream-rig.js';

let rig: SippStreamRig;
let phone: dgram.Socket;

before(async () => {
  rig = await startSippStreamRig('sf-frame-rate-');
  rig.app.serve(
    '/answer',
    responseXml(
      streamElement(rig.consumer.url, {
        contentType: 'audio/x-mulaw;rate=8000',
        audioTrack: 'both',
        keepCallAlive: true,
      }),
    ),
  );
  phone = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => phone.bind(0, HOST, resolve));
});

after(async () => {
  killChildren();
  phone.close();
  await rig.close();
});

/** What the caller sends in 20 ms frame k: audio, a digit's event packet, or nothing. */
type Send = 'audio' | 'event' | 'none';

const SPEECH_1 = 100; // frames 0-99: speech (2 s)
const DIGITS = '427'; // then three digits of 400 ms each, 100 ms apart, no audio (1.5 s)
const DIGIT_FRAMES = 20;
const DIGIT_GAP = 5;
const NOTHING = 75; // then nothing at all (1.5 s)
const SPEECH_2 = 100; // then speech again (2 s)
const DIGITS_END = SPEECH_1 + DIGITS.length * (DIGIT_FRAMES + DIGIT_GAP);
const TOTAL = DIGITS_END + NOTHING + SPEECH_2;

function planOf(k: number): { send: Send; digit?: number; sinceStart?: number } {
  if (k < SPEECH_1 || k >= DIGITS_END + NOTHING) {
    return { send: 'audio' };
  }
  if (k < DIGITS_END) {
    const i = Math.floor((k - SPEECH_1) / (DIGIT_FRAMES + DIGIT_GAP));
    const within = (k - SPEECH_1) % (DIGIT_FRAMES + DIGIT_GAP);
    return within < DIGIT_FRAMES ? { send: 'event', digit: i, sinceStart: within } : { send: 'none' };
  }
  return { send: 'none' };
}

/** Sends the caller's RTP to `port` on a drift-free 20 ms schedule; resolves after the last frame. */
function sendCallerRtp(port: number): Promise<void> {
  const audio = new Uint8Array(160);
  mulawEncode(generateTone(440, 8000, 20, 8000), audio);
  let seq = 7000;
  const send = (payloadType: number, timestamp: number, payload: Uint8Array, marker: boolean): void => {
    const bytes = serializeRtpPacket({
      marker,
      payloadType,
      sequenceNumber: seq++ & 0xffff,
      timestamp: timestamp >>> 0,
      ssrc: 0xca11e4,
      payload,
    });
    phone.send(bytes, port, HOST);
  };
  const frame = (k: number): void => {
    const plan = planOf(k);
    if (plan.send === 'audio') {
      send(0, 160 * k, audio, planOf(k - 1).send !== 'audio');
    } else if (plan.send === 'event' && plan.digit !== undefined && plan.sinceStart !== undefined) {
      const start = k - plan.sinceStart;
      const end = plan.sinceStart === DIGIT_FRAMES - 1;
      const payload = serializeTelephoneEvent({
        event: Number(DIGITS[plan.digit]),
        end,
        volume: 10,
        duration: 160 * (plan.sinceStart + 1),
      });
      for (let i = 0; i < (end ? 3 : 1); i++) {
        send(101, 160 * start, payload, plan.sinceStart === 0 && i === 0);
      }
    }
  };
  const t0 = performance.now();
  return new Promise((resolve) => {
    let k = 0;
    const wake = (): void => {
      while (k < TOTAL && performance.now() >= t0 + 20 * k) {
        frame(k++);
      }
      if (k >= TOTAL) {
        resolve();
        return;
      }
      setTimeout(wake, Math.max(0, t0 + 20 * k - performance.now()));
    };
    wake();
  });
}

test('real sockets: speech, an RFC 4733 burst with no audio, then no RTP at all: 50 frames/s on each track', async (t) => {
  const sipp = rig.callWithScenario('uac-until-bye.xml', { RTP_PORT: String(phone.address().port) }, 40);
  await until(() => rig.stack.calls.length > 0, 10_000, 'the call arriving');
  const call = rig.stack.calls[0]?.call;
  assert.ok(call);
  const rtp = rig.stack.server.rtpStatsForTesting(call.callUuid);
  assert.ok(rtp, "the call's RTP port");

  const session = await rig.consumer.waitForSession(5000);
  await session.waitForStart(5000);
  const arrivals: { atMs: number; track: string }[] = [];
  void session
    .waitFor((m) => {
      const media = m['media'] as { track?: string } | undefined;
      if (m.event === 'media' && media?.track !== undefined) {
        arrivals.push({ atMs: performance.now(), track: media.track });
      }
      return false;
    }, 60_000)
    .catch(() => undefined); // rejected when the stream closes
  await sendCallerRtp(rtp.rtpPort);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const inboundAtEnd = arrivals.filter((a) => a.track === 'inbound').length;
  const outboundAtEnd = arrivals.filter((a) => a.track === 'outbound').length;
  call.hangup('NORMAL_CLEARING', 'server');
  const run = await sipp;
  assert.equal(run.code, 0, run.output.slice(-3000));
  assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 });
  await within(session.closed, 5000, 'the stream closing');
  rig.consumer.assertClean();
  assert.equal(session.dtmfDigits, DIGITS);

  // Windows from the first media message on; the first and the last (partial) ones are left out.
  const t0 = arrivals[0]?.atMs ?? 0;
  const windows = Math.floor(((arrivals.at(-1)?.atMs ?? t0) - t0) / 1000);
  const problems: string[] = [];
  for (const track of ['inbound', 'outbound']) {
    const counts = new Array<number>(windows).fill(0);
    for (const a of arrivals) {
      const n = Math.floor((a.atMs - t0) / 1000);
      if (a.track === track && n < windows) {
        counts[n] = (counts[n] ?? 0) + 1;
      }
    }
    t.diagnostic(`${track}: ${counts.join(' ')} frames per second`);
    counts.forEach((c, n) => {
      if (n > 0 && Math.abs(c - 50) > 2) {
        problems.push(`${track} window ${n}: ${c} frames`);
      }
    });
  }
  assert.ok(windows >= 6, `${windows} full windows`);
  assert.deepEqual(problems, []);
  // Both tracks are paced by the same clock: the caller's never falls behind what it heard.
  t.diagnostic(`after the caller's last frame: ${inboundAtEnd} inbound, ${outboundAtEnd} outbound frames`);
  assert.ok(
    inboundAtEnd >= outboundAtEnd - 3,
    `the inbound track is ${outboundAtEnd - inboundAtEnd} frames behind the outbound one`,
  );
  assert.ok(
    inboundAtEnd <= outboundAtEnd + 4,
    `the inbound track ran ${inboundAtEnd - outboundAtEnd} frames ahead`,
  );
  await until(
    () => rig.stack.server.stats().liveDialogs === 0 && rig.stack.server.stats().rtpPortsInUse === 0,
    5000,
    'released',
  );
});
