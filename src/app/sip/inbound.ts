/**
 * Inbound calls (UAS, RFC 3261 §13.3): an initial INVITE is authenticated when configured (401 digest
 * challenge, RFC 3261 §22.4), gets an RTP socket and an SDP answer (488 with a Warning when nothing
 * matches, RFC 3264 §6), and a 200 OK. The engine call starts when the ACK arrives, so a caller that
 * never confirms never reaches the app; the no-ACK timeout (Timer L/H) sends BYE and releases the port.
 * An INVITE without SDP is a delayed offer: our offer goes in the 200 and the answer must come in the
 * ACK; an ACK without a usable answer still makes an engine call (so the call has a record), ended at
 * once with BYE and cause INCOMPATIBLE_DESTINATION, the reason on the call's errors.
 * CANCEL before the 200 answers the INVITE 487 (RFC 3261 §9.2).
 */
import { DigestServer } from '../../protocol/sip/digest/digest-server.js';
import { readAnswer, buildOffer } from '../../protocol/sdp/build-offer.js';
import { negotiateAnswer } from '../../protocol/sdp/negotiate-answer.js';
import type { SrtpPolicy } from '../../protocol/sdp/sdes-crypto.js';
import type { NegotiatedAudio, SdpOrigin } from '../../protocol/sdp/sdp.types.js';
import { g711 } from '../../protocol/sdp/write-audio-sdp.js';
import { buildResponse } from '../../protocol/sip/build-response.js';
import { negotiateAsUas, type UasSessionDecision } from '../../protocol/sip/dialog/session-timer.js';
import { createUasDialog } from '../../protocol/sip/dialog/sip-dialog.js';
import { getContentType, getFrom, getHeader, getListValues, getTo } from '../../protocol/sip/headers.js';
import { bodyText } from '../../protocol/sip/message-edit.js';
import type { NameAddr } from '../../protocol/sip/name-addr.js';
import type { SipEndpoint, SipRequest, SipResponse } from '../../protocol/sip/sip-message.types.js';
import type { RtpSocket } from '../../ports/rtp-socket.js';
import type { CallSession } from '../../engine/call/call-session.js';
import type { EarlyAnswer } from '../../engine/interpreter/interpreter.types.js';
import { uasNatFlow } from '../../protocol/sip/dialog/nat-flow.js';
import { ALLOWED_METHODS } from './causes.js';
import { SipLeg } from './sip-leg.js';
import type { SipContext } from './sip-context.js';

/** What the application learns about an inbound call. */
export interface InboundInvite {
  callUuid: string;
  /** The user part of the From URI (the caller's number or name), else the whole URI. */
  from: string;
  /** The user part of the To URI, else the whole URI. */
  to: string;
  sipCallId: string;
  /** X-* headers of the INVITE, in order. */
  sipHeaders: [string, string][];
  source: { address: string; port: number };
}

/** What the application decided about an inbound call before it is answered (`screen`). */
export interface InboundScreening {
  /** Start in early media: 183 with the SDP answer now, the 200 when `EarlyAnswer.answer()` is called. */
  readonly earlyMedia: boolean;
}

/** What `onInboundCall` is told beside the call: the screening, and the answer of an early call. */
export interface InboundSetup {
  readonly screening?: InboundScreening;
  /** Present when the call is in early media (not answered yet). */
  readonly early?: EarlyAnswer;
}

/** Options of {@link InboundCalls}. */
export interface InboundCallsOptions {
  readonly auth: {
    readonly realm: string;
    readonly users: readonly { username: string; password: string }[];
  } | null;
  readonly register: (call: SipLeg) => void;
  /** Ring this long (180 Ringing) before answering; 0 answers at once. */
  readonly ringMs: number;
  /**
   * Called once per inbound call: when the ACK for our 200 arrives, or for an early call (`screen` said
   * so) when the 183 went out; the engine call exists then.
   */
  readonly onInboundCall: (call: CallSession, info: InboundInvite, setup?: InboundSetup) => void;
  /**
   * Asked before answering an INVITE (after its offer was accepted): may the call start in early media?
   * (The server fetches the answer URL here and looks for `<PreAnswer>`.) Absent: answer at once.
   */
  readonly screen?: (info: InboundInvite) => Promise<InboundScreening>;
}

/** The final response to an INVITE whose call ended in early media, by hangup cause. */
function earlyEndStatus(cause: string): number {
  return cause === 'USER_BUSY' ? 486 : cause === 'CALL_REJECTED' ? 603 : 480;
}

/**
 * The hangup cause when the ACK of a delayed offer has no usable answer (Q.850 cause 88, as for an
 * answer we cannot use on an outbound call).
 */
export const ANSWER_UNUSABLE_CAUSE = 'INCOMPATIBLE_DESTINATION';

/** The media of a call whose delayed offer got no usable answer: nowhere to send, ended at once. */
const NO_MEDIA: NegotiatedAudio = {
  codec: g711('PCMU'),
  remoteAddress: '0.0.0.0',
  remotePort: 0,
  remoteDirection: 'inactive',
  localDirection: 'inactive',
  onHold: true,
  ptimeMs: 20,
};

interface Pending {
  readonly request: SipRequest;
  /** RFC 4028 headers for the 2xx and the session interval they set. */
  readonly timer: Extract<UasSessionDecision, { type: 'accept' }>;
  cancelled: boolean;
  socket: RtpSocket | undefined;
  /** The call of an INVITE in early media (183 sent, no 200 yet). */
  early?: SipLeg;
}

/** The `natFlow` of a dialog whose caller is behind a NAT (docs/nat.md), as a spread. */
function natFlowOf(request: SipRequest, source: SipEndpoint): { natFlow?: SipEndpoint } {
  const flow = uasNatFlow(request, source);
  return flow === undefined ? {} : { natFlow: flow };
}

function userOf(addr: NameAddr | undefined): string {
  return addr?.sipUri?.user ?? addr?.uri ?? '';
}

function inviteInfo(invite: SipRequest, source: SipEndpoint, callUuid: string): InboundInvite {
  return {
    callUuid,
    from: userOf(getFrom(invite)),
    to: userOf(getTo(invite)),
    sipCallId: getHeader(invite, 'Call-ID') ?? '',
    sipHeaders: invite.headers.filter((h) => /^x-/i.test(h.name)).map((h) => [h.name, h.value]),
    source: { address: source.address, port: source.port },
  };
}

/** The UAS side of call setup. */
export class InboundCalls {
  readonly #ctx: SipContext;
  readonly #opts: InboundCallsOptions;
  readonly #digest: DigestServer | undefined;
  /** INVITE server transactions not yet answered 2xx, by transaction id. */
  readonly #pending = new Map<string, Pending>();
  /** Answered INVITEs waiting for their ACK, by transaction id. */
  readonly #awaitingAck = new Map<string, SipLeg>();

  constructor(ctx: SipContext, opts: InboundCallsOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
    this.#digest =
      opts.auth === null ? undefined : new DigestServer({ realm: opts.auth.realm, secret: ctx.token(16) });
  }

  /** INVITEs being set up (before their 200), not counting those in early media (already dialogs). */
  get pending(): number {
    let n = 0;
    for (const p of this.#pending.values()) {
      if (p.early === undefined) {
        n++;
      }
    }
    return n;
  }

  /** An initial INVITE (no To-tag). */
  onInvite(request: SipRequest, source: SipEndpoint, transactionId: string | undefined): void {
    if (transactionId === undefined || this.#pending.has(transactionId)) {
      return;
    }
    if (!this.#authorized(request)) {
      return;
    }
    // RFC 4028: `timer` is the one extension we support; any other required one gets 420.
    const require = getListValues(request, 'Require').filter((t) => t.toLowerCase() !== 'timer');
    if (require.length > 0) {
      this.#ctx.respond(request, 420, { headers: [{ name: 'Unsupported', value: require.join(', ') }] });
      return;
    }
    const type = getContentType(request);
    if (request.body.length > 0 && type !== 'application/sdp') {
      this.#ctx.respond(request, 415, { headers: [{ name: 'Accept', value: 'application/sdp' }] });
      return;
    }
    const timer = negotiateAsUas(request, this.#ctx.limits.session);
    if (timer.type === 'reject') {
      this.#ctx.respond(request, timer.status, { headers: timer.headers });
      return;
    }
    const pending: Pending = { request, timer, cancelled: false, socket: undefined };
    this.#pending.set(transactionId, pending);
    void this.#answer(pending, source, transactionId);
  }

  #authorized(request: SipRequest): boolean {
    const digest = this.#digest;
    const users = this.#opts.auth?.users ?? [];
    if (digest === undefined) {
      return true;
    }
    const now = this.#ctx.ports.clock.epochMs();
    const header = getHeader(request, 'Authorization');
    const challenge = (stale: boolean): void => {
      this.#ctx.respond(request, 401, {
        headers: [
          {
            name: 'WWW-Authenticate',
            value: digest.challenge(now, this.#ctx.ports.random.bytes(8), stale),
          },
        ],
      });
    };
    if (header === undefined) {
      challenge(false);
      return false;
    }
    const verified = digest.verify(
      header,
      request.method,
      (u) => users.find((x) => x.username === u)?.password,
      now,
    );
    if (verified.ok) {
      return true;
    }
    if (verified.error.code === 'ERR_SIP_AUTH_STALE_NONCE') {
      challenge(true);
    } else {
      this.#ctx.respond(request, 403, { reason: 'Forbidden (bad credentials)' });
    }
    return false;
  }

  async #answer(pending: Pending, source: SipEndpoint, transactionId: string): Promise<void> {
    const { request, timer } = pending;
    const ctx = this.#ctx;
    const toTag = ctx.token();
    if (this.#opts.ringMs > 0) {
      ctx.respond(request, 180, {
        toTag,
        contact: ctx.contact(source.protocol, undefined, /^sips:/i.test(request.uri)),
      });
      await new Promise<void>((resolve) => {
        ctx.ports.timers.after(this.#opts.ringMs, resolve);
      });
      if (pending.cancelled) {
        return;
      }
    }
    let socket: RtpSocket;
    try {
      socket = await ctx.rtp.open();
    } catch (err) {
      this.#pending.delete(transactionId);
      ctx.logger.warn({ err }, 'no RTP port for an inbound call');
      if (!pending.cancelled) {
        ctx.respond(request, 503, { headers: [{ name: 'Retry-After', value: '5' }] });
      }
      return;
    }
    pending.socket = socket;
    if (pending.cancelled) {
      this.#pending.delete(transactionId);
      void socket.close();
      return;
    }
    const origin = { sessionId: String(ctx.ports.random.int(2 ** 31)), sessionVersion: 1 };
    const srtp = ctx.srtpPolicy();
    const srtpOption = srtp === undefined ? {} : { srtp };
    const sdp = this.#localSdp(request, socket, origin, srtpOption);
    if (sdp === undefined) {
      this.#pending.delete(transactionId);
      void socket.close();
      return;
    }
    const { audio, localSdp } = sdp;
    const callUuid = ctx.ports.random.uuid();
    const info = inviteInfo(request, source, callUuid);
    const screening = await this.#screen(info); // the server fetches the answer URL here
    if (this.#gone(pending)) {
      return;
    }
    const ok = buildResponse(request, 200, {
      toTag,
      contact: ctx.contact(source.protocol, undefined, /^sips:/i.test(request.uri)),
      headers: [{ name: 'Allow', value: ALLOWED_METHODS }, ...timer.headers],
      body: localSdp,
    });
    const dialog = createUasDialog(request, ok);
    const early = screening?.earlyMedia === true && audio !== undefined && dialog !== undefined;
    if (!early) {
      this.#pending.delete(transactionId); // an early INVITE stays pending (CANCEL) until its 200
    }
    if (dialog === undefined) {
      void socket.close();
      ctx.respond(request, 400, { reason: 'Missing Contact or tags' });
      return;
    }
    const call = new SipLeg({
      ctx,
      dialog,
      protocol: source.protocol,
      socket,
      callUuid,
      origin,
      localSdp,
      ...(timer.session === undefined ? {} : { session: timer.session }),
      ...srtpOption,
      ...natFlowOf(request, source),
    });
    call.on('closed', () => {
      this.#forget(transactionId, call);
    });
    if (audio !== undefined) {
      call.startMedia(audio);
    }
    this.#opts.register(call);
    const setup: InboundSetup = screening === undefined ? {} : { screening };
    if (early) {
      this.#startEarly(pending, call, { ok, toTag, transactionId }, info, setup);
    } else {
      this.#sendOk(call, ok, transactionId, (ack) => {
        this.#start(call, info, ack, setup);
      });
    }
  }

  /**
   * Our SDP for the INVITE: the answer to its offer, or our offer for a delayed offer (RFC 3261 §13.2.1:
   * the answer then comes in the ACK). Undefined when the offer was refused (488 and the like, sent).
   */
  #localSdp(
    request: SipRequest,
    socket: RtpSocket,
    origin: SdpOrigin,
    srtpOption: { srtp?: SrtpPolicy },
  ): { audio: NegotiatedAudio | undefined; localSdp: string } | undefined {
    const ctx = this.#ctx;
    if (request.body.length === 0) {
      const localSdp = buildOffer({
        localAddress: ctx.mediaAddress,
        localPort: socket.rtpPort,
        origin,
        ...srtpOption,
        codecs: ctx.codecPolicy.codecs,
      });
      return { audio: undefined, localSdp };
    }
    const negotiated = negotiateAnswer(bodyText(request), {
      localAddress: ctx.mediaAddress,
      localPort: socket.rtpPort,
      origin,
      reachable: ctx.reachable(socket),
      ...srtpOption,
      ...ctx.answerCodecs,
    });
    if (!negotiated.ok) {
      const { code, detail, sipStatus } = negotiated.error;
      ctx.logger.info({ code, detail, status: sipStatus }, 'INVITE offer refused');
      ctx.respond(request, sipStatus, { headers: [{ name: 'Warning', value: negotiated.error.warning }] });
      return undefined;
    }
    return { audio: negotiated.value.audio, localSdp: negotiated.value.answer };
  }

  /** Sends our 200 and waits for its ACK, then `onAck` (RFC 3261 §13.3.1.4). */
  #sendOk(call: SipLeg, ok: SipResponse, transactionId: string, onAck: (ack: SipRequest) => void): void {
    call.onFirstAck = (ack) => {
      this.#forget(transactionId, call);
      onAck(ack);
    };
    this.#awaitingAck.set(transactionId, call);
    this.#ctx.driver.input({ type: 'send-response', response: ok });
  }

  /** Asks the application about the call before answering it (`screen`); undefined without a hook. */
  async #screen(info: InboundInvite): Promise<InboundScreening | undefined> {
    try {
      return await this.#opts.screen?.(info);
    } catch (err) {
      this.#ctx.logger.error({ err, callUuid: info.callUuid }, 'screening the call threw; answering it');
      return undefined;
    }
  }

  /** True once a CANCEL or shutdown ended the INVITE (read after an await). */
  #gone(pending: Pending): boolean {
    return pending.cancelled;
  }

  /**
   * Early media (`<PreAnswer>`): 183 Session Progress with the SDP answer (no 100rel: RFC 3262 is not
   * required, most carriers accept a plain 183), the engine call starts now on the negotiated RTP, and
   * `answer()` later sends the 200 with the same SDP. Ending the call before that answers the INVITE
   * with a final error (480, 486 busy, 603 rejected); a CANCEL meanwhile gets 487 (`onCancel`).
   */
  #startEarly(
    pending: Pending,
    call: SipLeg,
    answer: { readonly ok: SipResponse; readonly toTag: string; readonly transactionId: string },
    info: InboundInvite,
    setup: InboundSetup,
  ): void {
    const ctx = this.#ctx;
    const { ok, toTag, transactionId } = answer;
    const leg = call.leg;
    if (leg === undefined) {
      return;
    }
    pending.early = call;
    const session = ctx.engine.addCall(leg, call.callUuid);
    call.session = session;
    let answered = false;
    const end = (status: number): void => {
      answered = true;
      this.#pending.delete(transactionId);
      if (!pending.cancelled) {
        pending.cancelled = true;
        ctx.respond(pending.request, status, { toTag });
      }
    };
    call.onEarlyEnd = (cause) => {
      end(earlyEndStatus(cause));
    };
    // A BYE on the early dialog (RFC 3261 §15 allows it) ends the INVITE too: 487.
    call.on('closed', () => {
      if (!answered) {
        end(487);
      }
    });
    const earlyAnswer: EarlyAnswer = {
      get answered() {
        return answered || call.closed;
      },
      answer: () => {
        if (answered || call.closed || pending.cancelled) {
          return Promise.resolve();
        }
        answered = true;
        call.onEarlyEnd = undefined;
        this.#pending.delete(transactionId);
        this.#sendOk(call, ok, transactionId, () => {
          call.answered();
        });
        return Promise.resolve();
      },
    };
    // The 200's headers and SDP; the session timer's are for the 2xx only (RFC 4028 §9).
    const headers = ok.headers.filter((h) => !/^(?:require|session-expires|x)$/i.test(h.name));
    const progress: SipResponse = { ...ok, status: 183, reason: 'Session Progress', headers };
    ctx.driver.input({ type: 'send-response', response: progress });
    this.#hand(session, info, { ...setup, early: earlyAnswer });
  }

  #hand(session: CallSession, info: InboundInvite, setup: InboundSetup): void {
    try {
      this.#opts.onInboundCall(session, info, setup);
    } catch (err) {
      this.#ctx.logger.error({ err, callUuid: info.callUuid }, 'onInboundCall threw; hanging up');
      session.hangup('NORMAL_TEMPORARY_FAILURE', 'error');
    }
  }

  #start(call: SipLeg, info: InboundInvite, ack: SipRequest, setup: InboundSetup): void {
    let refused: string | undefined;
    if (call.leg === undefined) {
      // Delayed offer (RFC 3264 §4, RFC 3261 §13.2.1): the ACK carries the answer to the offer in our 200.
      const read =
        ack.body.length === 0
          ? ({ ok: false, error: { detail: 'the ACK carries no SDP answer to our offer' } } as const)
          : readAnswer(bodyText(ack), {
              reachable: this.#ctx.reachable(call.socket),
              ...(call.srtp === undefined ? {} : { srtp: call.srtp }),
              codecs: this.#ctx.codecPolicy.codecs,
            });
      if (read.ok) {
        call.startMedia(read.value);
      } else {
        refused = read.error.detail;
        // A leg with no remote (nothing is sent) so the call still gets an engine session and a record.
        call.startMedia(NO_MEDIA);
      }
    }
    const leg = call.leg;
    if (leg === undefined || call.closed) {
      return;
    }
    const session = this.#ctx.engine.addCall(leg, call.callUuid);
    call.session = session;
    call.answered();
    if (refused !== undefined) {
      this.#ctx.logger.info(
        { callUuid: call.callUuid, detail: refused },
        'delayed offer: no usable answer in the ACK; BYE',
      );
      session.reportError('ERR_SDP_BAD_ANSWER', `SDP answer in the ACK unusable: ${refused}`);
      session.hangup(ANSWER_UNUSABLE_CAUSE, 'error');
    }
    this.#hand(session, info, setup);
  }

  /** CANCEL (RFC 3261 §9.2): 200 to the CANCEL, and 487 to the INVITE when it is still unanswered. */
  onCancel(request: SipRequest, cancels: string | undefined): void {
    const pending = cancels === undefined ? undefined : this.#pending.get(cancels);
    if (cancels === undefined) {
      this.#ctx.respond(request, 481);
      return;
    }
    this.#ctx.respond(request, 200);
    if (pending === undefined || pending.cancelled) {
      return;
    }
    pending.cancelled = true;
    this.#pending.delete(cancels);
    this.#ctx.respond(pending.request, 487);
    if (pending.early !== undefined) {
      // In early media: the call ends as the caller's (its leg closes the socket).
      pending.early.session?.hangup('ORIGINATOR_CANCEL', 'caller');
    } else if (pending.socket !== undefined) {
      void pending.socket.close();
    }
  }

  /**
   * Drops `call`'s wait for its ACK. Keyed by transaction id, and a late copy of an INVITE (same branch,
   * after its transaction ended) makes a new transaction with the same id: only the call's own entry goes.
   */
  #forget(transactionId: string, call: SipLeg): void {
    if (this.#awaitingAck.get(transactionId) === call) {
      this.#awaitingAck.delete(transactionId);
    }
  }

  /** The INVITE transaction gave up waiting for the ACK (or could not send): BYE (RFC 3261 §13.3.1.4). */
  onInviteFailed(transactionId: string): void {
    const call = this.#awaitingAck.get(transactionId);
    this.#awaitingAck.delete(transactionId);
    if (call !== undefined) {
      call.onFirstAck = undefined;
      call.hangup('RECOVERY_ON_TIMER_EXPIRE');
    }
  }

  /** Refuses every INVITE still being set up (shutdown). */
  refuseAll(): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.cancelled = true;
      this.#ctx.respond(pending.request, 503);
      if (pending.early !== undefined) {
        pending.early.session?.hangup('NORMAL_CLEARING', 'server');
      } else if (pending.socket !== undefined) {
        void pending.socket.close();
      }
    }
  }
}
