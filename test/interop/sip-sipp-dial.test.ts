// test-runner: exclusive
/**
 * Acceptance (issue 14, `<Dial>`): a sipp caller calls `streamfork serve`, whose answer XML dials a second
 * sipp (the party, a UAS on its own port) with `<Dial><User>`. Real SIP and RTP on loopback both ways.
 *
 * - Bridge: the party answers and streams known speech (espeak-ng → sox u-law → sipp rtp_stream); the
 *   RTP streamfork sends to the caller (captured on a socket the test owns) correlates with it; the
 *   party hangs up, the action URL gets DialStatus=completed with both legs' UUIDs, its XML runs, and
 *   both call records exist, the party's with parent_call_uuid = the caller's.
 * - With `<Stream audioTrack="both">` running from before the Dial: the stream's inbound track carries
 *   the caller's speech and its outbound track the party's (each correlated with the file that party sent).
 * - Two parties: the one that answers wins, the one still ringing gets a CANCEL (record `canceled`).
 * - Busy (486 → busy), no answer (ring timeout → CANCEL → no-answer), the caller hangs up while the
 *   party rings (CANCEL; no action XML), hangupOnStar (the caller's RFC 2833 `*` ends the bridge: the
 *   party gets a BYE and the action's XML runs).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { mulawDecode } from '../../src/media/codecs/g711.js';
import { alignedCorrelation, rms } from '../../src/media/analysis.js';
import { parseWav } from '../../src/media/wav.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder.js';
import { within } from '../helpers/stream-call.js';
import { apiGet, freeTcpPort, serveArgs, startServe, waitUntil, type Serve } from './helpers/serve.js';
import {
  fillScenario,
  freeUdpPort,
  HOST,
  killChildren,
  runTool,
  sippArgs,
  sippTotals,
  waitForUdpListener,
  type ToolRun,
} from './helpers/sipp.js';

let dir: string;
let web: HttpRecorder;
let consumer: ReferenceConsumer;
let server: Serve;
let sipPort: number;
let httpPort: number;
let partyWav: string;
let partySpeech: Int16Array;
let callerWav: string;
let callerSpeech: Int16Array;

function speechFile(name: string, text: string): [string, Int16Array] {
  const raw = join(dir, `${name}-raw.wav`);
  const out = join(dir, `${name}-ulaw.wav`);
  execFileSync('espeak-ng', ['-w', raw, text]);
  execFileSync('sox', [raw, '-r', '8000', '-c', '1', '-e', 'u-law', '-b', '8', out]);
  const wav = parseWav(readFileSync(out));
  assert.ok(wav.ok, 'sox wrote a u-law WAV we can read');
  return [out, wav.value.samples];
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-sipp-dial-'));
  [partyWav, partySpeech] = speechFile('party', 'This is the agent speaking. How can I help you today?');
  [callerWav, callerSpeech] = speechFile('caller', 'Hello there, I would like to talk to a person, please.');
  web = await startHttpRecorder();
  consumer = await startReferenceConsumer({ path: '/stream' });
  sipPort = await freeUdpPort();
  httpPort = await freeTcpPort();
  server = await startServe(serveArgs({ dataDir: dir, sipPort, httpPort, answerUrl: web.url('/answer') }));
});

after(async () => {
  killChildren();
  server.child.kill('SIGTERM');
  await server.exited;
  await consumer.close();
  await web.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Party {
  readonly port: number;
  readonly run: Promise<ToolRun>;
}

/** Starts the party: sipp as a UAS on a free port running `scenario`; resolves once it listens. */
async function startParty(scenario: string, values: Readonly<Record<string, string>>): Promise<Party> {
  const port = await freeUdpPort();
  const file = fillScenario(scenario, dir, { MEDIA: '', HOLD_MS: '0', ...values });
  const args = [
    '-sf',
    file,
    '-i',
    HOST,
    '-p',
    String(port),
    '-mi',
    HOST,
    '-mp',
    String(await freeUdpPort(true)),
    '-m',
    '1',
    '-nostdin',
    '-timeout',
    '45',
    '-timeout_error',
  ];
  const run = runTool('sipp', args, 60_000, dir);
  await waitForUdpListener(port, 5000);
  return { port, run };
}

/** The caller: sipp calls serve with `scenario`. */
async function placeCall(scenario: string, values: Readonly<Record<string, string>>): Promise<ToolRun> {
  const file = fillScenario(scenario, dir, { MEDIA: '', CASE: 'dial', HOLD_MS: '0', ...values });
  const args = [
    ...sippArgs(`${HOST}:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 45),
    '-sf',
    file,
    '-m',
    '1',
  ];
  return runTool('sipp', args, 60_000, dir);
}

function assertSippOk(name: string, run: ToolRun): void {
  assert.equal(run.code, 0, `${name} sipp exit ${run.code}:\n${run.output.slice(-3000)}`);
  assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 }, run.output.slice(-2000));
}

interface Capture {
  readonly pcm: number[];
  close(): Promise<void>;
}

/** A socket standing for the caller's RTP address: decodes every PCMU packet streamfork sends it. */
async function captureRtp(port: number): Promise<Capture> {
  const sink = dgram.createSocket('udp4');
  const pcm: number[] = [];
  const frame = new Int16Array(160);
  sink.on('message', (msg) => {
    if (msg.length === 12 + 160 && (msg[1] ?? 0) % 128 === 0) {
      mulawDecode(msg.subarray(12), frame);
      pcm.push(...frame);
    }
  });
  await new Promise<void>((r) => sink.bind(port, HOST, r));
  return {
    pcm,
    close: () =>
      new Promise((r) => {
        sink.close(() => {
          r();
        });
      }),
  };
}

/** `heard` from 200 ms before its first loud frame: the speech correlated with the file sent. */
function correlate(sent: Int16Array, heard: Int16Array): { correlation: number; lagSamples: number } {
  let first = 0;
  for (let i = 0; i + 160 <= heard.length; i += 160) {
    if (rms(heard.subarray(i, i + 160)) > 300) {
      first = i;
      break;
    }
  }
  const from = Math.max(0, first - 1600);
  return alignedCorrelation(sent, heard.subarray(from, from + sent.length + 8000), 8000);
}

/**
 * The same, segment by segment: each 400 ms of `sent` finds its own best lag (within ±100 ms of the
 * whole file's). One frame dropped or concealed on a loaded machine shifts the audio after it by 20 ms,
 * which a single lag counts against all the rest; per segment it costs one segment. Returns the median
 * of the segments' correlations and the share of segments at 0.9 or more.
 */
function segmentCorrelation(sent: Int16Array, heard: Int16Array): { median: number; good: number } {
  const whole = correlate(sent, heard);
  let first = 0;
  for (let i = 0; i + 160 <= heard.length; i += 160) {
    if (rms(heard.subarray(i, i + 160)) > 300) {
      first = i;
      break;
    }
  }
  const from = Math.max(0, first - 1600);
  const base = heard.subarray(from);
  const seg = 3200;
  const scores: number[] = [];
  for (let at = 0; at + seg <= sent.length; at += seg) {
    const part = sent.subarray(at, at + seg);
    if (rms(part) < 300) {
      continue; // a pause in the speech says nothing about alignment
    }
    const start = Math.max(0, at + whole.lagSamples - 800);
    const window = base.subarray(start, start + seg + 1600);
    scores.push(alignedCorrelation(part, window, 1600).correlation);
  }
  scores.sort((x, y) => x - y);
  return {
    median: scores[Math.floor(scores.length / 2)] ?? 0,
    good: scores.filter((x) => x >= 0.9).length / Math.max(1, scores.length),
  };
}

async function callRecord(uuid: string): Promise<Record<string, unknown>> {
  return apiGet(httpPort, `Call/${uuid}/`);
}

async function endedRecord(uuid: string): Promise<Record<string, unknown>> {
  let record: Record<string, unknown> = {};
  await waitUntil(
    `the record of ${uuid} ended`,
    async () => {
      record = await callRecord(uuid);
      return record['end_time'] !== null;
    },
    10_000,
  );
  return record;
}

function dialXml(party: number, attrs: string, action: string, extra = ''): string {
  return (
    `<Response>${extra}<Dial action="${web.url(action)}" ${attrs}>` +
    `<User>sip:agent@${HOST}:${party}</User></Dial></Response>`
  );
}

test('sipp → serve → <Dial><User> → sipp: the caller hears the party (correlation), action gets completed, both records with parent_call_uuid', async (t) => {
  const holdMs = Math.round(partySpeech.length / 8) + 800;
  const party = await startParty('uas-dial-answer.xml', {
    FROM_RE: 'Support Line.*sip:15550001111@',
    HEADER_RE: 'X-PH-team: sales',
    MEDIA: `  <nop><action><exec rtp_stream="${partyWav},1,0"/></action></nop>`,
    HOLD_MS: String(holdMs),
  });
  web.serve(
    '/answer',
    dialXml(
      party.port,
      'callerId="15550001111" callerName="Support Line" sipHeaders="team=sales"',
      '/done-bridge',
    ),
  );
  web.serve('/done-bridge', '<Response><Hangup/></Response>');
  const rtpPort = await freeUdpPort(true);
  const capture = await captureRtp(rtpPort);
  try {
    const caller = await placeCall('uac-dial-caller.xml', { RTP_PORT: String(rtpPort) });
    assertSippOk('caller', caller);
    assertSippOk('party', await party.run);
  } finally {
    await capture.close();
  }
  const heard = Int16Array.from(capture.pcm);
  const { correlation, lagSamples } = correlate(partySpeech, heard);
  const segments = segmentCorrelation(partySpeech, heard);
  t.diagnostic(
    `caller hears the party: correlation ${correlation.toFixed(3)} at lag ${lagSamples}; ` +
      `per 400 ms segment median ${segments.median.toFixed(3)}, ${(segments.good * 100).toFixed(0)} % >= 0.9`,
  );
  assert.ok(
    segments.median >= 0.9 && segments.good >= 0.75,
    `whole ${correlation.toFixed(3)} at lag ${lagSamples}; segments median ${segments.median.toFixed(3)}, ` +
      `${(segments.good * 100).toFixed(0)} % >= 0.9`,
  );

  const done = await web.waitFor((r) => r.path === '/done-bridge', 10_000, 'the Dial action');
  assert.equal(done.param('DialStatus'), 'completed');
  assert.equal(done.param('DialHangupCause'), 'NORMAL_CLEARING');
  const aLeg = done.param('DialALegUUID') ?? '';
  const bLeg = done.param('DialBLegUUID') ?? '';
  assert.equal(done.param('CallUUID'), aLeg);
  assert.match(bLeg, /^[0-9a-f-]{36}$/);
  assert.notEqual(aLeg, bLeg);
  const b = await endedRecord(bLeg);
  assert.equal(b['parent_call_uuid'], aLeg);
  assert.equal(b['call_direction'], 'outbound');
  assert.equal(b['call_status'], 'completed');
  assert.equal(b['to_number'], `sip:agent@${HOST}:${party.port}`);
  assert.equal(b['from_number'], '15550001111');
  assert.equal(b['hangup_source'], 'Call recipient');
  const a = await endedRecord(aLeg);
  assert.equal(a['parent_call_uuid'], null);
  assert.equal(a['call_direction'], 'inbound');
  assert.equal(a['hangup_cause_name'], 'NORMAL_CLEARING');
});

test('<Stream audioTrack="both"> started before the Dial keeps running: inbound carries the caller, outbound the party', async (t) => {
  const holdMs = Math.round(Math.max(partySpeech.length, callerSpeech.length) / 8) + 1000;
  const party = await startParty('uas-dial-answer.xml', {
    FROM_RE: 'sip:',
    HEADER_RE: 'INVITE',
    MEDIA: `  <nop><action><exec rtp_stream="${partyWav},1,0"/></action></nop>`,
    HOLD_MS: String(holdMs),
  });
  const stream = `<Stream audioTrack="both" contentType="audio/x-mulaw;rate=8000">${consumer.url}</Stream>`;
  web.serve('/answer', dialXml(party.port, '', '/done-stream', stream));
  web.serve('/done-stream', '<Response><Hangup/></Response>');
  const sessions = consumer.sessions.length;
  const caller = await placeCall('uac-dial-caller.xml', {
    RTP_PORT: '[media_port]',
    MEDIA: `  <nop><action><exec rtp_stream="${callerWav},1,0"/></action></nop>`,
  });
  assertSippOk('caller', caller);
  assertSippOk('party', await party.run);
  await waitUntil('the stream session', () => consumer.sessions.length > sessions, 5000);
  const session = consumer.sessions.at(-1);
  assert.ok(session !== undefined);
  await within(session.closed, 10_000, 'the stream closing');
  consumer.assertClean();
  const inbound = segmentCorrelation(callerSpeech, session.inboundPcm);
  const outbound = segmentCorrelation(partySpeech, session.outboundPcm);
  t.diagnostic(
    `per 400 ms segment: inbound ~ caller median ${inbound.median.toFixed(3)} (${(inbound.good * 100).toFixed(0)} % >= 0.9), ` +
      `outbound ~ party median ${outbound.median.toFixed(3)} (${(outbound.good * 100).toFixed(0)} % >= 0.9)`,
  );
  assert.ok(
    inbound.median >= 0.9 && inbound.good >= 0.75,
    `inbound track vs the caller: ${JSON.stringify(inbound)}`,
  );
  assert.ok(
    outbound.median >= 0.9 && outbound.good >= 0.75,
    `outbound track vs the party: ${JSON.stringify(outbound)}`,
  );
  const done = await web.waitFor((r) => r.path === '/done-stream', 10_000, 'the Dial action');
  assert.equal(done.param('DialStatus'), 'completed');
});

test('two parties: the one that answers is bridged, the one still ringing gets a CANCEL', async () => {
  const ringing = await startParty('uas-dial-ring.xml', {});
  const answering = await startParty('uas-dial-answer.xml', {
    FROM_RE: 'sip:',
    HEADER_RE: 'INVITE',
    MEDIA: `  <nop><action><exec rtp_stream="${partyWav},1,0"/></action></nop>`,
    HOLD_MS: '1500',
  });
  web.serve(
    '/answer',
    `<Response><Dial action="${web.url('/done-two')}">` +
      `<User>sip:slow@${HOST}:${ringing.port}</User><User>sip:fast@${HOST}:${answering.port}</User>` +
      `</Dial></Response>`,
  );
  web.serve('/done-two', '<Response><Hangup/></Response>');
  const caller = await placeCall('uac-dial-caller.xml', { RTP_PORT: '[media_port]' });
  assertSippOk('caller', caller);
  assertSippOk('the answering party', await answering.run);
  assertSippOk('the ringing party (it got the CANCEL)', await ringing.run);
  const done = await web.waitFor((r) => r.path === '/done-two', 10_000, 'the Dial action');
  assert.equal(done.param('DialStatus'), 'completed');
  const aLeg = done.param('DialALegUUID') ?? '';
  await waitUntil(
    'both party records',
    async () => {
      const list = (await apiGet(httpPort, 'Call/?limit=20')) as { objects: Record<string, unknown>[] };
      const parties = list.objects.filter((c) => c['parent_call_uuid'] === aLeg);
      return (
        parties.length === 2 &&
        parties.some(
          (c) => c['call_status'] === 'canceled' && c['to_number'] === `sip:slow@${HOST}:${ringing.port}`,
        ) &&
        parties.some((c) => c['call_status'] === 'completed' && c['call_uuid'] === done.param('DialBLegUUID'))
      );
    },
    5000,
  );
});

test('a busy party (486): DialStatus=busy, DialHangupCause=USER_BUSY, its record busy with parent_call_uuid', async () => {
  const party = await startParty('uas-dial-busy.xml', {});
  web.serve('/answer', dialXml(party.port, '', '/done-busy'));
  web.serve('/done-busy', '<Response><Hangup/></Response>');
  const caller = await placeCall('uac-dial-caller.xml', { RTP_PORT: '[media_port]' });
  assertSippOk('caller', caller);
  assertSippOk('party', await party.run);
  const done = await web.waitFor((r) => r.path === '/done-busy', 10_000, 'the Dial action');
  assert.equal(done.param('DialStatus'), 'busy');
  assert.equal(done.param('DialHangupCause'), 'USER_BUSY');
  assert.equal(done.param('DialBLegUUID'), '');
  const aLeg = done.param('DialALegUUID') ?? '';
  const list = (await apiGet(httpPort, 'Call/?limit=20')) as { objects: Record<string, unknown>[] };
  const b = list.objects.find((c) => c['parent_call_uuid'] === aLeg);
  assert.ok(b !== undefined, 'the party has a record');
  assert.equal(b['call_status'], 'busy');
  assert.equal(b['hangup_cause_name'], 'USER_BUSY');
});

test('no answer: the ring timeout CANCELs the party, DialStatus=no-answer', async () => {
  const party = await startParty('uas-dial-ring.xml', {});
  web.serve('/answer', dialXml(party.port, 'timeout="2"', '/done-noanswer'));
  web.serve('/done-noanswer', '<Response><Hangup/></Response>');
  const started = Date.now();
  const caller = await placeCall('uac-dial-caller.xml', { RTP_PORT: '[media_port]' });
  assertSippOk('caller', caller);
  assertSippOk('party (it got the CANCEL)', await party.run);
  const done = await web.waitFor((r) => r.path === '/done-noanswer', 10_000, 'the Dial action');
  assert.equal(done.param('DialStatus'), 'no-answer');
  assert.equal(done.param('DialHangupCause'), 'NO_ANSWER');
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 2000, `the party rang ${elapsed} ms, at least the 2 s timeout`);
});

test('the caller hangs up while the party rings: the party gets a CANCEL, its record is canceled, the action XML is not run', async () => {
  const party = await startParty('uas-dial-ring.xml', {});
  web.serve('/answer', dialXml(party.port, 'timeout="30"', '/done-cancel'));
  web.serve('/done-cancel', '<Response><Speak>never</Speak></Response>');
  const caller = await placeCall('uac-stream-audio.xml', { HOLD_MS: '1500' });
  assertSippOk('caller', caller);
  assertSippOk('party (it got the CANCEL)', await party.run);
  const done = await web.waitFor((r) => r.path === '/done-cancel', 10_000, 'the Dial action notification');
  assert.equal(done.param('DialStatus'), 'canceled');
  const aLeg = done.param('DialALegUUID') ?? '';
  const a = await endedRecord(aLeg);
  assert.equal(a['hangup_source'], 'Caller');
  await waitUntil(
    'the party record canceled',
    async () => {
      const list = (await apiGet(httpPort, 'Call/?limit=20')) as { objects: Record<string, unknown>[] };
      return list.objects.find((c) => c['parent_call_uuid'] === aLeg)?.['call_status'] === 'canceled';
    },
    5000,
  );
});

test('hangupOnStar: the caller presses * (RFC 2833), the party gets a BYE, the action XML runs', async () => {
  const party = await startParty('uas-dial-stay.xml', {});
  web.serve('/answer', dialXml(party.port, 'hangupOnStar="true"', '/done-star'));
  web.serve('/done-star', '<Response><Wait length="1"/><Hangup/></Response>');
  const caller = await placeCall('uac-dial-caller.xml', {
    RTP_PORT: '[media_port]',
    MEDIA:
      '  <pause milliseconds="1500"/>\n' +
      '  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_star.pcap"/></action></nop>',
  });
  assertSippOk('caller', caller);
  assertSippOk('party (it got the BYE)', await party.run);
  const done = await web.waitFor((r) => r.path === '/done-star', 10_000, 'the Dial action');
  assert.equal(done.param('DialStatus'), 'completed');
  const b = await endedRecord(done.param('DialBLegUUID') ?? '');
  assert.equal(b['parent_call_uuid'], done.param('DialALegUUID'));
  assert.equal(b['hangup_source'], 'Caller');
});
