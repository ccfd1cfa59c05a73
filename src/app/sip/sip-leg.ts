/**
 * One SIP dialog carrying one engine call (RFC 3261 §12–§15): its RTP socket and `RtpMediaLeg`, BYE in
 * both directions, re-INVITE (hold/resume and remote address changes, RFC 3264 §8), in-dialog OPTIONS,
 * and the release of the socket and port on every path. The same class serves inbound (UAS) and
 * outbound (UAC) dialogs; only who created the dialog differs.
 */
import type { CallSession } from '../../engine/call/call-session.js';
import type { HangupSource } from '../../engine/call/media-leg.types.js';
import { RtpMediaLeg } from '../../engine/call/rtp-media-leg.js';
import type { TimerHandle } from '../../ports/clock.js';
import type { RtpSocket } from '../../ports/rtp-socket.js';
import { readAnswer } from '../../protocol/sdp/build-offer.js';
import { negotiateAnswer } from '../../protocol/sdp/negotiate-answer.js';
import { isHoldAddress } from '../../protocol/sdp/sdp-audio.js';
import type { SrtpPolicy } from '../../protocol/sdp/sdes-crypto.js';
import type { NegotiatedAudio, SdpOrigin } from '../../protocol/sdp/sdp.types.js';
import { DialogTimers, type DialogTimerInput } from '../../protocol/sip/dialog/dialog-timers.js';
import {
  negotiateAsUas,
  readUacSession,
  supportsTimer,
  uacSessionHeaders,
  type SessionInterval,
} from '../../protocol/sip/dialog/session-timer.js';
import {
  acceptRemoteCSeq,
  buildAckFor2xx,
  buildInDialogRequest,
  nextHopUri,
  type SipDialog,
} from '../../protocol/sip/dialog/sip-dialog.js';
import { bodyText } from '../../protocol/sip/message-edit.js';
import type {
  SipEndpoint,
  SipHeader,
  SipRequest,
  SipResponse,
  SipTransportProtocol,
} from '../../protocol/sip/sip-message.types.js';
import { uriEndpoint } from '../../protocol/sip/uri-endpoint.js';
import { TypedEmitter } from '../../engine/util/typed-emitter.js';
import { ALLOWED_METHODS, KNOWN_UNSUPPORTED, q850CauseFor } from './causes.js';
import type { SipContext } from './sip-context.js';
import type { SipLegEvents, SipLegInit } from './sip-leg.types.js';

/**
 * Whether the far end is expected to send RTP: only on a plain `sendrecv` session. On hold in either
 * direction, `recvonly` or `inactive`, it may rightly go quiet (phones often send nothing with
 * `sendonly`), so the media timeout is suspended.
 */
function expectsRtp(audio: NegotiatedAudio): boolean {
  return audio.remoteDirection === 'sendrecv' && !audio.onHold;
}

/** The payload types that may latch symmetric RTP (docs/nat.md): the codec, telephone-event, comfort noise. */
function latchPayloadTypes(audio: NegotiatedAudio): number[] {
  const types = [audio.codec.payloadType, 13];
  if (audio.telephoneEvent !== undefined) {
    types.push(audio.telephoneEvent.payloadType);
  }
  return types;
}

/** One dialog and its media. */
export class SipLeg extends TypedEmitter<SipLegEvents> {
  readonly ctx: SipContext;
  readonly callUuid: string;
  /** This call's SDES-SRTP policy; undefined when `rtp.srtp` is off. */
  readonly srtp: SrtpPolicy | undefined;
  readonly protocol: SipTransportProtocol;
  readonly socket: RtpSocket;
  dialog: SipDialog;
  leg: RtpMediaLeg | undefined;
  session: CallSession | undefined;
  audio: NegotiatedAudio | undefined;
  /** Set by the inbound side until the ACK for our 200 arrives: starts the engine call. */
  onFirstAck: ((ack: SipRequest) => void) | undefined;
  /** Set while the dialog is early (183 sent, no 200): ending the call answers the INVITE, no BYE. */
  onEarlyEnd: ((cause: string) => void) | undefined;
  #origin: SdpOrigin;
  #localSdp: string;
  #closed = false;
  #byeSent = false;
  readonly #remoteSource: HangupSource;
  #natFlow: SipEndpoint | undefined;
  readonly #timers: DialogTimers;
  #wake: TimerHandle | undefined;
  #initialSession: SessionInterval | undefined;
  /** Our refresh re-INVITE is in flight: a re-INVITE from the far end meanwhile gets 491 (RFC 3261 §14.2). */
  #refreshing = false;

  constructor(init: SipLegInit) {
    super();
    this.ctx = init.ctx;
    this.dialog = init.dialog;
    this.protocol = init.protocol;
    this.socket = init.socket;
    this.callUuid = init.callUuid;
    this.#origin = init.origin;
    this.#localSdp = init.localSdp;
    this.srtp = init.srtp;
    this.onListenerError = (err) => {
      init.ctx.logger.error({ err, callUuid: init.callUuid }, 'SIP call closed listener threw');
    };
    this.#remoteSource = init.dialog.role === 'uas' ? 'caller' : 'callee';
    this.#timers = new DialogTimers({
      timeLimitMs: init.timeLimitMs ?? init.ctx.limits.maxCallDurationMs,
      holdTimeoutMs: init.ctx.limits.holdTimeoutMs,
    });
    this.#initialSession = init.session;
    this.#natFlow = init.natFlow;
    if (init.natFlow !== undefined) {
      init.ctx.logger.info(
        {
          callUuid: init.callUuid,
          flow: `${init.natFlow.protocol}:${init.natFlow.address}:${init.natFlow.port}`,
        },
        'SIP far end behind NAT: in-dialog requests go where its requests come from',
      );
    }
  }

  /**
   * The call is answered and confirmed: its time limit starts, and the session interval negotiated at
   * set-up (our role in that INVITE is the dialog's role) starts too.
   */
  answered(): void {
    this.#drive({ type: 'answered' });
    if (this.#initialSession !== undefined) {
      this.#drive({ type: 'session', session: this.#initialSession, weAre: this.dialog.role });
      this.#initialSession = undefined;
    }
  }

  /** The session interval in force (tests and stats). */
  get sessionTimer(): { intervalSec: number; weRefresh: boolean } | undefined {
    return this.#timers.session;
  }

  /** Feeds the dialog timers, carries out their effects and re-arms the one wake-up timer. */
  #drive(input: DialogTimerInput): void {
    const { clock, timers } = this.ctx.dialogTime;
    const effects = this.#timers.input(input, clock.monotonicMs());
    this.#wake?.cancel();
    this.#wake = undefined;
    const next = this.#timers.nextWakeMs;
    if (next !== undefined) {
      this.#wake = timers.after(Math.max(0, next - clock.monotonicMs()), () => {
        this.#wake = undefined;
        this.#drive({ type: 'wake' });
      });
    }
    for (const effect of effects) {
      if (effect.type === 'refresh') {
        this.#sendRefresh(effect.intervalSec);
      } else {
        this.ctx.logger.info(
          { callUuid: this.callUuid, cause: effect.cause, detail: effect.detail },
          'dialog timer ended the call',
        );
        this.hangup(effect.cause);
      }
    }
  }

  #holdChanged(audio: NegotiatedAudio): void {
    this.#drive({ type: 'hold', held: !expectsRtp(audio) });
  }

  /** RFC 4028 §10: a session refresh, as a re-INVITE offering our current SDP again. */
  #sendRefresh(intervalSec: number): void {
    if (this.#byeSent || this.#closed) {
      return;
    }
    const built = buildInDialogRequest(this.dialog, 'INVITE', {
      via: this.ctx.via(this.protocol),
      contact: this.ctx.contact(this.protocol, undefined, this.dialog.secure),
      headers: [
        { name: 'Allow', value: ALLOWED_METHODS },
        ...uacSessionHeaders(this.ctx.limits.session, intervalSec, 'uac'),
      ],
      body: this.#localSdp,
    });
    this.dialog = built.dialog;
    const invite = built.request;
    const destination = this.destination(invite);
    if (destination === undefined) {
      this.#drive({ type: 'refresh-failed', status: 'timeout' });
      return;
    }
    let answered = false;
    this.#refreshing = true;
    this.ctx.send(invite, destination, (e) => {
      if (e.type === 'response') {
        if (e.response.status >= 200 && !answered) {
          answered = true;
          this.#onRefreshAnswered(invite, e.response);
        }
      } else if ((e.type === 'timeout' || e.type === 'transport-error') && !answered) {
        answered = true;
        this.#refreshing = false;
        this.#drive({ type: 'refresh-failed', status: 'timeout' });
      }
    });
  }

  #onRefreshAnswered(invite: SipRequest, response: SipResponse): void {
    const status = response.status;
    this.#refreshing = false;
    if (status >= 300) {
      // RFC 4028 §10: 408 or 481 means the dialog is gone; other failures are retried until expiry.
      this.#drive({ type: 'refresh-failed', status });
      return;
    }
    const ack = buildAckFor2xx(this.dialog, invite, this.ctx.via(this.protocol));
    const destination = this.destination(ack);
    if (destination !== undefined) {
      this.ctx.send(ack, destination);
    }
    const read = readAnswer(bodyText(response), {
      ...this.#srtpOption(),
      codecs: this.ctx.codecPolicy.codecs,
    });
    if (read.ok) {
      this.#applyRemote(read.value);
    }
    // A 2xx without Session-Expires turns the timer off (RFC 4028 §7.2) when the far end knows the
    // extension; one that does not (no `timer` tag) cannot echo it, and we keep refreshing as before.
    const current = this.#timers.session;
    const kept =
      current === undefined || supportsTimer(response)
        ? undefined
        : { intervalSec: current.intervalSec, refresher: 'uac' as const };
    this.#drive({ type: 'session', session: readUacSession(response) ?? kept, weAre: 'uac' });
  }

  /** `Call-ID;local-tag`: the registry key (a request's To-tag is our local tag). */
  get key(): string {
    return `${this.dialog.callId};${this.dialog.localTag}`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Creates the media leg for the negotiated audio and points the socket at the peer. */
  startMedia(audio: NegotiatedAudio): RtpMediaLeg {
    this.audio = audio;
    this.#applyRemote(audio);
    const { clock, random } = this.ctx.ports;
    const leg = new RtpMediaLeg({
      socket: this.socket,
      clock,
      random,
      codec: audio.codec.name,
      payloadType: audio.codec.payloadType,
      telephoneEventPayloadType: audio.telephoneEvent?.payloadType,
      cname: `streamfork@${this.callUuid}`,
      reorderWaitMs: this.ctx.reorderWaitMs,
      mediaTimeoutMs: this.ctx.mediaTimeoutMs,
      onHangupRequested: (cause) => {
        this.sendBye(cause);
      },
      onSendFailed: (f) => {
        this.ctx.logger.warn(
          { callUuid: this.callUuid, kind: f.kind, code: f.code, to: `${f.to.address}:${f.to.port}` },
          'RTP/RTCP send failed; ending the call',
        );
      },
    });
    leg.setRemoteSending(expectsRtp(audio));
    this.leg = leg;
    this.#holdChanged(audio);
    return leg;
  }

  /** The `srtp` option of offer/answer for this call (nothing when SRTP is off). */
  #srtpOption(): { srtp?: SrtpPolicy } {
    return this.srtp === undefined ? {} : { srtp: this.srtp };
  }

  #applyRemote(audio: NegotiatedAudio): void {
    // The SDP just agreed says whether media is SRTP and with which keys (the same keys keep the state).
    this.socket.setSrtp(audio.srtp);
    this.socket.setLatchPayloadTypes?.(latchPayloadTypes(audio));
    if (isHoldAddress(audio.remoteAddress) || audio.remotePort === 0) {
      return;
    }
    const current = this.socket.remote;
    const sdpChanged = current?.address !== audio.remoteAddress || current.port !== audio.remotePort;
    this.socket.setRemote({ address: audio.remoteAddress, port: audio.remotePort });
    if (sdpChanged && this.socket.latched && this.audio !== audio) {
      this.socket.unlatch();
    }
  }

  /**
   * Where in-dialog requests go: the first route, else the remote target (RFC 3261 §12.2.1.1, §8.1.2);
   * without a route set, to a far end behind a NAT, where its requests came from (docs/nat.md).
   */
  destination(request: SipRequest): SipEndpoint | undefined {
    if (this.#natFlow !== undefined && this.dialog.routeSet.length === 0) {
      return this.#natFlow;
    }
    return uriEndpoint(nextHopUri(request), this.protocol);
  }

  /** Ends the dialog from our side with BYE; the call is closed once BYE is answered or times out. */
  sendBye(cause: string): void {
    if (this.#byeSent || this.#closed) {
      return;
    }
    this.#byeSent = true;
    const early = this.onEarlyEnd;
    if (early !== undefined) {
      this.onEarlyEnd = undefined;
      early(cause);
      // After the call that asked for this has ended with its own cause (we are inside its hangup).
      queueMicrotask(() => {
        this.close();
      });
      return;
    }
    const built = buildInDialogRequest(this.dialog, 'BYE', {
      via: this.ctx.via(this.protocol),
      headers: [
        { name: 'Reason', value: `Q.850;cause=${q850CauseFor(cause)};text="${cause.replace(/["\\]/g, '')}"` },
      ],
    });
    this.dialog = built.dialog;
    const destination = this.destination(built.request);
    if (destination === undefined) {
      this.close();
      return;
    }
    this.ctx.send(built.request, destination, (e) => {
      if (e.type !== 'response' || e.response.status >= 200) {
        this.close();
      }
    });
  }

  /** Ends the call from our side (any state): the engine call if there is one, else the leg, else the socket. */
  hangup(cause: string): void {
    if (this.session !== undefined) {
      this.session.hangup(cause, 'server');
    } else if (this.leg !== undefined) {
      this.leg.hangup(cause);
    } else {
      this.sendBye(cause);
    }
  }

  /**
   * A request inside this dialog (To-tag matched ours), from `source`. A far end behind a NAT is
   * followed when its NAT maps it elsewhere: later requests go to where this one came from.
   */
  onRequest(request: SipRequest, source?: SipEndpoint): void {
    const flow = this.#natFlow;
    if (
      flow !== undefined &&
      source?.protocol === flow.protocol &&
      (source.address !== flow.address || source.port !== flow.port)
    ) {
      this.#natFlow = { protocol: source.protocol, address: source.address, port: source.port };
      this.ctx.logger.info(
        { callUuid: this.callUuid, flow: `${source.protocol}:${source.address}:${source.port}` },
        'SIP far end behind NAT moved: in-dialog requests follow it',
      );
    }
    switch (request.method) {
      case 'ACK': {
        this.#onAck(request);
        return;
      }
      case 'BYE': {
        this.#onBye(request);
        return;
      }
      case 'INVITE': {
        this.#onReInvite(request);
        return;
      }
      case 'OPTIONS': {
        this.ctx.respond(request, 200, {
          headers: [
            { name: 'Allow', value: ALLOWED_METHODS },
            { name: 'Accept', value: 'application/sdp' },
          ],
        });
        return;
      }
      default: {
        const status = KNOWN_UNSUPPORTED.has(request.method) ? 405 : 501;
        this.ctx.respond(request, status, { headers: [{ name: 'Allow', value: ALLOWED_METHODS }] });
      }
    }
  }

  #onAck(request: SipRequest): void {
    const start = this.onFirstAck;
    if (start !== undefined) {
      this.onFirstAck = undefined;
      start(request);
      return;
    }
    // An offerless re-INVITE gets its answer in the ACK (RFC 3264 §4): follow a new remote address.
    if (request.body.length === 0) {
      return;
    }
    const read = readAnswer(bodyText(request), {
      reachable: this.ctx.reachable(this.socket),
      ...this.#srtpOption(),
      codecs: this.ctx.codecPolicy.codecs,
    });
    if (read.ok) {
      this.#applyRemote(read.value);
      this.#holdChanged(read.value);
    }
  }

  #onBye(request: SipRequest): void {
    const checked = acceptRemoteCSeq(this.dialog, request);
    if (!checked.ok) {
      this.ctx.respond(request, 500);
      return;
    }
    this.dialog = checked.dialog;
    this.ctx.respond(request, 200);
    this.#byeSent = true;
    if (this.leg !== undefined) {
      this.leg.parentClosed({ cause: 'NORMAL_CLEARING', source: this.#remoteSource });
    }
    this.close();
  }

  #onReInvite(request: SipRequest): void {
    const checked = acceptRemoteCSeq(this.dialog, request);
    if (!checked.ok) {
      this.ctx.respond(request, 500, { headers: [{ name: 'Retry-After', value: '1' }] });
      return;
    }
    this.dialog = checked.dialog;
    if (this.#refreshing) {
      this.ctx.respond(request, 491, { headers: [{ name: 'Retry-After', value: '2' }] });
      return;
    }
    const contact = this.ctx.contact(this.protocol, undefined, this.dialog.secure);
    // RFC 4028 §9: a re-INVITE is also a session refresh (or renegotiates the interval).
    const timer = negotiateAsUas(request, this.ctx.limits.session);
    if (timer.type === 'reject') {
      this.ctx.respond(request, timer.status, { headers: timer.headers });
      return;
    }
    const sessionHeaders: SipHeader[] = [...timer.headers];
    const refreshed = (): void => {
      this.#drive({ type: 'session', session: timer.session, weAre: 'uas' });
    };
    if (request.body.length === 0) {
      // Offerless re-INVITE: offer what we have now; the answer comes in the ACK.
      this.ctx.respond(request, 200, {
        toTag: this.dialog.localTag,
        contact,
        headers: sessionHeaders,
        body: this.#localSdp,
      });
      refreshed();
      return;
    }
    const codec = this.audio?.codec.name;
    const negotiated = negotiateAnswer(bodyText(request), {
      localAddress: this.ctx.mediaAddress,
      localPort: this.socket.rtpPort,
      origin: this.#origin,
      previousAnswer: this.#localSdp,
      reachable: this.ctx.reachable(this.socket),
      ...(codec === undefined ? {} : { codecs: [codec] }),
      ...this.#srtpOption(),
    });
    if (!negotiated.ok) {
      // The session goes on unchanged (RFC 3261 §14.2).
      this.ctx.respond(request, negotiated.error.sipStatus === 488 ? 488 : 400, {
        headers: [{ name: 'Warning', value: negotiated.error.warning }],
      });
      return;
    }
    this.#origin = negotiated.value.origin;
    this.#localSdp = negotiated.value.answer;
    this.#applyRemote(negotiated.value.audio);
    this.audio = negotiated.value.audio;
    this.leg?.setRemoteSending(expectsRtp(negotiated.value.audio));
    this.ctx.logger.info(
      { callUuid: this.callUuid, onHold: negotiated.value.audio.onHold },
      're-INVITE answered',
    );
    this.ctx.respond(request, 200, {
      toTag: this.dialog.localTag,
      contact,
      headers: sessionHeaders,
      body: negotiated.value.answer,
    });
    refreshed();
    if (this.leg !== undefined) {
      this.#holdChanged(negotiated.value.audio);
    }
  }

  /** One log line per call that dropped SRTP packets (forged, wrong key, replayed): counted, never played. */
  #reportSrtpDrops(): void {
    const { srtpAuthFailures, srtpReplays, srtpMalformed } = this.socket.stats;
    if (srtpAuthFailures + srtpReplays + srtpMalformed > 0) {
      this.ctx.logger.warn(
        { callUuid: this.callUuid, srtpAuthFailures, srtpReplays, srtpMalformed },
        'SRTP packets dropped on this call',
      );
    }
  }

  /**
   * Releases everything once, children first: the dialog timers, the leg (or the bare socket), the
   * engine call if still in progress; then `closed` (the server's registry, the inbound side's ACK wait).
   */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#reportSrtpDrops();
    this.#timers.input({ type: 'closed' }, this.ctx.dialogTime.clock.monotonicMs());
    this.#wake?.cancel();
    this.#wake = undefined;
    if (this.leg === undefined) {
      void this.socket.close();
    } else {
      // Ends the leg without a BYE (already exchanged); the leg closes its socket.
      this.leg.parentClosed({ cause: 'NORMAL_CLEARING', source: this.#remoteSource });
    }
    // The dialog is over, so the engine call is too, even if its leg had already ended on its own.
    if (this.session?.status === 'in-progress') {
      this.session.hangup('NORMAL_CLEARING', this.#remoteSource);
    }
    this.emit('closed');
  }
}
