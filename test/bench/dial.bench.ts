/**
 * `<Dial>` bridge benchmark (docs/benchmarks/dial.md): `npm run bench dial`, or with a call count,
 * `DIAL_BENCH_CALLS=100 DIAL_BENCH_SECONDS=15 npm run bench dial` (`DIAL_BENCH_OFFSET=0..3` moves the
 * first call's sending by 5 ms steps against the media clock).
 *
 * Real loopback UDP and the real media clock: each bridged call is two `RtpMediaLeg`s on
 * `NodeRtpSocket`s (the adapter production uses), joined by `bridgeCalls` (the `<Dial>` bridge), and
 * two plain sockets in the same process standing for the caller and the party, each sending one PCMU
 * packet every 20 ms. The caller's packets carry a sequence number in two payload bytes (μ-law decode
 * then encode gives the same bytes back, and a bridged frame with one source is copied as it is), so
 * the party's socket finds each packet again in what streamfork sends it: the latency is packet in on
 * one leg → out on the other. CPU is the whole process's (`process.cpuUsage`), senders included; the
 * same run without the bridge (both legs live, nothing relayed) is the baseline.
 */
import dgram from 'node:dgram';

import { NodeRtpSocketFactory } from '../../src/adapters/rtp/node-rtp-socket.js';
import { RtpPortAllocator } from '../../src/adapters/rtp/rtp-port-allocator.js';
import { composeRuntime } from '../../src/compose.js';
import type { CallSession } from '../../src/engine/call/call-session.js';
import { RtpMediaLeg } from '../../src/engine/call/rtp-media-leg.js';
import { defaultStreamSettings } from '../../src/engine/fork/stream-defaults.js';
import { bridgeCalls } from '../../src/engine/interpreter/elements/dial-bridge.js';
import { nullLogger } from '../../src/ports/logger.js';
import type { RtpSocket } from '../../src/ports/rtp-socket.js';

const HOST = '127.0.0.1';

interface Pair {
  readonly caller: dgram.Socket;
  readonly party: dgram.Socket;
  readonly legs: RtpSocket[];
  readonly calls: CallSession[];
  readonly sentAt: Map<number, number>;
  readonly latencies: number[];
  seq: number;
}

function bindPeer(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    s.bind(0, HOST, () => {
      resolve(s);
    });
  });
}

function packet(seq: number, ssrc: number, marker: boolean): Buffer {
  const b = Buffer.alloc(12 + 160, 0x55);
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  if (marker) {
    // Bytes 0x20-0x5f: ordinary μ-law codes, never the two zeros (0x7f, 0xff) that fold into one.
    b[12] = 0x20 + (seq & 0x3f);
    b[13] = 0x20 + ((seq >> 6) & 0x3f);
  }
  return b;
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

async function runOnce(calls: number, seconds: number, bridged: boolean): Promise<string> {
  const runtime = composeRuntime({
    stream: defaultStreamSettings('MABENCH0000000000000', 'token'),
    logger: nullLogger,
  });
  const factory = new NodeRtpSocketFactory({
    allocator: new RtpPortAllocator({ minPort: 40000, maxPort: 49999 }),
    bindAddress: HOST,
  });
  const pairs: Pair[] = [];
  for (let i = 0; i < calls; i++) {
    const caller = await bindPeer();
    const party = await bindPeer();
    const a = await factory.open();
    const b = await factory.open();
    a.setRemote({ address: HOST, port: caller.address().port });
    b.setRemote({ address: HOST, port: party.address().port });
    const mk = (socket: RtpSocket): RtpMediaLeg =>
      new RtpMediaLeg({
        socket,
        clock: runtime.ports.clock,
        random: runtime.ports.random,
        codec: 'PCMU',
        telephoneEventPayloadType: 101,
        cname: 'bench',
      });
    const callA = runtime.engine.addCall(mk(a));
    const callB = runtime.engine.addCall(mk(b));
    if (bridged) {
      bridgeCalls(callA, callB, { hangupOnStar: false, onStar: () => undefined });
    }
    const pair: Pair = {
      caller,
      party,
      legs: [a, b],
      calls: [callA, callB],
      sentAt: new Map(),
      latencies: [],
      seq: 0,
    };
    party.on('message', (msg) => {
      if (msg.length !== 172 || (msg[1] ?? 0) % 128 !== 0) {
        return;
      }
      const b0 = msg[12] ?? 0;
      const b1 = msg[13] ?? 0;
      if (b0 < 0x20 || b0 > 0x5f || b1 < 0x20 || b1 > 0x5f) {
        return;
      }
      const low = (b0 - 0x20) | ((b1 - 0x20) << 6);
      // The 12-bit mark repeats every 4096 packets (82 s); a run is far shorter.
      const sent = pair.sentAt.get(low);
      if (sent !== undefined) {
        pair.latencies.push(performance.now() - sent);
        pair.sentAt.delete(low);
      }
    });
    pairs.push(pair);
  }
  const partyAddr = pairs.map((p) => p.legs[1]?.rtpPort ?? 0);
  const callerAddr = pairs.map((p) => p.legs[0]?.rtpPort ?? 0);
  // The senders run every 5 ms and each pair sends on one of the four (pair i on step (i + offset) % 4),
  // so the caller's packets arrive at every point of the party's 20 ms tick, as real ones would.
  const offset = Number(process.env['DIAL_BENCH_OFFSET'] ?? '0');
  const start = performance.now();
  let step5 = 0;
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const warmSteps = 400;
  await new Promise<void>((resolve) => {
    const total = seconds * 200 + warmSteps;
    const step = (): void => {
      const sub = step5 % 4;
      for (let i = 0; i < pairs.length; i++) {
        const p = pairs[i];
        if (p === undefined || (i + offset) % 4 !== sub) {
          continue;
        }
        const seq = p.seq++;
        p.sentAt.set(seq & 0xfff, performance.now());
        p.caller.send(packet(seq, 0x1000 + i, true), callerAddr[i] ?? 0, HOST);
        p.party.send(packet(seq, 0x2000 + i, false), partyAddr[i] ?? 0, HOST);
      }
      step5++;
      if (step5 === warmSteps) {
        cpu0 = process.cpuUsage();
        t0 = performance.now();
        for (const p of pairs) {
          p.latencies.length = 0;
        }
      }
      if (step5 >= total) {
        resolve();
        return;
      }
      const next = start + step5 * 5;
      setTimeout(step, Math.max(0, next - performance.now()));
    };
    step();
  });
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const cores = (cpu.user + cpu.system) / 1000 / wallMs;
  const all = pairs.flatMap((p) => p.latencies);
  const expected = pairs.length * seconds * 50;
  for (const p of pairs) {
    for (const c of p.calls) {
      c.close();
    }
    p.caller.close();
    p.party.close();
  }
  await runtime.close(0);
  await new Promise((r) => setTimeout(r, 200));
  const lat =
    all.length === 0
      ? '— | — | —'
      : `${percentile(all, 50).toFixed(2)} | ${percentile(all, 99).toFixed(2)} | ${Math.max(...all).toFixed(2)}`;
  return (
    `| ${calls} | ${bridged ? 'bridged' : 'not bridged'} | ${seconds} | ${lat} | ` +
    `${all.length} / ${expected} | ${cores.toFixed(3)} | ${((cores / calls) * 1000).toFixed(2)} |`
  );
}

export async function run(): Promise<string> {
  const counts = (process.env['DIAL_BENCH_CALLS'] ?? '1,100').split(',').map(Number);
  const seconds = Number(process.env['DIAL_BENCH_SECONDS'] ?? '10');
  const rows: string[] = [];
  for (const n of counts) {
    rows.push(await runOnce(n, seconds, false));
    rows.push(await runOnce(n, seconds, true));
  }
  return [
    '## <Dial> bridge (real loopback UDP, real media clock)',
    '',
    '| bridged calls | mode | seconds | latency p50 ms | p99 ms | max ms | caller packets found at the party | CPU cores (process) | CPU millicores per call |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
