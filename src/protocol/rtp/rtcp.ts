/**
 * RTCP compound packets: SR, RR, SDES, BYE (RFC 3550 §6.4–6.6); other types (APP, feedback, XR) are
 * carried opaquely. Parsers never throw; serializers throw RangeError only on programming errors.
 *
 * Common header (RFC 3550 §6.4.1):
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|  RC/SC  |      PT       |  length (32-bit words - 1)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * SR (PT=200): SSRC, NTP timestamp (64 bits), RTP timestamp, packet count, octet count, RC report blocks.
 * RR (PT=201): SSRC, RC report blocks. Report block (24 octets, §6.4.1):
 * ```
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 SSRC_n (source being reported)                |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | fraction lost |       cumulative number of packets lost       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           extended highest sequence number received           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                      interarrival jitter                      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         last SR (LSR)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   delay since last SR (DLSR)                  |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 * SDES (PT=202, §6.5): SC chunks of {SSRC/CSRC, items {type, length, UTF-8 text}…, null octets to a
 * 32-bit boundary}. BYE (PT=203, §6.6): SC SSRC/CSRCs, then optional {length, reason}, padded to 32 bits.
 */
import { fail, ok, type ParseFailure, type ParseResult } from '../../errors/result.js';

/** RTCP packet types (RFC 3550 §12.1). */
export const RtcpPacketType = { SR: 200, RR: 201, SDES: 202, BYE: 203, APP: 204 } as const;
/** SDES item types (RFC 3550 §6.5). */
export const SdesItemType = {
  END: 0,
  CNAME: 1,
  NAME: 2,
  EMAIL: 3,
  PHONE: 4,
  LOC: 5,
  TOOL: 6,
  NOTE: 7,
  PRIV: 8,
} as const;

/** One reception report block (RFC 3550 §6.4.1). */
export interface RtcpReportBlock {
  readonly ssrc: number;
  /** Fraction lost since the previous report, fixed point /256 (0–255). */
  readonly fractionLost: number;
  /** Cumulative packets lost, signed 24-bit (duplicates can make it negative). */
  readonly cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | max seq). */
  readonly highestSequence: number;
  /** Interarrival jitter in timestamp units (§6.4.1, A.8). */
  readonly jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source; 0 if none. */
  readonly lastSr: number;
  /** Delay since that SR, in units of 1/65536 s; 0 if none. */
  readonly delaySinceLastSr: number;
}

/** Sender report (PT=200). NTP time is split in whole seconds since 1900 and a 32-bit fraction. */
export interface RtcpSenderReport {
  readonly type: 'sr';
  readonly ssrc: number;
  readonly ntpSeconds: number;
  readonly ntpFraction: number;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
  readonly reports: readonly RtcpReportBlock[];
}

/** Receiver report (PT=201). */
export interface RtcpReceiverReport {
  readonly type: 'rr';
  readonly ssrc: number;
  readonly reports: readonly RtcpReportBlock[];
}

export interface RtcpSdesItem {
  /** Item type, 1–255 (`SdesItemType`); PRIV (8) text holds prefix length, prefix and value raw. */
  readonly itemType: number;
  readonly text: string;
}

export interface RtcpSdesChunk {
  readonly source: number;
  readonly items: readonly RtcpSdesItem[];
}

/** Source description (PT=202). */
export interface RtcpSdes {
  readonly type: 'sdes';
  readonly chunks: readonly RtcpSdesChunk[];
}

/** Goodbye (PT=203). */
export interface RtcpBye {
  readonly type: 'bye';
  readonly sources: readonly number[];
  readonly reason?: string;
}

/** Any other packet type (APP, RTPFB, PSFB, XR…): header fields and the body after the first word. */
export interface RtcpOther {
  readonly type: 'other';
  readonly packetType: number;
  /** The 5-bit count/subtype field. */
  readonly count: number;
  /** Octets after the 4-octet common header, padding excluded; a view into the input. */
  readonly body: Uint8Array;
}

export type RtcpPacket = RtcpSenderReport | RtcpReceiverReport | RtcpSdes | RtcpBye | RtcpOther;

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function u32(b: Uint8Array, i: number): number {
  return (
    ((b[i] ?? 0) * 0x1000000 + (((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0))) >>> 0
  );
}

function putU32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

type Body<T> = ParseResult<T>;

function bad(
  code: string,
  detail: string,
  offset: number,
): { readonly ok: false; readonly error: ParseFailure } {
  return fail({ code, detail, offset });
}

function parseReportBlocks(b: Uint8Array, at: number, count: number, base: number): Body<RtcpReportBlock[]> {
  if (at + 24 * count > b.length) {
    return bad('ERR_RTCP_BAD_LENGTH', `${count} report blocks do not fit`, base + at);
  }
  const reports: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = at + 24 * i;
    const lost24 = (((b[o + 5] ?? 0) << 16) | ((b[o + 6] ?? 0) << 8) | (b[o + 7] ?? 0)) >>> 0;
    reports.push({
      ssrc: u32(b, o),
      fractionLost: b[o + 4] ?? 0,
      cumulativeLost: lost24 >= 0x800000 ? lost24 - 0x1000000 : lost24,
      highestSequence: u32(b, o + 8),
      jitter: u32(b, o + 12),
      lastSr: u32(b, o + 16),
      delaySinceLastSr: u32(b, o + 20),
    });
  }
  return ok(reports);
}

function parseSdes(b: Uint8Array, count: number, base: number): Body<RtcpSdes> {
  const chunks: RtcpSdesChunk[] = [];
  let o = 4;
  for (let c = 0; c < count; c++) {
    if (o + 4 > b.length) {
      return bad('ERR_RTCP_BAD_LENGTH', `SDES chunk ${c} missing`, base + o);
    }
    const source = u32(b, o);
    o += 4;
    const items: RtcpSdesItem[] = [];
    for (;;) {
      if (o >= b.length) {
        return bad('ERR_RTCP_BAD_LENGTH', 'SDES chunk has no terminating null item', base + o);
      }
      const itemType = b[o] ?? 0;
      if (itemType === SdesItemType.END) {
        o = (o + 4) & ~3; // the null octet(s) pad the chunk to the next 32-bit boundary
        break;
      }
      const len = b[o + 1] ?? 0;
      if (o + 2 + len > b.length) {
        return bad('ERR_RTCP_BAD_LENGTH', `SDES item of ${len} octets runs past the packet`, base + o);
      }
      items.push({ itemType, text: utf8Decoder.decode(b.subarray(o + 2, o + 2 + len)) });
      o += 2 + len;
    }
    chunks.push({ source, items });
  }
  return ok({ type: 'sdes', chunks });
}

function parseBye(b: Uint8Array, count: number, base: number): Body<RtcpBye> {
  const end = 4 + 4 * count;
  if (end > b.length) {
    return bad('ERR_RTCP_BAD_LENGTH', `BYE source count ${count} does not fit`, base + 4);
  }
  const sources: number[] = [];
  for (let i = 0; i < count; i++) {
    sources.push(u32(b, 4 + 4 * i));
  }
  if (end < b.length) {
    const len = b[end] ?? 0;
    if (end + 1 + len > b.length) {
      return bad('ERR_RTCP_BAD_LENGTH', `BYE reason of ${len} octets runs past the packet`, base + end);
    }
    return ok({ type: 'bye', sources, reason: utf8Decoder.decode(b.subarray(end + 1, end + 1 + len)) });
  }
  return ok({ type: 'bye', sources });
}

/** Parses one packet whose bytes are exactly `b` (padding already removed). */
function parseOne(b: Uint8Array, base: number): Body<RtcpPacket> {
  const count = (b[0] ?? 0) & 0x1f;
  const pt = b[1] ?? 0;
  switch (pt) {
    case RtcpPacketType.SR: {
      if (b.length < 28) {
        return bad('ERR_RTCP_TOO_SHORT', 'SR shorter than its sender info', base);
      }
      const reports = parseReportBlocks(b, 28, count, base);
      if (!reports.ok) {
        return reports;
      }
      return ok({
        type: 'sr',
        ssrc: u32(b, 4),
        ntpSeconds: u32(b, 8),
        ntpFraction: u32(b, 12),
        rtpTimestamp: u32(b, 16),
        packetCount: u32(b, 20),
        octetCount: u32(b, 24),
        reports: reports.value,
      });
    }
    case RtcpPacketType.RR: {
      if (b.length < 8) {
        return bad('ERR_RTCP_TOO_SHORT', 'RR shorter than its SSRC', base);
      }
      const reports = parseReportBlocks(b, 8, count, base);
      return reports.ok ? ok({ type: 'rr', ssrc: u32(b, 4), reports: reports.value }) : reports;
    }
    case RtcpPacketType.SDES:
      return parseSdes(b, count, base);
    case RtcpPacketType.BYE:
      return parseBye(b, count, base);
    default:
      return ok({ type: 'other', packetType: pt, count, body: b.subarray(4) });
  }
}

/**
 * Parses an RTCP compound packet (RFC 3550 §6.1) into its packets, in order. Never throws. Checks per
 * RFC 3550 A.2: version 2 on every packet, lengths that add up to the datagram, padding only on the
 * last packet. It does not insist that the compound starts with SR/RR, so a lone BYE is accepted.
 * Codes: ERR_RTCP_TOO_SHORT, ERR_RTCP_BAD_VERSION, ERR_RTCP_BAD_LENGTH, ERR_RTCP_BAD_PADDING.
 */
export function parseRtcpCompound(bytes: Uint8Array): ParseResult<RtcpPacket[]> {
  if (bytes.length < 4) {
    return bad('ERR_RTCP_TOO_SHORT', `${bytes.length} octets, the header needs 4`, 0);
  }
  const packets: RtcpPacket[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) {
      return bad('ERR_RTCP_TOO_SHORT', 'trailing octets shorter than a header', at);
    }
    const b0 = bytes[at] ?? 0;
    if (b0 >> 6 !== 2) {
      return bad('ERR_RTCP_BAD_VERSION', `version ${b0 >> 6}`, at);
    }
    const len = 4 * ((((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) + 1);
    if (at + len > bytes.length) {
      return bad('ERR_RTCP_TOO_SHORT', `length ${len} runs past the datagram`, at);
    }
    let body = bytes.subarray(at, at + len);
    if ((b0 & 0x20) !== 0) {
      const pad = bytes[at + len - 1] ?? 0;
      if (at + len !== bytes.length || pad === 0 || pad > len - 4) {
        return bad('ERR_RTCP_BAD_PADDING', `padding ${pad} on packet at ${at}`, at);
      }
      body = body.subarray(0, len - pad);
    }
    const parsed = parseOne(body, at);
    if (!parsed.ok) {
      return parsed;
    }
    packets.push(parsed.value);
    at += len;
  }
  return ok(packets);
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function encodeText(text: string, what: string): Uint8Array {
  const bytes = utf8Encoder.encode(text);
  if (bytes.length > 255) {
    throw new RangeError(`${what} is ${bytes.length} octets, at most 255`);
  }
  return bytes;
}

function checkCount(n: number, what: string): number {
  if (n > 31) {
    throw new RangeError(`an RTCP packet holds at most 31 ${what}, got ${n}`);
  }
  return n;
}

function header(out: Uint8Array, count: number, pt: number): void {
  out[0] = 0x80 | count;
  out[1] = pt;
  const words = out.length / 4 - 1;
  out[2] = words >>> 8;
  out[3] = words;
}

function writeReportBlocks(out: Uint8Array, at: number, reports: readonly RtcpReportBlock[]): void {
  reports.forEach((r, i) => {
    const o = at + 24 * i;
    putU32(out, o, r.ssrc);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(r.cumulativeLost))) & 0xffffff;
    putU32(out, o + 4, ((r.fractionLost & 0xff) << 24) | lost);
    putU32(out, o + 8, r.highestSequence);
    putU32(out, o + 12, r.jitter);
    putU32(out, o + 16, r.lastSr);
    putU32(out, o + 20, r.delaySinceLastSr);
  });
}

function serializeSdes(p: RtcpSdes): Uint8Array {
  const encoded = p.chunks.map((c) =>
    c.items.map((it) => ({ type: it.itemType, bytes: encodeText(it.text, 'an SDES item') })),
  );
  const chunkLen = encoded.map((items) => pad4(4 + items.reduce((n, it) => n + 2 + it.bytes.length, 0) + 1));
  const out = new Uint8Array(4 + chunkLen.reduce((a, n) => a + n, 0));
  header(out, checkCount(p.chunks.length, 'SDES chunks'), RtcpPacketType.SDES);
  let o = 4;
  p.chunks.forEach((c, ci) => {
    putU32(out, o, c.source);
    let w = o + 4;
    for (const it of encoded[ci] ?? []) {
      if (it.type < 1 || it.type > 255) {
        throw new RangeError(`SDES item type ${it.type} is not 1-255`);
      }
      out[w] = it.type;
      out[w + 1] = it.bytes.length;
      out.set(it.bytes, w + 2);
      w += 2 + it.bytes.length;
    }
    o += chunkLen[ci] ?? 0; // the rest of the chunk stays zero: the null item and padding
  });
  return out;
}

/** Serializes one RTCP packet (no padding). @throws RangeError on out-of-range counts or text. */
export function serializeRtcpPacket(p: RtcpPacket): Uint8Array {
  switch (p.type) {
    case 'sr': {
      const out = new Uint8Array(28 + 24 * p.reports.length);
      header(out, checkCount(p.reports.length, 'report blocks'), RtcpPacketType.SR);
      putU32(out, 4, p.ssrc);
      putU32(out, 8, p.ntpSeconds);
      putU32(out, 12, p.ntpFraction);
      putU32(out, 16, p.rtpTimestamp);
      putU32(out, 20, p.packetCount);
      putU32(out, 24, p.octetCount);
      writeReportBlocks(out, 28, p.reports);
      return out;
    }
    case 'rr': {
      const out = new Uint8Array(8 + 24 * p.reports.length);
      header(out, checkCount(p.reports.length, 'report blocks'), RtcpPacketType.RR);
      putU32(out, 4, p.ssrc);
      writeReportBlocks(out, 8, p.reports);
      return out;
    }
    case 'sdes':
      return serializeSdes(p);
    case 'bye': {
      const reason = p.reason === undefined ? undefined : encodeText(p.reason, 'a BYE reason');
      const out = new Uint8Array(
        4 + 4 * p.sources.length + (reason === undefined ? 0 : pad4(1 + reason.length)),
      );
      header(out, checkCount(p.sources.length, 'BYE sources'), RtcpPacketType.BYE);
      p.sources.forEach((s, i) => {
        putU32(out, 4 + 4 * i, s);
      });
      if (reason !== undefined) {
        out[4 + 4 * p.sources.length] = reason.length;
        out.set(reason, 5 + 4 * p.sources.length);
      }
      return out;
    }
    case 'other': {
      if (p.body.length % 4 !== 0) {
        throw new RangeError('RTCP packet body must be a multiple of 4 octets');
      }
      const out = new Uint8Array(4 + p.body.length);
      header(out, p.count & 0x1f, p.packetType);
      out.set(p.body, 4);
      return out;
    }
  }
}

/** Serializes a compound packet: the packets back to back (RFC 3550 §6.1). */
export function serializeRtcpCompound(packets: readonly RtcpPacket[]): Uint8Array {
  const parts = packets.map(serializeRtcpPacket);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (RFC 868). */
export const NTP_UNIX_OFFSET_SEC = 2208988800;

/** Converts wall-clock Unix milliseconds to a 64-bit NTP timestamp (RFC 3550 §4). */
export function ntpFromEpochMs(epochMs: number): { readonly seconds: number; readonly fraction: number } {
  const wholeSec = Math.floor(epochMs / 1000);
  const fraction = Math.floor(((epochMs - wholeSec * 1000) / 1000) * 0x100000000) >>> 0;
  return { seconds: (wholeSec + NTP_UNIX_OFFSET_SEC) >>> 0, fraction };
}

/** The middle 32 bits of an NTP timestamp, as carried in LSR (RFC 3550 §6.4.1). */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}
