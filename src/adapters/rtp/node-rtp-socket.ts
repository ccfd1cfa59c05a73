/**
 * `RtpSocket` over node:dgram: an RTP socket on an even port and an RTCP socket on the next one, with
 * an explicitly sized receive buffer (docs: spec/dependencies.md §4, "the floor cost of forwarding":
 * the kernel default of ~208 KB dropped 26 % of packets in bursts) and symmetric RTP (RFC 4961) by the
 * latching rule of `RtpLatch` (docs/nat.md: three valid packets in a row latch, re-latch after 500 ms quiet).
 * RTCP multiplexed on the RTP port (RFC 5761) is recognised and delivered too.
 */
import dgram from 'node:dgram';

import { ServerError } from '../../errors/server-error.js';
import type {
  RtpAddress,
  RtpSendFailure,
  RtpSocket,
  RtpSocketFactory,
  RtpSocketOpenOptions,
  RtpSocketStats,
} from '../../ports/rtp-socket.js';
import { looksLikeRtcp, parseRtpPacket, type RtpPacket } from '../../protocol/rtp/packet.js';
import { parseRtcpCompound, type RtcpPacket } from '../../protocol/rtp/rtcp.js';
import { RtpLatch, type RtpLatchOptions } from '../../protocol/rtp/rtp-latch.js';
import type { NegotiatedSrtp } from '../../protocol/sdp/sdes-crypto.js';
import { SrtpContext, type SrtpUnprotectResult } from '../../protocol/srtp/srtp-context.js';
import type { RtpPortAllocator } from './rtp-port-allocator.js';

export interface NodeRtpSocketFactoryOptions {
  readonly allocator: RtpPortAllocator;
  /** Default bind address. Default `0.0.0.0`. */
  readonly bindAddress?: string;
  /** Requested UDP receive buffer per socket, in bytes. Default 1 MiB. */
  readonly recvBufferBytes?: number;
  /** How many port pairs to try when binding fails (in use by another process). Default 16. */
  readonly bindAttempts?: number;
  /** Symmetric-RTP latching rule (tests shorten it). Default: 3 packets, 500 ms quiet before a re-latch. */
  readonly latch?: RtpLatchOptions;
  /** Monotonic milliseconds for the latch's quiet period. Default `performance.now`. */
  readonly nowMs?: () => number;
}

/**
 * Sends are copied into MTU-sized buffers that return to a free list when node:dgram reports the send
 * complete (dgram sends asynchronously, after at least one tick). Steady state allocates nothing; a
 * burst allocates up to this many extra buffers, beyond which copies are left to the garbage collector.
 */
const MAX_FREE_BUFFERS = 64;
const MTU = 1500;
/** Send slots have room for the SRTCP index and the longest tag after an MTU-sized packet. */
const SLOT_BYTES = MTU + 14;

/** One call's SRTP: the key it was built from and the two contexts (ours protects, the peer's unprotects). */
interface SrtpPair {
  readonly negotiated: NegotiatedSrtp;
  readonly tx: SrtpContext;
  readonly rx: SrtpContext;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameSrtp(a: NegotiatedSrtp, b: NegotiatedSrtp): boolean {
  return (
    a.suite === b.suite &&
    sameBytes(a.local.key, b.local.key) &&
    sameBytes(a.local.salt, b.local.salt) &&
    sameBytes(a.remote.key, b.remote.key) &&
    sameBytes(a.remote.salt, b.remote.salt)
  );
}

function bindSocket(type: 'udp4' | 'udp6', address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type, reuseAddr: false });
    const onError = (err: Error): void => {
      s.close();
      reject(err);
    };
    s.once('error', onError);
    s.bind({ address, port, exclusive: true }, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

function closeSocket(s: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => {
        resolve();
      });
    } catch {
      resolve(); // already closed
    }
  });
}

/** Errors that mean a full queue, not a bad destination: the datagram is lost, the call goes on. */
const TRANSIENT_SEND_ERRORS: ReadonlySet<string> = new Set(['EAGAIN', 'EWOULDBLOCK', 'ENOBUFS', 'EINTR']);

function errorCode(err: unknown): string {
  const code: unknown =
    typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** The RTCP address for an RTP address without `a=rtcp`: the next port (RFC 3550 §11), if there is one. */
function rtcpNextTo(rtp: RtpAddress): RtpAddress | undefined {
  return rtp.port < 65535 ? { address: rtp.address, port: rtp.port + 1 } : undefined;
}

function sameAddress(a: RtpAddress | undefined, rinfo: dgram.RemoteInfo): boolean {
  return a?.port === rinfo.port && a.address === rinfo.address;
}

class NodeRtpSocket implements RtpSocket {
  readonly localAddress: string;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly recvBufferBytes: number;
  readonly #rtp: dgram.Socket;
  readonly #rtcp: dgram.Socket;
  readonly #latching: boolean;
  readonly #latch: RtpLatch;
  readonly #now: () => number;
  readonly #release: () => void;
  readonly #stats: RtpSocketStats = {
    rtpReceived: 0,
    rtcpReceived: 0,
    malformed: 0,
    lastMalformedCode: undefined,
    otherSource: 0,
    rtpSent: 0,
    rtcpSent: 0,
    sendFailed: 0,
    listenerErrors: 0,
    srtpAuthFailures: 0,
    srtpReplays: 0,
    srtpMalformed: 0,
  };
  #srtp: SrtpPair | undefined;
  readonly #free: Uint8Array[] = [];
  #sdpRtp: RtpAddress | undefined;
  #sdpRtcp: RtpAddress | undefined;
  #latchedRtp: RtpAddress | undefined;
  #latchedRtcp: RtpAddress | undefined;
  #rtcpMux = false;
  #closed: Promise<void> | undefined;
  #onRtp: (packet: RtpPacket) => void = () => undefined;
  #onRtcp: (packets: readonly RtcpPacket[]) => void = () => undefined;
  #onSendError: (failure: RtpSendFailure) => void = () => undefined;

  constructor(
    rtp: dgram.Socket,
    rtcp: dgram.Socket,
    latching: boolean,
    recvBufferBytes: number,
    release: () => void,
    latch: RtpLatch = new RtpLatch(),
    now: () => number = () => performance.now(),
  ) {
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.#latching = latching;
    this.#latch = latch;
    this.#now = now;
    this.#release = release;
    this.recvBufferBytes = recvBufferBytes;
    const local = rtp.address();
    this.localAddress = local.address;
    this.rtpPort = local.port;
    this.rtcpPort = rtcp.address().port;
    rtp.on('message', (msg, rinfo) => {
      this.#onRtpDatagram(msg, rinfo);
    });
    rtcp.on('message', (msg, rinfo) => {
      this.#onRtcpDatagram(msg, rinfo, false);
    });
    // A UDP socket reports ICMP port-unreachable and similar as 'error'; RTP carries on regardless.
    rtp.on('error', () => undefined);
    rtcp.on('error', () => undefined);
  }

  get remote(): RtpAddress | undefined {
    return this.#latchedRtp ?? this.#sdpRtp;
  }

  get latched(): boolean {
    return this.#latchedRtp !== undefined;
  }

  get stats(): Readonly<RtpSocketStats> {
    return { ...this.#stats };
  }

  setRemote(rtp: RtpAddress, rtcp?: RtpAddress): void {
    this.#sdpRtp = { address: rtp.address, port: rtp.port };
    this.#latch.setExpected(this.#sdpRtp);
    this.#sdpRtcp = rtcp ?? rtcpNextTo(rtp);
  }

  unlatch(): void {
    this.#latchedRtp = undefined;
    this.#latchedRtcp = undefined;
    this.#latch.reset();
  }

  setLatchPayloadTypes(types: readonly number[]): void {
    this.#latch.setPayloadTypes(types);
  }

  get relatches(): number {
    return this.#latch.relatches;
  }

  get srtp(): boolean {
    return this.#srtp !== undefined;
  }

  setSrtp(srtp: NegotiatedSrtp | undefined): void {
    if (srtp === undefined) {
      this.#srtp = undefined;
      return;
    }
    if (this.#srtp !== undefined && sameSrtp(this.#srtp.negotiated, srtp)) {
      return;
    }
    this.#srtp = { negotiated: srtp, tx: new SrtpContext(srtp.local), rx: new SrtpContext(srtp.remote) };
  }

  /** Counts an SRTP failure; true when the datagram may go on. */
  #srtpPassed(result: SrtpUnprotectResult): result is { ok: true; length: number } {
    if (result.ok) {
      return true;
    }
    switch (result.reason) {
      case 'auth-failed': {
        this.#stats.srtpAuthFailures++;
        break;
      }
      case 'replayed':
      case 'too-old': {
        this.#stats.srtpReplays++;
        break;
      }
      case 'malformed': {
        this.#stats.srtpMalformed++;
        break;
      }
    }
    return false;
  }

  onRtp(listener: (packet: RtpPacket) => void): void {
    this.#onRtp = listener;
  }

  onRtcp(listener: (packets: readonly RtcpPacket[]) => void): void {
    this.#onRtcp = listener;
  }

  onSendError(listener: (failure: RtpSendFailure) => void): void {
    this.#onSendError = listener;
  }

  #sendFailed(kind: 'rtp' | 'rtcp', err: unknown, to: RtpAddress): void {
    this.#stats.sendFailed++;
    const code = errorCode(err);
    if (TRANSIENT_SEND_ERRORS.has(code) || this.#closed !== undefined) {
      return;
    }
    try {
      this.#onSendError({ kind, code, message: err instanceof Error ? err.message : String(err), to });
    } catch {
      this.#stats.listenerErrors++;
    }
  }

  #onRtpDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (looksLikeRtcp(msg)) {
      this.#onRtcpDatagram(msg, rinfo, true);
      return;
    }
    const now = this.#latching ? this.#now() : 0;
    const fixed = this.#latching ? undefined : this.#sdpRtp;
    if (
      fixed !== undefined
        ? !sameAddress(fixed, rinfo)
        : this.#latching && this.#latch.screensOut(rinfo.address, rinfo.port, now)
    ) {
      // Dropped on the source alone: a flood from elsewhere costs a comparison, not a parse.
      this.#stats.otherSource++;
      return;
    }
    let bytes: Uint8Array = msg;
    if (this.#srtp !== undefined) {
      // Authenticated before anything else looks at it: a forged packet neither latches nor plays.
      const opened = this.#srtp.rx.unprotectRtp(msg, msg.length);
      if (!this.#srtpPassed(opened)) {
        return;
      }
      bytes = msg.subarray(0, opened.length);
    }
    const parsed = parseRtpPacket(bytes);
    if (!parsed.ok) {
      this.#stats.malformed++;
      this.#stats.lastMalformedCode = parsed.error.code;
      return;
    }
    if (this.#latching) {
      const p = parsed.value;
      const verdict = this.#latch.packet(
        rinfo.address,
        rinfo.port,
        p.ssrc,
        p.payloadType,
        p.sequenceNumber,
        now,
        this.#srtp !== undefined,
      );
      if (!verdict.deliver) {
        this.#stats.otherSource++;
        return;
      }
      if (verdict.latched !== undefined) {
        // A new RTP source: its RTCP is learnt again from that host (or taken as RTP port + 1).
        this.#latchedRtp = verdict.latched;
        this.#latchedRtcp = undefined;
      }
    }
    this.#stats.rtpReceived++;
    try {
      this.#onRtp(parsed.value);
    } catch {
      this.#stats.listenerErrors++;
    }
  }

  #onRtcpDatagram(msg: Buffer, rinfo: dgram.RemoteInfo, muxed: boolean): void {
    // The source is checked before parsing: a flood from elsewhere costs a comparison, not a parse.
    let accepted: boolean;
    if (muxed) {
      const latched = this.#latchedRtp ?? (this.#latching ? undefined : this.#sdpRtp);
      accepted = latched === undefined || sameAddress(latched, rinfo);
    } else {
      const host = this.#latchedRtp?.address ?? (this.#latching ? undefined : this.#sdpRtcp?.address);
      accepted =
        this.#latchedRtcp === undefined
          ? host === undefined || host === rinfo.address
          : sameAddress(this.#latchedRtcp, rinfo);
    }
    if (!accepted) {
      this.#stats.otherSource++;
      return;
    }
    let bytes: Uint8Array = msg;
    if (this.#srtp !== undefined) {
      const opened = this.#srtp.rx.unprotectRtcp(msg, msg.length);
      if (!this.#srtpPassed(opened)) {
        return;
      }
      bytes = msg.subarray(0, opened.length);
    }
    const parsed = parseRtcpCompound(bytes);
    if (!parsed.ok) {
      this.#stats.malformed++;
      this.#stats.lastMalformedCode = parsed.error.code;
      return;
    }
    if (muxed) {
      this.#rtcpMux = true;
    } else {
      this.#latchedRtcp ??= { address: rinfo.address, port: rinfo.port };
    }
    this.#stats.rtcpReceived++;
    try {
      this.#onRtcp(parsed.value);
    } catch {
      this.#stats.listenerErrors++;
    }
  }

  /**
   * Never throws: node:dgram throws at once for a destination it refuses (ERR_SOCKET_BAD_PORT,
   * ERR_SOCKET_DGRAM_NOT_RUNNING, ...) and reports the others in the callback; both reach the
   * `onSendError` listener, the synchronous ones after this call returns (a microtask later), so a
   * listener that ends the call never runs inside the caller's send.
   */
  #send(kind: 'rtp' | 'rtcp', socket: dgram.Socket, bytes: Uint8Array, to: RtpAddress | undefined): boolean {
    if (to === undefined || this.#closed !== undefined || bytes.length > MTU) {
      this.#stats.sendFailed++;
      return false;
    }
    const slot = this.#free.pop() ?? new Uint8Array(SLOT_BYTES);
    slot.set(bytes);
    let length = bytes.length;
    if (this.#srtp !== undefined) {
      const sealed =
        kind === 'rtp' ? this.#srtp.tx.protectRtp(slot, length) : this.#srtp.tx.protectRtcp(slot, length);
      if (!sealed.ok) {
        this.#free.push(slot);
        this.#stats.sendFailed++;
        return false;
      }
      length = sealed.length;
    }
    try {
      socket.send(slot, 0, length, to.port, to.address, (err) => {
        if (this.#free.length < MAX_FREE_BUFFERS) {
          this.#free.push(slot);
        }
        if (err) {
          this.#sendFailed(kind, err, to);
        }
      });
    } catch (err) {
      queueMicrotask(() => {
        this.#sendFailed(kind, err, to);
      });
      return false;
    }
    return true;
  }

  sendRtp(bytes: Uint8Array): boolean {
    const ok = this.#send('rtp', this.#rtp, bytes, this.remote);
    if (ok) {
      this.#stats.rtpSent++;
    }
    return ok;
  }

  sendRtcp(bytes: Uint8Array): boolean {
    const latched = this.#latchedRtp;
    let to: RtpAddress | undefined;
    let socket = this.#rtcp;
    if (this.#rtcpMux) {
      to = this.remote;
      socket = this.#rtp;
    } else {
      to = this.#latchedRtcp ?? (latched === undefined ? this.#sdpRtcp : rtcpNextTo(latched));
    }
    const ok = this.#send('rtcp', socket, bytes, to);
    if (ok) {
      this.#stats.rtcpSent++;
    }
    return ok;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  close(): Promise<void> {
    this.#closed ??= Promise.all([closeSocket(this.#rtp), closeSocket(this.#rtcp)]).then(() => {
      this.#release();
    });
    return this.#closed;
  }
}

function applyRecvBuffer(s: dgram.Socket, bytes: number): number {
  try {
    s.setRecvBufferSize(bytes);
  } catch {
    // The OS refused the size; keep what it granted by default and report it below.
  }
  try {
    return s.getRecvBufferSize();
  } catch {
    return 0;
  }
}

/**
 * Opens `RtpSocket`s on ports from an `RtpPortAllocator`. A pair already bound by another process is
 * skipped (up to `bindAttempts` pairs); the allocator's port is released when the socket closes.
 */
export class NodeRtpSocketFactory implements RtpSocketFactory {
  readonly #opts: NodeRtpSocketFactoryOptions;

  constructor(opts: NodeRtpSocketFactoryOptions) {
    this.#opts = opts;
  }

  get portsInUse(): number {
    return this.#opts.allocator.inUse;
  }

  async open(options: RtpSocketOpenOptions = {}): Promise<RtpSocket> {
    const { allocator } = this.#opts;
    const address = options.bindAddress ?? this.#opts.bindAddress ?? '0.0.0.0';
    const type = address.includes(':') ? 'udp6' : 'udp4';
    const attempts = Math.min(this.#opts.bindAttempts ?? 16, allocator.capacity);
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      const port = allocator.allocate(); // throws ERR_RTP_PORTS_EXHAUSTED
      let rtp: dgram.Socket | undefined;
      try {
        rtp = await bindSocket(type, address, port);
        const rtcp = await bindSocket(type, address, port + 1);
        const requested = this.#opts.recvBufferBytes ?? 1024 * 1024;
        const granted = applyRecvBuffer(rtp, requested);
        applyRecvBuffer(rtcp, Math.min(requested, 256 * 1024));
        return new NodeRtpSocket(
          rtp,
          rtcp,
          options.latching ?? true,
          granted,
          () => {
            allocator.release(port);
          },
          new RtpLatch(this.#opts.latch),
          this.#opts.nowMs,
        );
      } catch (err) {
        lastError = err;
        if (rtp !== undefined) {
          await closeSocket(rtp);
        }
        allocator.release(port);
      }
    }
    throw new ServerError(
      'ERR_RTP_BIND_FAILED',
      `no RTP port pair could be bound on ${address} after ${attempts} attempts`,
      {
        cause: lastError,
      },
    );
  }
}
