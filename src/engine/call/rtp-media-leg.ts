/**
 * A `MediaLeg` over RTP: G.711 (PCMU/PCMA, RFC 3551) or G.722 audio (wideband: the sink also gets each
 * frame at 16 kHz, see leg-audio.ts), RFC 4733 DTMF both ways, and basic RTCP (SR/RR + SDES every ~5 s,
 * BYE on hangup; RFC 3550 §6). The leg owns no timer.
 *
 * Inbound audio goes through a `ReorderBuffer`: a packet that arrives in order is decoded and handed to
 * the sink at once, in the socket's receive callback, so a stream fork adds no buffering delay; only a
 * gap waits (at most `reorderWaitMs`). Outbound audio is paced by the clock: the engine calls
 * `writeOutbound` once per tick. Signalling is not the leg's business: the SIP layer passes
 * `onHangupRequested` (send BYE) and calls `parentClosed` when the dialog ends (the far end hung up).
 *
 * 50 frames a second, whatever arrives. From the first `tickInbound` on, the leg counts the frames it
 * hands over against the ticks of the media clock (one frame each). A tick that finds the count more
 * than `FILL_SLACK_FRAMES` (one frame) behind hands over a filler, which stands for the missing packet
 * when later audio is held behind it (so that audio follows in order and keeps its media time),
 * whether the caller is silent (silence suppression, comfort noise), sending RFC 4733 events, which
 * replace audio (RFC 4733 §2.5), losing packets, or sending nothing at all. So every 20 ms of the call's
 * clock has exactly one frame, at most one frame late, and a stream's media time (D5) stays with the
 * call's. The slack is there because the far end's 20 ms and ours are not in phase: a sender whose
 * packets land just after our ticks has each one "missing" at its tick and present a moment later, and
 * filling at once would conceal a frame and then drop the real one as late, a few times a minute per
 * call (issue 10's load run: 262-662 of 180 000 frames). Audio that arrives is still handed over at
 * once; only a filler waits one tick. The other exception is a tick off its beat (after an event-loop stall the clock's due ticks run back to back,
 * before the socket is read): it fills nothing unless the leg is more than the media clock's catch-up
 * (`DEFAULT_MAX_CATCH_UP_FRAMES`) behind, and
 * leaves the rest to the next tick on the beat, so packets that waited in the socket during the stall
 * are played, not concealed and then dropped as late.
 *
 * Audio that arrives in order is never delayed: it goes out at once, ahead of the clock by up to
 * `maxLeadFrames` (a packet arriving before its tick is one frame ahead; jitter can bring the next one
 * early too). The first filler in a talkspurt stands for the packet that did not come, so that packet
 * arriving late is dropped rather than added (no extra frame, no shift of the audio after it); a
 * talkspurt's first packet (marker bit) is still taken, as the sender had only stopped. A burst
 * beyond the lead (a stale queue after an outage) is dropped and counted. Packets without audio still
 * take their sequence number in the reorder buffer, so the first audio after a DTMF event is not held
 * back waiting for sequence numbers the events used.
 *
 * Concealment: the first filler after audio (a lost packet, or the start of silence) repeats the last
 * decoded frame at half amplitude (-6 dB); the ones after it are silence, handed over with `audio`
 * false.
 */
import { DEFAULT_MAX_CATCH_UP_FRAMES } from '../../media/media-clock.js';
import type { RtpSendFailure, RtpSocket } from '../../ports/rtp-socket.js';
import { DtmfReceiver, DtmfSender } from '../../protocol/dtmf/rfc4733.js';
import { ReorderBuffer } from '../../protocol/rtp/reorder-buffer.js';
import { type RtpPacket, writeRtpPacket } from '../../protocol/rtp/packet.js';
import { RtpReceiveStats } from '../../protocol/rtp/receive-stats.js';
import { buildRtcpReport } from '../../protocol/rtp/rtcp-report.js';
import type { RtcpPacket } from '../../protocol/rtp/rtcp.js';
import { RtpSender } from '../../protocol/rtp/rtp-sender.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { legAudio, STATIC_PAYLOAD_TYPE, type LegAudio } from './leg-audio.js';
import {
  CALL_FRAME_MS,
  FRAME_SAMPLES,
  type InboundSink,
  type LegHangup,
  type MediaLeg,
  type MediaLegEvents,
} from './media-leg.types.js';
import type { RtpMediaLegOptions, RtpMediaLegStats } from './rtp-media-leg.types.js';

/**
 * How far the frames handed over may lag the media clock before a tick fills: one frame, the phase
 * difference between the far end's 20 ms and ours (see the file comment).
 */
export const FILL_SLACK_FRAMES = 1;
/**
 * The hangup cause when RTP or RTCP to the far end cannot be sent (Q.850 cause 38): the destination the
 * SDP gave is unusable or unreachable, so the call cannot carry audio.
 */
export const SEND_FAILED_CAUSE = 'NETWORK_OUT_OF_ORDER';

export class RtpMediaLeg extends TypedEmitter<MediaLegEvents> implements MediaLeg {
  readonly #opts: RtpMediaLegOptions;
  readonly #socket: RtpSocket;
  readonly #audioPt: number;
  readonly #eventPt: number | undefined;
  readonly #audio: LegAudio;
  readonly #reorder: ReorderBuffer;
  #sink: InboundSink | undefined;
  readonly #sender: RtpSender;
  readonly #dtmfOut: DtmfSender;
  readonly #dtmfIn = new DtmfReceiver();
  readonly #rtcpInterval: number;
  readonly #encoded = new Uint8Array(FRAME_SAMPLES);
  readonly #packet = new Uint8Array(12 + FRAME_SAMPLES);
  readonly #lastPcm: Int16Array;
  #haveLastPcm = false;
  #concealRun = 0;
  readonly #maxLead: number;
  #lastTickMs: number | undefined;
  /** Whether the media clock has ticked yet: the frame count starts with its first tick. */
  #clocked = false;
  /** Ticks of the media clock since the first one: the frames owed so far. */
  #clockFrames = 0;
  /** Frames handed to the sink since the first tick. */
  #frames = 0;
  #fillers = 0;
  #overruns = 0;
  /** The last packet carried audio (not an event or comfort noise): a talkspurt is going on. */
  #talking = false;
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
    this.#audioPt = opts.payloadType ?? STATIC_PAYLOAD_TYPE[opts.codec];
    this.#eventPt = opts.telephoneEventPayloadType;
    this.#audio = legAudio(opts.codec);
    this.#lastPcm = new Int16Array(this.#audio.frame.length);
    const reorderWaitMs = opts.reorderWaitMs ?? 40;
    this.#reorder = new ReorderBuffer({ maxWaitMs: reorderWaitMs });
    this.#maxLead = Math.max(
      1,
      Math.floor(opts.maxLeadFrames ?? 1 + Math.ceil(reorderWaitMs / CALL_FRAME_MS)),
    );
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
    const socket = this.#socket.stats;
    return {
      srtpAuthFailures: socket.srtpAuthFailures,
      srtpReplays: socket.srtpReplays,
      inbound: this.#reorder.counters,
      fillerFrames: this.#fillers,
      overrunFrames: this.#overruns,
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
      this.#reorder.push(p, now, true, p.marker);
      this.#talking = true;
    } else {
      this.#talking = false;
      // An event (or comfort noise, or anything else) replaces audio but takes a sequence number.
      this.#reorder.push(p, now, false);
      if (p.payloadType === this.#eventPt) {
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
    this.#drain(now);
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
    this.#clocked = true;
    this.#clockFrames++;
    this.#drain(now);
    // A tick off its 20 ms beat (the event loop stalled, and the clock is catching up) runs before the
    // packets that arrived meanwhile are read: filling now would conceal audio that is already here and
    // then drop it as late. Such a tick leaves up to the clock's catch-up (DEFAULT_MAX_CATCH_UP_FRAMES)
    // for the next one on the beat, which runs after the socket was read (timers run before I/O in
    // Node's loop) and fills what did not come. A tick on its beat leaves one frame (FILL_SLACK_FRAMES).
    const sinceLast = this.#lastTickMs === undefined ? CALL_FRAME_MS : now - this.#lastTickMs;
    this.#lastTickMs = now;
    const offBeat = sinceLast > CALL_FRAME_MS * 1.5 || sinceLast < CALL_FRAME_MS * 0.5;
    const owed = this.#clockFrames - (offBeat ? DEFAULT_MAX_CATCH_UP_FRAMES : FILL_SLACK_FRAMES);
    let filled = false;
    while (this.#frames < owed) {
      // The frame owed has not come: a filler. It stands for the missing packet when later audio is
      // held behind it (a loss: that audio follows in order, not a frame early), and for the next
      // packet at the start of a pause in a talkspurt; either way that packet is late if it comes now.
      const r = this.#reorder.next(now);
      if (r === undefined) {
        this.#fillers++;
        filled = true;
        if (this.#reorder.size > 0 || (this.#talking && this.#concealRun === 0 && this.#haveLastPcm)) {
          this.#reorder.skipNext();
        }
      }
      this.#handOver(r?.payload ?? null);
    }
    if (filled) {
      this.#drain(now); // the audio held behind a gap the fillers stood for
    }
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

  /** Hands every frame of audio the reorder buffer releases now to the sink, within the allowed lead. */
  #drain(now: number): void {
    for (let r = this.#reorder.next(now); r !== undefined; r = this.#reorder.next(now)) {
      if (this.#clocked && this.#frames - this.#clockFrames >= this.#maxLead) {
        this.#overruns++; // its media time is covered already: handing it over would add a frame
        continue;
      }
      this.#handOver(r.payload);
    }
  }

  /** Decodes `payload` (or conceals, for null) and hands the frame to the sink; counts it. */
  #handOver(payload: Uint8Array | null): void {
    const audio = this.#render(payload);
    this.#audio.finish();
    // Before the first tick only the latest frame counts: it stands for the first tick's.
    this.#frames = this.#clocked ? this.#frames + 1 : 1;
    this.#sink?.(this.#audio.narrow, audio, this.#audio.wide);
  }

  /** Decodes or conceals one frame into the codec's frame; false when it carries no audio. */
  #render(frame: Uint8Array | null): boolean {
    const out = this.#audio.frame;
    if (frame !== null) {
      this.#audio.decode(frame);
      this.#lastPcm.set(out);
      this.#haveLastPcm = true;
      this.#concealRun = 0;
      return true;
    }
    if (this.#haveLastPcm && this.#concealRun === 0) {
      this.#concealRun++;
      for (let i = 0; i < out.length; i++) {
        out[i] = (this.#lastPcm[i] ?? 0) >> 1;
      }
      return true;
    }
    this.#concealRun++;
    out.fill(0);
    return false;
  }

  /** True for G.722: the sink gets 16 kHz frames too, and `writeOutbound` takes them. */
  get wideband(): boolean {
    return this.#audio.encodeWide !== undefined;
  }

  writeOutbound(frame: Int16Array, wide?: Int16Array): void {
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
      const encodeWide = this.#audio.encodeWide;
      if (wide !== undefined && encodeWide !== undefined) {
        encodeWide(wide.subarray(0, 2 * FRAME_SAMPLES), this.#encoded);
      } else {
        this.#audio.encode(frame.subarray(0, FRAME_SAMPLES), this.#encoded);
      }
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

  /** Ends the leg from our side: RTCP BYE, socket closed, `closed`, then `onHangupRequested`. Idempotent. */
  hangup(cause: string): void {
    if (this.#end()) {
      this.#opts.onHangupRequested?.(cause);
    }
  }

  close(): void {
    this.hangup('NORMAL_CLEARING');
  }

  get closed(): boolean {
    return this.#ended;
  }

  /**
   * The dialog that owns the leg ended (the far end hung up: BYE, CANCEL, transport failure): releases
   * the leg as `close()` does but asks the dialog for nothing; emits `closed`, then `hangup` (the call ends).
   */
  parentClosed(hangup: LegHangup): void {
    if (this.#end()) {
      this.emit('hangup', hangup);
    }
  }

  /** Marks the leg ended, sends RTCP BYE (best effort: its failure must not stop the rest), closes the socket, emits `closed`. */
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
    this.emit('closed');
    return true;
  }
}
