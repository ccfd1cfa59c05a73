/**
 * One SIP dialog carrying one engine call (RFC 3261 §12–§15): its RTP socket and `RtpMediaLeg`, BYE in
 * both directions, re-INVITE (hold/resume and remote address changes, RFC 3264 §8), in-dialog OPTIONS,
 * and the release of the socket and port on every path. The same class serves inbound (UAS) and
 * outbound (UAC) dialogs; only who created the dialog differs.
 */
import type { CallSession } from '../../engine/call/call-session.js';
import type { HangupSource } from '../../engine/call/media-leg.types.js';
import { RtpMediaLeg } from '../../engine/call/rtp-media-leg.js';
import type { RtpSocket } from '../../ports/rtp-socket.js';
import { readAnswer } from '../../protocol/sdp/build-offer.js';
import { negotiateAnswer } from '../../protocol/sdp/negotiate-answer.js';
import { isHoldAddress } from '../../protocol/sdp/sdp-audio.js';
import type { NegotiatedAudio, SdpOrigin } from '../../protocol/sdp/sdp.types.js';
import {
  acceptRemoteCSeq,
  buildInDialogRequest,
  nextHopUri,
  type SipDialog,
} from '../../protocol/sip/dialog/sip-dialog.js';
import { bodyText } from '../../protocol/sip/message-edit.js';
import type { SipEndpoint, SipRequest, SipTransportProtocol } from '../../protocol/sip/sip-message.types.js';
import { uriEndpoint } from '../../protocol/sip/uri-endpoint.js';
import { ALLOWED_METHODS, KNOWN_UNSUPPORTED, q850CauseFor } from './causes.js';
import type { SipContext } from './sip-context.js';

/** How a dialog came to be. */
export interface SipCallInit {
  readonly ctx: SipContext;
  readonly dialog: SipDialog;
  readonly protocol: SipTransportProtocol;
  readonly socket: RtpSocket;
  readonly callUuid: string;
  /** Our SDP o= identity and the SDP we sent last (offer or answer). */
  readonly origin: SdpOrigin;
  readonly localSdp: string;
  /** Called once when the dialog is over (BYE done either way, or set-up abandoned). */
  readonly onClosed?: (call: SipCall) => void;
}

/** One dialog and its media. */
/**
 * Whether the far end is expected to send RTP: only on a plain `sendrecv` session. On hold in either
 * direction, `recvonly` or `inactive`, it may rightly go quiet (phones often send nothing with
 * `sendonly`), so the media timeout is suspended.
 */
function expectsRtp(audio: NegotiatedAudio): boolean {
  return audio.remoteDirection === 'sendrecv' && !audio.onHold;
}

export class SipCall {
  readonly ctx: SipContext;
  readonly callUuid: string;
  readonly protocol: SipTransportProtocol;
  readonly socket: RtpSocket;
  dialog: SipDialog;
  leg: RtpMediaLeg | undefined;
  session: CallSession | undefined;
  audio: NegotiatedAudio | undefined;
  /** Set by the inbound side until the ACK for our 200 arrives: starts the engine call. */
  onFirstAck: ((ack: SipRequest) => void) | undefined;
  #origin: SdpOrigin;
  #localSdp: string;
  #closed = false;
  #byeSent = false;
  readonly #closedHandlers: ((call: SipCall) => void)[] = [];
  readonly #remoteSource: HangupSource;

  constructor(init: SipCallInit) {
    this.ctx = init.ctx;
    this.dialog = init.dialog;
    this.protocol = init.protocol;
    this.socket = init.socket;
    this.callUuid = init.callUuid;
    this.#origin = init.origin;
    this.#localSdp = init.localSdp;
    if (init.onClosed !== undefined) {
      this.#closedHandlers.push(init.onClosed);
    }
    this.#remoteSource = init.dialog.role === 'uas' ? 'caller' : 'callee';
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
    const { clock, random } = this.ctx.engine.deps;
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
    return leg;
  }

  #applyRemote(audio: NegotiatedAudio): void {
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

  /** Where in-dialog requests go: the first route, else the remote target (RFC 3261 §12.2.1.1, §8.1.2). */
  destination(request: SipRequest): SipEndpoint | undefined {
    return uriEndpoint(nextHopUri(request), this.protocol);
  }

  /** Ends the dialog from our side with BYE; the call is closed once BYE is answered or times out. */
  sendBye(cause: string): void {
    if (this.#byeSent || this.#closed) {
      return;
    }
    this.#byeSent = true;
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

  /** A request inside this dialog (To-tag matched ours). */
  onRequest(request: SipRequest): void {
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
    const read = readAnswer(bodyText(request), { reachable: this.ctx.reachable(this.socket) });
    if (read.ok) {
      this.#applyRemote(read.value);
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
      this.leg.remoteHangup({ cause: 'NORMAL_CLEARING', source: this.#remoteSource });
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
    const contact = this.ctx.contact(this.protocol);
    if (request.body.length === 0) {
      // Offerless re-INVITE: offer what we have now; the answer comes in the ACK.
      this.ctx.respond(request, 200, { toTag: this.dialog.localTag, contact, body: this.#localSdp });
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
    this.ctx.respond(request, 200, { toTag: this.dialog.localTag, contact, body: negotiated.value.answer });
  }

  /** Releases everything once: the leg (or the bare socket) and the registry entry. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    if (this.leg === undefined) {
      void this.socket.close();
    } else {
      // Ends the leg without a BYE (already exchanged); the leg closes its socket.
      this.leg.remoteHangup({ cause: 'NORMAL_CLEARING', source: this.#remoteSource });
    }
    // The dialog is over, so the engine call is too, even if its leg had already ended on its own.
    if (this.session?.status === 'in-progress') {
      this.session.hangup('NORMAL_CLEARING', this.#remoteSource);
    }
    for (const handler of this.#closedHandlers.splice(0)) {
      handler(this);
    }
  }

  /** Adds a handler run once when the call closes (at once when it already has). */
  onClosed(handler: (call: SipCall) => void): void {
    if (this.#closed) {
      handler(this);
    } else {
      this.#closedHandlers.push(handler);
    }
  }
}
