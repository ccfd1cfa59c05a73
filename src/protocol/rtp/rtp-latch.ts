/**
 * Symmetric RTP latching (RFC 4961; the NAT case of issue 13): which source a call's RTP is accepted
 * from and sent to. Sans-I/O: the socket adapter feeds every RTP packet that parsed (and, with SRTP,
 * authenticated) with its source and `nowMs`; the latch says whether to deliver it and whether the send
 * target changed. The rule (docs/nat.md#symmetric-rtp-latching):
 *
 * - **Learning** (no latch yet, or after `reset()`): every packet is delivered. A packet counts towards
 *   latching only when its payload type is one the SDP negotiated; `latchPackets` (3) such packets in a
 *   row from one source with one SSRC and consecutive sequence numbers latch that source. A packet from
 *   another source, with another SSRC or a sequence gap starts the count again with itself.
 * - **Latched**: packets from the latched source are delivered whatever their SSRC; a new SSRC from
 *   that source (a media server switch behind the same SBC) simply becomes the latched SSRC. Packets
 *   from any other source are dropped. Another source takes over (re-latch) only when it sent
 *   `latchPackets` negotiated packets in a row with consecutive sequence numbers, the latched source
 *   has been silent for `relatchQuietMs`, **and** its SSRC is the latched one (a NAT that rebound the
 *   far end to a new port keeps the stream's SSRC) or its packets authenticated (SRTP: the sender
 *   holds the key). An active stream cannot be hijacked, and a quiet one (hold, silence suppression)
 *   not by anyone who does not know its 32-bit SSRC: a new stream from elsewhere needs a re-INVITE,
 *   which resets the latch.
 * - **The SDP's address wins**: the source the SDP named (`setExpected`, its `c=` and `m=` port) takes
 *   the latch back from any other after `latchPackets` packets in a row, at once: a stranger who raced
 *   the far end during learning loses the call as soon as the far end (not behind a NAT) talks.
 */

/** A transport address as the latch compares it. */
export interface LatchSource {
  readonly address: string;
  readonly port: number;
}

/** Tuning of {@link RtpLatch}. */
export interface RtpLatchOptions {
  /** Consecutive valid packets that latch a source. Default {@link DEFAULT_LATCH_PACKETS}. */
  readonly latchPackets?: number;
  /** How long the latched source must have been silent before another may take over. Default 500 ms. */
  readonly relatchQuietMs?: number;
}

/** Three packets (60 ms of audio) in a row: one stray or spoofed datagram cannot latch. */
export const DEFAULT_LATCH_PACKETS = 3;
/** 25 packet times without a word from the latched source. */
export const DEFAULT_RELATCH_QUIET_MS = 500;

/** What to do with one packet. */
export interface LatchVerdict {
  /** Hand the packet to the call (false: drop and count it as from another source). */
  readonly deliver: boolean;
  /** Set when this packet latched (or re-latched) its source: the new send target. */
  readonly latched?: LatchSource;
}

interface Candidate {
  address: string;
  port: number;
  ssrc: number;
  nextSeq: number;
  count: number;
}

const DELIVER: LatchVerdict = { deliver: true };
const DROP: LatchVerdict = { deliver: false };

/** The latch of one call's RTP socket. */
export class RtpLatch {
  readonly #latchPackets: number;
  readonly #quietMs: number;
  #payloadTypes: ReadonlySet<number> | undefined;
  #latched: (LatchSource & { ssrc: number }) | undefined;
  #lastFromLatchedMs = 0;
  #candidate: Candidate | undefined;
  #expected: LatchSource | undefined;
  /** The expected source's own run while another is latched (its own slot: interleaving cannot reset it). */
  #expectedRun: Candidate | undefined;
  /** Times another source took over from a latched one. */
  relatches = 0;

  constructor(options: RtpLatchOptions = {}) {
    this.#latchPackets = Math.max(1, options.latchPackets ?? DEFAULT_LATCH_PACKETS);
    this.#quietMs = options.relatchQuietMs ?? DEFAULT_RELATCH_QUIET_MS;
  }

  /** The latched source, if any. */
  get source(): LatchSource | undefined {
    const l = this.#latched;
    return l === undefined ? undefined : { address: l.address, port: l.port };
  }

  /**
   * The payload types the SDP negotiated (codec, telephone-event, comfort noise); only they count
   * towards latching. Undefined (the default, before any SDP): every payload type counts.
   */
  setPayloadTypes(types: readonly number[] | undefined): void {
    this.#payloadTypes = types === undefined ? undefined : new Set(types);
  }

  /** The source the SDP named (`c=` address, `m=` port): it may always take the latch back. */
  setExpected(source: LatchSource | undefined): void {
    this.#expected = source === undefined ? undefined : { address: source.address, port: source.port };
    this.#expectedRun = undefined;
  }

  /** Forgets the latch (a re-INVITE moved the media): learning starts again. */
  reset(): void {
    this.#latched = undefined;
    this.#candidate = undefined;
    this.#expectedRun = undefined;
  }

  #isExpected(address: string, port: number): boolean {
    const e = this.#expected;
    return e?.port === port && e.address === address;
  }

  /**
   * The check before any parsing or SRTP work: true for a datagram from another source while the
   * latched one is active (it could not re-latch, so a flood from elsewhere costs only this).
   */
  screensOut(address: string, port: number, nowMs: number): boolean {
    const l = this.#latched;
    if (l === undefined || (l.port === port && l.address === address) || this.#isExpected(address, port)) {
      return false;
    }
    if (nowMs - this.#lastFromLatchedMs < this.#quietMs) {
      this.#candidate = undefined;
      return true;
    }
    return false;
  }

  /**
   * One parsed RTP packet from `address:port`; `authenticated` when SRTP verified it (then a new SSRC
   * from another source may re-latch).
   */
  packet(
    address: string,
    port: number,
    ssrc: number,
    payloadType: number,
    sequenceNumber: number,
    nowMs: number,
    authenticated = false,
  ): LatchVerdict {
    const latched = this.#latched;
    if (latched?.port === port && latched.address === address) {
      this.#lastFromLatchedMs = nowMs;
      this.#candidate = undefined;
      if (ssrc !== latched.ssrc) {
        this.#latched = { ...latched, ssrc };
      }
      return DELIVER;
    }
    if (latched !== undefined && this.#isExpected(address, port)) {
      this.#expectedRun = this.#advance(this.#expectedRun, address, port, ssrc, payloadType, sequenceNumber);
      if ((this.#expectedRun?.count ?? 0) >= this.#latchPackets) {
        this.relatches++;
        return this.#latch(address, port, ssrc, nowMs);
      }
      return DROP;
    }
    const counted = this.#count(address, port, ssrc, payloadType, sequenceNumber);
    if (latched === undefined) {
      if (counted >= this.#latchPackets) {
        return this.#latch(address, port, ssrc, nowMs);
      }
      return DELIVER;
    }
    if (
      counted >= this.#latchPackets &&
      nowMs - this.#lastFromLatchedMs >= this.#quietMs &&
      (authenticated || ssrc === latched.ssrc)
    ) {
      this.relatches++;
      return this.#latch(address, port, ssrc, nowMs);
    }
    return DROP;
  }

  #latch(address: string, port: number, ssrc: number, nowMs: number): LatchVerdict {
    this.#latched = { address, port, ssrc };
    this.#lastFromLatchedMs = nowMs;
    this.#candidate = undefined;
    this.#expectedRun = undefined;
    return { deliver: true, latched: { address, port } };
  }

  /** Advances (or restarts) the candidate; returns its count, 0 when the packet cannot count. */
  #count(address: string, port: number, ssrc: number, payloadType: number, seq: number): number {
    if (this.#payloadTypes !== undefined && !this.#payloadTypes.has(payloadType)) {
      return 0;
    }
    this.#candidate = this.#advance(this.#candidate, address, port, ssrc, payloadType, seq);
    return this.#candidate?.count ?? 0;
  }

  /**
   * One packet on a run: the same source, SSRC and next sequence number extend it; anything else
   * starts a new run with this packet. A payload type the SDP did not negotiate leaves it as it is.
   */
  #advance(
    run: Candidate | undefined,
    address: string,
    port: number,
    ssrc: number,
    payloadType: number,
    seq: number,
  ): Candidate | undefined {
    if (this.#payloadTypes !== undefined && !this.#payloadTypes.has(payloadType)) {
      return run;
    }
    if (run?.address === address && run.port === port && run.ssrc === ssrc && run.nextSeq === seq) {
      run.count++;
      run.nextSeq = (seq + 1) & 0xffff;
      return run;
    }
    return { address, port, ssrc, nextSeq: (seq + 1) & 0xffff, count: 1 };
  }
}
