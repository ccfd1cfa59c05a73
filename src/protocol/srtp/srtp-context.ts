/**
 * SRTP and SRTCP (RFC 3711) for one direction of one SDES master key: `protect*` for what we send,
 * `unprotect*` for what we receive. Sans-I/O: bytes in, bytes (in place) out, no clock. Packets are
 * transformed in the caller's buffer; the payload keystream comes a batch of packets ahead (rtp-keystream.ts).
 *
 * - Encryption: AES-CM (§4.1.1), IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16).
 * - Authentication: HMAC-SHA1 (hmac-sha1.ts, precomputed pads) over the authenticated portion || ROC (SRTP, §4.2) or the
 *   authenticated portion including E || SRTCP index (SRTCP, §3.4), truncated to the suite's tag,
 *   compared in constant time.
 * - The receiver estimates the rollover counter from s_l (§3.3.1, Appendix A) per SSRC and keeps a
 *   replay window per SSRC for SRTP and SRTCP (§3.3.2). State changes only after a packet
 *   authenticates, so a forged packet cannot move the window or the ROC.
 * - MKI is not used (RFC 4568 lets the offer leave it out; we refuse offers that set one).
 */
import { AesCm } from './aes-cm.js';
import { HmacSha1 } from './hmac-sha1.js';
import { ReplayWindow, DEFAULT_REPLAY_WINDOW } from './replay-window.js';
import { RtpKeystream } from './rtp-keystream.js';
import { deriveSessionKeys, type SrtpSessionKeys } from './srtp-kdf.js';
import { SRTP_SUITES, type SrtpMasterKey, type SrtpSuite } from './srtp-suites.js';

/** Why a received packet was dropped. */
export type SrtpFailureReason = 'malformed' | 'auth-failed' | 'replayed' | 'too-old';

/** The outcome of `unprotectRtp` / `unprotectRtcp`: the plaintext length in the same buffer, or why not. */
export type SrtpUnprotectResult =
  { readonly ok: true; readonly length: number } | { readonly ok: false; readonly reason: SrtpFailureReason };

/** The outcome of `protectRtp` / `protectRtcp`: the protected length in the same buffer, or why not. */
export type SrtpProtectResult =
  | { readonly ok: true; readonly length: number }
  | { readonly ok: false; readonly reason: 'malformed' | 'no-room' };

const FAILED: Readonly<Record<SrtpFailureReason | 'no-room', { ok: false; reason: never }>> = {
  malformed: { ok: false, reason: 'malformed' as never },
  'auth-failed': { ok: false, reason: 'auth-failed' as never },
  replayed: { ok: false, reason: 'replayed' as never },
  'too-old': { ok: false, reason: 'too-old' as never },
  'no-room': { ok: false, reason: 'no-room' as never },
};

export interface SrtpContextOptions {
  /** Replay window in packets (at least 64). Default 128. */
  readonly replayWindow?: number;
  /** SSRCs tracked at once per direction (older ones are forgotten). Default 8. */
  readonly maxStreams?: number;
}

/** Per-SSRC state of SRTP: s_l, ROC, and (receiving) the replay window. */
interface RtpStream {
  roc: number;
  lastSeq: number;
  readonly window: ReplayWindow;
}

/** Per-SSRC state of SRTCP: the next index to send and the receiver's window. */
interface RtcpStream {
  nextIndex: number;
  readonly window: ReplayWindow;
}

const SRTCP_INDEX_BYTES = 4;
const RTCP_HEADER_BYTES = 8;
const MAX_SRTCP_INDEX = 0x7fffffff;

/** The RTP header length (fixed part, CSRCs, extension), or -1 when it does not fit in `length`. */
function rtpHeaderLength(buf: Uint8Array, length: number): number {
  if (length < 12 || ((buf[0] ?? 0) & 0xc0) !== 0x80) {
    return -1;
  }
  let header = 12 + 4 * ((buf[0] ?? 0) & 0x0f);
  if (((buf[0] ?? 0) & 0x10) !== 0) {
    if (header + 4 > length) {
      return -1;
    }
    header += 4 + 4 * (((buf[header + 2] ?? 0) << 8) | (buf[header + 3] ?? 0));
  }
  return header <= length ? header : -1;
}

function readU32(buf: Uint8Array, at: number): number {
  return (
    (((buf[at] ?? 0) << 24) | ((buf[at + 1] ?? 0) << 16) | ((buf[at + 2] ?? 0) << 8) | (buf[at + 3] ?? 0)) >>>
    0
  );
}

function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v >>> 24;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}

/**
 * Whether the first `n` octets of `tag` equal `buf[at, at + n)`, in time independent of where they
 * differ (the comparison always reads all `n`; the same guarantee as `timingSafeEqual`, without its
 * two views and native call per packet).
 */
function sameTag(tag: Uint8Array, buf: Uint8Array, at: number, n: number): boolean {
  let diff = 0;
  for (let i = 0; i < n; i++) {
    diff |= (tag[i] ?? 0) ^ (buf[at + i] ?? 0);
  }
  return diff === 0;
}

/**
 * The receiver's guess of the packet index of `seq` (RFC 3711 Appendix A): the ROC of the highest
 * packet so far, one more when `seq` wrapped past it, one less when it is a late packet from before a
 * wrap. Returns the ROC to use (may be -1: a packet from before the stream's first one).
 */
export function estimateRoc(roc: number, lastSeq: number, seq: number): number {
  if (lastSeq < 0x8000) {
    return seq - lastSeq > 0x8000 ? roc - 1 : roc;
  }
  return lastSeq - 0x8000 > seq ? roc + 1 : roc;
}

/** One direction's keys, ciphers and per-SSRC state. */
class Direction {
  readonly rtpKeys: SrtpSessionKeys;
  readonly rtcpKeys: SrtpSessionKeys;
  readonly rtpCipher: RtpKeystream;
  readonly rtcpCipher: AesCm;
  readonly rtpMac: HmacSha1;
  readonly rtcpMac: HmacSha1;
  readonly rtp = new Map<number, RtpStream>();
  readonly rtcp = new Map<number, RtcpStream>();

  constructor(master: SrtpMasterKey) {
    this.rtpKeys = deriveSessionKeys(master.key, master.salt, false);
    this.rtcpKeys = deriveSessionKeys(master.key, master.salt, true);
    this.rtpCipher = new RtpKeystream(this.rtpKeys.encryptionKey, this.rtpKeys.salt);
    this.rtcpCipher = new AesCm(this.rtcpKeys.encryptionKey);
    this.rtpMac = new HmacSha1(this.rtpKeys.authKey);
    this.rtcpMac = new HmacSha1(this.rtcpKeys.authKey);
  }
}

/**
 * The crypto context of one master key. A call uses two: one with our key (protect what we send),
 * one with the peer's key (unprotect what it sends), as SDES gives each side its own key.
 */
export class SrtpContext {
  readonly suite: SrtpSuite;
  readonly #dir: Direction;
  readonly #windowSize: number;
  readonly #maxStreams: number;
  readonly #iv = new Uint8Array(16);
  readonly #roc = new Uint8Array(4);

  constructor(master: SrtpMasterKey, options: SrtpContextOptions = {}) {
    if (master.key.length !== 16 || master.salt.length !== 14) {
      throw new RangeError('SRTP master key must be 16 octets and the salt 14');
    }
    this.suite = SRTP_SUITES[master.suite];
    this.#dir = new Direction(master);
    this.#windowSize = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    this.#maxStreams = options.maxStreams ?? 8;
  }

  /** The SRTP session keys (for the RFC 3711 B.3 vectors and diagnostics). */
  get rtpSessionKeys(): SrtpSessionKeys {
    return this.#dir.rtpKeys;
  }

  /** The SRTCP session keys. */
  get rtcpSessionKeys(): SrtpSessionKeys {
    return this.#dir.rtcpKeys;
  }

  /** Writes the IV for (salt, SSRC, 48-bit index as hi16:lo32) into the shared IV buffer. */
  #setIv(salt: Uint8Array, ssrc: number, indexHi: number, indexLo: number): Uint8Array {
    const iv = this.#iv;
    iv.set(salt, 0);
    iv[14] = 0;
    iv[15] = 0;
    iv[4] = (iv[4] ?? 0) ^ (ssrc >>> 24);
    iv[5] = (iv[5] ?? 0) ^ ((ssrc >>> 16) & 0xff);
    iv[6] = (iv[6] ?? 0) ^ ((ssrc >>> 8) & 0xff);
    iv[7] = (iv[7] ?? 0) ^ (ssrc & 0xff);
    iv[8] = (iv[8] ?? 0) ^ (indexHi >>> 8);
    iv[9] = (iv[9] ?? 0) ^ (indexHi & 0xff);
    iv[10] = (iv[10] ?? 0) ^ (indexLo >>> 24);
    iv[11] = (iv[11] ?? 0) ^ ((indexLo >>> 16) & 0xff);
    iv[12] = (iv[12] ?? 0) ^ ((indexLo >>> 8) & 0xff);
    iv[13] = (iv[13] ?? 0) ^ (indexLo & 0xff);
    return iv;
  }

  /** The full 20-octet HMAC (a reused buffer, valid until the next tag). */
  #rtpTag(buf: Uint8Array, length: number, roc: number): Uint8Array {
    writeU32(this.#roc, 0, roc >>> 0);
    return this.#dir.rtpMac.mac(buf, length, this.#roc);
  }

  #rtcpTag(buf: Uint8Array, length: number): Uint8Array {
    return this.#dir.rtcpMac.mac(buf, length);
  }

  #remember<T>(map: Map<number, T>, key: number, value: T): T {
    if (map.size >= this.#maxStreams) {
      const oldest = map.keys().next();
      if (oldest.done !== true) {
        map.delete(oldest.value);
      }
    }
    map.set(key, value);
    return value;
  }

  /**
   * Protects the RTP packet in `buf[0, length)` in place: encrypts the payload and appends the tag.
   * `buf` needs room for the tag (`length + suite.rtpTagBytes`).
   */
  protectRtp(buf: Uint8Array, length: number): SrtpProtectResult {
    const header = rtpHeaderLength(buf, length);
    if (header < 0) {
      return FAILED.malformed;
    }
    const tagBytes = this.suite.rtpTagBytes;
    if (length + tagBytes > buf.length) {
      return FAILED['no-room'];
    }
    const seq = ((buf[2] ?? 0) << 8) | (buf[3] ?? 0);
    const ssrc = readU32(buf, 8);
    const s =
      this.#dir.rtp.get(ssrc) ??
      this.#remember(this.#dir.rtp, ssrc, { roc: 0, lastSeq: seq, window: new ReplayWindow(64) });
    const v = Math.max(0, estimateRoc(s.roc, s.lastSeq, seq));
    if (v * 65536 + seq > s.roc * 65536 + s.lastSeq) {
      s.roc = v;
      s.lastSeq = seq;
    }
    this.#dir.rtpCipher.xor(ssrc, v * 65536 + seq, buf, header, length - header);
    const tag = this.#rtpTag(buf, length, v);
    for (let i = 0; i < tagBytes; i++) {
      buf[length + i] = tag[i] ?? 0;
    }
    return { ok: true, length: length + tagBytes };
  }

  /** Unprotects the SRTP packet in `buf[0, length)` in place; on success the RTP packet is `buf[0, result.length)`. */
  unprotectRtp(buf: Uint8Array, length: number): SrtpUnprotectResult {
    const tagBytes = this.suite.rtpTagBytes;
    const authed = length - tagBytes;
    const header = rtpHeaderLength(buf, authed);
    if (header < 0) {
      return FAILED.malformed;
    }
    const seq = ((buf[2] ?? 0) << 8) | (buf[3] ?? 0);
    const ssrc = readU32(buf, 8);
    const s = this.#dir.rtp.get(ssrc);
    const v = s === undefined ? 0 : estimateRoc(s.roc, s.lastSeq, seq);
    const index = v * 65536 + seq;
    if (v < 0) {
      return FAILED['too-old'];
    }
    if (s !== undefined) {
      const verdict = s.window.check(index);
      if (verdict !== 'new') {
        return FAILED[verdict];
      }
    }
    const tag = this.#rtpTag(buf, authed, v);
    if (!sameTag(tag, buf, authed, tagBytes)) {
      return FAILED['auth-failed'];
    }
    this.#dir.rtpCipher.xor(ssrc, index, buf, header, authed - header);
    const stream =
      s ??
      this.#remember(this.#dir.rtp, ssrc, {
        roc: v,
        lastSeq: seq,
        window: new ReplayWindow(this.#windowSize),
      });
    if (index > stream.window.highest) {
      stream.roc = v;
      stream.lastSeq = seq;
    }
    stream.window.accept(index);
    return { ok: true, length: authed };
  }

  /**
   * Protects the RTCP compound in `buf[0, length)` in place (RFC 3711 §3.4): encrypts all but the
   * first 8 octets, appends E=1 || SRTCP index and the 80-bit tag. `buf` needs 14 octets of room.
   */
  protectRtcp(buf: Uint8Array, length: number): SrtpProtectResult {
    if (length < RTCP_HEADER_BYTES || ((buf[0] ?? 0) & 0xc0) !== 0x80) {
      return FAILED.malformed;
    }
    const tagBytes = this.suite.rtcpTagBytes;
    if (length + SRTCP_INDEX_BYTES + tagBytes > buf.length) {
      return FAILED['no-room'];
    }
    const ssrc = readU32(buf, 4);
    const s =
      this.#dir.rtcp.get(ssrc) ??
      this.#remember(this.#dir.rtcp, ssrc, { nextIndex: 0, window: new ReplayWindow(64) });
    const index = s.nextIndex;
    s.nextIndex = index === MAX_SRTCP_INDEX ? 0 : index + 1;
    const iv = this.#setIv(this.#dir.rtcpKeys.salt, ssrc, 0, index);
    this.#dir.rtcpCipher.xor(iv, buf, RTCP_HEADER_BYTES, length - RTCP_HEADER_BYTES);
    writeU32(buf, length, (0x80000000 | index) >>> 0);
    const authed = length + SRTCP_INDEX_BYTES;
    buf.set(this.#rtcpTag(buf, authed).subarray(0, tagBytes), authed);
    return { ok: true, length: authed + tagBytes };
  }

  /** Unprotects the SRTCP compound in `buf[0, length)` in place; on success the RTCP is `buf[0, result.length)`. */
  unprotectRtcp(buf: Uint8Array, length: number): SrtpUnprotectResult {
    const tagBytes = this.suite.rtcpTagBytes;
    const authed = length - tagBytes;
    const end = authed - SRTCP_INDEX_BYTES;
    if (end < RTCP_HEADER_BYTES || ((buf[0] ?? 0) & 0xc0) !== 0x80) {
      return FAILED.malformed;
    }
    const ssrc = readU32(buf, 4);
    const word = readU32(buf, end);
    const encrypted = word >>> 31 === 1;
    const index = word & MAX_SRTCP_INDEX;
    const s = this.#dir.rtcp.get(ssrc);
    if (s !== undefined) {
      const verdict = s.window.check(index);
      if (verdict !== 'new') {
        return FAILED[verdict];
      }
    }
    const tag = this.#rtcpTag(buf, authed);
    if (!sameTag(tag, buf, authed, tagBytes)) {
      return FAILED['auth-failed'];
    }
    if (encrypted) {
      const iv = this.#setIv(this.#dir.rtcpKeys.salt, ssrc, 0, index);
      this.#dir.rtcpCipher.xor(iv, buf, RTCP_HEADER_BYTES, end - RTCP_HEADER_BYTES);
    }
    const stream =
      s ?? this.#remember(this.#dir.rtcp, ssrc, { nextIndex: 0, window: new ReplayWindow(this.#windowSize) });
    stream.window.accept(index);
    return { ok: true, length: end };
  }
}
