/**
 * A `MediaLeg` over RTP: G.711 (PCMU/PCMA, RFC 3551) audio, RFC 4733 DTMF both ways, and basic RTCP
 * (SR/RR + SDES every ~5 s, BYE on hangup; RFC 3550 §6). The leg owns no timer.
 *
 * Inbound audio goes through a `ReorderBuffer`: a packet that arrives in order is decoded and handed to
 * the sink at once, in the socket's receive callback, so a stream fork adds no buffering delay; only a
 * gap waits (at most `reorderWaitMs`). `tickInbound`, once per tick of the shared media clock, hands
 * over what is due by time: lost frames given up and silence while nothing arrives. Outbound audio is
 * paced by the clock: the engine calls `writeOutbound` once per tick. Signalling is not the leg's
 * business: the SIP layer passes `onHangupRequested` (send BYE) and calls `remoteHangup` when the far
 * end hangs up.
 *
 * Concealment: the first frame without audio after audio (a lost packet, or the start of silence)
 * repeats the last decoded frame at half amplitude (-6 dB); the ones after it are silence, handed over
 * with `audio` false.
 */
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../media/codecs/g711.js';
import type { Clock } from '../../ports/clock.js';
import type { Random } from '../../ports/random.js';
import type { RtpSendFailure, RtpSocket } from '../../ports/rtp-socket.js';
import { DtmfReceiver, DtmfSender, type DtmfSenderOptions } from '../../protocol/dtmf/rfc4733.js';
import {
  type ReleasedFrame,
  ReorderBuffer,
  type ReorderBufferCounters,
} from '../../protocol/rtp/reorder-buffer.js';
import { type RtpPacket, writeRtpPacket } from '../../protocol/rtp/packet.js';
import { RtpReceiveStats } from '../../protocol/rtp/receive-stats.js';
import { buildRtcpReport } from '../../protocol/rtp/rtcp-report.js';
import type { RtcpPacket } from '../../protocol/rtp/rtcp.js';
import { RtpSender } from '../../protocol/rtp/rtp-sender.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import {
  FRAME_SAMPLES,
  type InboundSink,
  type LegHangup,
  type MediaLeg,
  type MediaLegEvents,
} from './media-leg.types.js';

export interface RtpMediaLegOptions {
  readonly socket: RtpSocket;
  /** `monotonicMs` times packet arrivals and ticks; `epochMs` stamps sender reports. */
  readonly clock: Clock;
  /** Draws the SSRC and initial sequence number and timestamp. */
  readonly random: Random;
  /** The negotiated codec. */
  readonly codec: 'PCMU' | 'PCMA';
  /** Audio payload type. Default 0 for PCMU, 8 for PCMA (RFC 3551 §6). */
  readonly payloadType?: number;
  /** Negotiated `telephone-event/8000` payload type (often 101), or undefined when not offered. */
  readonly telephoneEventPayloadType?: number | undefined;
  /** RTCP CNAME (RFC 3550 §6.5.1), e.g. `streamfork@<call-uuid>`. */
  readonly cname: string;
  /** Longest a missing inbound packet holds back the ones behind it. Default 40 ms. */
  readonly reorderWaitMs?: number;
  /**
   * Hang up (cause `MEDIA_TIMEOUT`, BYE sent) when no RTP has arrived for this long while the far end
   * is supposed to be sending (see `setRemoteSending`): a call whose BYE was lost must not stream
   * forever. 0 or absent: never.
   */
  readonly mediaTimeoutMs?: number;
  readonly dtmf?: DtmfSenderOptions;
  /** Ticks between RTCP reports. Default 250 (5 s). */
  readonly rtcpIntervalTicks?: number;
  /** Called once when our side hangs up: the SIP layer sends BYE. */
  readonly onHangupRequested?: (cause: string) => void;
  /** Told about the send failure that ended the leg (for the log), before `onHangupRequested`. */
  readonly onSendFailed?: (failure: RtpSendFailure) => void;
}

/**
 * The hangup cause when RTP or RTCP to the far end cannot be sent (Q.850 cause 38): the destination the
 * SDP gave is unusable or unreachable, so the call cannot carry audio.
 */
export const SEND_FAILED_CAUSE = 'NETWORK_OUT_OF_ORDER';

/** Counters of the leg, for logs and metrics. */
export interface RtpMediaLegStats {
  readonly inbound: Readonly<ReorderBufferCounters>;
  /** Packets with a payload type that is neither audio nor telephone-event. */
  readonly unknownPayloadType: number;
  readonly packetsSent: number;
  readonly cumulativeLost: number;
  readonly jitterMs: number;
}

export class RtpMediaLeg extends TypedEmitter<MediaLegEvents> implements MediaLeg {
  readonly #opts: RtpMediaLegOptions;
  readonly #socket: RtpSocket;
  readonly #audioPt: number;
  readonly #eventPt: number | undefined;
  readonly #decode: (bytes: Uint8Array, out: Int16Array) => void;
  readonly #encode: (pcm: Int16Array, out: Uint8Array) => void;
  readonly #reorder: ReorderBuffer;
  readonly #pcm = new Int16Array(FRAME_SAMPLES);
  #sink: InboundSink | undefined;
  readonly #sender: RtpSender;
  readonly #dtmfOut: DtmfSender;
  readonly #dtmfIn = new DtmfReceiver();
  readonly #rtcpInterval: number;
  readonly #encoded = new Uint8Array(FRAME_SAMPLES);
  readonly #packet = new Uint8Array(12 + FRAME_SAMPLES);
  readonly #lastPcm = new Int16Array(FRAME_SAMPLES);
  #haveLastPcm = false;
  #concealRun = 0;
  #remoteSsrc: number | undefined;
  #stats: RtpReceiveStats | undefined;
  #unknownPt = 0;
  #ticks = 0;
  #sentSinceReport = false;
  #sentPrevInterval = false;
  #ended = false;
  #lastRtpMs: number;
  #remoteSending = true;

  constructor(opts: RtpMediaLegOptions) {
    super();
    this.#opts = opts;
    this.#socket = opts.socket;
    this.#audioPt = opts.payloadType ?? (opts.codec === 'PCMU' ? 0 : 8);
    this.#eventPt = opts.telephoneEventPayloadType;
    this.#decode = opts.codec === 'PCMU' ? mulawDecode : alawDecode;
    this.#encode = opts.codec === 'PCMU' ? mulawEncode : alawEncode;
    this.#reorder = new ReorderBuffer({ maxWaitMs: opts.reorderWaitMs ?? 40 });
    this.#sender = new RtpSender({ payloadType: this.#audioPt, random: opts.random });
    this.#dtmfOut = new DtmfSender(opts.dtmf);
    this.#rtcpInterval = opts.rtcpIntervalTicks ?? 250;
    this.#lastRtpMs = opts.clock.monotonicMs();
    this.#socket.onRtp((p) => {
      this.#onRtp(p);
    });
    this.#socket.onRtcp((packets) => {
      this.#onRtcp(packets);
    });
    this.#socket.onSendError((failure) => {
      this.#sendFailed(failure);
    });
  }

  /** Our SSRC. */
  get ssrc(): number {
    return this.#sender.ssrc;
  }

  get stats(): RtpMediaLegStats {
    return {
      inbound: this.#reorder.counters,
      unknownPayloadType: this.#unknownPt,
      packetsSent: this.#sender.packetsSent,
      cumulativeLost: this.#stats?.cumulativeLost ?? 0,
      jitterMs: this.#stats?.jitterMs ?? 0,
    };
  }

  #onRtp(p: RtpPacket): void {
    if (this.#ended) {
      return;
    }
    const now = this.#opts.clock.monotonicMs();
    this.#lastRtpMs = now;
    if (p.ssrc !== this.#remoteSsrc) {
      this.#remoteSsrc = p.ssrc;
      this.#stats = new RtpReceiveStats(p.ssrc);
      this.#dtmfIn.reset();
    }
    this.#stats?.onPacket(p.sequenceNumber, p.timestamp, now);
    if (p.payloadType === this.#audioPt) {
      this.#reorder.push(p, now);
      this.#drain(now);
    } else if (p.payloadType === this.#eventPt) {
      for (const d of this.#dtmfIn.handle(
        { type: 'packet', timestamp: p.timestamp, payload: p.payload },
        now,
      )) {
        this.emit('dtmf', d.digit);
      }
    } else {
      this.#unknownPt++;
    }
  }

  #onRtcp(packets: readonly RtcpPacket[]): void {
    const now = this.#opts.clock.monotonicMs();
    for (const p of packets) {
      if (p.type === 'sr' && p.ssrc === this.#remoteSsrc) {
        this.#stats?.onSenderReport(p.ntpSeconds, p.ntpFraction, now);
      }
    }
  }

  setInboundSink(sink: InboundSink): void {
    this.#sink = sink;
  }

  tickInbound(): void {
    if (this.#ended) {
      return;
    }
    const now = this.#opts.clock.monotonicMs();
    for (const d of this.#dtmfIn.handle({ type: 'tick' }, now)) {
      this.emit('dtmf', d.digit);
    }
    this.#drain(now);
    const timeout = this.#opts.mediaTimeoutMs ?? 0;
    if (timeout > 0 && this.#remoteSending && now - this.#lastRtpMs >= timeout) {
      this.#mediaTimedOut();
    }
  }

  /**
   * Whether the far end is supposed to send RTP now: false while it holds the call (SDP `recvonly` or
   * `inactive`), when silence is expected and the media timeout must not fire. Turning it back on
   * restarts the timeout.
   */
  setRemoteSending(sending: boolean): void {
    if (sending && !this.#remoteSending) {
      this.#lastRtpMs = this.#opts.clock.monotonicMs();
    }
    this.#remoteSending = sending;
  }

  #mediaTimedOut(): void {
    const cause = 'MEDIA_TIMEOUT';
    if (this.#end()) {
      this.#opts.onHangupRequested?.(cause);
      this.emit('hangup', { cause, source: 'error' });
    }
  }

  /** Hands every frame the reorder buffer releases now to the sink. */
  #drain(now: number): void {
    for (let r = this.#reorder.next(now); r !== undefined; r = this.#reorder.next(now)) {
      const audio = this.#render(r);
      this.#sink?.(this.#pcm, audio);
    }
  }

  /** Decodes or conceals one released frame into `#pcm`; false when it carries no audio. */
  #render(r: ReleasedFrame): boolean {
    const out = this.#pcm;
    const frame = r.payload;
    if (frame !== null) {
      if (frame.length < FRAME_SAMPLES) {
        out.fill(0);
      }
      this.#decode(frame.length > FRAME_SAMPLES ? frame.subarray(0, FRAME_SAMPLES) : frame, out);
      this.#lastPcm.set(out);
      this.#haveLastPcm = true;
      this.#concealRun = 0;
      return true;
    }
    if (this.#haveLastPcm && this.#concealRun === 0) {
      this.#concealRun++;
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        out[i] = (this.#lastPcm[i] ?? 0) >> 1;
      }
      return true;
    }
    this.#concealRun++;
    out.fill(0);
    return false;
  }

  writeOutbound(frame: Int16Array): void {
    if (this.#ended) {
      return;
    }
    const sender = this.#sender;
    const dtmf = this.#eventPt === undefined ? null : this.#dtmfOut.tick(sender.timestamp);
    if (dtmf !== null && this.#eventPt !== undefined) {
      const h = sender.header(this.#eventPt, dtmf.marker, dtmf.payload.length, dtmf.timestamp);
      const n = writeRtpPacket(this.#packet, h, dtmf.payload);
      if (!this.#send('rtp', this.#packet.subarray(0, n))) {
        return;
      }
    } else {
      this.#encode(frame.subarray(0, FRAME_SAMPLES), this.#encoded);
      const n = sender.writeAudio(this.#packet, this.#encoded);
      if (!this.#send('rtp', this.#packet.subarray(0, n))) {
        return;
      }
    }
    sender.advance();
    this.#sentSinceReport = true;
    if (++this.#ticks % this.#rtcpInterval === 0) {
      this.#send('rtcp', this.#report(undefined));
    }
  }

  /**
   * One send; a socket that throws anyway (the port says it never does) ends the call like a reported
   * failure instead of breaking the media clock's tick. False when the call ended.
   */
  #send(kind: 'rtp' | 'rtcp', bytes: Uint8Array): boolean {
    try {
      if (kind === 'rtp') {
        this.#socket.sendRtp(bytes);
      } else {
        this.#socket.sendRtcp(bytes);
      }
      return true;
    } catch (err) {
      const remote = this.#socket.remote ?? { address: '', port: 0 };
      const code: unknown =
        typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
      this.#sendFailed({
        kind,
        code: typeof code === 'string' ? code : 'UNKNOWN',
        message: String(err),
        to: remote,
      });
      return false;
    }
  }

  /** RTP or RTCP could not be sent: the call cannot carry audio, so it ends (BYE, `NETWORK_OUT_OF_ORDER`). */
  #sendFailed(failure: RtpSendFailure): void {
    if (this.#ended) {
      return;
    }
    try {
      this.#opts.onSendFailed?.(failure);
    } catch {
      // Only a log line; ending the call matters more.
    }
    if (this.#end()) {
      this.#opts.onHangupRequested?.(SEND_FAILED_CAUSE);
      this.emit('hangup', { cause: SEND_FAILED_CAUSE, source: 'error' });
    }
  }

  #report(byeReason: string | undefined): Uint8Array {
    // RFC 3550 §6.4: an SR when we sent RTP since the last report or the one before it
    const sending = this.#sentSinceReport || this.#sentPrevInterval;
    this.#sentPrevInterval = this.#sentSinceReport;
    this.#sentSinceReport = false;
    return buildRtcpReport({
      ssrc: this.#sender.ssrc,
      cname: this.#opts.cname,
      nowMs: this.#opts.clock.monotonicMs(),
      sender: sending
        ? {
            epochMs: this.#opts.clock.epochMs(),
            rtpTimestamp: this.#sender.timestamp,
            packetCount: this.#sender.packetsSent,
            octetCount: this.#sender.octetsSent,
          }
        : undefined,
      received: this.#stats,
      byeReason,
    });
  }

  /** Queues RFC 4733 digits; ignored when the peer did not negotiate telephone-event. */
  sendDtmf(digits: string): void {
    if (this.#eventPt !== undefined) {
      this.#dtmfOut.enqueue(digits);
    }
  }

  /** Ends the leg from our side: RTCP BYE, socket closed, `onHangupRequested`. Idempotent. */
  hangup(cause: string): void {
    if (this.#end()) {
      this.#opts.onHangupRequested?.(cause);
    }
  }

  /** The SIP layer reports that the far end hung up (BYE, CANCEL, transport failure). Emits `hangup` once. */
  remoteHangup(hangup: LegHangup): void {
    if (this.#end()) {
      this.emit('hangup', hangup);
    }
  }

  /** Marks the leg ended, sends RTCP BYE (best effort: its failure must not stop the rest) and closes the socket. */
  #end(): boolean {
    if (this.#ended) {
      return false;
    }
    this.#ended = true;
    try {
      this.#socket.sendRtcp(this.#report(''));
    } catch {
      // The socket is closed next whatever happened to the BYE.
    }
    void this.#socket.close();
    return true;
  }
}
