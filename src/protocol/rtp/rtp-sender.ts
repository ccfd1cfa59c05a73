/**
 * The sending side of one RTP stream: SSRC, sequence numbers and the media timestamp clock
 * (RFC 3550 §5.1, §8; RFC 3551 §4.1 for the marker bit). Sans-I/O: randomness is injected and time is
 * the caller's 20 ms tick. Audio and RFC 4733 telephone-events share the SSRC and sequence space.
 */
import { type RtpHeader, writeRtpPacket } from './packet.js';

/** A source of uniform random integers (the `Random` port fits). Used only at construction. */
export interface RtpRandomSource {
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

export interface RtpSenderOptions {
  /** Payload type of audio frames (0 = PCMU, 8 = PCMA, RFC 3551 §6). */
  readonly payloadType: number;
  /** Initial SSRC, sequence number and timestamp are drawn from it (RFC 3550 §5.1: random). */
  readonly random: RtpRandomSource;
  /** Timestamp units per frame. Default 160 (20 ms at 8000 Hz). */
  readonly samplesPerFrame?: number;
}

/** A mutable header the sender refills for every packet (no allocation per frame). */
interface MutableHeader {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
}

/**
 * Sequencer for one outgoing RTP stream. Per 20 ms tick the engine calls exactly one of
 * `writeAudio` (send an audio frame), `header` + `advance` (send something else, e.g. a telephone-event),
 * or `advance` alone (send nothing). The timestamp advances by `samplesPerFrame` per tick whether or not
 * a packet was sent, so it tracks the sampling clock (RFC 3550 §5.1). An audio frame gets the marker bit
 * when it starts a talkspurt: the first audio frame, or the first after a tick without audio.
 */
export class RtpSender {
  /** 32-bit SSRC chosen at random. */
  readonly ssrc: number;
  readonly payloadType: number;
  readonly samplesPerFrame: number;
  #sequence: number;
  #timestamp: number;
  #audioLastTick = false;
  #audioThisTick = false;
  #packetsSent = 0;
  #octetsSent = 0;
  readonly #scratch: MutableHeader;

  constructor(opts: RtpSenderOptions) {
    this.payloadType = opts.payloadType;
    this.samplesPerFrame = opts.samplesPerFrame ?? 160;
    this.ssrc = opts.random.int(0x100000000) >>> 0;
    this.#sequence = opts.random.int(0x10000) & 0xffff;
    this.#timestamp = opts.random.int(0x100000000) >>> 0;
    this.#scratch = {
      marker: false,
      payloadType: this.payloadType,
      sequenceNumber: 0,
      timestamp: 0,
      ssrc: this.ssrc,
    };
  }

  /** RTP timestamp of the current tick (the sampling instant of its first sample). */
  get timestamp(): number {
    return this.#timestamp;
  }

  /** Sequence number the next packet will carry. */
  get nextSequenceNumber(): number {
    return this.#sequence;
  }

  /** Packets sent so far (sender's packet count for an SR, RFC 3550 §6.4.1). */
  get packetsSent(): number {
    return this.#packetsSent;
  }

  /** Payload octets sent so far (sender's octet count for an SR, RFC 3550 §6.4.1). */
  get octetsSent(): number {
    return this.#octetsSent;
  }

  /**
   * Takes the next sequence number for a packet of `payloadType` at `timestamp` (default: this tick's)
   * and returns its header. Does not advance the tick.
   */
  header(
    payloadType: number,
    marker: boolean,
    payloadLength: number,
    timestamp = this.#timestamp,
  ): RtpHeader {
    const h: RtpHeader = {
      marker,
      payloadType,
      sequenceNumber: this.#sequence,
      timestamp: timestamp >>> 0,
      ssrc: this.ssrc,
    };
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#packetsSent++;
    this.#octetsSent += payloadLength;
    return h;
  }

  /**
   * Writes this tick's audio packet into `out` without allocating and marks the tick as audio; returns
   * its length. Call `advance()` after it, once per tick.
   */
  writeAudio(out: Uint8Array, payload: Uint8Array): number {
    const h = this.#scratch;
    h.marker = !this.#audioLastTick;
    h.sequenceNumber = this.#sequence;
    h.timestamp = this.#timestamp;
    const n = writeRtpPacket(out, h, payload);
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#packetsSent++;
    this.#octetsSent += payload.length;
    this.#audioThisTick = true;
    return n;
  }

  /** Ends the tick: the timestamp moves on by `frames` frames (default 1). */
  advance(frames = 1): void {
    this.#timestamp = (this.#timestamp + frames * this.samplesPerFrame) >>> 0;
    this.#audioLastTick = this.#audioThisTick;
    this.#audioThisTick = false;
  }
}
