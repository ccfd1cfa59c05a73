/**
 * Builds the periodic RTCP compound a leg sends (RFC 3550 §6.1, §6.4): an SR when we sent RTP since the
 * previous report, else an RR, always followed by SDES with our CNAME (§6.5.1). An optional BYE ends it
 * when the leg closes (§6.6). The caller schedules it (every ~5 s on the media tick, §6.2 minimum).
 */
import type { RtpReceiveStats } from './receive-stats.js';
import {
  ntpFromEpochMs,
  type RtcpPacket,
  type RtcpReportBlock,
  SdesItemType,
  serializeRtcpCompound,
} from './rtcp.js';

export interface RtcpReportInput {
  /** Our SSRC (the RtpSender's). */
  readonly ssrc: number;
  /** Canonical name, e.g. `streamfork@<call-uuid>` (RFC 3550 §6.5.1; should be unique per session). */
  readonly cname: string;
  /** Monotonic now, for DLSR. */
  readonly nowMs: number;
  /** Present when we sent RTP since the previous report: makes the report an SR. */
  readonly sender?:
    | {
        /** Wall-clock Unix milliseconds matching `rtpTimestamp`, for the NTP timestamp. */
        readonly epochMs: number;
        readonly rtpTimestamp: number;
        readonly packetCount: number;
        readonly octetCount: number;
      }
    | undefined;
  /** Statistics of the remote source, when one has been heard. */
  readonly received?: RtpReceiveStats | undefined;
  /** Appends a BYE with this reason (use "" for none). */
  readonly byeReason?: string | undefined;
}

/** Serializes the compound report described by `input`. */
export function buildRtcpReport(input: RtcpReportInput): Uint8Array {
  const reports: RtcpReportBlock[] =
    input.received === undefined ? [] : [input.received.reportBlock(input.nowMs)];
  const packets: RtcpPacket[] = [];
  if (input.sender === undefined) {
    packets.push({ type: 'rr', ssrc: input.ssrc, reports });
  } else {
    const ntp = ntpFromEpochMs(input.sender.epochMs);
    packets.push({
      type: 'sr',
      ssrc: input.ssrc,
      ntpSeconds: ntp.seconds,
      ntpFraction: ntp.fraction,
      rtpTimestamp: input.sender.rtpTimestamp >>> 0,
      packetCount: input.sender.packetCount >>> 0,
      octetCount: input.sender.octetCount >>> 0,
      reports,
    });
  }
  packets.push({
    type: 'sdes',
    chunks: [{ source: input.ssrc, items: [{ itemType: SdesItemType.CNAME, text: input.cname }] }],
  });
  if (input.byeReason !== undefined) {
    packets.push(
      input.byeReason === ''
        ? { type: 'bye', sources: [input.ssrc] }
        : { type: 'bye', sources: [input.ssrc], reason: input.byeReason },
    );
  }
  return serializeRtcpCompound(packets);
}
