/**
 * One call leg's RTP/RTCP transport as the engine sees it: a pair of UDP ports (RTP even, RTCP = RTP+1,
 * RFC 3550 §11) with symmetric RTP (RFC 4961): once valid RTP packets from one source pass the latching
 * rule (`protocol/rtp/rtp-latch.ts`, docs/nat.md: three in a row with one SSRC, consecutive sequence
 * numbers and a negotiated payload type; with SRTP only packets that authenticate) that source is the
 * send target, and packets from other sources are dropped and counted. Datagrams are parsed before
 * delivery; malformed ones are counted, never thrown. Sending is driven by the engine's shared media
 * clock (one call per 20 ms tick); the socket owns no timers.
 * Adapter: `adapters/rtp/node-rtp-socket.ts`.
 */
import type { RtpPacket } from '../protocol/rtp/packet.js';
import type { RtcpPacket } from '../protocol/rtp/rtcp.js';
import type { NegotiatedSrtp } from '../protocol/sdp/sdes-crypto.js';

/** A UDP transport address. */
export interface RtpAddress {
  readonly address: string;
  readonly port: number;
}

/** Counters of one socket pair (datagrams). */
export interface RtpSocketStats {
  /** RTP packets delivered to the listener. */
  rtpReceived: number;
  /** RTCP compounds delivered to the listener (on the RTCP port, or multiplexed on the RTP port). */
  rtcpReceived: number;
  /** Datagrams that were neither valid RTP nor valid RTCP (dropped). */
  malformed: number;
  /** Code of the last malformed datagram (ERR_RTP_* / ERR_RTCP_*), for diagnostics. */
  lastMalformedCode: string | undefined;
  /** Valid-looking datagrams from a source other than the latched (or SDP) one (dropped). */
  otherSource: number;
  rtpSent: number;
  rtcpSent: number;
  /** Sends that failed, or were skipped because no remote address is known yet. */
  sendFailed: number;
  /** Exceptions thrown by our own listeners (isolated, never reach the socket). */
  listenerErrors: number;
  /** SRTP/SRTCP packets whose authentication tag did not verify (dropped, never delivered). */
  srtpAuthFailures: number;
  /** SRTP/SRTCP packets refused by the replay window: seen already, or older than the window (dropped). */
  srtpReplays: number;
  /** SRTP/SRTCP datagrams too short or not RTP/RTCP-shaped for SRTP (dropped; also not in `malformed`). */
  srtpMalformed: number;
}

/** A send that failed (see `RtpSocket.onSendError`). */
export interface RtpSendFailure {
  /** Which socket of the pair. */
  readonly kind: 'rtp' | 'rtcp';
  /** Node's error code (`ERR_SOCKET_BAD_PORT`, `EACCES`, ...), or `UNKNOWN`. */
  readonly code: string;
  readonly message: string;
  /** The destination that failed. */
  readonly to: RtpAddress;
}

export interface RtpSocket {
  /** Address the sockets are bound to. */
  readonly localAddress: string;
  /** Even RTP port. */
  readonly rtpPort: number;
  /** RTCP port, `rtpPort + 1`. */
  readonly rtcpPort: number;
  /** UDP receive buffer the kernel actually granted for the RTP socket, in bytes (may differ from the request). */
  readonly recvBufferBytes: number;
  /** Where RTP is sent: the latched source, else the SDP address, else undefined. */
  readonly remote: RtpAddress | undefined;
  /** True once valid RTP packets latched the remote source. */
  readonly latched: boolean;
  /** A snapshot of the counters. */
  readonly stats: Readonly<RtpSocketStats>;
  /**
   * Sets the address from the remote SDP (`c=` and `m=` port; RTCP from `a=rtcp` or port+1). Used as
   * the send target until a packet is latched, and as the only accepted source when latching is off.
   */
  setRemote(rtp: RtpAddress, rtcp?: RtpAddress): void;
  /** Forgets the latched source (e.g. after a re-INVITE); learning starts again. */
  unlatch(): void;
  /**
   * The payload types the SDP negotiated (codec, telephone-event, comfort noise): only packets of these
   * count towards latching. Until called, any payload type counts. Absent on fakes.
   */
  setLatchPayloadTypes?(types: readonly number[]): void;
  /** Times another source took over from the latched one (docs/nat.md, re-latch). Absent on fakes. */
  readonly relatches?: number;
  /** The listener for parsed RTP packets from the accepted source (replaces any previous one). */
  onRtp(listener: (packet: RtpPacket) => void): void;
  /** The listener for parsed RTCP compounds from the accepted source (replaces any previous one). */
  onRtcp(listener: (packets: readonly RtcpPacket[]) => void): void;
  /**
   * The listener for sends that failed: synchronously (a destination the OS or Node refuses, e.g. a port
   * out of range) or later, when the datagram could not leave (EACCES to a broadcast address, EINVAL
   * for a family the socket cannot reach, ENETUNREACH). Transient congestion (EAGAIN, ENOBUFS) is only
   * counted. Replaces any previous listener; never called from inside `sendRtp`/`sendRtcp`'s caller
   * stack for asynchronous failures.
   */
  onSendError(listener: (failure: RtpSendFailure) => void): void;
  /**
   * Sends one RTP datagram to `remote`. The bytes are copied, so the caller may reuse its buffer at
   * once. Returns false when no remote is known or the socket is closed (counted in `sendFailed`), and
   * when the send failed at once (also reported to `onSendError`). Never throws.
   */
  sendRtp(bytes: Uint8Array): boolean;
  /**
   * Sends one RTCP compound to the remote RTCP address (or the RTP address when RTCP is multiplexed).
   * Same failure rules as `sendRtp`. Never throws.
   */
  sendRtcp(bytes: Uint8Array): boolean;
  /**
   * Turns SDES-SRTP on (RFC 3711: our key protects every RTP/RTCP datagram sent, the peer's key
   * unprotects every one received; a datagram that fails is dropped and counted) or off (undefined).
   * Setting the same keys again keeps the crypto state (rollover counter, replay window); new keys
   * start fresh.
   */
  setSrtp(srtp: NegotiatedSrtp | undefined): void;
  /** True while SRTP is on. */
  readonly srtp: boolean;
  /** Closes both sockets and releases the port pair (when the promise resolves). Idempotent. */
  close(): Promise<void>;
  /**
   * True once `close()` was called. A socket has no far end that could close it, so it has no `closed`
   * event: only its owner (the leg, else the dialog or the set-up code) ends it.
   */
  readonly closed: boolean;
}

export interface RtpSocketOpenOptions {
  /** Local address to bind, e.g. `127.0.0.1` or `0.0.0.0` (the factory's default when absent). */
  readonly bindAddress?: string;
  /** Latch on the first valid RTP packet's source (symmetric RTP). Default true. */
  readonly latching?: boolean;
}

/** Opens RTP socket pairs on ports from the configured range. */
export interface RtpSocketFactory {
  /**
   * Binds a new RTP/RTCP pair. Rejects with a `ServerError` `ERR_RTP_PORTS_EXHAUSTED` when the range is
   * used up, or `ERR_RTP_BIND_FAILED` when no free pair could be bound.
   */
  open(options?: RtpSocketOpenOptions): Promise<RtpSocket>;
  /** Port pairs held by sockets opened here and not yet closed (a closed socket releases its pair). */
  readonly portsInUse: number;
}
