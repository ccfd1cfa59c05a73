/**
 * The SIP load run shared by the load acceptance test and `npm run bench`: sipp (-sn uac with
 * -rtp_echo, so RTP flows both ways) places `calls` calls at `rate` calls/s with at most `limit` at once,
 * each held `holdMs`; every call runs `<Stream keepCallAlive>` to a cheap local WebSocket consumer
 * that only counts messages. Returns sipp's totals, the consumer's counts and the server's state after.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { WebSocketServer } from 'ws';

import { startSipStack, type SipStack } from '../../helpers/sip-stack.js';
import type { SipServerStats } from '../../../src/app/sip/sip-server.js';
import { startHttpRecorder } from '../../helpers/http-recorder.js';
import { responseXml, streamElement, until } from '../../helpers/stream-call.js';
import { freeUdpPort, HOST, runTool, sippArgs, sippTotals } from './sipp.js';

/** A WebSocket server that counts connections and messages, nothing else. */
export interface CountingConsumer {
  readonly url: string;
  readonly connections: () => number;
  readonly messages: () => number;
  readonly open: () => number;
  /** Fewest messages any closed connection carried. */
  readonly minPerConnection: () => number;
  /** Closed connections that carried fewer than `SHORT_STREAM_MESSAGES` messages. */
  readonly shortConnections: () => number;
  close(): Promise<void>;
}

/** A 2 s call carries ~100 frames; a stream with fewer than this many messages counts as short. */
export const SHORT_STREAM_MESSAGES = 20;

export async function startCountingConsumer(): Promise<CountingConsumer> {
  const server: Server = createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  let connections = 0;
  let messages = 0;
  let minPer = Infinity;
  let short = 0;
  wss.on('connection', (ws) => {
    connections++;
    let mine = 0;
    ws.on('message', () => {
      messages++;
      mine++;
    });
    ws.on('close', () => {
      minPer = Math.min(minPer, mine);
      if (mine < SHORT_STREAM_MESSAGES) {
        short++;
      }
    });
    ws.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://${HOST}:${port}/stream`,
    connections: () => connections,
    messages: () => messages,
    open: () => wss.clients.size,
    minPerConnection: () => minPer,
    shortConnections: () => short,
    async close() {
      for (const c of wss.clients) {
        c.terminate();
      }
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve();
        });
      });
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

export interface LoadOptions {
  readonly calls: number;
  readonly rate: number;
  readonly limit: number;
  readonly holdMs: number;
}

export interface LoadResult {
  readonly sipp: { successful: number; failed: number } | undefined;
  readonly sippCode: number | null;
  readonly sippOutput: string;
  readonly wsConnections: number;
  readonly wsMessages: number;
  readonly wsOpenAfter: number;
  readonly wsMinMessagesPerStream: number;
  /** Streams that carried fewer than SHORT_STREAM_MESSAGES messages (their WebSocket connected late). */
  readonly wsShortStreams: number;
  readonly answerFetches: number;
  readonly statsAfterCalls: SipServerStats;
  /** Seconds from sipp start to its exit. */
  readonly elapsedSec: number;
  readonly cpuSec: number;
}

/** Runs the load against a fresh stack; closes everything it started before returning. */
export async function runSipLoad(opts: LoadOptions): Promise<LoadResult> {
  const consumer = await startCountingConsumer();
  const app = await startHttpRecorder();
  app.serve(
    '/answer',
    responseXml(streamElement(consumer.url, { contentType: 'audio/x-mulaw;rate=8000', keepCallAlive: true })),
  );
  let stack: SipStack | undefined;
  try {
    // T1 = 100 ms keeps completed transactions (64*T1) from lingering past the test's budget.
    stack = await startSipStack({
      answerUrl: app.url('/answer'),
      timers: { t1Ms: 100 },
      rtpPortMin: 20000,
      rtpPortMax: 31999,
      recvBufferBytes: 256 * 1024,
    });
    const timeoutSec = Math.ceil(opts.calls / opts.rate + opts.holdMs / 1000) + 60;
    const args = [
      ...sippArgs(`${HOST}:${stack.port}`, await freeUdpPort(), await freeUdpPort(true), timeoutSec),
      '-sn',
      'uac',
      '-rtp_echo',
      '-m',
      String(opts.calls),
      '-r',
      String(opts.rate),
      '-l',
      String(opts.limit),
      '-d',
      String(opts.holdMs),
    ];
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const run = await runTool('sipp', args, (timeoutSec + 10) * 1000);
    const elapsedSec = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const server = stack.server;
    await until(
      () => server.stats().liveDialogs === 0 && server.stats().rtpPortsInUse === 0,
      10_000,
      'dialogs and ports released',
    ).catch(() => undefined);
    await until(() => server.stats().transactions === 0, 20_000, 'transactions drained').catch(
      () => undefined,
    );
    await until(() => consumer.open() === 0, 5000, 'stream sockets closed').catch(() => undefined);
    return {
      sipp: sippTotals(run.output),
      sippCode: run.code,
      sippOutput: run.output.slice(-3000),
      wsConnections: consumer.connections(),
      wsMessages: consumer.messages(),
      wsOpenAfter: consumer.open(),
      wsMinMessagesPerStream: consumer.minPerConnection(),
      wsShortStreams: consumer.shortConnections(),
      answerFetches: app.requestsTo('/answer').length,
      statsAfterCalls: server.stats(),
      elapsedSec,
      cpuSec: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    await stack?.close();
    await app.close();
    await consumer.close();
  }
}
