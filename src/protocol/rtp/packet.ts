/**
 * RTP data packets: parse, serialize, and a zero-allocation writer for the send hot path.
 * RFC 3550 §5.1 (fixed header), §5.3.1 (header extension), RFC 3551 (RTP/AVP profile).
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |       contributing source (CSRC) identifiers (CC × 32 bits)   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  defined by profile (if X)    |   length (32-bit words)       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  header extension (length × 32 bits)          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                payload ...    | padding (if P) ... | pad count |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
import { fail, ok, type ParseResult } from '../../errors/result.js';

/** Length of the fixed RTP header in octets (RFC 3550 §5.1). */
export const RTP_HEADER_BYTES = 12;
/** The only RTP version (RFC 3550 §5.1, V=2). */
export const RTP_VERSION = 2;

/** The fields a sender chooses; the rest of the fixed header is derived. */
export interface RtpHeader {
  /** M bit. RFC 3551 §4.1: set on the first packet of a talkspurt. */
  readonly marker: boolean;
  /** PT, 0–127 (RFC 3551 §6: 0 = PCMU, 8 = PCMA; dynamic 96–127, e.g. telephone-event). */
  readonly payloadType: number;
  /** 16-bit sequence number, wraps at 65536. */
  readonly sequenceNumber: number;
  /** 32-bit media timestamp in clock-rate units (8000 Hz for G.711 and telephone-event). */
  readonly timestamp: number;
  /** 32-bit synchronization source identifier. */
  readonly ssrc: number;
  /** Contributing sources, at most 15 (absent = none). */
  readonly csrcs?: readonly number[];
}

/** A header extension (RFC 3550 §5.3.1), carried but not interpreted. */
export interface RtpHeaderExtension {
  /** The 16-bit "defined by profile" field (0xBEDE for RFC 8285 one-byte headers). */
  readonly profile: number;
  /** The extension body, a whole number of 32-bit words; a view into the parsed bytes. */
  readonly data: Uint8Array;
}

/** A parsed RTP packet. `payload` and `extension.data` are views into the input (no copy). */
export interface RtpPacket extends RtpHeader {
  readonly csrcs: readonly number[];
  readonly extension: RtpHeaderExtension | undefined;
  /** Padding octets at the end of the packet including the count octet; 0 when P is clear. */
  readonly paddingLength: number;
  readonly payload: Uint8Array;
}

/** What `serializeRtpPacket` accepts: a header plus payload, optional extension and padding. */
export interface RtpPacketInit extends RtpHeader {
  readonly payload: Uint8Array;
  readonly extension?: RtpHeaderExtension | undefined;
  /** Total padding octets (1–255) including the count octet; the filler octets are written as zero. */
  readonly paddingLength?: number;
}

const NO_CSRCS: readonly number[] = Object.freeze([]);

function readU32(b: Uint8Array, i: number): number {
  return (
    ((b[i] ?? 0) * 0x1000000 + (((b[i + 1] ?? 0) << 16) | ((b[i + 2] ?? 0) << 8) | (b[i + 3] ?? 0))) >>> 0
  );
}

function writeU32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24;
  b[i + 1] = v >>> 16;
  b[i + 2] = v >>> 8;
  b[i + 3] = v;
}

/**
 * True when the second octet marks an RTCP packet multiplexed on the RTP port: payload types 64–95 with
 * the M bit, i.e. RTCP packet types 192–223 (RFC 5761 §4). Use it to demultiplex before parsing.
 */
export function looksLikeRtcp(bytes: Uint8Array): boolean {
  const pt = bytes[1] ?? 0;
  return bytes.length >= 2 && pt >= 192 && pt <= 223;
}

/**
 * Parses one RTP packet (RFC 3550 §5.1). Never throws: a malformed packet yields `ERR_RTP_TOO_SHORT`,
 * `ERR_RTP_BAD_VERSION` or `ERR_RTP_BAD_PADDING`. The header extension is skipped (returned as a view,
 * not interpreted); the payload is a subarray of `bytes`, so the caller must not reuse `bytes` while
 * the packet is alive.
 */
export function parseRtpPacket(bytes: Uint8Array): ParseResult<RtpPacket> {
  const length = bytes.length;
  if (length < RTP_HEADER_BYTES) {
    return fail({
      code: 'ERR_RTP_TOO_SHORT',
      detail: `${length} octets, the fixed header needs 12`,
      offset: length,
    });
  }
  const b0 = bytes[0] ?? 0;
  const b1 = bytes[1] ?? 0;
  if (b0 >> 6 !== RTP_VERSION) {
    return fail({ code: 'ERR_RTP_BAD_VERSION', detail: `version ${b0 >> 6}`, offset: 0 });
  }
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_BYTES + 4 * csrcCount;
  if (offset > length) {
    return fail({
      code: 'ERR_RTP_TOO_SHORT',
      detail: `CSRC count ${csrcCount} runs past the end`,
      offset: length,
    });
  }
  let csrcs = NO_CSRCS;
  if (csrcCount > 0) {
    const list: number[] = [];
    for (let i = 0; i < csrcCount; i++) {
      list.push(readU32(bytes, RTP_HEADER_BYTES + 4 * i));
    }
    csrcs = list;
  }
  let extension: RtpHeaderExtension | undefined;
  if ((b0 & 0x10) !== 0) {
    if (offset + 4 > length) {
      return fail({ code: 'ERR_RTP_TOO_SHORT', detail: 'header extension header runs past the end', offset });
    }
    const profile = ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
    const words = ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0);
    const end = offset + 4 + 4 * words;
    if (end > length) {
      return fail({
        code: 'ERR_RTP_TOO_SHORT',
        detail: `header extension of ${words} words runs past the end`,
        offset,
      });
    }
    extension = { profile, data: bytes.subarray(offset + 4, end) };
    offset = end;
  }
  let paddingLength = 0;
  if ((b0 & 0x20) !== 0) {
    paddingLength = bytes[length - 1] ?? 0;
    if (paddingLength === 0 || offset + paddingLength > length) {
      return fail({
        code: 'ERR_RTP_BAD_PADDING',
        detail: `padding count ${paddingLength}`,
        offset: length - 1,
      });
    }
  }
  return ok({
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequenceNumber: ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0),
    timestamp: readU32(bytes, 4),
    ssrc: readU32(bytes, 8),
    csrcs,
    extension,
    paddingLength,
    payload: bytes.subarray(offset, length - paddingLength),
  });
}

function checkHeader(h: RtpHeader): void {
  const csrcCount = h.csrcs?.length ?? 0;
  if (!Number.isInteger(h.payloadType) || h.payloadType < 0 || h.payloadType > 127) {
    throw new RangeError(`RTP payload type ${h.payloadType} is not 0-127`);
  }
  if (csrcCount > 15) {
    throw new RangeError(`RTP allows at most 15 CSRCs, got ${csrcCount}`);
  }
}

/** Octets `writeRtpPacket` needs for this header and payload length. */
export function rtpPacketLength(header: RtpHeader, payloadLength: number): number {
  return RTP_HEADER_BYTES + 4 * (header.csrcs?.length ?? 0) + payloadLength;
}

/**
 * Writes header and payload into `out` at `offset` without allocating (the send hot path): no
 * extension, no padding. Field values are masked to their widths (sequence to 16 bits, timestamp and
 * SSRC to 32). Returns the number of octets written.
 * @throws RangeError when `out` is too small (a programming error).
 */
export function writeRtpPacket(out: Uint8Array, header: RtpHeader, payload: Uint8Array, offset = 0): number {
  const csrcs = header.csrcs;
  const csrcCount = csrcs === undefined ? 0 : Math.min(csrcs.length, 15);
  const total = RTP_HEADER_BYTES + 4 * csrcCount + payload.length;
  if (offset + total > out.length) {
    throw new RangeError(`RTP packet of ${total} octets does not fit in ${out.length - offset}`);
  }
  out[offset] = (RTP_VERSION << 6) | csrcCount;
  out[offset + 1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  out[offset + 2] = header.sequenceNumber >>> 8;
  out[offset + 3] = header.sequenceNumber;
  writeU32(out, offset + 4, header.timestamp);
  writeU32(out, offset + 8, header.ssrc);
  for (let i = 0; i < csrcCount; i++) {
    writeU32(out, offset + RTP_HEADER_BYTES + 4 * i, csrcs?.[i] ?? 0);
  }
  out.set(payload, offset + RTP_HEADER_BYTES + 4 * csrcCount);
  return total;
}

/**
 * Serializes a packet into a new buffer (RFC 3550 §5.1), including an optional header extension
 * (§5.3.1, its data padded to whole words must already be a multiple of 4 octets) and optional padding.
 * `serializeRtpPacket(parseRtpPacket(x).value)` reproduces `x` when any padding filler octets were zero.
 * @throws RangeError on out-of-range fields (a programming error).
 */
export function serializeRtpPacket(packet: RtpPacketInit): Uint8Array {
  checkHeader(packet);
  const ext = packet.extension;
  if (ext !== undefined && ext.data.length % 4 !== 0) {
    throw new RangeError('RTP header extension data must be a multiple of 4 octets');
  }
  const padding = packet.paddingLength ?? 0;
  if (!Number.isInteger(padding) || padding < 0 || padding > 255) {
    throw new RangeError(`RTP padding length ${padding} is not 0-255`);
  }
  const extBytes = ext === undefined ? 0 : 4 + ext.data.length;
  const headerBytes = rtpPacketLength(packet, 0);
  const out = new Uint8Array(headerBytes + extBytes + packet.payload.length + padding);
  writeRtpPacket(out, packet, new Uint8Array(0));
  if (ext !== undefined) {
    out[0] = (out[0] ?? 0) | 0x10;
    out[headerBytes] = ext.profile >>> 8;
    out[headerBytes + 1] = ext.profile;
    out[headerBytes + 2] = ext.data.length >>> 10;
    out[headerBytes + 3] = ext.data.length >>> 2;
    out.set(ext.data, headerBytes + 4);
  }
  out.set(packet.payload, headerBytes + extBytes);
  if (padding > 0) {
    out[0] = (out[0] ?? 0) | 0x20;
    out[out.length - 1] = padding;
  }
  return out;
}
