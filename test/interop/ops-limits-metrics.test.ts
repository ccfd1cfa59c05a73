/**
 * Issue 15 items 1–3 end to end: the full server (startServer) with `limits.maxCalls` 1; sipp calls it
 * and streams a sox tone over RTP while the answer XML forks the call to a WebSocket app.
 * - /healthz and /readyz answer without credentials; /readyz turns 503 (Retry-After, "at
 *   limits.maxCalls") while the one call is up, and ready again after it.
 * - While the call is up a second sipp INVITE gets 503 with Retry-After, and REST Call create gets 503
 *   with Retry-After and dials nothing; the call that is up keeps every frame (no loss, no concealment).
 * - GET /metrics (Prometheus text, parsed here) shows the live call and stream, then the ended call by
 *   cause, the RTP the caller sent, the SIP requests and responses, and the refusals by why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { configForTesting } from '../../src/config/load.js';
import { startServer, type StreamforkServer } from '../../src/server.js';
import { startReferenceConsumer, type ReferenceConsumer } from '../consumer/reference-consumer.js';
import { startHttpRecorder, type HttpRecorder } from '../helpers/http-recorder.js';
import { until } from '../helpers/stream-call.js';
import { freeTcpPort } from './helpers/serve.js';
import {
  HOST,
  fillScenario,
  freeUdpPort,
  killChildren,
  runTool,
  sippArgs,
  sippTotals,
} from './helpers/sipp.js';

const AUTH_ID = 'MAOPSLIMITSTEST00000';
const TOKEN = 'ops-limits-token';
const auth = `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`;
const HOLD_MS = 5000;

let dir: string;
let toneWav: string;
let server: StreamforkServer;
let app: ReferenceConsumer;
let web: HttpRecorder;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sf-ops-limits-'));
  toneWav = join(dir, 'tone.wav');
  try {
    execFileSync('sox', [
      '-n',
      '-r',
      '8000',
      '-c',
      '1',
      '-e',
      'u-law',
      '-b',
      '8',
      toneWav,
      'synth',
      '6',
      'sine',
      '440',
    ]);
  } catch (err) {
    throw new Error("sox (Debian package sox) is needed to make the caller's audio", { cause: err });
  }
  app = await startReferenceConsumer();
  web = await startHttpRecorder();
  web.serve('/answer', `<Response><Stream keepCallAlive="true">${app.url}</Stream></Response>`);
  server = await startServer(
    configForTesting({
      auth: { authId: AUTH_ID, authToken: TOKEN },
      sip: { host: HOST, port: await freeUdpPort(), transports: ['udp'] },
      http: { host: HOST, port: await freeTcpPort() },
      answer: { answerUrl: web.url('/answer') },
      limits: { maxCalls: 1 },
    }),
  );
});

after(async () => {
  killChildren();
  await server.stop();
  await app.close();
  await web.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = (): string => `http://${HOST}:${server.httpPort}`;

/** Prometheus text → `name{labels}` → value (labels as printed, sorted by prom-client). */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function metrics(): Promise<Map<string, number>> {
  const res = await fetch(`${base()}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  assert.doesNotMatch(text, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/, 'no call or stream ids in metrics');
  assert.doesNotMatch(text, /\+1555/, 'no phone numbers in metrics');
  return parseMetrics(text);
}

function sippCall(
  caseName: string,
  media: string,
  holdMs: number,
): Promise<{ code: number | null; output: string }> {
  const file = fillScenario('uac-stream-audio.xml', dir, {
    CASE: caseName,
    MEDIA: media,
    HOLD_MS: String(holdMs),
  });
  return Promise.all([freeUdpPort(), freeUdpPort(true)]).then(([sipPort, mediaPort]) =>
    runTool(
      'sipp',
      [...sippArgs(`${HOST}:${server.sipPort}`, sipPort, mediaPort, 30), '-sf', file, '-m', '1'],
      40_000,
      dir,
    ),
  );
}

test('limits.maxCalls 1: the second INVITE and a REST create get 503 with Retry-After while the first call keeps every frame; /readyz and /metrics tell it', async () => {
  const health = await fetch(`${base()}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  const ready = await fetch(`${base()}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), {
    status: 'ready',
    checks: { store: 'ok', sip: 'ok', draining: 'ok', limits: 'ok' },
  });

  const first = sippCall(
    'first',
    `  <nop><action><exec rtp_stream="${toneWav},1,0"/></action></nop>`,
    HOLD_MS,
  );
  const session = await app.waitForSession(10_000);
  await session.waitFor((m) => m.event === 'media', 5000);

  const live = await metrics();
  assert.equal(live.get('streamfork_calls_active'), 1);
  assert.equal(
    live.get(
      'streamfork_streams_active{dialect="plivo",content_type="audio/x-l16;rate=8000",state="in-progress"}',
    ),
    1,
    [...live.keys()].filter((k) => k.startsWith('streamfork_streams_active')).join(', '),
  );
  assert.equal(live.get('streamfork_ready'), 0, 'at limits.maxCalls the node is not ready');

  const full = await fetch(`${base()}/readyz`);
  assert.equal(full.status, 503);
  assert.equal(full.headers.get('retry-after'), '5');
  assert.deepEqual(await full.json(), {
    status: 'not-ready',
    checks: { store: 'ok', sip: 'ok', draining: 'ok', limits: 'at limits.maxCalls' },
  });

  const second = await sippCall('second', '', 500);
  assert.deepEqual(sippTotals(second.output), { successful: 0, failed: 1 }, second.output.slice(-2000));
  assert.match(second.output, /503/, 'sipp saw the 503');

  const rest = await fetch(`${base()}/v1/Account/${AUTH_ID}/Call/`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      from: '+15550001111',
      to: 'sip:nobody@127.0.0.1:9',
      answer_url: web.url('/answer'),
    }),
  });
  assert.equal(rest.status, 503);
  assert.equal(rest.headers.get('retry-after'), '5');
  const restBody = (await rest.json()) as { error: string };
  assert.match(restBody.error, /limits\.maxCalls/);

  const run = await first;
  assert.deepEqual(sippTotals(run.output), { successful: 1, failed: 0 }, run.output.slice(-2000));
  await until(async () => (await metrics()).get('streamfork_calls_active') === 0, 5000, 'the call ending');

  const m = await metrics();
  assert.equal(m.get('streamfork_calls_started_total{direction="inbound"}'), 1);
  const ended = [...m.entries()].filter(([k]) =>
    k.startsWith('streamfork_calls_ended_total{direction="inbound"'),
  );
  assert.equal(
    ended.reduce((n, [, v]) => n + v, 0),
    1,
    JSON.stringify(ended),
  );
  assert.equal(m.get('streamfork_refused_total{why="full"}'), 2, 'the INVITE and the REST create');
  assert.equal(m.get('streamfork_sip_requests_total{direction="in",method="INVITE"}'), 2);
  assert.equal(m.get('streamfork_sip_responses_total{direction="out",code="503"}'), 1);
  assert.equal(m.get('streamfork_sip_responses_total{direction="out",code="200"}') !== undefined, true);
  const received = m.get('streamfork_rtp_packets_received_total') ?? 0;
  // sipp sends 6 s of tone for a call held 5 s: at least 4 s of it arrive while the call is up.
  assert.ok(received >= 200, `RTP packets received ${received}`);
  assert.equal(m.get('streamfork_rtp_packets_lost_total'), 0, 'the admitted call lost nothing');
  assert.equal(m.get('streamfork_rtp_packets_late_total'), 0, 'nor dropped any packet as late');
  assert.equal(m.get('streamfork_streams_started_total{dialect="plivo"}'), 1);
  assert.equal(m.get('streamfork_stream_connect_seconds_count'), 1);
  assert.equal(m.get('streamfork_stream_first_media_seconds_count'), 1);
  assert.ok((m.get('streamfork_media_tick_lateness_seconds_count') ?? 0) > 0);
  assert.ok((m.get('process_resident_memory_bytes') ?? 0) > 0, 'process metrics are there');

  const again = await fetch(`${base()}/readyz`);
  assert.equal(again.status, 200, 'ready again once the call ended');
});
