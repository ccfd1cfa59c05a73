// test-runner: exclusive
/**
 * The web console in a real browser (issue 15 item 5): Debian's chromium, headless, driven by
 * playwright-core, against the full server (`startServer`) with a real call: sipp calls in, the answer
 * XML streams it to a bot (the reference consumer) that sends playAudio and a checkpoint, and the
 * test's RTP socket plays a tone as the caller. The operator logs in, sees the call appear (the delay
 * from the call's start to its row is measured and printed), opens its timeline and sees the
 * checkpoint, listens in (the page counts the non-zero samples it received and their RMS, and the
 * latency from a frame leaving the call to its scheduled play time), sees the caller's DTMF (RFC 4733
 * from the test's RTP socket) and the XML warning in the timeline, stops the stream (the call stays up
 * on its <Wait>), hangs up, and finds the call in the history. Screenshots go to a temp dir, or to $CONSOLE_SCREENSHOTS_DIR (docs/images for the doc).
 *
 * Exclusive: it measures latencies and needs the CPU to itself.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { chromium, type Browser, type Page } from 'playwright-core';

import { configForTesting } from '../../src/config/load.js';
import { generateTone } from '../../src/media/analysis.js';
import { mulawEncode } from '../../src/media/codecs/g711.js';
import { serializeRtpPacket } from '../../src/protocol/rtp/packet.js';
import { startServer, type StreamforkServer } from '../../src/server.js';
import { startReferenceConsumer } from '../consumer/reference-consumer.js';
import { startHttpRecorder } from '../helpers/http-recorder.js';
import { fillScenario, freeUdpPort, HOST, killChildren, runTool, sippArgs } from './helpers/sipp.js';

const CHROMIUM = '/usr/bin/chromium';
const AUTH_ID = 'MACONSOLEBROWSER0000';
const TOKEN = 'console-browser-token';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  killChildren();
  for (const c of cleanups.reverse()) {
    await c().catch(() => undefined);
  }
});

function mulawTone(hz: number, ms: number, amplitude = 8000): Uint8Array {
  const pcm = generateTone(hz, 8000, ms, amplitude);
  const out = new Uint8Array(pcm.length);
  mulawEncode(pcm, out);
  return out;
}

/** The caller's side of the media: a socket sipp's SDP points at, sending a 300 Hz tone back, 20 ms apart. */
async function callerPhone(): Promise<{ port: number; press(digit: number): void; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, HOST, r));
  const tone = mulawTone(300, 60_000, 6000);
  let peer: { address: string; port: number } | undefined;
  let seq = 0;
  sock.on('message', (_msg, rinfo) => {
    peer ??= { address: rinfo.address, port: rinfo.port };
  });
  /** An RFC 4733 event in progress: its digit, start timestamp and packets sent (8 × 20 ms, the last 3 with E). */
  let dtmf: { digit: number; timestamp: number; sent: number } | undefined;
  const timer = setInterval(() => {
    if (peer === undefined) {
      return;
    }
    let packet: Uint8Array;
    if (dtmf !== undefined) {
      const end = dtmf.sent >= 5;
      const duration = Math.min(8, dtmf.sent + 1) * 160;
      packet = serializeRtpPacket({
        marker: dtmf.sent === 0,
        payloadType: 101,
        sequenceNumber: seq & 0xffff,
        timestamp: dtmf.timestamp >>> 0,
        ssrc: 0x5eed,
        payload: Uint8Array.of(dtmf.digit, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff),
      });
      dtmf.sent++;
      if (dtmf.sent === 8) {
        dtmf = undefined;
      }
    } else {
      const off = (seq * 160) % (tone.length - 160);
      packet = serializeRtpPacket({
        marker: seq === 0,
        payloadType: 0,
        sequenceNumber: seq & 0xffff,
        timestamp: (seq * 160) >>> 0,
        ssrc: 0x5eed,
        payload: tone.subarray(off, off + 160),
      });
    }
    seq++;
    sock.send(packet, peer.port, peer.address);
  }, 20);
  return {
    port: (sock.address() as { port: number }).port,
    press: (digit) => {
      dtmf = { digit, timestamp: seq * 160, sent: 0 };
    },
    close: () =>
      new Promise((r) => {
        clearInterval(timer);
        sock.close(() => {
          r();
        });
      }),
  };
}

interface AudioStats {
  frames: { inbound: number; outbound: number };
  nonZeroSamples: { inbound: number; outbound: number };
  sumSquares: { inbound: number; outbound: number };
  samples: { inbound: number; outbound: number };
  scheduled: number;
  arrivalMs: number[];
  latenciesMs: number[];
  outputLatencyMs: number;
}

interface ConsoleStats {
  rowShownAtMs: Record<string, number>;
  callStartedAtMs: Record<string, number>;
  audio: AudioStats;
}

const statsOf = (page: Page): Promise<ConsoleStats> =>
  page.evaluate(() => (globalThis as unknown as { __console: ConsoleStats }).__console);

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

test(
  'console in chromium: log in, a live call appears within 1 s, timeline with a checkpoint, listen-in hears audio, hang up, history',
  { timeout: 120_000 },
  async () => {
    if (!existsSync(CHROMIUM)) {
      assert.fail(
        `${CHROMIUM} is missing: install the Debian package chromium (scripts/ensure-system-deps.sh)`,
      );
    }
    const dir = mkdtempSync(join(tmpdir(), 'sf-console-browser-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    });
    const shots = process.env['CONSOLE_SCREENSHOTS_DIR'] ?? dir;
    mkdirSync(shots, { recursive: true });

    const bot = await startReferenceConsumer();
    cleanups.push(() => bot.close());
    const web = await startHttpRecorder();
    cleanups.push(() => web.close());
    web.serve(
      '/answer',
      `<Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000" audioTrak="both">${bot.url}</Stream><Wait length="60"/></Response>`,
    );
    const server: StreamforkServer = await startServer(
      configForTesting({
        auth: { authId: AUTH_ID, authToken: TOKEN },
        sip: { host: HOST, port: await freeUdpPort(), transports: ['udp'] },
        http: { host: HOST, port: await freeUdpPort() },
        answer: { answerUrl: web.url('/answer') },
        log: { level: 'warn' },
      }),
    );
    cleanups.push(() => server.stop());
    const base = `http://${HOST}:${server.httpPort}`;

    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    const foreign: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(base) && !req.url().startsWith(base.replace('http', 'ws'))) {
        foreign.push(req.url());
      }
    });

    // Log in.
    await page.goto(`${base}/console`);
    assert.equal(
      new URL(page.url()).pathname,
      '/console/login',
      'the console sends a stranger to the login form',
    );
    await page.fill('input[name=auth_id]', AUTH_ID);
    await page.fill('input[name=auth_token]', TOKEN);
    await page.screenshot({ path: join(shots, 'console-login.png') });
    await Promise.all([page.waitForURL(`${base}/console`), page.click('button[type=submit]')]);
    await page.waitForSelector('#feed-state:text-is("live")');

    // The bot: plays a tone with a checkpoint after its first second, then keeps talking.
    const botScript = bot.waitForSession(30_000).then(async (session) => {
      await session.waitForStart(10_000);
      session.playAudio(mulawTone(440, 1000), { chunkMs: 100 });
      session.checkpoint('greeting');
      session.playAudio(mulawTone(440, 20_000), { chunkMs: 200 });
      return session;
    });

    // The call.
    const phone = await callerPhone();
    cleanups.push(() => phone.close());
    const scenario = fillScenario('uac-until-bye.xml', dir, { RTP_PORT: String(phone.port) });
    const sipp = runTool(
      'sipp',
      [
        '-sf',
        scenario,
        ...sippArgs(`${HOST}:${server.sipPort}`, await freeUdpPort(), await freeUdpPort(true), 60),
        '-m',
        '1',
      ],
      70_000,
      dir,
    );
    const row = await page.waitForSelector('#calls tbody tr[data-call-uuid]', { timeout: 15_000 });
    const callUuid = (await row.getAttribute('data-call-uuid')) ?? '';
    const shown = await statsOf(page);
    const rowDelayMs = (shown.rowShownAtMs[callUuid] ?? NaN) - (shown.callStartedAtMs[callUuid] ?? NaN);
    console.log(`console: call start → row visible ${rowDelayMs.toFixed(0)} ms`);
    assert.ok(
      rowDelayMs >= 0 && rowDelayMs < 1000,
      `the row appeared ${rowDelayMs} ms after the call started`,
    );

    // Its timeline, with the checkpoint.
    await page.click(`#calls tr[data-call-uuid="${callUuid}"] button.open`);
    await page.waitForSelector('#timeline li[data-type="stream.checkpoint"]', { timeout: 15_000 });
    const timeline = await Promise.all(
      (await page.$$('#timeline li')).map((li) => li.getAttribute('data-type')),
    );
    for (const type of [
      'call.started',
      'call.answered',
      'call.xml',
      'stream.started',
      'stream.play',
      'stream.checkpoint',
    ]) {
      assert.ok(timeline.includes(type), `${type} in the timeline: ${timeline.join(', ')}`);
    }
    // The misspelt attribute is a warning: the document runs, and the timeline shows the issue.
    const issue = await page.textContent('#timeline li[data-type="call.xml"] .issue');
    assert.match(issue ?? '', /^warning ERR_XML_\w+ \d+:\d+ /, `the XML warning is shown: ${issue}`);
    const session = await botScript;
    assert.ok(session.start !== undefined);

    // Listen in for 3 s.
    await page.click('#listen');
    const before = await statsOf(page);
    await page.waitForTimeout(3000);
    const heard = (await statsOf(page)).audio;
    await page.screenshot({ path: join(shots, 'console-call.png'), fullPage: true });
    const rmsOf = (t: 'inbound' | 'outbound'): number =>
      Math.sqrt(heard.sumSquares[t] / Math.max(1, heard.samples[t]));
    const framesIn3s = {
      inbound: heard.frames.inbound - before.audio.frames.inbound,
      outbound: heard.frames.outbound - before.audio.frames.outbound,
    };
    const lat = heard.latenciesMs;
    console.log(
      `console: listen-in received ${heard.samples.outbound} bot samples (${heard.nonZeroSamples.outbound} non-zero, RMS ${rmsOf('outbound').toFixed(0)}), ` +
        `${heard.samples.inbound} caller samples (${heard.nonZeroSamples.inbound} non-zero, RMS ${rmsOf('inbound').toFixed(0)}); ` +
        `frames in 3 s: ${framesIn3s.inbound} caller / ${framesIn3s.outbound} bot; ` +
        `frame leaves the call → arrives in the page: median ${percentile(heard.arrivalMs, 50).toFixed(1)} ms, p95 ${percentile(heard.arrivalMs, 95).toFixed(1)} ms; ` +
        `→ played (arrival + playout cushion + output latency ${heard.outputLatencyMs.toFixed(0)} ms): median ${percentile(lat, 50).toFixed(0)} ms, p95 ${percentile(lat, 95).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms over ${lat.length} frames`,
    );
    assert.ok(heard.nonZeroSamples.outbound > 8000, 'the bot is heard: more than 1 s of non-zero samples');
    assert.ok(rmsOf('outbound') > 1000, `the bot's audio has energy (RMS ${rmsOf('outbound')})`);
    assert.ok(heard.nonZeroSamples.inbound > 8000, 'the caller is heard too');
    assert.ok(framesIn3s.outbound >= 140, `bot frames arrive at about 50/s (${framesIn3s.outbound} in 3 s)`);
    assert.ok(lat.length > 100, 'frames were scheduled for playback');
    assert.ok(percentile(lat, 50) < 250, `listen-in latency median ${percentile(lat, 50)} ms`);

    // The caller presses 5 (RFC 4733): the timeline shows it to the operator.
    phone.press(5);
    await page.waitForSelector('#timeline li[data-type="call.dtmf"]', { timeout: 5000 });
    assert.match((await page.textContent('#timeline li[data-type="call.dtmf"]')) ?? '', /DTMF 5/);

    // Stop the stream from the console: the XML goes on to its <Wait>, the call stays up.
    await page.click('#streams button.stop');
    await page.waitForSelector('#timeline li[data-type="stream.status"]:has-text("completed")', {
      timeout: 5000,
    });
    assert.match(
      (await page.textContent('#timeline li[data-type="stream.status"]:has-text("completed")')) ?? '',
      /Stopped from the console/,
    );
    assert.ok(await page.$(`#calls tr[data-call-uuid="${callUuid}"]`), 'the call is still live');

    // Hang up from the console; the call leaves the live list and shows in the history.
    await page.click(`#calls tr[data-call-uuid="${callUuid}"] button.hangup`);
    await page.waitForSelector(`#calls tr[data-call-uuid="${callUuid}"]`, {
      state: 'detached',
      timeout: 10_000,
    });
    await page.waitForSelector(`#history tr[data-call-uuid="${callUuid}"]`, { timeout: 10_000 });
    await page.waitForSelector('#timeline li[data-type="call.ended"]', { timeout: 5000 });
    await page.screenshot({ path: join(shots, 'console-history.png'), fullPage: true });
    const historyRow = await page.textContent(`#history tr[data-call-uuid="${callUuid}"]`);
    assert.match(historyRow ?? '', /Normal Hangup/);
    const run = await sipp;
    assert.equal(run.code, 0, `sipp got our BYE:\n${run.output.slice(-2000)}`);
    const record = await server.store.getCall(callUuid);
    assert.equal(record?.hangupCause, 'Normal Hangup');

    assert.deepEqual(pageErrors, [], 'no script errors in the page');
    assert.deepEqual(foreign, [], 'nothing loaded from anywhere but streamfork');
  },
);
