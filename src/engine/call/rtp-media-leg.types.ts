/**
 * The public shape of `RtpMediaLeg` (rtp-media-leg.ts): its options and its counters. Its interface and
 * events are the `MediaLeg`'s (media-leg.types.ts), plus `parentClosed(hangup)` for the dialog that owns it.
 */
import type { Clock } from '../../ports/clock.js';
import type { Random } from '../../ports/random.js';
import type { RtpSendFailure, RtpSocket } from '../../ports/rtp-socket.js';
import type { DtmfSenderOptions } from '../../protocol/dtmf/rfc4733.js';
import type { ReorderBufferCounters } from '../../protocol/rtp/reorder-buffer.js';

export interface RtpMediaLegOptions {
  readonly socket: RtpSocket;
  /** `monotonicMs` times packet arrivals and ticks; `epochMs` stamps sender reports. */
  readonly clock: Clock;
  /** Draws the SSRC and initial sequence number and timestamp. */
  readonly random: Random;
  /**
   * The negotiated codec. G.722 carries 16 kHz audio: the leg hands the sink each frame at 16 kHz as
   * well as at 8 kHz (docs/codecs.md).
   */
  readonly codec: 'PCMU' | 'PCMA' | 'G722';
  /** Audio payload type. Default 0 for PCMU, 8 for PCMA, 9 for G.722 (RFC 3551 §6). */
  readonly payloadType?: number;
  /** Negotiated `telephone-event/8000` payload type (often 101), or undefined when not offered. */
  readonly telephoneEventPayloadType?: number | undefined;
  /** RTCP CNAME (RFC 3550 §6.5.1), e.g. `streamfork@<call-uuid>`. */
  readonly cname: string;
  /** Longest a missing inbound packet holds back the ones behind it. Default 40 ms. */
  readonly reorderWaitMs?: number;
  /**
   * Most frames the caller's audio may run ahead of the media clock (see the module comment). Default
   * 1 + `reorderWaitMs` in frames (3): one for a packet that arrives before its tick, the rest for
   * packets that jitter brings early, or that come back in order after a gap.
   */
  readonly maxLeadFrames?: number;
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

/** Counters of the leg, for logs and metrics. */
export interface RtpMediaLegStats {
  readonly inbound: Readonly<ReorderBufferCounters>;
  /** Frames handed over without audio from the caller (concealment or silence), by the media clock. */
  readonly fillerFrames: number;
  /** Frames of audio dropped because they would have run further ahead of the media clock than allowed. */
  readonly overrunFrames: number;
  /** Packets with a payload type that is neither audio nor telephone-event. */
  readonly unknownPayloadType: number;
  readonly packetsSent: number;
  readonly cumulativeLost: number;
  readonly jitterMs: number;
  /** SRTP/SRTCP packets dropped because their authentication tag did not verify (0 on plain RTP). */
  readonly srtpAuthFailures: number;
  /** SRTP/SRTCP packets dropped by the replay window (replayed or too old; 0 on plain RTP). */
  readonly srtpReplays: number;
}
