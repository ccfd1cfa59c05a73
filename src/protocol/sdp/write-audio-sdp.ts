/**
 * Writes our SDP (RFC 4566 §5) for one audio stream, as an offer or as an answer that mirrors the offer's
 * m= lines (RFC 3264 §6: same number and order of m= lines, rejected ones with port 0).
 */
import sdpTransform from 'sdp-transform';
import type { MediaAttributes, MediaDescription, SessionDescription } from 'sdp-transform';

import { inlineKey, type SdesCrypto } from './sdes-crypto.js';
import { addrTypeOf, payloadTokens, STATIC_PT } from './sdp-audio.js';
import type {
  AudioCodec,
  G711Codec,
  NegotiatedCodec,
  NegotiatedTelephoneEvent,
  SdpDirection,
  SdpOrigin,
} from './sdp.types.js';

/** What to write. */
export interface AudioSdpSpec {
  readonly origin: SdpOrigin;
  readonly address: string;
  readonly port: number;
  /** Codecs in preference order (one in an answer). */
  readonly codecs: readonly NegotiatedCodec[];
  readonly telephoneEvent?: NegotiatedTelephoneEvent;
  readonly ptimeMs: number;
  readonly direction: SdpDirection;
  /** The m= transport profile. Default `RTP/AVP`; `RTP/SAVP` for SRTP (RFC 3711 §12). */
  readonly protocol?: string;
  /** `a=crypto` lines (RFC 4568), in order. */
  readonly crypto?: readonly SdesCrypto[];
  /** For answers: the offer's m= lines and the index of the audio stream we accept. */
  readonly mirror?: readonly MediaDescription[];
  readonly audioIndex?: number;
}

function audioMedia(spec: AudioSdpSpec): MediaDescription {
  const rtp: MediaAttributes['rtp'] = spec.codecs.map((c) => ({
    payload: c.payloadType,
    codec: c.name,
    rate: 8000,
  }));
  const fmtp: MediaAttributes['fmtp'] = [];
  const pts = spec.codecs.map((c) => c.payloadType);
  if (spec.telephoneEvent !== undefined) {
    pts.push(spec.telephoneEvent.payloadType);
    rtp.push({ payload: spec.telephoneEvent.payloadType, codec: 'telephone-event', rate: 8000 });
    if (spec.telephoneEvent.events !== undefined) {
      fmtp.push({ payload: spec.telephoneEvent.payloadType, config: spec.telephoneEvent.events });
    }
  }
  const crypto = spec.crypto ?? [];
  return {
    type: 'audio',
    port: spec.port,
    protocol: spec.protocol ?? 'RTP/AVP',
    payloads: pts.join(' '),
    rtp,
    fmtp,
    ptime: spec.ptimeMs,
    direction: spec.direction,
    ...(crypto.length === 0
      ? {}
      : { crypto: crypto.map((c) => ({ id: c.tag, suite: c.suite, config: inlineKey(c.key) })) }),
  };
}

function rejected(m: MediaDescription): MediaDescription {
  const first = payloadTokens(m)[0] ?? '0';
  return { type: m.type, port: 0, protocol: m.protocol, payloads: first, rtp: [], fmtp: [] };
}

/** Serializes the SDP described by `spec` with CRLF line ends. */
export function writeAudioSdp(spec: AudioSdpSpec): string {
  const ipVer = addrTypeOf(spec.address);
  const media =
    spec.mirror === undefined
      ? [audioMedia(spec)]
      : spec.mirror.map((m, i) => (i === spec.audioIndex ? audioMedia(spec) : rejected(m)));
  const session: SessionDescription = {
    version: 0,
    origin: {
      username: spec.origin.username ?? 'streamfork',
      sessionId: spec.origin.sessionId,
      sessionVersion: spec.origin.sessionVersion,
      netType: 'IN',
      ipVer,
      address: spec.address,
    },
    name: 'streamfork',
    connection: { version: ipVer, ip: spec.address },
    timing: { start: 0, stop: 0 },
    media,
  };
  return sdpTransform.write(session);
}

/** The static PT of a G.711 codec as a NegotiatedCodec. */
export function g711(name: G711Codec): NegotiatedCodec {
  return staticCodec(name);
}

/** Any of our codecs at its static PT (RFC 3551 Table 4), as a NegotiatedCodec. */
export function staticCodec(name: AudioCodec): NegotiatedCodec {
  return { name, payloadType: STATIC_PT[name], clockRateHz: 8000 };
}
