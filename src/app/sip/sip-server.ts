/**
 * The SIP user agent that turns SIP dialogs into engine calls: UDP and TCP on one port (RFC 3261 §18),
 * the transaction layer on real timers, inbound calls (allow-list → optional digest → 100 → SDP answer →
 * RTP socket + RtpMediaLeg → 200 → engine call at the ACK) and outbound calls (`dial`).
 *
 * Request routing: a Request-URI that is not sip: or sips: gets 416 (RFC 3261 §8.2.2.1); a request with a To-tag belongs to a dialog (481 when none matches, RFC 3261 §12.2.2);
 * without one, INVITE starts a call, CANCEL cancels one, OPTIONS gets 200 (503 with Retry-After when draining
 * or full, see readiness.ts: the health probe of a proxy in front), BYE gets 481, methods we know
 * but do not support get 405 and unknown ones 501, both with Allow (§8.2.1). Sources outside
 * `allowFrom` get 403 for every request. Malformed messages are answered (or dropped) by the transport
 * with `replyToMalformed` and counted.
 *
 * Its I/O comes in through ports, built by the composition root (`composeSipServer` in src/compose.ts):
 * the SIP transport, the transaction layer driving it, the RTP socket factory (over the port allocator)
 * and the outbound target resolver. The server closes the transport and the transaction layer in `stop()`.
 *
 * Lifecycle (docs/lifecycle.md): `start()` binds; `drain(timeoutMs)` refuses new calls (503) and waits,
 * bounded, for the live ones to end on their own; `stop(cause)` refuses new INVITEs, ends every
 * call with BYE, waits (bounded) for the BYEs, then closes the sockets. Every path of a call releases its
 * RTP socket and port: rejection, CANCEL, BYE either way, no-ACK timeout, dial failure.
 */
import type { Engine } from '../../engine/engine.js';
import type { Clock, Timers } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { RtpSocketFactory, RtpSocketStats } from '../../ports/rtp-socket.js';
import type { SipTrafficCounters, SipTransactions, SipTuEffect } from '../../ports/sip-transactions.js';
import type { SipTransport } from '../../ports/sip-transport.js';
import type { TargetResolver } from '../../ports/target-resolver.js';
import type { SrtpMode } from '../../protocol/sdp/sdes-crypto.js';
import type { AudioCodec } from '../../protocol/sdp/sdp.types.js';
import type { BuildResponseOptions } from '../../protocol/sip/build-response.js';
import { getCallId, getMaxForwards, getTo } from '../../protocol/sip/headers.js';
import { tagOf } from '../../protocol/sip/name-addr.js';
import type { SipEndpoint, SipRequest } from '../../protocol/sip/sip-message.types.js';
import type { SipTimerConfig } from '../../protocol/sip/transaction/transaction.types.js';
import { AllowList } from './allow-list.js';
import { ALLOWED_METHODS, KNOWN_UNSUPPORTED } from './causes.js';
import { InboundCalls, type InboundCallsOptions } from './inbound.js';
import { OutboundDial, type DialOptions, type SipDialResult, type SipTrunk } from './outbound.js';
import { type NotReadyWhy, Readiness, type ReadinessState } from './readiness.js';
import type { RegistrationView } from '../../ports/registration-status.js';
import { SipRegistrations, type RegistrationTuning, type SipRegistrationConfig } from './registrations.js';
import type { SipLeg } from './sip-leg.js';
import {
  DEFAULT_CALL_LIMITS,
  DEFAULT_CODEC_POLICY,
  SipContext,
  type SipCounters,
  type SipPorts,
} from './sip-context.js';

export type { InboundInvite, InboundScreening, InboundSetup } from './inbound.js';
export type { DialOptions, SipDialResult, SipTrunk } from './outbound.js';

/** `sip.tls` (docs/sip.md#tls). */
export interface SipTlsSettings {
  readonly port: number;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string | null;
  readonly verifyPeer: boolean;
}

/** SIP settings (config `sip`). */
export interface SipServerSipOptions {
  readonly host: string;
  readonly port: number;
  readonly transports: readonly ('udp' | 'tcp')[];
  readonly publicAddress: string | null;
  /** Source addresses/CIDRs allowed to send requests. */
  readonly allowFrom: readonly string[];
  readonly inboundAuth: { realm: string; users: { username: string; password: string }[] } | null;
  readonly trunk: SipTrunk | null;
  /** SIP over TLS (`sip.tls`): the files are read by the composition root; null or absent: no TLS. */
  readonly tls?: SipTlsSettings | null;
  /** Outbound registrations (`sip.registrations`); INVITEs their registrars send are admitted besides allowFrom. */
  readonly registrations?: readonly SipRegistrationConfig[];
  /** Registration backoff steps; defaults 2 s doubling to 300 s. Tests shorten them. */
  readonly registrationTuning?: RegistrationTuning;
  /** Send 180 Ringing and wait this long before answering inbound calls. Default 0 (answer at once). */
  readonly ringMs?: number;
  /** Transaction timer bases (T1/T2/T4); RFC 3261 defaults when absent. Tests shorten them. */
  readonly timers?: Partial<SipTimerConfig>;
  /** RFC 4028 session interval (`sip.sessionExpiresSec`). Default 1800; 0 only honours the far end's. */
  readonly sessionExpiresSec?: number;
  /** Our Min-SE (`sip.minSessionExpiresSec`). Default 90. */
  readonly minSessionExpiresSec?: number;
  /** Most calls set up or live at once (`limits.maxCalls`); beyond it INVITEs and OPTIONS get 503. Default 0: no limit. */
  readonly maxCalls?: number;
  /** Most live streams on the node (`limits.maxStreams`); at it new calls get 503. Default 0: no limit. */
  readonly maxStreams?: number;
  /** Refuse new calls while the event loop lags more than this (`limits.maxEventLoopLagMs`). Default 0: never. */
  readonly maxEventLoopLagMs?: number;
}

/** RTP settings (config `rtp`). */
export interface SipServerRtpOptions {
  readonly host: string;
  readonly portMin: number;
  readonly portMax: number;
  /** Requested UDP receive buffer per RTP socket (dependencies.md §4: size it explicitly). */
  readonly recvBufferBytes: number;
  /** SDES-SRTP mode (`rtp.srtp`). Default `off`. */
  readonly srtp?: SrtpMode;
  /** Longest a missing inbound RTP packet holds back the ones behind it (`tuning.jitterBufferMs`). Default 40. */
  readonly reorderWaitMs?: number;
  /** Hang up a call after this long without RTP from a far end not on hold (`tuning.mediaTimeoutSec`). Default 0: never. */
  readonly mediaTimeoutMs?: number;
  /** Hang up a call held this long (`tuning.holdTimeoutSec`). Default 1 h; 0: never. */
  readonly holdTimeoutMs?: number;
  /** Longest answered call unless a dial names its own limit (`tuning.maxCallDurationSec`). Default 4 h. */
  readonly maxCallDurationMs?: number;
  /** Codecs offered and accepted, in our preference order (`rtp.codecs`). Default PCMU, PCMA. */
  readonly codecs?: readonly AudioCodec[];
  /** Answering: the offer's codec order or ours (`rtp.codecOrder`). Default `offer`. */
  readonly codecOrder?: 'offer' | 'ours';
}

/** What a {@link SipServer} is configured with, apart from its engine and its adapters. */
export interface SipServerSpec {
  readonly logger: Logger;
  /** `timers` and `host`/`port`/`transports` also configure the transport and transaction adapters. */
  readonly sip: SipServerSipOptions;
  /** `portMin`/`portMax`/`recvBufferBytes` also configure the RTP socket factory. */
  readonly rtp: SipServerRtpOptions;
  /** The time driving time limits, hold timeouts and session timers; tests step a fake one. Default the runtime's. */
  readonly dialogTime?: { readonly clock: Clock; readonly timers: Timers };
  /** Called once per inbound call when the engine call exists (at the ACK; in early media, at the 183). */
  readonly onInboundCall: InboundCallsOptions['onInboundCall'];
  /** Asked before an inbound call is answered whether it starts in early media (`InboundCallsOptions`). */
  readonly screen?: InboundCallsOptions['screen'];
  /** The event loop's recent lag, ms (for `maxEventLoopLagMs`); absent: 0. */
  readonly eventLoopLagMs?: () => number;
}

/** Builds a SIP server from its spec (the composition root supplies the engine and the adapters). */
export type SipServerFactory = (spec: SipServerSpec) => SipServer;

/** Options of {@link SipServer}: the spec, the engine and the ports. */
export interface SipServerOptions extends SipServerSpec {
  readonly engine: Engine;
  /** The runtime's clock, timers and random (the ones the engine was built with). */
  readonly ports: SipPorts;
  /** UDP (and TCP) on `sip.host:sip.port`, not yet listening; the server listens in `start()`. */
  readonly transport: SipTransport;
  /** The transaction layer over `transport`. */
  readonly transactions: SipTransactions;
  /** Opens each call's RTP/RTCP pair from the `rtp` port range. */
  readonly rtpSockets: RtpSocketFactory;
  /** The outbound target policy for sip: URIs dialled without a trunk. */
  readonly targets: TargetResolver;
}

/** Counters of {@link SipServer.stats}. */
export interface SipServerStats {
  /** Dialogs whose BYE has not completed (answered-but-unacknowledged calls included). */
  liveDialogs: number;
  rtpPortsInUse: number;
  /** Live SIP transactions (they linger up to 64*T1 after completing, RFC 3261 §17). */
  transactions: number;
  /** Messages that failed to parse (answered 4xx/5xx or dropped by the transport). */
  malformed: number;
  /** Requests we refused with a final status >= 400 (not counting 401/407 challenges, 481, 487). */
  rejected: number;
  /** Messages through the transaction layer, by method and status (absent when the layer keeps none). */
  traffic: SipTrafficCounters | undefined;
}

/** The 503 of a node not ready: its reason phrase and Retry-After. */
function unavailable(state: Extract<ReadinessState, { ready: false }>): BuildResponseOptions {
  return { reason: state.reason, headers: [{ name: 'Retry-After', value: String(state.retryAfterSec) }] };
}

function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** The SIP user agent. */
export class SipServer {
  readonly #opts: SipServerOptions;
  readonly #transport: SipTransport;
  readonly #driver: SipTransactions;
  readonly #rtpSockets: RtpSocketFactory;
  readonly #allow: AllowList;
  readonly #calls = new Map<string, SipLeg>();
  readonly #counters: SipCounters = { malformed: 0, rejected: 0 };
  #ctx: SipContext | undefined;
  #inbound: InboundCalls | undefined;
  #registrations: SipRegistrations | undefined;
  #stopping = false;
  readonly #readiness: Readiness;

  constructor(opts: SipServerOptions) {
    this.#opts = opts;
    this.#readiness = new Readiness({
      maxCalls: opts.sip.maxCalls ?? 0,
      maxStreams: opts.sip.maxStreams ?? 0,
      maxEventLoopLagMs: opts.sip.maxEventLoopLagMs ?? 0,
    });
    this.#allow = new AllowList(opts.sip.allowFrom);
    this.#transport = opts.transport;
    this.#driver = opts.transactions;
    this.#rtpSockets = opts.rtpSockets;
    this.#transport.onMalformed((m) => {
      this.#counters.malformed++;
      opts.logger.debug(
        { code: m.error.code, action: m.action, source: `${m.source.address}:${m.source.port}` },
        'malformed SIP message',
      );
    });
  }

  /** Binds UDP (and TCP when configured) on `sip.host:sip.port`; port 0 picks one. */
  async start(): Promise<{ udpPort: number; tcpPort: number; tlsPort?: number }> {
    const { sip, rtp, engine, logger } = this.#opts;
    const bound = await this.#transport.listen();
    const advertised = sip.publicAddress ?? sip.host;
    const mediaAddress = sip.publicAddress ?? (isUnspecified(rtp.host) ? sip.host : rtp.host);
    const ctx = new SipContext(
      engine,
      this.#opts.ports,
      logger.child({ component: 'sip' }),
      this.#driver,
      this.#rtpSockets,
      advertised,
      mediaAddress,
      bound.port,
      this.#counters,
      this.#opts.rtp.reorderWaitMs ?? 40,
      this.#opts.rtp.mediaTimeoutMs ?? 0,
      {
        holdTimeoutMs: rtp.holdTimeoutMs ?? DEFAULT_CALL_LIMITS.holdTimeoutMs,
        maxCallDurationMs: rtp.maxCallDurationMs ?? DEFAULT_CALL_LIMITS.maxCallDurationMs,
        session: {
          sessionExpiresSec: sip.sessionExpiresSec ?? DEFAULT_CALL_LIMITS.session.sessionExpiresSec,
          minSeSec: sip.minSessionExpiresSec ?? DEFAULT_CALL_LIMITS.session.minSeSec,
        },
      },
      this.#opts.dialogTime ?? this.#opts.ports,
      {
        codecs: rtp.codecs ?? DEFAULT_CODEC_POLICY.codecs,
        order: rtp.codecOrder ?? DEFAULT_CODEC_POLICY.order,
      },
    );
    ctx.srtpMode = rtp.srtp ?? 'off';
    ctx.tlsPort = bound.tlsPort ?? 0;
    ctx.publicAddressConfigured = sip.publicAddress !== null;
    ctx.flowKeepAlive = this.#transport.keepAlive?.bind(this.#transport);
    this.#ctx = ctx;
    this.#inbound = new InboundCalls(ctx, {
      auth: sip.inboundAuth,
      ringMs: sip.ringMs ?? 0,
      register: (call) => {
        this.#register(call);
      },
      onInboundCall: this.#opts.onInboundCall,
      ...(this.#opts.screen === undefined ? {} : { screen: this.#opts.screen }),
    });
    this.#driver.onEffect((e) => {
      this.#onEffect(e);
    });
    this.#registrations = new SipRegistrations(ctx, sip.registrations ?? [], sip.registrationTuning);
    this.#registrations.start(this.#opts.targets);
    return {
      udpPort: bound.port,
      tcpPort: sip.transports.includes('tcp') ? bound.port : 0,
      ...(bound.tlsPort === undefined ? {} : { tlsPort: bound.tlsPort }),
    };
  }

  #register(call: SipLeg): void {
    const key = call.key;
    this.#calls.set(key, call);
    call.on('closed', () => {
      if (this.#calls.get(key) === call) {
        this.#calls.delete(key);
      }
    });
  }

  #onEffect(e: SipTuEffect): void {
    const ctx = this.#ctx;
    if (ctx === undefined || ctx.routeClientEvent(e)) {
      return;
    }
    switch (e.type) {
      case 'request': {
        this.#onRequest(e.request, e.source, e.transactionId, e.cancels);
        return;
      }
      case 'timeout':
      case 'transport-error': {
        if (e.request.method === 'INVITE') {
          this.#inbound?.onInviteFailed(e.transactionId);
        }
        return;
      }
      case 'response':
      case 'terminated':
      case 'discarded': {
        return;
      }
    }
  }

  #onRequest(
    request: SipRequest,
    source: SipEndpoint,
    transactionId: string | undefined,
    cancels: string | undefined,
  ): void {
    const ctx = this.#ctx;
    const inbound = this.#inbound;
    if (ctx === undefined || inbound === undefined) {
      return;
    }
    if (!this.#allow.allows(source.address) && this.#registrations?.admits(request, source) !== true) {
      if (request.method !== 'ACK') {
        ctx.respond(request, 403, { reason: 'Forbidden (source not allowed)' });
      }
      return;
    }
    if (!/^sips?:/i.test(request.uri) && request.method !== 'ACK') {
      // RFC 3261 §8.2.2.1: a scheme we do not serve (tel:, http:, urn:...) is 416, whatever the method.
      ctx.respond(request, 416);
      return;
    }
    const toTag = (() => {
      const to = getTo(request);
      return to === undefined ? undefined : tagOf(to);
    })();
    if (toTag !== undefined) {
      const call = this.#calls.get(`${getCallId(request) ?? ''};${toTag}`);
      if (call !== undefined) {
        call.onRequest(request, source);
      } else if (request.method !== 'ACK') {
        ctx.respond(request, 481);
      }
      return;
    }
    if (getMaxForwards(request) === 0 && request.method !== 'ACK' && request.method !== 'CANCEL') {
      ctx.respond(request, 483);
      return;
    }
    this.#onOutOfDialog(ctx, inbound, request, source, transactionId, cancels);
  }

  #onOutOfDialog(
    ctx: SipContext,
    inbound: InboundCalls,
    request: SipRequest,
    source: SipEndpoint,
    transactionId: string | undefined,
    cancels: string | undefined,
  ): void {
    switch (request.method) {
      case 'INVITE': {
        const state = this.readiness();
        if (state.ready) {
          inbound.onInvite(request, source, transactionId);
        } else {
          this.#readiness.countRefusal(state);
          ctx.respond(request, 503, unavailable(state));
        }
        return;
      }
      case 'CANCEL': {
        inbound.onCancel(request, cancels);
        return;
      }
      case 'ACK': {
        return;
      }
      case 'OPTIONS': {
        const state = this.readiness();
        ctx.respond(
          request,
          state.ready ? 200 : 503,
          state.ready
            ? {
                headers: [
                  { name: 'Allow', value: ALLOWED_METHODS },
                  { name: 'Accept', value: 'application/sdp' },
                ],
              }
            : unavailable(state),
        );
        return;
      }
      case 'BYE': {
        ctx.respond(request, 481);
        return;
      }
      default: {
        ctx.respond(request, KNOWN_UNSUPPORTED.has(request.method) ? 405 : 501, {
          headers: [{ name: 'Allow', value: ALLOWED_METHODS }],
        });
      }
    }
  }

  /**
   * Outbound call (REST Call create): INVITE via the trunk (digest 401/407 answered) or straight to a
   * sip: URI; resolves when answered (200 + ACK) or failed.
   */
  async dial(opts: DialOptions): Promise<SipDialResult> {
    const ctx = this.#ctx;
    if (ctx === undefined || this.#stopping || !this.readiness().ready) {
      return { ok: false, cause: 'NORMAL_TEMPORARY_FAILURE' };
    }
    return OutboundDial.dial(
      ctx,
      this.#opts.sip.trunk,
      (call) => {
        this.#register(call);
      },
      opts,
      this.#opts.targets,
    );
  }

  /** The state of every `sip.registrations` binding (the REST registration endpoint reads it). */
  registrations(): readonly RegistrationView[] {
    return this.#registrations?.views() ?? [];
  }

  /** Whether a new call would be taken now (what OPTIONS answers): the calls being set up and live count. */
  readiness(): ReadinessState {
    return this.#readiness.check({
      calls: this.#calls.size + (this.#inbound?.pending ?? 0),
      streams: this.#opts.engine.liveStreamCount,
      eventLoopLagMs: this.#opts.eventLoopLagMs?.() ?? 0,
    });
  }

  /** Whether a new stream may start on a live call now (draining, `maxStreams`, the lag limit). */
  streamReadiness(): ReadinessState {
    return this.#readiness.checkStream({
      streams: this.#opts.engine.liveStreamCount,
      eventLoopLagMs: this.#opts.eventLoopLagMs?.() ?? 0,
    });
  }

  /** Counts a refusal that was sent (a 503 to an INVITE or a REST request), for metrics. */
  countRefusal(state: ReadinessState): void {
    this.#readiness.countRefusal(state);
  }

  /** New work refused since start, by why. */
  get refusals(): Readonly<Record<NotReadyWhy, number>> {
    return this.#readiness.refused;
  }

  /** Whether `start()` has bound the SIP port and `stop()` has not begun. */
  get listening(): boolean {
    return this.#ctx !== undefined && !this.#stopping;
  }

  /**
   * Refuses every new call from now on (INVITE and OPTIONS 503, dials fail) and waits until the live
   * calls have ended on their own, at most `timeoutMs`; resolves to whether none is left. `stop()` ends
   * the rest.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.#readiness.drain();
    const idle = (): boolean => this.#calls.size === 0 && (this.#inbound?.pending ?? 0) === 0;
    await this.#waitFor(idle, timeoutMs, 50);
    return idle();
  }

  /** Ends every live call with `cause` (BYE), stops accepting calls, closes sockets. */
  async stop(cause = 'NORMAL_CLEARING'): Promise<void> {
    if (this.#stopping) {
      return;
    }
    this.#stopping = true;
    this.#readiness.drain();
    this.#inbound?.refuseAll();
    // Unregister (Expires: 0) alongside the BYEs; each is bounded.
    const unregistered = this.#registrations?.stop(2000);
    for (const call of [...this.#calls.values()]) {
      call.hangup(cause);
    }
    await this.#waitFor(() => this.#calls.size === 0, 3000);
    await unregistered;
    for (const call of [...this.#calls.values()]) {
      call.close();
    }
    await this.#waitFor(() => this.#rtpSockets.portsInUse === 0, 2000);
    this.#driver.close();
    await this.#transport.close();
  }

  async #waitFor(condition: () => boolean, timeoutMs: number, stepMs = 10): Promise<void> {
    const deadline = this.#opts.ports.clock.monotonicMs() + timeoutMs;
    while (!condition() && this.#opts.ports.clock.monotonicMs() < deadline) {
      await new Promise<void>((resolve) => {
        this.#opts.ports.timers.after(stepMs, resolve);
      });
    }
  }

  stats(): SipServerStats {
    return {
      liveDialogs: this.#calls.size,
      rtpPortsInUse: this.#rtpSockets.portsInUse,
      transactions: this.#driver.size,
      malformed: this.#counters.malformed,
      rejected: this.#counters.rejected,
      traffic: this.#driver.traffic,
    };
  }

  /** The RTP socket counters of a live call (tests: random bytes on the RTP port are counted, not fatal). */
  rtpStatsForTesting(callUuid: string): { rtpPort: number; stats: Readonly<RtpSocketStats> } | undefined {
    const call = this.dialogForTesting(callUuid);
    return call === undefined ? undefined : { rtpPort: call.socket.rtpPort, stats: call.socket.stats };
  }

  /** The live dialog carrying `callUuid` (tests: the close cascade watches it). */
  dialogForTesting(callUuid: string): SipLeg | undefined {
    return [...this.#calls.values()].find((c) => c.callUuid === callUuid);
  }
}
