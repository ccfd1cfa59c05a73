/**
 * `<PreAnswer>` early media against sipp (issue 14 item 4): sipp calls `streamfork serve`, whose answer
 * URL starts with `<PreAnswer><Speak>`. sipp expects 183 Session Progress with an SDP answer before the
 * 200; the espeak TTS of the PreAnswer is heard in the RTP streamfork sends (captured on a socket the
 * test owns) before the 200 OK arrives (sipp's message trace), the call record is `ringing` meanwhile,
 * and answered (answer_time) once the 200 went out; the Speak after the PreAnswer is heard after it.
 * A caller who sends CANCEL during the early media gets 487, and the call ends `canceled` with cause
 * ORIGINATOR_CANCEL on the record and the hangup URL; a BYE on the early dialog gets 200 and 487. A
 * `<Hangup reason="busy">` after the PreAnswer answers 486 (record `busy`), a REST hangup 480, and a
 * `<GetDigits>` inside the PreAnswer takes an RFC 2833 digit before the call is answered.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { rms } from '../../src/media/analysis.js';
import { mulawDecode } from '../../src/media/codecs/g711.js';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder.js';
import { AUTH_ID, TOKEN, apiGet, freeTcpPort, serveArgs, startServe, waitUntil } from './helpers/serve.js';
import { fillScenario, freeUdpPort, killChildren, runTool, sippArgs } from './helpers/sipp.js';

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  killChildren();
  for (const c of cleanups.reverse()) {
    await c();
  }
});

interface Captured {
  readonly atMs: number;
  readonly level: number;
}

/** A socket the test owns where streamfork sends the caller's RTP; records each PCMU frame's level. */
async function rtpSink(): Promise<{ port: number; captured: Captured[] }> {
  const port = await freeUdpPort(true);
  const sink = dgram.createSocket('udp4');
  const captured: Captured[] = [];
  const pcm = new Int16Array(160);
  sink.on('message', (msg) => {
    if (msg.length === 12 + 160 && (msg[1] ?? 0) % 128 === 0) {
      mulawDecode(msg.subarray(12), pcm);
      captured.push({ atMs: Date.now(), level: rms(pcm) });
    }
  });
  await new Promise<void>((r) => sink.bind(port, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        sink.close(() => {
          r(undefined);
        });
      }),
  );
  return { port, captured };
}

/** Starts `serve` with `answer` as the answer document and a hangup URL; returns its ports and the app. */
async function serveWith(
  answer: string,
  fill: (xml: string, url: (path: string) => string) => string = (xml) => xml,
): Promise<{ dir: string; web: HttpRecorder; sipPort: number; httpPort: number; stderr: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-preanswer-'));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  });
  const web = await startHttpRecorder();
  cleanups.push(() => web.close());
  web.serve(
    '/answer',
    fill(answer, (path) => web.url(path)),
  );
  const sipPort = await freeUdpPort();
  const httpPort = await freeTcpPort();
  const server = await startServe([
    ...serveArgs({ dataDir: dir, sipPort, httpPort, answerUrl: web.url('/answer') }),
    '--hangup-url',
    web.url('/hangup'),
  ]);
  cleanups.push(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });
  return { dir, web, sipPort, httpPort, stderr: () => server.stderr() };
}

/**
 * When sipp received the first response with `status` (its `-trace_msg` log: each message follows a
 * line of dashes and the local time, `YYYY-MM-DD HH:MM:SS.micro`), as epoch ms.
 */
function receivedAtMs(log: string, status: number): number {
  const blocks = log.split(/^-{20,} /m);
  for (const block of blocks) {
    const stamp = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)\.(\d{3})\d*/.exec(block);
    if (
      stamp !== null &&
      block.includes('message received') &&
      new RegExp(`^SIP/2\\.0 ${status} `, 'm').test(block)
    ) {
      return new Date(`${stamp[1]}T${stamp[2]}.${stamp[3]}`).getTime();
    }
  }
  throw new Error(`no ${status} response in sipp's message log:\n${log.slice(0, 3000)}`);
}

const loud = (xs: readonly Captured[]): number => xs.filter((c) => c.level > 500).length;

test(
  'sipp → serve: <PreAnswer><Speak> is early media: 183 with SDP, TTS audio before the 200 OK, record ringing until answered',
  { timeout: 90_000 },
  async (t) => {
    const { dir, web, sipPort, httpPort } = await serveWith(
      '<Response><PreAnswer><Speak>Please hold while we connect your call to the next agent.</Speak>' +
        '</PreAnswer><Speak>You are connected now. Thank you for waiting.</Speak><Wait length="20"/></Response>',
    );
    const rtp = await rtpSink();
    const scenario = fillScenario('uac-early-media.xml', dir, {
      RTP_PORT: String(rtp.port),
      HOLD_MS: '5000',
      EARLY: '',
    });
    const messages = join(dir, 'sipp-messages.log');
    const startedAt = Date.now();
    const sipp = runTool(
      'sipp',
      [
        '-sf',
        scenario,
        ...sippArgs(`127.0.0.1:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 60),
        '-m',
        '1',
        '-trace_msg',
        '-message_file',
        messages,
      ],
      70_000,
    );
    // During the early media the record says ringing, with no answer time.
    const answerRequest = await web.waitFor((r) => r.path === '/answer', 10_000, 'answer URL');
    const callUuid = answerRequest.param('CallUUID') ?? '';
    let early: Record<string, unknown> = {};
    await waitUntil(
      'the call record in early media',
      async () => {
        const got = await fetchCall(httpPort, callUuid);
        early = got ?? {};
        return got !== undefined;
      },
      5000,
    );
    assert.equal(early['call_status'], 'ringing', JSON.stringify(early));
    assert.equal(early['answer_time'], null);

    const run = await sipp;
    assert.equal(run.code, 0, run.output.slice(0, 3000));
    const okAt = receivedAtMs(readFileSync(messages, 'utf8'), 200);
    const progressAt = receivedAtMs(readFileSync(messages, 'utf8'), 183);
    assert.ok(progressAt <= okAt, '183 before 200');
    const firstLoud = rtp.captured.find((c) => c.level > 500)?.atMs ?? Number.NaN;
    const inviteAt = receivedAtMs(readFileSync(messages, 'utf8'), 100);
    // Figures for docs/benchmarks/preanswer.md (not judged: the machine is shared).
    t.diagnostic(
      `100 Trying→183: ${progressAt - inviteAt} ms; 183→first loud early frame: ${firstLoud - progressAt} ms; ` +
        `first loud frame→200: ${okAt - firstLoud} ms; early frames ${rtp.captured.filter((c) => c.atMs < okAt).length}`,
    );
    const beforeOk = rtp.captured.filter((c) => c.atMs > startedAt && c.atMs < okAt - 50);
    const afterOk = rtp.captured.filter((c) => c.atMs > okAt + 100);
    assert.ok(
      loud(beforeOk) >= 25,
      `the PreAnswer's Speak is heard before the 200 OK (${loud(beforeOk)} loud frames of ${beforeOk.length})`,
    );
    assert.ok(
      loud(afterOk) >= 25,
      `the Speak after PreAnswer is heard after the 200 (${loud(afterOk)} loud frames)`,
    );
    assert.equal(web.requestsTo('/answer').length, 1, 'the answer URL is fetched once');

    const hangup = await web.waitFor((r) => r.path === '/hangup', 10_000, 'hangup_url');
    assert.equal(hangup.param('CallUUID'), callUuid);
    assert.equal(hangup.param('HangupCause'), 'NORMAL_CLEARING');
    assert.ok(hangup.param('AnswerTime') !== undefined, 'answered: AnswerTime is sent');
    const record = await apiGet(httpPort, `Call/${callUuid}/`);
    assert.equal(record['call_status'], 'completed');
    assert.notEqual(record['answer_time'], null);
    // answer_time has whole seconds; the 200 came at okAt.
    const answerTime = Date.parse(String(record['answer_time']).replace(' ', 'T'));
    assert.ok(
      Math.abs(answerTime - okAt) < 1500,
      `answer_time ${String(record['answer_time'])} is the 200's time`,
    );
  },
);

test(
  'sipp → serve: CANCEL during <PreAnswer> early media: 487, the call ends canceled with ORIGINATOR_CANCEL',
  { timeout: 90_000 },
  async () => {
    const { dir, web, sipPort, httpPort } = await serveWith(
      '<Response><PreAnswer><Speak>Please hold while we find someone to take your call. This can take a while.</Speak>' +
        '<Wait length="30"/></PreAnswer><Speak>Connected.</Speak></Response>',
    );
    const rtp = await rtpSink();
    const scenario = fillScenario('uac-early-cancel.xml', dir, {
      RTP_PORT: String(rtp.port),
      HOLD_MS: '2000',
    });
    const sipp = await runTool(
      'sipp',
      [
        '-sf',
        scenario,
        ...sippArgs(`127.0.0.1:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 60),
        '-m',
        '1',
      ],
      70_000,
    );
    assert.equal(sipp.code, 0, sipp.output.slice(0, 3000));
    assert.ok(
      loud(rtp.captured) >= 25,
      `early media was heard before the CANCEL (${loud(rtp.captured)} loud frames)`,
    );
    const hangup = await web.waitFor((r) => r.path === '/hangup', 10_000, 'hangup_url');
    assert.equal(hangup.param('HangupCause'), 'ORIGINATOR_CANCEL', JSON.stringify(hangup.params));
    assert.equal(hangup.param('HangupSource'), 'Caller');
    assert.equal(hangup.param('AnswerTime'), undefined, 'never answered');
    assert.equal(hangup.param('BillDuration'), '0');
    const callUuid = hangup.param('CallUUID') ?? '';
    let record: Record<string, unknown> = {};
    await waitUntil(
      'the canceled record',
      async () => {
        record = (await fetchCall(httpPort, callUuid)) ?? {};
        return record['call_status'] === 'canceled';
      },
      5000,
    ).catch(() => undefined);
    assert.equal(record['call_status'], 'canceled', JSON.stringify(record));
    assert.equal(record['answer_time'], null);
    assert.equal(record['hangup_cause_name'] !== null, true);
    // The RTP stopped with the call.
    const last = rtp.captured.at(-1)?.atMs ?? 0;
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rtp.captured.at(-1)?.atMs ?? 0, last, 'no RTP after the call ended');
  },
);

test(
  'sipp → serve: <PreAnswer> then <Hangup reason="busy">: early media, then 486 Busy Here, never answered',
  { timeout: 90_000 },
  async () => {
    const { dir, web, sipPort, httpPort } = await serveWith(
      '<Response><PreAnswer><Speak>All our agents are busy. Please call again later.</Speak></PreAnswer>' +
        '<Hangup reason="busy"/></Response>',
    );
    const rtp = await rtpSink();
    const scenario = fillScenario('uac-early-rejected.xml', dir, {
      RTP_PORT: String(rtp.port),
      STATUS: '486',
    });
    const sipp = await runTool(
      'sipp',
      [
        '-sf',
        scenario,
        ...sippArgs(`127.0.0.1:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 60),
        '-m',
        '1',
      ],
      70_000,
    );
    assert.equal(sipp.code, 0, sipp.output.slice(0, 3000));
    assert.ok(
      loud(rtp.captured) >= 25,
      `the busy message was heard first (${loud(rtp.captured)} loud frames)`,
    );
    const hangup = await web.waitFor((r) => r.path === '/hangup', 10_000, 'hangup_url');
    assert.equal(hangup.param('HangupCause'), 'USER_BUSY', JSON.stringify(hangup.params));
    assert.equal(hangup.param('AnswerTime'), undefined, 'never answered');
    const callUuid = hangup.param('CallUUID') ?? '';
    let record: Record<string, unknown> = {};
    await waitUntil(
      'the busy record',
      async () => {
        record = (await fetchCall(httpPort, callUuid)) ?? {};
        return record['call_status'] === 'busy';
      },
      5000,
    ).catch(() => undefined);
    assert.equal(record['call_status'], 'busy', JSON.stringify(record));
    assert.equal(record['answer_time'], null);
  },
);

test(
  "sipp → serve: BYE on the early dialog during <PreAnswer>: 200, 487 to the INVITE, the call ends as the caller's",
  { timeout: 90_000 },
  async () => {
    const { dir, web, sipPort } = await serveWith(
      '<Response><PreAnswer><Speak>Please hold while we find someone to take your call.</Speak>' +
        '<Wait length="30"/></PreAnswer><Speak>Connected.</Speak></Response>',
    );
    const rtp = await rtpSink();
    const scenario = fillScenario('uac-early-bye.xml', dir, { RTP_PORT: String(rtp.port), HOLD_MS: '1500' });
    const sipp = await runTool(
      'sipp',
      [
        '-sf',
        scenario,
        ...sippArgs(`127.0.0.1:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 60),
        '-m',
        '1',
      ],
      70_000,
    );
    assert.equal(sipp.code, 0, sipp.output.slice(0, 3000));
    const hangup = await web.waitFor((r) => r.path === '/hangup', 10_000, 'hangup_url');
    assert.equal(hangup.param('HangupSource'), 'Caller', JSON.stringify(hangup.params));
    assert.equal(hangup.param('AnswerTime'), undefined, 'never answered');
  },
);

test(
  'sipp → serve: a REST hangup (DELETE Call) during <PreAnswer> answers the INVITE 480, never answered',
  { timeout: 90_000 },
  async () => {
    const { dir, web, sipPort, httpPort } = await serveWith(
      '<Response><PreAnswer><Speak>Please hold.</Speak><Wait length="30"/></PreAnswer></Response>',
    );
    const rtp = await rtpSink();
    const scenario = fillScenario('uac-early-rejected.xml', dir, {
      RTP_PORT: String(rtp.port),
      STATUS: '480',
    });
    const sipp = runTool(
      'sipp',
      [
        '-sf',
        scenario,
        ...sippArgs(`127.0.0.1:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 60),
        '-m',
        '1',
      ],
      70_000,
    );
    const answerRequest = await web.waitFor((r) => r.path === '/answer', 10_000, 'answer URL');
    const callUuid = answerRequest.param('CallUUID') ?? '';
    await waitUntil('early media', () => loud(rtp.captured) >= 10, 10_000);
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1/Account/${AUTH_ID}/Call/${callUuid}/`, {
      method: 'DELETE',
      headers: { authorization: 'Basic ' + Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64') },
    });
    assert.equal(res.status, 204);
    const run = await sipp;
    assert.equal(run.code, 0, run.output.slice(0, 3000));
    const hangup = await web.waitFor((r) => r.path === '/hangup', 10_000, 'hangup_url');
    assert.equal(hangup.param('HangupSource'), 'API Request', JSON.stringify(hangup.params));
    assert.equal(hangup.param('AnswerTime'), undefined, 'never answered');
  },
);

test(
  'sipp → serve: <GetDigits> inside <PreAnswer> takes an RFC 2833 digit in early media; its action document answers the call',
  { timeout: 90_000 },
  async () => {
    const { dir, web, sipPort, httpPort, stderr } = await serveWith(
      `<Response><PreAnswer><GetDigits action="ACTION" numDigits="1" timeout="15"><Speak>Press one.</Speak>` +
        `</GetDigits></PreAnswer><Speak>Nothing pressed.</Speak></Response>`,
      (xml, url) => xml.replace('ACTION', url('/digits')),
    );
    web.serve('/digits', '<Response><Speak>Thank you.</Speak><Wait length="20"/></Response>');
    // sipp sends the digits from its own media port, and streamfork latches its RTP there (symmetric
    // RTP): the SDP names that port, which sipp keeps open, not a sink of the test's.
    const scenario = fillScenario('uac-early-media.xml', dir, {
      RTP_PORT: '[media_port]',
      HOLD_MS: '1500',
      EARLY:
        '  <pause milliseconds="1500"/>\n' +
        '  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_1.pcap"/></action></nop>',
    });
    const run = await runTool(
      'sipp',
      [
        '-sf',
        scenario,
        ...sippArgs(`127.0.0.1:${sipPort}`, await freeUdpPort(), await freeUdpPort(true), 60),
        '-m',
        '1',
      ],
      70_000,
    );
    assert.equal(
      run.code,
      0,
      `${run.output.slice(0, 600)}\n${stderr().slice(-3000)}\n${web.requests.map((r) => `${r.path} ${JSON.stringify(r.params)}`).join('\n')}`,
    );
    const digits = await web.waitFor((r) => r.path === '/digits', 5000, 'the GetDigits action');
    assert.equal(digits.param('Digits'), '1');
    assert.equal(digits.param('CallStatus'), 'in-progress');
    const hangup = await web.waitFor((r) => r.path === '/hangup', 10_000, 'hangup_url');
    assert.ok(hangup.param('AnswerTime') !== undefined, 'answered after the digit');
    const record = await apiGet(httpPort, `Call/${hangup.param('CallUUID') ?? ''}/`);
    assert.equal(record['call_status'], 'completed');
  },
);

/** The call's record from the REST API, or undefined while it is not there yet (404). */
async function fetchCall(httpPort: number, callUuid: string): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/Account/MASERVETEST000000000/Call/${callUuid}/`, {
    headers: {
      authorization: 'Basic ' + Buffer.from('MASERVETEST000000000:serve-test-token').toString('base64'),
    },
  });
  if (res.status === 404) {
    return undefined;
  }
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, unknown>;
}
