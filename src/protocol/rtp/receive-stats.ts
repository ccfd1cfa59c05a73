/**
 * Receiver statistics of one RTP source, for the report block of an RR or SR (RFC 3550 §6.4.1):
 * extended highest sequence number and cycle count (A.1), cumulative and fraction lost (A.3),
 * interarrival jitter (§6.4.1, A.8), and LSR/DLSR from the source's sender reports.
 * Sans-I/O: arrival times are the caller's monotonic milliseconds.
 */
import { ntpMiddle32, type RtcpReportBlock } from './rtcp.js';

/** A.1: a jump of at least this many is not an ordinary gap. */
const MAX_DROPOUT = 3000;
/** A.1: a backwards step of at most this many is reordering, not a restart. */
const MAX_MISORDER = 100;
const SEQ_MOD = 0x10000;

function int32(v: number): number {
  return v | 0;
}

/**
 * Statistics of one source (one SSRC). Create a new instance when the SSRC changes. Unlike A.1 there is
 * no probation: the first packet initialises the sequence state (a latched symmetric-RTP source is
 * already trusted). A jump of MAX_DROPOUT or more (forwards) or more than MAX_MISORDER (backwards) is
 * ignored unless the next packet follows it, in which case the sequence restarts there (A.1 `bad_seq`).
 */
export class RtpReceiveStats {
  readonly ssrc: number;
  readonly clockRateHz: number;
  #initialised = false;
  #baseSeq = 0;
  #maxSeq = 0;
  #cycles = 0;
  #badSeq = SEQ_MOD + 1;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #jitter = 0;
  #lastArrivalMs = 0;
  #lastTimestamp = 0;
  #haveTransit = false;
  #lastSr = 0;
  #lastSrArrivalMs: number | undefined;

  /** @param clockRateHz RTP clock rate (8000 for G.711). */
  constructor(ssrc: number, clockRateHz = 8000) {
    this.ssrc = ssrc >>> 0;
    this.clockRateHz = clockRateHz;
  }

  #init(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
    this.#initialised = true;
  }

  /**
   * Records one RTP packet of this source.
   * @param sequenceNumber 16-bit RTP sequence number.
   * @param rtpTimestamp 32-bit RTP timestamp.
   * @param arrivalMs monotonic arrival time in milliseconds.
   * @returns false when the packet was set aside as a sequence jump (A.1 "bad" sequence).
   */
  onPacket(sequenceNumber: number, rtpTimestamp: number, arrivalMs: number): boolean {
    const seq = sequenceNumber & 0xffff;
    if (!this.#initialised) {
      this.#init(seq);
    } else {
      const udelta = (seq - this.#maxSeq + SEQ_MOD) % SEQ_MOD;
      if (udelta < MAX_DROPOUT) {
        if (seq < this.#maxSeq) {
          this.#cycles += SEQ_MOD;
        }
        this.#maxSeq = seq;
      } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
        if (seq !== this.#badSeq) {
          this.#badSeq = (seq + 1) % SEQ_MOD;
          return false;
        }
        this.#init(seq);
        this.#haveTransit = false;
      }
      // else: duplicate or reordered packet; counted below
    }
    this.#received++;
    this.#updateJitter(rtpTimestamp >>> 0, arrivalMs);
    return true;
  }

  /** A.8: J += (|D| - J) / 16 with D the change in relative transit time, in timestamp units. */
  #updateJitter(ts: number, arrivalMs: number): void {
    if (this.#haveTransit) {
      const arrivalUnits = ((arrivalMs - this.#lastArrivalMs) * this.clockRateHz) / 1000;
      const d = Math.abs(arrivalUnits - int32(ts - this.#lastTimestamp));
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#haveTransit = true;
    this.#lastArrivalMs = arrivalMs;
    this.#lastTimestamp = ts;
  }

  /**
   * Records a sender report of this source (for LSR and DLSR).
   * @param arrivalMs monotonic arrival time in milliseconds.
   */
  onSenderReport(ntpSeconds: number, ntpFraction: number, arrivalMs: number): void {
    this.#lastSr = ntpMiddle32(ntpSeconds, ntpFraction);
    this.#lastSrArrivalMs = arrivalMs;
  }

  /** Packets received, duplicates included (A.3). */
  get packetsReceived(): number {
    return this.#received;
  }

  /** Extended highest sequence number received: cycles plus the highest 16-bit number (A.1). */
  get extendedHighestSequence(): number {
    return (this.#cycles + this.#maxSeq) >>> 0;
  }

  /** Packets expected minus received since the first packet; negative with duplicates (A.3). */
  get cumulativeLost(): number {
    if (!this.#initialised) {
      return 0;
    }
    return this.#cycles + this.#maxSeq - this.#baseSeq + 1 - this.#received;
  }

  /** Interarrival jitter in timestamp units (A.8). */
  get jitter(): number {
    return this.#jitter;
  }

  /** Interarrival jitter in milliseconds. */
  get jitterMs(): number {
    return (this.#jitter * 1000) / this.clockRateHz;
  }

  /**
   * The report block for this source at `nowMs`, and the start of a new reporting interval: the
   * fraction lost is computed over the interval since the previous call (A.3).
   */
  reportBlock(nowMs: number): RtcpReportBlock {
    const expected = this.#initialised ? this.#cycles + this.#maxSeq - this.#baseSeq + 1 : 0;
    const expectedInterval = expected - this.#expectedPrior;
    this.#expectedPrior = expected;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0
        ? 0
        : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    const lsrAt = this.#lastSrArrivalMs;
    return {
      ssrc: this.ssrc,
      fractionLost,
      cumulativeLost: Math.max(-0x800000, Math.min(0x7fffff, this.cumulativeLost)),
      highestSequence: this.extendedHighestSequence,
      jitter: Math.floor(this.#jitter) >>> 0,
      lastSr: lsrAt === undefined ? 0 : this.#lastSr,
      delaySinceLastSr:
        lsrAt === undefined ? 0 : Math.max(0, Math.round(((nowMs - lsrAt) * 65536) / 1000)) >>> 0,
    };
  }
}
