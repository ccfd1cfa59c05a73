/**
 * The composition root: the only place (with server.ts, which builds the stores, TTS and the API on top)
 * that creates adapters. `composeRuntime` builds the engine and its adapters; `composeSipServer` builds a
 * SIP user agent's adapters (SIP transport, transaction driver, RTP port allocator and socket factory,
 * target resolver) and hands them to `SipServer` through its ports.
 */
import { type PinoLoggerOptions, createPinoLogger } from './adapters/pino-logger/pino-logger.js';
import { UndiciHttpClient } from './adapters/http-client/undici-http-client.js';
import { MediaClockDriver } from './adapters/system-clock/media-clock-driver.js';
import { systemClock, systemTimers } from './adapters/system-clock/system-clock.js';
import { nodeRandom } from './adapters/node-random/node-random.js';
import { NodeWsConnector } from './adapters/ws-client/ws-connector.js';
import { TargetGuard } from './adapters/net/target-guard.js';
import { rnnoiseRuntime } from './adapters/rnnoise/rnnoise-wasm.js';
import { NodeRtpSocketFactory } from './adapters/rtp/node-rtp-socket.js';
import { RtpPortAllocator } from './adapters/rtp/rtp-port-allocator.js';
import { NodeSipTransport } from './adapters/sip-transport/node-sip-transport.js';
import { SipTransactionDriver } from './adapters/sip-transport/sip-transaction-driver.js';
import { loadSipTlsMaterial } from './adapters/sip-transport/tls-material.js';
import type { AppPorts, AppRuntime } from './app/runtime.js';
import { SipServer, type SipServerSpec } from './app/sip/sip-server.js';
import { Engine, type EngineOptions } from './engine/engine.js';
import { BUILT_IN_STREAM_DIALECTS } from './protocol/stream-dialects.js';
import type { StreamSettings } from './engine/fork/stream-fork.types.js';
import type { Logger } from './ports/logger.js';
import type { WsConnector } from './ports/ws-client.js';

/**
 * Ports that stand in for the system adapters, for tests: test/harness runs whole calls on a fake
 * clock (the media clock driver then runs on `clock` and `timers` too) with in-memory HTTP and
 * WebSocket peers. Injected ports are the caller's to close.
 */
export interface RuntimePorts extends AppPorts {
  readonly ws: WsConnector;
}

export interface RuntimeOptions {
  readonly stream: StreamSettings;
  readonly logger?: Logger;
  readonly log?: PinoLoggerOptions;
  readonly maxStreamsPerCall?: number;
  readonly callbackTimeoutMs?: number;
  readonly callbackAttempts?: number;
  /** The callback outbox (the record store), its rows' owner, and the retry limits (`tuning.callbackMaxBackoffMs`, `tuning.callbackMaxAgeSec`). */
  readonly callbackDurability?: Pick<
    EngineOptions,
    'callbackOutbox' | 'callbackOwner' | 'callbackMaxBackoffMs' | 'callbackMaxAgeSec'
  >;
  /** Sub-ticks per 20 ms frame of the media clock (`tuning.clockPhases`, 1..8). Default 4. */
  readonly clockPhases?: number;
  /** The outbound target policy for every HTTP request and WebSocket (`http.allowedTargets`/`deniedTargets`). Default: the built-in denied targets. */
  readonly targets?: TargetGuard;
  /** Replaces the system adapters (tests only; see `RuntimePorts`). */
  readonly ports?: RuntimePorts;
  /** Wraps the WebSocket connector the engine uses (the conformance kit drops sockets through it). */
  readonly wrapWs?: (ws: WsConnector) => WsConnector;
}

export interface Runtime extends AppRuntime {
  readonly engine: Engine;
  /** The ports the engine was built with, for the use cases and the rest of the composition root. */
  readonly ports: RuntimePorts;
  readonly driver: MediaClockDriver;
  readonly logger: Logger;
  /** Waits (at most `graceMs`) for queued callbacks, then releases the HTTP pool. */
  close(graceMs?: number): Promise<void>;
}

/** The real adapters, and the HTTP client whose pool `close()` releases. */
function systemPorts(targets: TargetGuard | undefined): [RuntimePorts, UndiciHttpClient] {
  const guard = targets === undefined ? {} : { guard: targets };
  const http = new UndiciHttpClient(guard);
  const ws = new NodeWsConnector(guard);
  return [{ clock: systemClock, timers: systemTimers, http, ws, random: nodeRandom }, http];
}

export function composeRuntime(opts: RuntimeOptions): Runtime {
  const logger = opts.logger ?? createPinoLogger(opts.log);
  const [base, ownHttp] = opts.ports === undefined ? systemPorts(opts.targets) : [opts.ports, undefined];
  const ports = opts.wrapWs === undefined ? base : { ...base, ws: opts.wrapWs(base.ws) };
  const driver = new MediaClockDriver({
    phases: opts.clockPhases ?? 4,
    ...(opts.ports === undefined ? {} : { clock: ports.clock, timers: ports.timers }),
    onError: (err, frameIndex, phase) => {
      logger.error({ err, frameIndex, phase }, 'media clock listener threw');
    },
  });
  const engine = new Engine(
    { ticker: driver, ...ports, logger, dialects: BUILT_IN_STREAM_DIALECTS, noise: rnnoiseRuntime() },
    {
      stream: opts.stream,
      ...(opts.maxStreamsPerCall === undefined ? {} : { maxStreamsPerCall: opts.maxStreamsPerCall }),
      ...(opts.callbackTimeoutMs === undefined ? {} : { callbackTimeoutMs: opts.callbackTimeoutMs }),
      ...(opts.callbackAttempts === undefined ? {} : { callbackAttempts: opts.callbackAttempts }),
      ...opts.callbackDurability,
    },
  );
  return {
    engine,
    driver,
    logger,
    ports,
    async close(graceMs = 5000) {
      await Promise.race([engine.callbacks.idle(), new Promise((r) => setTimeout(r, graceMs).unref())]);
      await ownHttp?.close();
    },
  };
}

/** {@link SipServerSpec} plus the outbound target policy of trunkless dials (default: the built-in denials). */
export interface ComposeSipOptions extends SipServerSpec {
  readonly targets?: TargetGuard;
}

/**
 * Builds a SIP server on `runtime`'s engine with its adapters: the transport on `sip.host:sip.port`
 * (TCP when `sip.transports` names it), the transaction driver on the engine's monotonic clock with
 * `sip.timers`, and RTP sockets from a port allocator over `rtp.portMin..portMax`. Nothing is bound
 * until `start()`; `stop()` closes the transport and the driver.
 */
export function composeSipServer(runtime: AppRuntime, opts: ComposeSipOptions): SipServer {
  const { engine, ports } = runtime;
  const { sip, rtp } = opts;
  const tlsLog = opts.logger.child({ transport: 'tls' });
  const transport = new NodeSipTransport({
    host: sip.host,
    port: sip.port,
    tcp: sip.transports.includes('tcp'),
    ...(sip.tls === undefined || sip.tls === null ? {} : { tls: loadSipTlsMaterial(sip.tls) }),
    onTlsError: (peer, reason) => {
      tlsLog.warn({ peer: `${peer.address}:${peer.port}`, reason }, 'SIP TLS connection refused');
    },
  });
  const transactions = new SipTransactionDriver(transport, {
    nowMs: () => ports.clock.monotonicMs(),
    ...(sip.timers === undefined ? {} : { timers: sip.timers }),
  });
  const rtpSockets = new NodeRtpSocketFactory({
    allocator: new RtpPortAllocator({ minPort: rtp.portMin, maxPort: rtp.portMax }),
    bindAddress: rtp.host,
    recvBufferBytes: rtp.recvBufferBytes,
  });
  const { targets, ...spec } = opts;
  return new SipServer({
    ...spec,
    engine,
    ports,
    transport,
    transactions,
    rtpSockets,
    targets: targets ?? new TargetGuard(),
  });
}
