/**
 * What every part of the SIP user agent shares: the transaction driver, our addresses (Via sent-by,
 * Contact, SDP), random tags and branches, the RTP socket factory, and the routing of client
 * transaction events back to whoever started the transaction.
 */
import type { Engine } from '../../engine/engine.js';
import type { Clock, Timers } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';
import type { RtpSocket, RtpSocketFactory } from '../../ports/rtp-socket.js';
import type { FlowKeepAliveResult } from '../../ports/sip-transport.js';
import type { SipTransactions, SipTuEffect } from '../../ports/sip-transactions.js';
import { SRTP_KEY_MATERIAL_BYTES, type SrtpMode, type SrtpPolicy } from '../../protocol/sdp/sdes-crypto.js';
import type { AudioCodec } from '../../protocol/sdp/sdp.types.js';
import { makeBranch, type LocalVia } from '../../protocol/sip/build-request.js';
import { buildResponse, type BuildResponseOptions } from '../../protocol/sip/build-response.js';
import type { SipEndpoint, SipRequest, SipTransportProtocol } from '../../protocol/sip/sip-message.types.js';
import type { SessionTimerConfig } from '../../protocol/sip/dialog/session-timer.js';
import { clientTransactionId } from '../../protocol/sip/transaction/transaction-key.js';

/** Events of one client transaction, as the TU sees them. */
export type ClientEvent = Extract<
  SipTuEffect,
  { type: 'response' | 'timeout' | 'transport-error' | 'terminated' }
>;

/** The limits every dialog gets (config `tuning.holdTimeoutSec`, `tuning.maxCallDurationSec`, `sip.sessionExpiresSec`…). */
export interface SipLegLimits {
  /** Hang up after the far end held the call this long (0: never). */
  readonly holdTimeoutMs: number;
  /** Hang up an answered call after this long unless the dial names its own limit (0: never). */
  readonly maxCallDurationMs: number;
  /** RFC 4028 session timers. */
  readonly session: SessionTimerConfig;
}

/** Limits when none are configured: RFC 4028's suggested interval, Plivo's 4 h time limit, 1 h on hold. */
export const DEFAULT_CALL_LIMITS: SipLegLimits = {
  holdTimeoutMs: 3_600_000,
  maxCallDurationMs: 14_400_000,
  session: { sessionExpiresSec: 1800, minSeSec: 90 },
};

/** Codec choice of every dialog (config `rtp.codecs`, `rtp.codecOrder`; docs/codecs.md). */
export interface SipCodecPolicy {
  /** Offered and accepted, in our preference order. */
  readonly codecs: readonly AudioCodec[];
  /** Answering an offer: its order (`offer`) or ours. */
  readonly order: 'offer' | 'ours';
}

/** Today's narrowband default: PCMU, then PCMA, in the offer's order. */
export const DEFAULT_CODEC_POLICY: SipCodecPolicy = { codecs: ['PCMU', 'PCMA'], order: 'offer' };

/** The runtime's ports the user agent uses (the composition root hands them in with the engine). */
export interface SipPorts {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
}

/** Counters shared by the parts of the user agent. */
export interface SipCounters {
  malformed: number;
  rejected: number;
}

/** The shared plumbing of one SIP user agent. */
export class SipContext {
  readonly #clientOps = new Map<string, (event: ClientEvent) => void>();
  /** `rtp.srtp`: set by the server once, before any call. */
  srtpMode: SrtpMode = 'off';
  /** The TLS listener's port (`sip.tls.port`, as bound): set by the server once; 0 when there is none. */
  tlsPort = 0;
  /** `sip.publicAddress` is set: registrations do not learn a public address from responses (docs/nat.md). */
  publicAddressConfigured = false;
  /** The transport's CRLF keep-alive on a TCP/TLS flow (RFC 5626 §4.4.1); set by the server when it has one. */
  flowKeepAlive:
    ((destination: SipEndpoint, pongTimeoutMs: number) => Promise<FlowKeepAliveResult>) | undefined;

  constructor(
    readonly engine: Engine,
    readonly ports: SipPorts,
    readonly logger: Logger,
    readonly driver: SipTransactions,
    readonly rtp: RtpSocketFactory,
    /** The address written in Via, Contact and SDP: `publicAddress ?? host`. */
    readonly advertisedHost: string,
    /** The address written in SDP c= and o=. */
    readonly mediaAddress: string,
    readonly port: number,
    readonly counters: SipCounters,
    /** Passed to every RTP leg: how long a missing inbound packet holds back the ones behind it. */
    readonly reorderWaitMs: number,
    /** Passed to every RTP leg: hang up after this long without RTP from a far end that should send (0: never). */
    readonly mediaTimeoutMs: number,
    /** Time limit, hold timeout and session timers of every dialog. */
    readonly limits: SipLegLimits = DEFAULT_CALL_LIMITS,
    /** The time that drives those dialog timers: the runtime's unless a test steps its own. */
    readonly dialogTime: { readonly clock: Clock; readonly timers: Timers } = ports,
    /** The codecs offered and accepted. */
    readonly codecPolicy: SipCodecPolicy = DEFAULT_CODEC_POLICY,
  ) {}

  /** A new call's SDES-SRTP policy: the mode and fresh key material from the random port; undefined when off. */
  srtpPolicy(): SrtpPolicy | undefined {
    return this.srtpMode === 'off'
      ? undefined
      : { mode: this.srtpMode, keyMaterial: this.ports.random.bytes(SRTP_KEY_MATERIAL_BYTES) };
  }

  /** What `negotiateAnswer` needs of the codec policy. */
  get answerCodecs(): { codecs: readonly AudioCodec[]; preferOfferOrder: boolean } {
    return { codecs: this.codecPolicy.codecs, preferOfferOrder: this.codecPolicy.order === 'offer' };
  }

  /** `n` random bytes as hex (tags, branches, Call-IDs). */
  token(bytes = 8): string {
    return Buffer.from(this.ports.random.bytes(bytes)).toString('hex');
  }

  /** A Via for a new request over `protocol` (RFC 3261 §18.1.1, rport per RFC 3581). */
  via(protocol: SipTransportProtocol): LocalVia {
    return {
      transport: protocol === 'tcp' ? 'TCP' : protocol === 'tls' ? 'TLS' : 'UDP',
      host: this.hostForUri(),
      port: this.portFor(protocol),
      branch: makeBranch(this.token()),
    };
  }

  /** The port we listen on for `protocol`: the TLS listener's for TLS, else the UDP/TCP one. */
  portFor(protocol: SipTransportProtocol): number {
    return protocol === 'tls' && this.tlsPort > 0 ? this.tlsPort : this.port;
  }

  /**
   * Our Contact (RFC 3261 §8.1.1.8), with `transport=tcp` when the dialog runs over TCP. Over TLS it is
   * `sips:` when the dialog is secure (the request was `sips:`, §8.1.1.8 and §12.1.1 demand a SIPS
   * Contact then), else `sip:…;transport=tls` (RFC 5630 §3.1.3: TLS on this hop only). docs/sip.md#tls.
   */
  contact(protocol: SipTransportProtocol, user = 'streamfork', secure = false): string {
    const port = this.portFor(protocol);
    if (protocol === 'tls') {
      return secure
        ? `<sips:${user}@${this.hostForUri()}:${port}>`
        : `<sip:${user}@${this.hostForUri()}:${port};transport=tls>`;
    }
    return `<sip:${user}@${this.hostForUri()}:${port}${protocol === 'tcp' ? ';transport=tcp' : ''}>`;
  }

  hostForUri(): string {
    return this.advertisedHost.includes(':') ? `[${this.advertisedHost}]` : this.advertisedHost;
  }

  /** The address families `socket` can send RTP to (its bind family), for the SDP address check. */
  reachable(socket: RtpSocket): readonly (4 | 6)[] {
    return socket.localAddress.includes(':') ? [6] : [4];
  }

  nowMs(): number {
    return this.ports.clock.monotonicMs();
  }

  /** Answers a server transaction (the request as the layer delivered it: Via stamped). */
  respond(request: SipRequest, status: number, options: BuildResponseOptions = {}): void {
    if (status >= 400 && status !== 401 && status !== 407 && status !== 487 && status !== 481) {
      this.counters.rejected++;
    }
    this.driver.input({ type: 'send-response', response: buildResponse(request, status, options) });
  }

  /**
   * Starts a client transaction; `onEvent` gets its responses, timeout, transport error and termination.
   * An ACK is sent statelessly and gets no events.
   */
  send(request: SipRequest, destination: SipEndpoint, onEvent?: (event: ClientEvent) => void): void {
    if (request.method === 'ACK') {
      this.driver.input({ type: 'send-stateless', message: request, destination });
      return;
    }
    const id = clientTransactionId(request);
    if (id !== undefined && onEvent !== undefined) {
      this.#clientOps.set(id, onEvent);
    }
    this.driver.input({ type: 'send-request', request, destination });
  }

  /** Routes a driver effect to the client transaction that owns it; false when none does. */
  routeClientEvent(effect: SipTuEffect): boolean {
    if (
      effect.type !== 'response' &&
      effect.type !== 'timeout' &&
      effect.type !== 'transport-error' &&
      effect.type !== 'terminated'
    ) {
      return false;
    }
    const id = effect.transactionId;
    const op = id === undefined ? undefined : this.#clientOps.get(id);
    if (op === undefined || id === undefined) {
      return false;
    }
    if (effect.type === 'terminated') {
      this.#clientOps.delete(id);
    }
    try {
      op(effect);
    } catch (err) {
      this.logger.error({ err }, 'SIP client transaction handler threw');
    }
    return true;
  }

  /** Client transactions still routed (for stats and leak checks). */
  get clientOps(): number {
    return this.#clientOps.size;
  }
}
