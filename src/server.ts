/**
 * The full server's composition root: config → store → engine runtime → call control → SIP → REST API.
 * The only place (with compose.ts) that creates adapters.
 */
import { readFileSync } from 'node:fs';

import { buildApiServer } from './api/server.js';
import { CallControl, type AnswerConfig } from './app/call-control.js';
import { RestDialer } from './app/call-control/rest-dialer.js';
import { SipServer, type InboundCallInfo, type SipServerSipOptions } from './app/sip/sip-server.js';
import { MemoryCallStore } from './adapters/memory-store/memory-call-store.js';
import { openSqliteCallStoreIn } from './adapters/sqlite-store/sqlite-call-store.js';
import { EspeakTts } from './adapters/tts-espeak/espeak-tts.js';
import { HttpAudioFetcher } from './adapters/audio-fetcher/http-audio-fetcher.js';
import { composeRuntime } from './compose.js';
import type { Config } from './config/schema.js';
import type { CallIdentity } from './engine/interpreter/call-params.js';
import type { CallSession } from './engine/call/call-session.js';
import { SERVER_RESTART_CAUSE, type CallStore } from './ports/call-store.js';
import type { Logger } from './ports/logger.js';
import type { Engine } from './engine/engine.js';
import { listenError } from './listen-error.js';
import { streamSettingsFrom, targetGuardFrom } from './server-settings.js';

/**
 * How often the record store is told which calls are still live (`touchLiveCalls`): after a crash,
 * a lost call's end time is its last refresh, so it is at most this late... or this early.
 */
export const LAST_SEEN_INTERVAL_MS = 5000;

/** Knobs for tests; production uses the defaults. */
export interface StartServerOptions {
  /** Default {@link LAST_SEEN_INTERVAL_MS}. */
  readonly lastSeenIntervalMs?: number;
}

export interface StreamforkServer {
  readonly sipPort: number;
  readonly httpPort: number;
  readonly store: CallStore;
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

/**
 * Ends the records of calls a previous process left live (at the time each was last seen), then keeps
 * the live calls' last-seen time fresh, off the media path: one UPDATE every `intervalMs`.
 */
function keepLastSeen(store: CallStore, engine: Engine, logger: Logger, intervalMs: number): NodeJS.Timeout {
  const recovered = store.markLiveAsAbnormal(engine.deps.clock.epochMs(), SERVER_RESTART_CAUSE);
  if (recovered.calls > 0 || recovered.streams > 0) {
    logger.warn(
      recovered,
      'records of calls live at the last stop were ended abnormally, at the time each was last seen',
    );
  }
  const lastSeen = setInterval(() => {
    try {
      store.touchLiveCalls(engine.deps.clock.epochMs());
    } catch (err) {
      logger.warn({ err }, 'could not refresh the last-seen time of live calls');
    }
  }, intervalMs);
  lastSeen.unref();
  return lastSeen;
}

/** Starts SIP; when its port cannot be bound, releases what was started and throws ERR_LISTEN_FAILED. */
async function startSip(sip: SipServer, config: Config, abandon: () => Promise<void>): Promise<number> {
  try {
    return (await sip.start()).udpPort;
  } catch (err) {
    await sip.stop().catch(() => undefined);
    await abandon();
    throw listenError(
      {
        host: config.sip.host,
        port: config.sip.port,
        transport: config.sip.transports.includes('tcp') ? 'UDP+TCP' : 'UDP',
        setting: 'sip.port (--sip-port, STREAMFORK_SIP_PORT)',
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

export async function startServer(config: Config, opts: StartServerOptions = {}): Promise<StreamforkServer> {
  const targets = targetGuardFrom(config);
  const store: CallStore =
    config.storage.driver === 'sqlite'
      ? openSqliteCallStoreIn(config.storage.dataDir)
      : new MemoryCallStore();
  const authToken = config.auth.authToken;
  const runtime = composeRuntime({
    targets,
    stream: streamSettingsFrom(config, authToken),
    log: { level: config.log.level, redact: config.log.redact },
    maxStreamsPerCall: config.stream.maxStreamsPerCall,
    callbackTimeoutMs: config.tuning.callbackTimeoutMs,
    callbackAttempts: config.tuning.callbackAttempts,
    clockPhases: config.tuning.clockPhases,
  });
  const { engine, logger } = runtime;
  const lastSeen = keepLastSeen(store, engine, logger, opts.lastSeenIntervalMs ?? LAST_SEEN_INTERVAL_MS);
  const control = new CallControl({
    engine,
    store,
    tts: new EspeakTts({ command: config.tts.command, defaultVoice: config.tts.voice }),
    audio: new HttpAudioFetcher({ http: engine.deps.http }),
    logger,
    accountId: config.auth.authId,
    authToken,
  });
  const answer = answerConfigOf(config);
  const identityOf = (call: CallSession, info: InboundCallInfo): CallIdentity => ({
    callUuid: call.callUuid,
    requestUuid: engine.deps.random.uuid(),
    from: info.from,
    to: info.to,
    direction: 'inbound',
    accountId: config.auth.authId,
    startedAtMs: engine.deps.clock.epochMs(),
    sipHeaders: info.sipHeaders,
  });
  const sip = new SipServer({
    engine,
    logger: logger.child({ component: 'sip' }),
    sip: sipOptionsOf(config),
    rtp: {
      ...config.rtp,
      reorderWaitMs: config.tuning.jitterBufferMs,
      mediaTimeoutMs: config.tuning.mediaTimeoutSec * 1000,
      holdTimeoutMs: config.tuning.holdTimeoutSec * 1000,
      maxCallDurationMs: config.tuning.maxCallDurationSec * 1000,
    },
    targets,
    onInboundCall: (call, info) => {
      if (answer === undefined) {
        call.errors.push('no answer URL configured');
        call.hangup('Answer URL Missing', 'server');
        return;
      }
      control.run(call, identityOf(call, info), answer);
    },
  });
  const abandon = async (): Promise<void> => {
    clearInterval(lastSeen);
    await runtime.close(0);
    store.close();
  };
  const udpPort = await startSip(sip, config, abandon);
  const dialer = new RestDialer({
    engine,
    store,
    control,
    logger,
    accountId: config.auth.authId,
    answerTimeoutMs: config.answer.timeoutMs,
    answerAttempts: config.answer.attempts,
    dial: (opts) => sip.dial(opts),
  });

  const tls = config.http.tls;
  const api = buildApiServer(
    {
      engine,
      store,
      logger: logger.child({ component: 'api' }),
      authId: config.auth.authId,
      authToken,
      bodyLimitBytes: config.http.bodyLimitBytes,
      dial: (req) => dialer.dial(req),
      transfer: (callUuid, url, method) => control.transfer(callUuid, url, method),
    },
    tls === null ? {} : { https: { key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile) } },
  );
  const address = await listenApi(api, config, async () => {
    await sip.stop();
    await abandon();
  });
  const httpPort = Number(new URL(address).port);

  let stopped: Promise<void> | undefined;
  return {
    sipPort: udpPort,
    httpPort,
    store,
    stop(cause = 'Server Shutdown') {
      stopped ??= (async () => {
        clearInterval(lastSeen);
        await sip.stop(cause);
        await Promise.race([
          Promise.all([dialer.idle(), control.idle()]),
          new Promise((r) => setTimeout(r, config.tuning.shutdownGraceMs).unref()),
        ]);
        await api.close();
        await runtime.close(config.tuning.shutdownGraceMs);
        store.close();
      })();
      return stopped;
    },
  };
}
