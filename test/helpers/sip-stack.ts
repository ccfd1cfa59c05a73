/**
 * A full SIP stack for tests and tools: `composeRuntime` + `composeSipServer` on loopback (random ports), with a
 * minimal `onInboundCall` that runs the call's XML from a given answer URL (as src/app/virtual-call.ts
 * does for virtual calls). The production wiring (CallControl) lives elsewhere; this is only the hook.
 *
 * @example
 * const stack = await startSipStack({ answerUrl: app.url('/answer') });
 * // ... point sipp at 127.0.0.1:stack.port ...
 * await stack.close();
 */
import type { TargetGuard } from '../../src/adapters/net/target-guard.js';
import { composeRuntime, composeSipServer, type Runtime } from '../../src/compose.js';
import type { CallSession } from '../../src/engine/call/call-session.js';
import { defaultStreamSettings } from '../../src/engine/fork/stream-defaults.js';
import type { StreamSettings } from '../../src/engine/fork/stream-fork.types.js';
import { flowContext } from '../../src/engine/interpreter/call-params.js';
import { runCallFlow, type CallFlowEnd } from '../../src/engine/interpreter/interpreter.js';
import { createElementRegistry } from '../../src/engine/interpreter/registry.js';
import { nullLogger, type Logger } from '../../src/ports/logger.js';
import type {
  SipServer,
  InboundInvite,
  InboundSetup,
  SipServerSpec,
  SipServerRtpOptions,
  SipServerSipOptions,
  SipTrunk,
} from '../../src/app/sip/sip-server.js';

/** Options of {@link startSipStack}. */
export interface SipStackOptions {
  /** Answer URL for inbound calls; without it inbound calls just stay up until the caller hangs up. */
  readonly answerUrl?: string;
  readonly answerMethod?: 'GET' | 'POST';
  readonly stream?: StreamSettings;
  readonly logger?: Logger;
  readonly host?: string;
  readonly transports?: readonly ('udp' | 'tcp')[];
  readonly allowFrom?: readonly string[];
  readonly inboundAuth?: SipServerSipOptions['inboundAuth'];
  readonly trunk?: SipTrunk | null;
  /** Outbound registrations (`sip.registrations`) and their backoff steps. */
  readonly registrations?: SipServerSipOptions['registrations'];
  readonly registrationTuning?: SipServerSipOptions['registrationTuning'];
  /** RTP port range; default a random 2,000-port window in 20000–31999. */
  readonly rtpPortMin?: number;
  readonly rtpPortMax?: number;
  readonly recvBufferBytes?: number;
  /** `rtp.srtp`; default off. */
  readonly srtp?: 'off' | 'optional' | 'required';
  /** Hang up after this long without RTP (see `SipServerRtpOptions.mediaTimeoutMs`). Default 0: never. */
  readonly mediaTimeoutMs?: number;
  readonly timers?: SipServerSipOptions['timers'];
  /** Hold timeout (`tuning.holdTimeoutSec`), ms. Default 0 here: never. */
  readonly holdTimeoutMs?: number;
  /** Longest answered call (`tuning.maxCallDurationSec`), ms. Default 0 here: never. */
  readonly maxCallDurationMs?: number;
  /** RFC 4028 session interval we use (`sip.sessionExpiresSec`). Default 0 here: only the far end's. */
  readonly sessionExpiresSec?: number;
  readonly minSessionExpiresSec?: number;
  /** A steppable clock for the dialog timers (see `SipServerSpec.dialogTime`). */
  readonly dialogTime?: SipServerSpec['dialogTime'];
  readonly ringMs?: number;
  /** The outbound target policy (HTTP, WebSocket and trunkless dials). Default: the built-in denials. */
  readonly targets?: TargetGuard;
  /** Codecs offered and accepted (`rtp.codecs`). Default PCMU, PCMA. */
  readonly codecs?: SipServerRtpOptions['codecs'];
  /** `rtp.codecOrder`. Default `offer`. */
  readonly codecOrder?: SipServerRtpOptions['codecOrder'];
  /** `sip.tls` (files read at start). Default none. */
  readonly tls?: SipServerSipOptions['tls'];
  /** Extra observer of inbound calls (after the call flow started); `setup` as the server gives it. */
  readonly onInboundCall?: (call: CallSession, info: InboundInvite, setup?: InboundSetup) => void;
  /** `SipServerSpec.screen`: asked before each inbound call is answered (early media). Default none. */
  readonly screen?: SipServerSpec['screen'];
}

/** One inbound call the stack answered. */
export interface StackCall {
  readonly call: CallSession;
  readonly info: InboundInvite;
  /** Settles when the call flow ended (never rejects); undefined without an answer URL. */
  readonly flow: Promise<CallFlowEnd> | undefined;
}

/** A running stack. */
export interface SipStack {
  readonly runtime: Runtime;
  readonly server: SipServer;
  /** The SIP port (UDP, and TCP when enabled). */
  readonly port: number;
  /** The TLS port when `tls` was given, else 0. */
  readonly tlsPort: number;
  readonly host: string;
  /** Inbound calls in the order they started. */
  readonly calls: StackCall[];
  /** Stops the SIP server (BYE to every call) and the runtime. */
  close(): Promise<void>;
}

/** Starts the stack on loopback. */
export async function startSipStack(opts: SipStackOptions = {}): Promise<SipStack> {
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? nullLogger;
  const runtime = composeRuntime({
    stream: opts.stream ?? defaultStreamSettings('MAXXXXXXXXXXXXXXXXXX', 'streamfork-test-token'),
    logger,
    ...(opts.targets === undefined ? {} : { targets: opts.targets }),
  });
  const calls: StackCall[] = [];
  // Below the Linux ephemeral range (32768+), so peers on OS-chosen ports never collide with ours.
  const portMin = opts.rtpPortMin ?? 20000 + 2 * runtime.ports.random.int(5000);
  const server = composeSipServer(runtime, {
    logger,
    sip: {
      host,
      port: 0,
      transports: opts.transports ?? ['udp', 'tcp'],
      publicAddress: null,
      allowFrom: opts.allowFrom ?? ['127.0.0.0/8', '::1/128'],
      inboundAuth: opts.inboundAuth ?? null,
      ...(opts.registrations === undefined ? {} : { registrations: opts.registrations }),
      ...(opts.registrationTuning === undefined ? {} : { registrationTuning: opts.registrationTuning }),
      trunk: opts.trunk ?? null,
      ...(opts.tls === undefined ? {} : { tls: opts.tls }),
      ...(opts.timers === undefined ? {} : { timers: opts.timers }),
      ...(opts.ringMs === undefined ? {} : { ringMs: opts.ringMs }),
      sessionExpiresSec: opts.sessionExpiresSec ?? 0,
      ...(opts.minSessionExpiresSec === undefined ? {} : { minSessionExpiresSec: opts.minSessionExpiresSec }),
    },
    rtp: {
      host,
      portMin,
      portMax: opts.rtpPortMax ?? portMin + 1999,
      recvBufferBytes: opts.recvBufferBytes ?? 1024 * 1024,
      ...(opts.srtp === undefined ? {} : { srtp: opts.srtp }),
      mediaTimeoutMs: opts.mediaTimeoutMs ?? 0,
      holdTimeoutMs: opts.holdTimeoutMs ?? 0,
      maxCallDurationMs: opts.maxCallDurationMs ?? 0,
      ...(opts.codecs === undefined ? {} : { codecs: opts.codecs }),
      ...(opts.codecOrder === undefined ? {} : { codecOrder: opts.codecOrder }),
    },
    ...(opts.targets === undefined ? {} : { targets: opts.targets }),
    ...(opts.dialogTime === undefined ? {} : { dialogTime: opts.dialogTime }),
    ...(opts.screen === undefined ? {} : { screen: opts.screen }),
    onInboundCall: (call, info, setup) => {
      const flow =
        opts.answerUrl === undefined || call.status !== 'in-progress'
          ? undefined
          : runFlow(runtime, call, info, opts.answerUrl, opts.answerMethod ?? 'POST');
      calls.push({ call, info, flow });
      opts.onInboundCall?.(call, info, setup);
    },
  });
  const { udpPort, tlsPort } = await server.start();
  return {
    runtime,
    server,
    port: udpPort,
    tlsPort: tlsPort ?? 0,
    host,
    calls,
    async close() {
      await server.stop('NORMAL_CLEARING');
      await runtime.close(1000);
    },
  };
}

/** Runs the call's XML like a Plivo inbound call: the call's parameters carry From, To and X- headers. */
export function runFlow(
  runtime: Runtime,
  call: CallSession,
  info: InboundInvite,
  answerUrl: string,
  method: 'GET' | 'POST',
): Promise<CallFlowEnd> {
  const { engine, ports } = runtime;
  const { clock, random } = ports;
  const abort = new AbortController();
  call.on('ended', () => {
    abort.abort();
  });
  const identity = {
    callUuid: call.callUuid,
    requestUuid: random.uuid(),
    from: info.from,
    to: info.to,
    direction: 'inbound' as const,
    accountId: engine.options.stream.accountId,
    startedAtMs: clock.epochMs(),
    sipHeaders: info.sipHeaders,
  };
  const ctx = flowContext(ports, call, identity, {
    logger: runtime.logger.child({ callUuid: call.callUuid }),
    authToken: engine.options.stream.authToken,
    signal: abort.signal,
    fetchTimeoutMs: 5000,
  });
  return runCallFlow(ctx, { url: answerUrl, method, registry: createElementRegistry() });
}
