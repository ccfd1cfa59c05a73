/**
 * Outbound calls (UAC, RFC 3261 §13.2): INVITE with our PCMU/PCMA/telephone-event offer through the trunk
 * or straight to a sip: URI, digest answers to one 401/407 challenge (RFC 3261 §22.2), ACK for the 2xx
 * (§13.2.2.4, re-sent for retransmitted 2xx), CANCEL when the ring timeout expires (§9.1).
 */
import type { CallSession } from '../../engine/call/call-session.js';
import type { MediaLeg } from '../../engine/call/media-leg.types.js';
import type { RtpSocket } from '../../ports/rtp-socket.js';
import type { TargetResolver } from '../../ports/target-resolver.js';
import { buildOffer, readAnswer } from '../../protocol/sdp/build-offer.js';
import type { SrtpPolicy } from '../../protocol/sdp/sdes-crypto.js';
import { buildRequest } from '../../protocol/sip/build-request.js';
import {
  intervalAfter422,
  readUacSession,
  uacSessionHeaders,
  type SessionInterval,
} from '../../protocol/sip/dialog/session-timer.js';
import { uacNatFlow } from '../../protocol/sip/dialog/nat-flow.js';
import { buildAckFor2xx, createUacDialog } from '../../protocol/sip/dialog/sip-dialog.js';
import { DigestClient } from '../../protocol/sip/digest/digest-client.js';
import { getHeader, getHeaderValues } from '../../protocol/sip/headers.js';
import { bodyText } from '../../protocol/sip/message-edit.js';
import type {
  SipEndpoint,
  SipHeader,
  SipRequest,
  SipResponse,
} from '../../protocol/sip/sip-message.types.js';
import { parseSipUri } from '../../protocol/sip/sip-uri.js';
import { uriEndpoint } from '../../protocol/sip/uri-endpoint.js';
import { causeForStatus } from './causes.js';
import { SipLeg } from './sip-leg.js';
import type { ClientEvent, SipContext } from './sip-context.js';

/** The `natFlow` of a dialog whose callee is behind a NAT (docs/nat.md), as a spread. */
function natFlowOf(response: SipResponse, destination: SipEndpoint): { natFlow?: SipEndpoint } {
  const flow = uacNatFlow(response, destination);
  return flow === undefined ? {} : { natFlow: flow };
}

/** The outbound trunk (config `sip.trunk`). */
export interface SipTrunk {
  readonly uri: string;
  readonly username: string;
  readonly password: string;
  readonly fromUser: string | null;
  readonly fromDomain: string | null;
}

/** Options of a dial. */
export interface DialOptions {
  /** A sip: URI, or a number/user sent to the trunk. */
  readonly to: string;
  /** Caller id: a number/user, or a sip: URI. */
  readonly from: string;
  /** Ring timeout; CANCEL after it. Default 60 s. */
  readonly timeoutSec?: number;
  readonly callUuid?: string;
  /** Wraps the RTP leg before it joins the engine (the CLI records and plays through this). */
  readonly wrapLeg?: (leg: MediaLeg) => MediaLeg;
  /** Extra headers on the INVITE (e.g. X-*). */
  readonly headers?: readonly SipHeader[];
  /** Hang up this long after answer (Plivo `time_limit`); default `tuning.maxCallDurationSec`. */
  readonly timeLimitSec?: number;
}

/** What a SIP dial answers (the REST dialer reads it too). `detail`: what went wrong, when more is known than the cause says. */
export type SipDialResult =
  { ok: true; call: CallSession } | { ok: false; cause: string; sipStatus?: number; detail?: string };

interface Target {
  readonly requestUri: string;
  readonly destination: SipEndpoint;
}

/** Where a dial goes: through the trunk when configured, else straight to a sip: URI. */
function resolveTarget(to: string, trunk: SipTrunk | null): Target | string {
  const isUri = /^sips?:/i.test(to);
  if (trunk !== null) {
    const trunkUri = parseSipUri(trunk.uri);
    const destination = uriEndpoint(trunk.uri);
    if (!trunkUri.ok || destination === undefined) {
      return `bad trunk URI ${trunk.uri}`;
    }
    const port = trunkUri.value.port === undefined ? '' : `:${trunkUri.value.port}`;
    return { requestUri: isUri ? to : `sip:${to}@${trunkUri.value.host}${port}`, destination };
  }
  const destination = isUri ? uriEndpoint(to) : undefined;
  return destination === undefined
    ? `"${to}" is not a sip: URI and no trunk is configured`
    : { requestUri: to, destination };
}

function userOf(text: string): string {
  if (!/^sips?:/i.test(text)) {
    return text;
  }
  const parsed = parseSipUri(text);
  return parsed.ok ? (parsed.value.user ?? 'streamfork') : 'streamfork';
}

function cancelFor(invite: SipRequest): SipRequest {
  const headers: SipHeader[] = [
    { name: 'Via', value: getHeaderValues(invite, 'Via')[0] ?? '' },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: getHeader(invite, 'From') ?? '' },
    { name: 'To', value: getHeader(invite, 'To') ?? '' },
    { name: 'Call-ID', value: getHeader(invite, 'Call-ID') ?? '' },
    { name: 'CSeq', value: `${(getHeader(invite, 'CSeq') ?? '1').split(' ')[0] ?? '1'} CANCEL` },
    ...getHeaderValues(invite, 'Route').map((value) => ({ name: 'Route', value })),
  ];
  return { kind: 'request', method: 'CANCEL', uri: invite.uri, headers, body: new Uint8Array(0) };
}

/** The RFC 4028 session interval a 2xx sets, as a SipLegInit field. */
function sessionOf(response: SipResponse): { session?: SessionInterval } {
  const session = readUacSession(response);
  return session === undefined ? {} : { session };
}

/** Places one outbound call; resolves once answered or failed. */
export class OutboundDial {
  readonly #ctx: SipContext;
  readonly #trunk: SipTrunk | null;
  readonly #register: (call: SipLeg) => void;
  readonly #opts: DialOptions;
  readonly #target: Target;
  readonly #socket: RtpSocket;
  readonly #offer: string;
  readonly #origin: { sessionId: string; sessionVersion: number };
  readonly #callId: string;
  readonly #fromTag: string;
  #cseq = 0;
  #authTried = false;
  #auth: SipHeader | undefined;
  /** The session interval we ask for (RFC 4028 §7.1), raised once by a 422 (§7.4). */
  #sessionAskSec: number;
  #retried422 = false;
  #invite: SipRequest | undefined;
  #provisional = false;
  #done = false;
  #call: SipLeg | undefined;
  #resolve: (r: SipDialResult) => void = () => undefined;
  #timer: { cancel(): void } | undefined;
  readonly #srtp: SrtpPolicy | undefined;

  private constructor(
    ctx: SipContext,
    trunk: SipTrunk | null,
    register: (call: SipLeg) => void,
    opts: DialOptions,
    target: Target,
    socket: RtpSocket,
  ) {
    this.#ctx = ctx;
    this.#trunk = trunk;
    this.#register = register;
    this.#opts = opts;
    this.#target = target;
    this.#socket = socket;
    this.#origin = { sessionId: String(ctx.ports.random.int(2 ** 31)), sessionVersion: 1 };
    this.#srtp = ctx.srtpPolicy();
    this.#offer = buildOffer({
      localAddress: ctx.mediaAddress,
      localPort: socket.rtpPort,
      origin: this.#origin,
      ...this.#srtpOption(),
      codecs: ctx.codecPolicy.codecs,
    });
    this.#callId = `${ctx.token(12)}@${ctx.advertisedHost}`;
    this.#fromTag = ctx.token();
    this.#sessionAskSec = ctx.limits.session.sessionExpiresSec;
  }

  #srtpOption(): { srtp?: SrtpPolicy } {
    return this.#srtp === undefined ? {} : { srtp: this.#srtp };
  }

  /** Dials; never rejects. */
  static async dial(
    ctx: SipContext,
    trunk: SipTrunk | null,
    register: (call: SipLeg) => void,
    opts: DialOptions,
    guard: TargetResolver,
  ): Promise<SipDialResult> {
    const resolved = resolveTarget(opts.to, trunk);
    if (typeof resolved === 'string') {
      ctx.logger.warn({ detail: resolved }, 'dial refused');
      return { ok: false, cause: 'INVALID_NUMBER_FORMAT' };
    }
    let target = resolved;
    if (trunk === null) {
      // A URI dialled without a trunk goes wherever it names: resolve it once, check it against the
      // outbound target policy and send every request of the dialog to the address that was checked.
      const checked = await guard.resolve(target.destination.address);
      if (!checked.ok) {
        ctx.logger.warn({ detail: checked.detail }, 'dial refused');
        return { ok: false, cause: 'NETWORK_OUT_OF_ORDER', detail: checked.detail };
      }
      const { destination } = target;
      const serverName =
        destination.protocol === 'tls' && checked.address !== destination.address
          ? destination.address
          : undefined;
      target = {
        ...target,
        destination: {
          ...destination,
          address: checked.address,
          ...(serverName === undefined ? {} : { serverName }),
        },
      };
    }
    let socket: RtpSocket;
    try {
      socket = await ctx.rtp.open();
    } catch (err) {
      ctx.logger.warn({ err }, 'no RTP port for an outbound call');
      return { ok: false, cause: 'NORMAL_TEMPORARY_FAILURE' };
    }
    return new OutboundDial(ctx, trunk, register, opts, target, socket).#run();
  }

  #run(): Promise<SipDialResult> {
    return new Promise((resolve) => {
      this.#resolve = resolve;
      const timeoutMs = (this.#opts.timeoutSec ?? 60) * 1000;
      this.#timer = this.#ctx.ports.timers.after(timeoutMs, () => {
        this.#onRingTimeout();
      });
      this.#sendInvite(undefined);
    });
  }

  #sendInvite(auth: SipHeader | undefined): void {
    this.#auth = auth;
    const ctx = this.#ctx;
    const protocol = this.#target.destination.protocol;
    const fromUser = this.#trunk?.fromUser ?? userOf(this.#opts.from);
    const fromDomain = this.#trunk?.fromDomain ?? ctx.hostForUri();
    this.#invite = buildRequest({
      method: 'INVITE',
      uri: this.#target.requestUri,
      from: `<sip:${fromUser}@${fromDomain}>`,
      fromTag: this.#fromTag,
      to: `<${this.#target.requestUri}>`,
      callId: this.#callId,
      cseq: ++this.#cseq,
      via: ctx.via(protocol),
      contact: ctx.contact(protocol, undefined, /^sips:/i.test(this.#target.requestUri)),
      headers: [
        { name: 'Allow', value: 'INVITE, ACK, BYE, CANCEL, OPTIONS' },
        { name: 'User-Agent', value: 'streamfork' },
        ...uacSessionHeaders(ctx.limits.session, this.#sessionAskSec),
        ...(this.#opts.headers ?? []),
        ...(auth === undefined ? [] : [auth]),
      ],
      body: this.#offer,
    });
    ctx.send(this.#invite, this.#target.destination, (e) => {
      this.#onEvent(e);
    });
  }

  #onEvent(e: ClientEvent): void {
    switch (e.type) {
      case 'response': {
        this.#onResponse(e.response);
        return;
      }
      case 'timeout':
      case 'transport-error': {
        this.#fail(e.type === 'timeout' ? 'NO_ANSWER' : 'NETWORK_OUT_OF_ORDER', undefined);
        return;
      }
      case 'terminated': {
        return;
      }
    }
  }

  #onResponse(response: SipResponse): void {
    const s = response.status;
    if (s < 200) {
      this.#provisional = true;
      return;
    }
    if (s < 300) {
      this.#onAnswered(response);
      return;
    }
    if (s === 422 && !this.#retried422 && !this.#done) {
      // RFC 4028 §7.4: ask again with at least the Min-SE the far end named.
      const retry = intervalAfter422(response, this.#sessionAskSec);
      if (retry !== undefined && retry <= 86_400) {
        this.#retried422 = true;
        this.#sessionAskSec = retry;
        this.#sendInvite(this.#auth);
        return;
      }
    }
    if ((s === 401 || s === 407) && !this.#authTried && this.#trunk !== null && !this.#done) {
      this.#authTried = true;
      const trunk = this.#trunk;
      const client = new DigestClient({ username: trunk.username, password: trunk.password }, () =>
        this.#ctx.token(8),
      );
      const invite = this.#invite;
      const header = invite === undefined ? undefined : client.authorize(invite, response);
      if (header?.ok === true) {
        this.#sendInvite(header.value);
        return;
      }
    }
    this.#fail(causeForStatus(s), s);
  }

  #onAnswered(response: SipResponse): void {
    const invite = this.#invite;
    if (invite === undefined) {
      return;
    }
    if (this.#call !== undefined) {
      // A retransmitted 2xx: our ACK was lost (RFC 3261 §13.2.2.4).
      this.#sendAck(this.#call, invite);
      return;
    }
    const dialog = createUacDialog(invite, response);
    if (dialog === undefined) {
      this.#fail('PROTOCOL_ERROR', response.status);
      return;
    }
    const call = new SipLeg({
      ctx: this.#ctx,
      dialog: { ...dialog, state: 'confirmed' },
      protocol: this.#target.destination.protocol,
      socket: this.#socket,
      callUuid: this.#opts.callUuid ?? this.#ctx.ports.random.uuid(),
      origin: this.#origin,
      localSdp: this.#offer,
      ...this.#srtpOption(),
      ...(this.#opts.timeLimitSec === undefined ? {} : { timeLimitMs: this.#opts.timeLimitSec * 1000 }),
      ...sessionOf(response),
      ...natFlowOf(response, this.#target.destination),
    });
    this.#call = call;
    this.#register(call);
    this.#sendAck(call, invite);
    const answer = readAnswer(bodyText(response), {
      reachable: this.#ctx.reachable(this.#socket),
      ...this.#srtpOption(),
      codecs: this.#ctx.codecPolicy.codecs,
    });
    if (!answer.ok) {
      this.#ctx.logger.warn(
        { callUuid: call.callUuid, code: answer.error.code, detail: answer.error.detail },
        'unusable SDP in the answer to our INVITE; BYE',
      );
    }
    if (this.#done || !answer.ok) {
      // Answered after we gave up, or with SDP we cannot use: confirm, then end it (RFC 3261 §15).
      call.sendBye(this.#done ? 'ORIGINATOR_CANCEL' : 'INCOMPATIBLE_DESTINATION');
      this.#fail('INCOMPATIBLE_DESTINATION', response.status);
      return;
    }
    const leg = call.startMedia(answer.value);
    const session = this.#ctx.engine.addCall(this.#opts.wrapLeg?.(leg) ?? leg, call.callUuid);
    call.session = session;
    call.answered();
    this.#finish({ ok: true, call: session });
  }

  #sendAck(call: SipLeg, invite: SipRequest): void {
    const ack = buildAckFor2xx(call.dialog, invite, this.#ctx.via(call.protocol));
    const destination = call.destination(ack);
    if (destination !== undefined) {
      this.#ctx.send(ack, destination);
    }
  }

  #onRingTimeout(): void {
    if (this.#done) {
      return;
    }
    const invite = this.#invite;
    if (invite !== undefined && this.#call === undefined) {
      // RFC 3261 §9.1 wants a provisional first; a CANCEL before it is harmless and ends ringing sooner.
      this.#ctx.send(cancelFor(invite), this.#target.destination, () => undefined);
    }
    this.#fail(this.#provisional ? 'NO_ANSWER' : 'RECOVERY_ON_TIMER_EXPIRE', undefined);
  }

  #fail(cause: string, sipStatus: number | undefined): void {
    if (this.#call === undefined) {
      void this.#socket.close();
    }
    this.#finish({ ok: false, cause, ...(sipStatus === undefined ? {} : { sipStatus }) });
  }

  #finish(result: SipDialResult): void {
    if (this.#done) {
      return;
    }
    this.#done = true;
    this.#timer?.cancel();
    this.#resolve(result);
  }
}
