/**
 * The full server's composition root: config → store → engine runtime → call control → SIP → REST API.
 * The only place (with compose.ts) that creates adapters.
 */
import { readFileSync } from 'node:fs';

import { buildApiServer, type ApiDeps } from './api/server.js';
import type { ConsoleDeps } from './api/console/console.types.js';
import { loadConsoleAssets } from './adapters/console-assets/console-assets.js';
import { ConsoleFeed } from './app/console/console-feed.js';
import { EngineAudioTap } from './app/console/engine-audio-tap.js';
import { EngineCallCommands } from './app/call-commands.js';
import { CallControl, type AnswerConfig } from './app/call-control.js';
import { RestDialer, type RestDialerDeps } from './app/call-control/rest-dialer.js';
import { inboundCallHandlers } from './app/call-control/inbound-answer.js';
import { PartyDialer } from './app/call-control/party-dialer.js';
import { RecordProjector } from './app/records/record-projector.js';
import type { InboundInvite, SipServer, SipServerSipOptions, SipServerSpec } from './app/sip/sip-server.js';
import { MemoryCallStore } from './adapters/memory-store/memory-call-store.js';
import type { TargetGuard } from './adapters/net/target-guard.js';
import { openSqliteCallStoreIn } from './adapters/sqlite-store/sqlite-call-store.js';
import { PostgresCallStore } from './adapters/postgres-store/postgres-call-store.js';
import { ServerError } from './errors/server-error.js';
import { EspeakTts } from './adapters/tts-espeak/espeak-tts.js';
import { HttpAudioFetcher } from './adapters/audio-fetcher/http-audio-fetcher.js';
import { composeRuntime, composeSipServer, type Runtime, type RuntimeOptions } from './compose.js';
import type { Config } from './config/schema.js';
import type { CallIdentity } from './engine/interpreter/call-params.js';
import { SERVER_RESTART_CAUSE, type CallStore } from './ports/call-store.js';
import type { Logger } from './ports/logger.js';
import type { Clock } from './ports/clock.js';
import type { AppPorts } from './app/runtime.js';
import { listenError } from './listen-error.js';
import { composeCluster, type ClusterParts } from './server-cluster.js';
import { composeOps, startLagMonitor } from './server-ops.js';
import { composeRecording } from './server-recording.js';
import type { ClusterNode } from './app/cluster/cluster-node.js';
import {
  nodeIdentityFrom,
  streamSettingsFrom,
  targetGuardFrom,
  type NodeIdentity,
} from './server-settings.js';

/**
 * How often the record store is told which calls are still live (`touchLiveCalls`): after a crash,
 * a lost call's end time is its last refresh, so it is at most this late... or this early.
 */
export const LAST_SEEN_INTERVAL_MS = 5000;

/** How often finished callback outbox rows older than `tuning.callbackMaxAgeSec` are deleted. */
const OUTBOX_PRUNE_INTERVAL_MS = 3600_000;

/** Knobs for tests; production uses the defaults. */
export interface StartServerOptions {
  /** Default {@link LAST_SEEN_INTERVAL_MS}. */
  readonly lastSeenIntervalMs?: number;
  /**
   * A record store shared with other in-process nodes (cluster tests), used instead of
   * `storage.driver`; the server does not close it.
   */
  readonly store?: CallStore;
}

export interface StreamforkServer {
  readonly sipPort: number;
  /** The SIP over TLS port (`sip.tls.port` as bound), 0 without `sip.tls`. */
  readonly sipTlsPort: number;
  readonly httpPort: number;
  readonly store: CallStore;
  /**
   * Refuses new calls (SIP 503 to INVITE and OPTIONS, REST dials fail) and waits up to `timeoutMs` for
   * the live calls to end on their own; resolves to whether they all did. Follow it with `stop()`.
   */
  drain(timeoutMs: number): Promise<boolean>;
  readonly nodeId: string;
  /** This node's part in the cluster (`cluster.redisUrl`), else undefined. */
  readonly cluster: ClusterNode | undefined;
  /**
   * A crash as the cluster sees it (tests): heartbeats and registry writes stop at once, then the
   * server stops. What it writes to a store it does not own is the caller's to drop.
   */
  kill(): Promise<void>;
  /** Stops new calls, ends live ones with `cause`, waits for records and callbacks, closes everything. */
  stop(cause?: string): Promise<void>;
}

function answerConfigOf(config: Config): AnswerConfig | undefined {
  const a = config.answer;
  if (a.answerUrl === null) {
    return undefined;
  }
  return {
    answerUrl: a.answerUrl,
    answerMethod: a.answerMethod,
    webhookDialect: a.webhookDialect,
    fallbackUrl: a.fallbackUrl,
    fallbackMethod: a.fallbackMethod,
    hangupUrl: a.hangupUrl,
    hangupMethod: a.hangupMethod,
    timeoutMs: a.timeoutMs,
    attempts: a.attempts,
  };
}

function sipOptionsOf(config: Config): SipServerSipOptions {
  const { inboundAuth, trunk } = config.sip;
  return {
    ...config.sip,
    maxCalls: config.limits.maxCalls > 0 ? config.limits.maxCalls : config.tuning.maxCalls,
    maxStreams: config.limits.maxStreams,
    maxEventLoopLagMs: config.limits.maxEventLoopLagMs,
    transports: [...config.sip.transports],
    inboundAuth:
      inboundAuth === null
        ? null
        : { realm: inboundAuth.realm, users: inboundAuth.users.map((u) => ({ ...u })) },
    // A trunk without credentials is dialled without digest auth (a challenge then fails the call).
    trunk:
      trunk === null ? null : { ...trunk, username: trunk.username ?? '', password: trunk.password ?? '' },
  };
}

/** The SIP server's RTP settings: config `rtp` and the media timers of `tuning`. */
function rtpOptionsOf(config: Config): SipServerSpec['rtp'] {
  return {
    ...config.rtp,
    reorderWaitMs: config.tuning.jitterBufferMs,
    mediaTimeoutMs: config.tuning.mediaTimeoutSec * 1000,
    holdTimeoutMs: config.tuning.holdTimeoutSec * 1000,
    maxCallDurationMs: config.tuning.maxCallDurationSec * 1000,
  };
}

/**
 * Ends the records of calls a previous process left live (at the time each was last seen), then keeps
 * the live calls' last-seen time fresh, off the media path: one UPDATE every `intervalMs` (a refresh
 * still running when the next is due is not doubled).
 */
async function keepLastSeen(
  store: CallStore,
  clock: Clock,
  logger: Logger,
  intervalMs: number,
  node: NodeIdentity,
): Promise<NodeJS.Timeout> {
  // On a shared store only this node's calls: the other nodes' live calls are theirs.
  const mine = node.clustered ? node.nodeId : undefined;
  const recovered = await store.markLiveAsAbnormal(clock.epochMs(), SERVER_RESTART_CAUSE, undefined, mine);
  if (recovered.calls > 0 || recovered.streams > 0) {
    logger.warn(
      recovered,
      'records of calls live at the last stop were ended abnormally, at the time each was last seen',
    );
  }
  let refreshing = false;
  const lastSeen = setInterval(() => {
    if (refreshing) {
      return;
    }
    refreshing = true;
    store
      .touchLiveCalls(clock.epochMs(), mine)
      .catch((err: unknown) => {
        logger.warn({ err }, 'could not refresh the last-seen time of live calls');
      })
      .finally(() => {
        refreshing = false;
      });
  }, intervalMs);
  lastSeen.unref();
  return lastSeen;
}

/**
 * Start-up recovery: ends the records a previous process left live, starts the last-seen refresh,
 * delivers (in the background, in lane order) the callbacks it left in the outbox, and prunes old
 * finished outbox rows. Resolves to what stops the timers. On failure releases the runtime and the
 * store and throws.
 */
async function recoverRecords(
  store: CallStore,
  runtime: ReturnType<typeof composeRuntime>,
  config: Config,
  opts: StartServerOptions,
  node: NodeIdentity,
): Promise<() => void> {
  const { engine, logger, ports } = runtime;
  const lastSeenIntervalMs = opts.lastSeenIntervalMs ?? LAST_SEEN_INTERVAL_MS;
  const maxAgeSec = config.tuning.callbackMaxAgeSec;
  let lastSeen: NodeJS.Timeout;
  try {
    lastSeen = await keepLastSeen(store, ports.clock, logger, lastSeenIntervalMs, node);
  } catch (err) {
    await runtime.close(0);
    await store.close();
    throw err;
  }
  // A cluster node takes back its own leftovers only; a dead node's rows are the survivors' to claim.
  engine.callbacks.recover(undefined, node.clustered ? node.nodeId : undefined).catch((err: unknown) => {
    logger.error({ err }, 'could not read the callback outbox; pending callbacks wait for the next start');
  });
  // Finished outbox rows are kept for a callback's maximum age (a receiver deduplicating by id needs
  // no longer), then deleted: now and every hour.
  const prune = (): void => {
    const cut = ports.clock.epochMs() - maxAgeSec * 1000;
    store.pruneCallbacks(cut).catch((err: unknown) => {
      logger.warn({ err }, 'could not prune the callback outbox');
    });
  };
  prune();
  const pruning = setInterval(prune, OUTBOX_PRUNE_INTERVAL_MS);
  pruning.unref();
  return () => {
    clearInterval(lastSeen);
    clearInterval(pruning);
  };
}

/** Starts SIP; when its port cannot be bound, releases what was started and throws ERR_LISTEN_FAILED. */
async function startSip(
  sip: SipServer,
  config: Config,
  abandon: () => Promise<void>,
): Promise<{ udpPort: number; tlsPort: number }> {
  try {
    const bound = await sip.start();
    return { udpPort: bound.udpPort, tlsPort: bound.tlsPort ?? 0 };
  } catch (err) {
    await sip.stop().catch(() => undefined);
    await abandon();
    throw listenError(
      {
        host: config.sip.host,
        port: config.sip.port,
        transport: `${config.sip.transports.includes('tcp') ? 'UDP+TCP' : 'UDP'}${config.sip.tls === null ? '' : ` (TLS on ${config.sip.tls.port})`}`,
        setting:
          config.sip.tls === null
            ? 'sip.port (--sip-port, STREAMFORK_SIP_PORT)'
            : 'sip.port (--sip-port, STREAMFORK_SIP_PORT) or sip.tls.port (STREAMFORK_SIP_TLS_PORT)',
      },
      err,
    );
  }
}

/** Opens the REST API's port; on failure releases everything (`abandon`) and throws ERR_LISTEN_FAILED. */
async function listenApi(
  api: ReturnType<typeof buildApiServer>,
  config: Config,
  abandon: () => Promise<void>,
): Promise<string> {
  try {
    return await api.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    await api.close().catch(() => undefined);
    await abandon();
    throw listenError(
      {
        host: config.http.host,
        port: config.http.port,
        transport: config.http.tls === null ? 'HTTP' : 'HTTPS',
        setting: 'http.port (--http-port, STREAMFORK_HTTP_PORT)',
      },
      err,
    );
  }
}

/** The REST API's Call create: dials through the SIP server, hands answered calls to call control. */
function restDialerOf(
  config: Config,
  runtime: Runtime,
  control: CallControl,
  sip: { dial: RestDialerDeps['dial'] },
): RestDialer {
  const { engine, logger, ports } = runtime;
  return new RestDialer({
    engine,
    control,
    logger,
    ...ports,
    accountId: config.auth.authId,
    answerTimeoutMs: config.answer.timeoutMs,
    answerAttempts: config.answer.attempts,
    dial: (opts) => sip.dial(opts),
  });
}

/** The Plivo identity of an answered inbound call (a fresh request UUID, started now). */
function inboundIdentity(info: InboundInvite, config: Config, ports: AppPorts): CallIdentity {
  return {
    callUuid: info.callUuid,
    requestUuid: ports.random.uuid(),
    from: info.from,
    to: info.to,
    direction: 'inbound',
    accountId: config.auth.authId,
    startedAtMs: ports.clock.epochMs(),
    sipHeaders: info.sipHeaders,
  };
}

/** The engine runtime's options: the config's, the store as the callback outbox (owned by the node id in a cluster). */
function runtimeOptionsOf(
  config: Config,
  targets: TargetGuard,
  store: CallStore,
  node: NodeIdentity,
): RuntimeOptions {
  const authToken = config.auth.authToken;
  return {
    targets,
    stream: streamSettingsFrom(config, authToken),
    log: { level: config.log.level, redact: config.log.redact },
    maxStreamsPerCall: config.stream.maxStreamsPerCall,
    callbackTimeoutMs: config.tuning.callbackTimeoutMs,
    callbackAttempts: config.tuning.callbackAttempts,
    callbackDurability: {
      callbackOutbox: store,
      ...(node.clustered ? { callbackOwner: node.nodeId } : {}),
      callbackMaxBackoffMs: config.tuning.callbackMaxBackoffMs,
      callbackMaxAgeSec: config.tuning.callbackMaxAgeSec,
    },
    clockPhases: config.tuning.clockPhases,
  };
}

/**
 * The record store `storage.driver` names. PostgreSQL is connected and migrated here; when it cannot
 * be reached the start fails with one line (`ERR_STORAGE_UNREACHABLE`, password redacted).
 */
async function openStore(config: Config, onIdleError: (err: ServerError) => void): Promise<CallStore> {
  const { driver, url, dataDir } = config.storage;
  switch (driver) {
    case 'sqlite':
      return openSqliteCallStoreIn(dataDir);
    case 'memory':
      return new MemoryCallStore();
    case 'postgres':
      if (url === null) {
        throw new ServerError(
          'ERR_CONFIG_INVALID',
          'storage.url (STREAMFORK_STORAGE_URL) is required with storage.driver postgres',
        );
      }
      return PostgresCallStore.open({ url, onIdleError });
  }
}

/** What `stop` releases, in order. */
interface StopParts {
  stopTimers(): void;
  readonly sip: SipServer;
  idle(): Promise<unknown>;
  readonly cluster: ClusterParts | undefined;
  readonly api: ReturnType<typeof buildApiServer>;
  readonly runtime: Runtime;
  readonly graceMs: number;
  /** Undefined when the store is not the server's (`StartServerOptions.store`). */
  readonly closeStore: (() => Promise<void>) | undefined;
}

/** The server's `stop`: new calls refused, live ones ended with `cause`, then everything released once. */
function stopper(p: StopParts): (cause?: string) => Promise<void> {
  let stopped: Promise<void> | undefined;
  return (cause = 'Server Shutdown') => {
    stopped ??= (async () => {
      p.stopTimers();
      await p.sip.stop(cause);
      await Promise.race([p.idle(), new Promise((r) => setTimeout(r, p.graceMs).unref())]);
      await p.cluster?.close();
      await p.api.close();
      await p.runtime.close(p.graceMs);
      await p.closeStore?.();
    })();
    return stopped;
  };
}

/** The REST API on the store and the commands (a cluster node's forward; `localCommands` never do). */
function apiFor(
  config: Config,
  ports: AppPorts,
  parts: Pick<
    ApiDeps,
    'store' | 'commands' | 'localCommands' | 'logger' | 'ops' | 'console' | 'registrations' | 'recordings'
  >,
): ReturnType<typeof buildApiServer> {
  const tls = config.http.tls;
  return buildApiServer(
    {
      ...parts,
      clock: ports.clock,
      uuid: () => ports.random.uuid(),
      authId: config.auth.authId,
      authToken: config.auth.authToken,
      bodyLimitBytes: config.http.bodyLimitBytes,
    },
    tls === null ? {} : { https: { key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile) } },
  );
}

/** The web console's ports on this node's engine, and its files. */
function consoleDepsOf(runtime: Runtime): ConsoleDeps {
  const { engine, logger, ports } = runtime;
  return {
    feed: new ConsoleFeed({ events: engine.events }),
    tap: new EngineAudioTap({ engine, clock: ports.clock, logger: logger.child({ component: 'console' }) }),
    assets: loadConsoleAssets(),
  };
}

export async function startServer(config: Config, opts: StartServerOptions = {}): Promise<StreamforkServer> {
  const targets = targetGuardFrom(config);
  const node = nodeIdentityFrom(config);
  let logIdleError: (err: ServerError) => void = () => undefined;
  const store =
    opts.store ??
    (await openStore(config, (err) => {
      logIdleError(err);
    }));
  const authToken = config.auth.authToken;
  const runtime = composeRuntime(runtimeOptionsOf(config, targets, store, node));
  const { engine, logger, ports } = runtime;
  logIdleError = (err) => {
    logger.warn({ err }, 'a pooled PostgreSQL connection failed; the pool replaces it');
  };
  const stopTimers = await recoverRecords(store, runtime, config, opts, node);
  const records = new RecordProjector({ store, logger, events: engine.events });
  const recording = await composeRecording(config, runtime, store);
  // Before SIP starts, so the console's feed sees every call from the first.
  const consoleDeps = consoleDepsOf(runtime);
  const control = new CallControl({
    engine,
    records,
    tts: new EspeakTts({ command: config.tts.command, defaultVoice: config.tts.voice }),
    audio: new HttpAudioFetcher({ http: ports.http }),
    logger,
    ...ports,
    accountId: config.auth.authId,
    authToken,
    nodeId: node.nodeId,
    dialer: new PartyDialer({ ...ports, engine, logger, nodeId: node.nodeId, dial: (o) => sip.dial(o) }),
    recordings: recording.service,
  });
  const answer = answerConfigOf(config);
  const lag = startLagMonitor();
  const sip = composeSipServer(runtime, {
    logger: logger.child({ component: 'sip' }),
    sip: sipOptionsOf(config),
    rtp: rtpOptionsOf(config),
    targets,
    eventLoopLagMs: () => lag.lagMs(),
    ...inboundCallHandlers(control, answer, (info) => inboundIdentity(info, config, ports)),
  });
  const abandon = async (): Promise<void> => {
    stopTimers();
    lag.stop();
    await runtime.close(0);
    if (opts.store === undefined) {
      await store.close();
    }
  };
  const { udpPort, tlsPort } = await startSip(sip, config, abandon);
  const dialer = restDialerOf(config, runtime, control, sip);

  const opsParts = composeOps(config, runtime, sip, store, lag);
  const local = new EngineCallCommands({
    engine,
    store,
    control,
    dial: (req) => dialer.dial(req),
    admission: opsParts.admission,
  });
  const cluster = composeCluster({
    config,
    nodeId: node.nodeId,
    engine,
    ports,
    store,
    local,
    logger,
    sipPort: udpPort,
  });
  const api = apiFor(config, ports, {
    store,
    commands: cluster?.commands ?? local,
    ...(cluster === undefined ? {} : { localCommands: local }),
    logger: logger.child({ component: 'api' }),
    ...opsParts.api,
    console: consoleDeps,
    recordings: recording.api,
  });
  const address = await listenApi(api, config, async () => {
    await sip.stop();
    await abandon();
  });
  const httpPort = recording.apiListening(address);

  await cluster?.start(address);

  const stop = stopper({
    stopTimers: () => {
      stopTimers();
      opsParts.close();
    },
    sip,
    idle: () =>
      Promise.all([dialer.idle(), control.idle(), recording.service.stopAll()]).then(() => records.idle()),
    cluster,
    api,
    runtime,
    graceMs: config.tuning.shutdownGraceMs,
    closeStore: () => recording.close().then(() => (opts.store === undefined ? store.close() : undefined)),
  });
  return {
    sipPort: udpPort,
    sipTlsPort: tlsPort,
    httpPort,
    store,
    drain: (timeoutMs) => sip.drain(timeoutMs),
    nodeId: node.nodeId,
    cluster: cluster?.node,
    kill() {
      cluster?.node.halt();
      return stop();
    },
    stop,
  };
}
