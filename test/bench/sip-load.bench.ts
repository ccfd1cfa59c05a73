/**
 * SIP/RTP benchmarks. Run: `npm run bench sip` (node --import tsx test/bench/run.ts sip).
 *
 * 1. Outbound RTP pacing at 500 concurrent calls: sipp places 500 calls (100 calls/s, -l 500) whose SDP
 *    points RTP at one UDP socket in a separate measuring process; streamfork sends 20 ms PCMU to each
 *    from the shared media clock. The measurer timestamps every packet (hrtime) and, per SSRC, takes the
 *    inter-arrival error |Δt − 20 ms| while all 500 calls are up. Run twice: RTP only, and with every call
 *    also streaming to a local WebSocket consumer (`<Stream keepCallAlive>`).
 * 2. The load acceptance run at full size (1,000 calls, 50 cps, 200 concurrent) with its figures.
 * Figures: docs/benchmarks/sip.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { startSipStack } from '../helpers/sip-stack.js';
import { startHttpRecorder } from '../helpers/http-recorder.js';
import { delay, responseXml, streamElement, until } from '../helpers/stream-call.js';
import { runSipLoad, startCountingConsumer } from '../interop/helpers/load.js';
import { fillScenario, freeUdpPort, HOST, killChildren, runTool, sippArgs } from '../interop/helpers/sipp.js';

/**
 * The measuring process (Python, for kernel receive timestamps: SO_TIMESTAMPNS, so the measurer's own
 * scheduling does not count): one UDP socket; `start`/`stop` on stdin bound the window; JSON on `stop`.
 */
const MEASURER = String.raw`
import json, socket, struct, sys, threading
SO_TIMESTAMPNS = 35
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 1024 * 1024)
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
state = {'on': False, 'packets': 0}
last = {}
errs = []
def rx():
    while True:
        try:
            data, anc, _flags, _addr = s.recvmsg(2048, 64)
        except OSError:
            return
        if len(data) < 12:
            continue
        t = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack('qq', payload[:16])
                t = sec * 1000.0 + nsec / 1e6
        if t is None:
            continue
        state['packets'] += 1
        ssrc = data[8:12]
        prev = last.get(ssrc)
        last[ssrc] = t
        if state['on'] and prev is not None:
            errs.append(abs(t - prev - 20.0))
threading.Thread(target=rx, daemon=True).start()
print('ready', flush=True)
for line in sys.stdin:
    line = line.strip()
    if line == 'start':
        errs.clear(); state['on'] = True
    elif line == 'stop':
        state['on'] = False
        e = sorted(errs)
        q = lambda p: e[min(len(e) - 1, int(p * len(e)))] if e else float('nan')
        print(json.dumps({'n': len(e), 'streams': len(last), 'packets': state['packets'], 'p50': q(0.5), 'p90': q(0.9), 'p99': q(0.99), 'p999': q(0.999), 'max': e[-1] if e else float('nan')}), flush=True)
        break
`;

interface Pacing {
  n: number;
  streams: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

interface PacingRun extends Pacing {
  cpuPerSec: number;
  clockLateP50: number;
  clockLateP99: number;
  clockLateMax: number;
  skipped: number;
}

async function measurePacing(calls: number, withStreams: boolean): Promise<PacingRun> {
  const dir = mkdtempSync(join(tmpdir(), 'sf-bench-sip-'));
  const rtpPort = await freeUdpPort();
  const measurer = spawn('python3', ['-c', MEASURER, String(rtpPort)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: measurer.stdout });
  const nextLine = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
  await nextLine();
  const consumer = withStreams ? await startCountingConsumer() : undefined;
  const app = await startHttpRecorder();
  if (consumer !== undefined) {
    app.serve(
      '/answer',
      responseXml(
        streamElement(consumer.url, { contentType: 'audio/x-mulaw;rate=8000', keepCallAlive: true }),
      ),
    );
  }
  const stack = await startSipStack({
    ...(withStreams ? { answerUrl: app.url('/answer') } : {}),
    rtpPortMin: 20000,
    rtpPortMax: 31999,
    recvBufferBytes: 256 * 1024,
  });
  try {
    const holdMs = 15000;
    const scenario = fillScenario('uac-rtp-sink.xml', dir, {
      RTP_PORT: String(rtpPort),
      HOLD_MS: String(holdMs),
    });
    const args = [
      ...sippArgs(`${HOST}:${stack.port}`, await freeUdpPort(), await freeUdpPort(true), 90),
      '-sf',
      scenario,
      '-m',
      String(calls),
      '-r',
      '100',
      '-l',
      String(calls),
    ];
    const sipp = runTool('sipp', args, 120_000, dir);
    await until(() => stack.server.stats().liveDialogs >= calls, 30_000, `${calls} live calls`);
    await delay(1000);
    const cpu0 = process.cpuUsage();
    measurer.stdin.write('start\n');
    const driver = stack.runtime.driver;
    await delay(8000);
    const cpu = process.cpuUsage(cpu0);
    const clock = driver.stats();
    const result = nextLine();
    measurer.stdin.write('stop\n');
    const pacing = JSON.parse(await result) as Pacing;
    await sipp;
    return {
      ...pacing,
      cpuPerSec: (cpu.user + cpu.system) / 1e6 / 8,
      clockLateP50: clock.lateP50Ms,
      clockLateP99: clock.lateP99Ms,
      clockLateMax: clock.lateMaxMs,
      skipped: clock.skippedFrames,
    };
  } finally {
    measurer.kill();
    killChildren();
    await stack.close();
    await app.close();
    await consumer?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const f = (x: number): string => x.toFixed(2);

export async function run(): Promise<string> {
  const out: string[] = ['## SIP/RTP (test/bench/sip-load.bench.ts)', ''];
  out.push('### Outbound RTP interval error at 500 concurrent calls (receiver-side, separate process)', '');
  out.push(
    '| variant | intervals | streams | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | server CPU (cores) | media clock late p50 / p99 / max ms (whole call) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const withStreams of [false, true]) {
    const p = await measurePacing(500, withStreams);
    out.push(
      `| ${withStreams ? 'RTP + a WebSocket stream per call' : 'RTP only'} | ${p.n} | ${p.streams} | ${f(p.p50)} | ${f(p.p90)} | ${f(p.p99)} | ${f(p.p999)} | ${f(p.max)} | ${f(p.cpuPerSec)} | ${f(p.clockLateP50)} / ${f(p.clockLateP99)} / ${f(p.clockLateMax)} |`,
    );
  }
  out.push('', '### Load: sipp -sn uac -rtp_echo -m 1000 -r 50 -l 200 -d 2000, each call streaming', '');
  if (process.env['SIP_BENCH_SKIP_LOAD'] === '1') {
    return out.join('\n');
  }
  const load = await runSipLoad({ calls: 1000, rate: 50, limit: 200, holdMs: 2000 });
  out.push(
    `successful ${load.sipp?.successful ?? '?'}, failed ${load.sipp?.failed ?? '?'}; ${load.wsConnections} streams, ${load.wsMessages} WebSocket messages; ` +
      `${load.elapsedSec.toFixed(1)} s wall, ${load.cpuSec.toFixed(1)} s server CPU; after: ${JSON.stringify(load.statsAfterCalls)}`,
    '',
  );
  return out.join('\n');
}
