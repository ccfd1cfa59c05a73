/**
 * Types of the audio offer/answer model (RFC 3264) over SDP (RFC 4566 / RFC 8866).
 */
import type { ParseFailure } from '../../errors/result.js';
import type { NegotiatedSrtp } from './sdes-crypto.js';

/** Media direction attributes (RFC 3264 §5.1, §6.1). */
export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The G.711 codecs we speak (RFC 3551 §4.5.14): PCMU is static PT 0, PCMA static PT 8. */
export type G711Codec = 'PCMU' | 'PCMA';

/**
 * Every audio codec we speak: G.711 and G.722 (RFC 3551 §4.5.2: static PT 9, written `G722/8000` in
 * SDP and timestamped at 8000 Hz although it samples at 16 kHz, an error kept for compatibility).
 */
export type AudioCodec = G711Codec | 'G722';

/** The codec chosen for the audio stream. */
export interface NegotiatedCodec {
  readonly name: AudioCodec;
  readonly payloadType: number;
  /** The RTP clock rate as SDP writes it: 8000 for all three (G.722 included, see `AudioCodec`). */
  readonly clockRateHz: 8000;
}

/** RFC 4733 telephone-event as negotiated: the offerer's dynamic payload type and its event range. */
export interface NegotiatedTelephoneEvent {
  readonly payloadType: number;
  /** fmtp events, e.g. `0-15` or `0-16`; undefined when the offer had none (0-15 implied, RFC 4733 §2.4.1). */
  readonly events?: string;
}

/** The outcome of negotiating one audio stream. */
export interface NegotiatedAudio {
  readonly codec: NegotiatedCodec;
  readonly telephoneEvent?: NegotiatedTelephoneEvent;
  /** Where to send RTP (the peer's c= address and m= port). */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The peer's direction as it wrote it. */
  readonly remoteDirection: SdpDirection;
  /** Our direction (what we write in the answer, or offered). */
  readonly localDirection: SdpDirection;
  /** True when the peer holds the call: sendonly, inactive, or c=0.0.0.0 (RFC 3264 §8.4, RFC 2543 hold). */
  readonly onHold: boolean;
  /** Packetization time we send with, in ms. */
  readonly ptimeMs: number;
  /** SDES-SRTP as agreed (RFC 4568); absent for plain RTP. */
  readonly srtp?: NegotiatedSrtp;
}

/** The `o=` identity of our side of a session (RFC 4566 §5.2); the version increments when our SDP changes. */
export interface SdpOrigin {
  readonly username?: string;
  readonly sessionId: string;
  readonly sessionVersion: number;
}

/** A negotiation failure: a catalogued code plus the SIP status and Warning text to answer with (RFC 3261 §20.43). */
export interface SdpFailure extends ParseFailure {
  /** 488 Not Acceptable Here for nothing supported, 400 for malformed SDP. */
  readonly sipStatus: 400 | 488;
  /** Warning header value, e.g. `304 streamfork "Media type not available"`. */
  readonly warning: string;
}
