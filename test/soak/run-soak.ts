/**
 * `npm run soak` (issue 11): an hour (default) of mixed calls at a steady rate on loopback against a real
 * `streamfork serve` process, sampling the server at the start, every minute and after the drain, then
 * judging whether it stayed flat and left nothing behind. See docs/benchmarks/soak.md.
 *
 * One process plays both peers: the SIP/RTP caller (uac.ts) and the app (app.ts: answer URL, hangup URL,
 * status callbacks, the stream consumer). A new call starts every --interval-s, its kind taken in turn
 * from MIX (scenarios.ts). The server is started as the load harness starts it (test/bench/load), with
 * `--inspect=127.0.0.1:0` for the forced-GC heap readings and the in-process event-loop delay.
 *
 * Options: --minutes 60  --interval-s 2.5  --sample-s 60  --hold-timeout-s 15  --drain-s 120  --no-vanish
 *          --mix normal,dtmf,… (the kinds to cycle through, in order; default MIX)
 *          --server-root <dir> (the checkout whose bin/streamfork.js is soaked; default this one)
 *          --out docs/benchmarks/soak-results.json  --sf-log <file>
 *          --rss-tol-mb 10  --heap-tol-mb 4  --fd-tol 4
 * Exit status: 0 when every asserted verdict holds, 1 when one fails, 2 when the harness itself failed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { Inspector, inspectorUrl } from '../bench/load/inspector.js';
import { nodeCommand } from '../bench/load/pinning.js';
import { type Kind, SoakApp } from './app.js';
import { type Sample, Rest, installLagMonitor, takeSample } from './sampler.js';
import { type Outcome, runScenario } from './scenarios.js';
import { Uac } from './uac.js';
import { type Verdicts, judge, kindSummary, printSummary } from './verdicts.js';

const root = new URL('../..', import.meta.url).pathname;

const { values: opt } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    'interval-s': { type: 'string', default: '2.5' },
    'sample-s': { type: 'string', default: '60' },
    'hold-timeout-s': { type: 'string', default: '15' },
    'drain-s': { type: 'string', default: '120' },
    'no-vanish': { type: 'boolean', default: false },
    mix: { type: 'string' },
    'server-root': { type: 'string' },
    out: { type: 'string', default: join(root, 'docs/benchmarks/soak-results.json') },
    'sf-log': { type: 'string', default: join(tmpdir(), 'streamfork-soak.log') },
    'rss-tol-mb': { type: 'string', default: '10' },
    'heap-tol-mb': { type: 'string', default: '4' },
    'fd-tol': { type: 'string', default: '4' },
  },
});
const RUN_MS = Number(opt.minutes) * 60_000;
const INTERVAL_MS = Number(opt['interval-s']) * 1000;
const SAMPLE_MS = Number(opt['sample-s']) * 1000;
const HOLD_TIMEOUT_S = Number(opt['hold-timeout-s']);
const DRAIN_MS = Number(opt['drain-s']) * 1000;
const PORT_MIN = 23000;
const PORT_MAX = 23999;
const AUTH_ID = 'MASOAKTEST0000000000';
const AUTH_TOKEN = 'soak-token';

/** The calls, in the order they start (one every --interval-s), round and round. */
const MIX: readonly Kind[] = [
  'normal',
  'bad-port',
  'dtmf',
  'barge',
  'malformed',
  'held',
  'bad-addr',
  'normal',
  'no-sdp',
  'dtmf',
  'tel-uri',
  'barge',
  'bad-xml',
  'held-vanish',
];

const SERVER_ROOT = opt['server-root'] ?? root;
/**
 * Whether the soaked tree's config has `tuning.holdTimeoutSec` (added by the timers work of issue 11).
 * Read from its schema source, so --server-root can point at another checkout; unknown keys are errors.
 */
const HOLD_KNOB = /\bholdTimeoutSec\b/.test(readFileSync(join(SERVER_ROOT, 'src/config/schema.ts'), 'utf8'));
const VANISH = !opt['no-vanish'];

const t0 = Date.now();
const log = (s: string): void => {
  process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${s}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let server: ChildProcess | undefined;
process.on('exit', () => {
  if (server?.exitCode === null && server.signalCode === null) {
    server.kill('SIGKILL');
  }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    process.exit(130);
  });
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  s.close();
  return port;
}

async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  await new Promise((r) => s.close(r));
  return typeof a === 'object' && a !== null ? a.port : 0;
}

interface Started {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly inspector: Inspector;
}

async function startServer(dir: string, app: SoakApp, sipPort: number, httpPort: number): Promise<Started> {
  const config = {
    rtp: { portMin: PORT_MIN, portMax: PORT_MAX },
    sip: { transports: ['udp'] },
    ...(HOLD_KNOB ? { tuning: { holdTimeoutSec: HOLD_TIMEOUT_S } } : {}),
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const { cmd, args } = nodeCommand(
    null,
    [
      '--inspect=127.0.0.1:0',
      join(SERVER_ROOT, 'bin/streamfork.js'),
      'serve',
      '--config',
      join(dir, 'config.json'),
      '--data-dir',
      join(dir, 'data'),
      '--sip-port',
      String(sipPort),
      '--http-port',
      String(httpPort),
      '--answer-url',
      app.answerUrl,
      '--hangup-url',
      app.hangupUrl,
      '--auth-id',
      AUTH_ID,
      '--auth-token',
      AUTH_TOKEN,
      '--log-level',
      'warn',
    ],
    true,
  );
  const logFd = openSync(opt['sf-log'], 'w');
  const proc = spawn(cmd, args, { cwd: SERVER_ROOT, stdio: ['ignore', logFd, 'pipe'] });
  closeSync(logFd);
  server = proc;
  let err = '';
  let url: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      reject(new Error(`streamfork not up within 60 s: ${err}`));
    }, 60_000);
    proc.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-100_000);
      url ??= inspectorUrl(err);
      if (err.includes('REST API on') && url !== undefined) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(t);
      reject(new Error(`streamfork exited (${code ?? signal}): ${err}`));
    });
  });
  proc.stderr?.resume();
  if (url === undefined) {
    throw new Error('no inspector URL');
  }
  return { proc, pid: proc.pid ?? 0, inspector: await Inspector.connect(url) };
}

/** Per call UUID seen at the answer URL: the record's status and its streams' statuses. */
async function readRecords(rest: Rest, app: SoakApp): Promise<Verdicts['records']> {
  const unfinished: Verdicts['records']['unfinished'] = [];
  const causes = new Map<string, number>();
  let checked = 0;
  let streams = 0;
  let liveStreams = 0;
  for (const [id, uuid] of app.callUuids) {
    const res = await rest.get(`/Call/${uuid}/`);
    const call = {
      status: res.status,
      body: res.body as { call_status?: string; hangup_cause_name?: string | null; end_time?: string | null },
    };
    checked++;
    const status = call.body.call_status ?? `HTTP ${call.status}`;
    if (
      call.status !== 200 ||
      ['queued', 'ringing', 'in-progress'].includes(status) ||
      call.body.end_time == null
    ) {
      unfinished.push({ id, kind: app.kinds.get(id) ?? '?', uuid, status });
    }
    const cause = `${app.kinds.get(id) ?? '?'}: ${status} / ${call.body.hangup_cause_name ?? '-'}`;
    causes.set(cause, (causes.get(cause) ?? 0) + 1);
    const s = (await rest.get(`/Call/${uuid}/Stream/?limit=20`)).body as { objects?: { status: string }[] };
    for (const st of s.objects ?? []) {
      streams++;
      if (st.status === 'initiated' || st.status === 'in-progress') {
        liveStreams++;
      }
    }
  }
  return {
    checked,
    unfinished,
    streams,
    liveStreams,
    causes: Object.fromEntries([...causes.entries()].sort()),
    hangupCallbacks: app.hangups.size,
  };
}

async function stopServer(s: Started): Promise<{ exited: boolean; ms: number }> {
  await s.inspector.close();
  const at = Date.now();
  s.proc.kill('SIGTERM');
  const exited = await Promise.race([
    new Promise<boolean>((r) => {
      s.proc.once('exit', () => {
        r(true);
      });
    }),
    sleep(30_000).then(() => false),
  ]);
  if (!exited) {
    s.proc.kill('SIGKILL');
  }
  return { exited, ms: Date.now() - at };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'streamfork-soak-'));
  process.on('exit', () => {
    rmSync(dir, { recursive: true, force: true });
  });
  const app = new SoakApp();
  await app.start();
  const sipPort = await freeUdpPort();
  const httpPort = await freeTcpPort();
  const sf = await startServer(dir, app, sipPort, httpPort);
  await installLagMonitor(sf.inspector);
  const uac = await Uac.open({ host: '127.0.0.1', port: sipPort });
  const rest = new Rest(httpPort, AUTH_ID, AUTH_TOKEN);
  const ctx = {
    pid: sf.pid,
    inspector: sf.inspector,
    rest,
    portMin: PORT_MIN,
    portMax: PORT_MAX,
    harnessCalls: () => uac.liveCalls,
    openStreams: () => app.openStreams,
  };
  const holdNote = HOLD_KNOB
    ? `tuning.holdTimeoutSec = ${HOLD_TIMEOUT_S} s`
    : 'tuning.holdTimeoutSec does not exist in this tree: nothing ends a held call whose caller vanished';
  log(`streamfork pid ${sf.pid}, SIP udp ${sipPort}, REST ${httpPort}, log ${opt['sf-log']}; ${holdNote}`);
  await sleep(2000);
  const samples: Sample[] = [await takeSample(ctx, 'start', 0)];
  const chosen = opt.mix === undefined ? MIX : (opt.mix.split(',') as Kind[]);
  const mix = VANISH ? chosen : chosen.filter((k) => k !== 'held-vanish');
  const started = Date.now();
  const outcomes: Promise<Outcome>[] = [];
  let id = 1;
  let nextSample = started + SAMPLE_MS;
  // The steady schedule: call n starts at started + n × interval, whatever the earlier calls are doing.
  while (Date.now() - started < RUN_MS) {
    const due = started + (id - 1) * INTERVAL_MS;
    if (Date.now() >= nextSample) {
      const s = await takeSample(ctx, 'run', (Date.now() - started) / 1000);
      samples.push(s);
      log(
        `t=${s.tS}s rss ${s.rssKb} kB (gc ${s.rssAfterGcKb}) heap ${s.heapUsedKb} kB fds ${s.fds} rtp ${s.rtpPorts} ` +
          `live ${s.liveCalls} finished ${s.finishedRecords} lag p99 ${s.lagMs?.p99} ms cpu ${s.cpuPct} %`,
      );
      nextSample += SAMPLE_MS;
      continue;
    }
    if (Date.now() < due) {
      await sleep(Math.min(due, nextSample) - Date.now());
      continue;
    }
    const kind = mix[(id - 1) % mix.length] ?? 'normal';
    app.kinds.set(id, kind);
    outcomes.push(runScenario({ uac, app, vanishWaitMs: (HOLD_TIMEOUT_S + 45) * 1000 }, id, kind));
    id++;
  }
  log(`placed ${id - 1} scenarios; draining`);
  const results = await Promise.all(outcomes);
  const drainStart = Date.now();
  while (Date.now() - drainStart < DRAIN_MS && (await rest.liveCalls()).length > 0) {
    await sleep(1000);
  }
  await sleep(5000); // keep-alive sockets to the app's HTTP server time out (undici: 4 s)
  const drained = await takeSample(ctx, 'drained', (Date.now() - started) / 1000);
  samples.push(drained);
  const kindOfUuid = new Map([...app.callUuids].map(([i, u]) => [u, app.kinds.get(i) ?? '?']));
  const liveAfterDrain = (await rest.liveCalls()).map((u) => ({ uuid: u, kind: kindOfUuid.get(u) ?? '?' }));
  const records = await readRecords(rest, app);
  const stop = await stopServer(sf);
  uac.close();
  await app.close();
  const verdicts = judge({
    samples,
    liveAfterDrain,
    records,
    sigterm: stop,
    rssTolKb: Number(opt['rss-tol-mb']) * 1024,
    heapTolKb: Number(opt['heap-tol-mb']) * 1024,
    fdTol: Number(opt['fd-tol']),
  });
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      nproc: cpus().length,
      memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
    },
    options: {
      minutes: RUN_MS / 60_000,
      intervalS: INTERVAL_MS / 1000,
      sampleS: SAMPLE_MS / 1000,
      holdTimeoutS: HOLD_KNOB ? HOLD_TIMEOUT_S : null,
      holdTimeoutKnob: HOLD_KNOB,
      vanish: VANISH,
      drainS: DRAIN_MS / 1000,
      rtpPorts: [PORT_MIN, PORT_MAX],
      serverRoot: SERVER_ROOT,
    },
    mix,
    scenarios: id - 1,
    kinds: kindSummary(results, app),
    malformedResponses: Object.fromEntries(uac.strayResponses),
    consumerErrors: app.wsErrors,
    statusCallbacks: Object.fromEntries(app.callbacks),
    samples,
    verdicts,
  };
  writeFileSync(opt.out, JSON.stringify(result, null, 1) + '\n');
  printSummary(result, (s) => process.stdout.write(s + '\n'));
  log(`results: ${opt.out}`);
  return verdicts.pass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(`failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(2);
  },
);
