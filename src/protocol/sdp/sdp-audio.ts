/**
 * Reading audio media descriptions (RFC 4566 §5.14, RFC 3551 static payload types, RFC 4733
 * telephone-event), shared by the answerer and the offer reader.
 */
import type { MediaDescription, SessionDescription } from 'sdp-transform';

import type { AudioCodec, NegotiatedTelephoneEvent, SdpDirection } from './sdp.types.js';

/** Static payload types of our codecs (RFC 3551 Table 4). */
export const STATIC_PT: Readonly<Record<AudioCodec, number>> = { PCMU: 0, PCMA: 8, G722: 9 };

/** Whether an offered format (upper-case name, SDP clock rate) is one of `ours`. */
export function isOurCodec(
  format: OfferedFormat,
  ours: readonly AudioCodec[],
): format is OfferedFormat & { name: AudioCodec } {
  // G.722 too is 8000 here (RFC 3551 §4.5.2); a `G722/16000` would imply a 16 kHz timestamp clock.
  return format.clockRateHz === 8000 && (ours as readonly string[]).includes(format.name);
}

/** One payload type as offered: the codec name (upper case) and clock rate. */
export interface OfferedFormat {
  readonly payloadType: number;
  readonly name: string;
  readonly clockRateHz: number;
}

/**
 * The format tokens of an m= line. sdp-transform turns a single numeric format into a number, whatever
 * its typings say, so both shapes are handled.
 */
export function payloadTokens(media: MediaDescription): string[] {
  const raw: unknown = media.payloads;
  const text = typeof raw === 'number' ? raw.toString() : typeof raw === 'string' ? raw : '';
  return text
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '');
}

/** The payload types of an m= line in offer order, resolved through rtpmap or the static table. */
export function offeredFormats(media: MediaDescription): OfferedFormat[] {
  const out: OfferedFormat[] = [];
  for (const token of payloadTokens(media)) {
    if (!/^\d{1,3}$/.test(token)) {
      continue;
    }
    const pt = Number(token);
    const map = media.rtp.find((r) => r.payload === pt);
    if (map !== undefined) {
      // sdp-transform turns an all-digit encoding name into a number, whatever its typings say.
      const codec: unknown = map.codec;
      const name = String(codec).toUpperCase();
      out.push({ payloadType: pt, name, clockRateHz: map.rate ?? 0 });
    } else if (pt === 0) {
      out.push({ payloadType: 0, name: 'PCMU', clockRateHz: 8000 });
    } else if (pt === 8) {
      out.push({ payloadType: 8, name: 'PCMA', clockRateHz: 8000 });
    } else if (pt === 9) {
      out.push({ payloadType: 9, name: 'G722', clockRateHz: 8000 });
    }
  }
  return out;
}

/** The telephone-event/8000 format of an m= line with its fmtp events, if offered (RFC 4733 §7.1.1). */
export function findTelephoneEvent(media: MediaDescription): NegotiatedTelephoneEvent | undefined {
  const te = offeredFormats(media).find((f) => f.name === 'TELEPHONE-EVENT' && f.clockRateHz === 8000);
  if (te === undefined) {
    return undefined;
  }
  const fmtp = media.fmtp.find((f) => f.payload === te.payloadType)?.config;
  return fmtp === undefined ? { payloadType: te.payloadType } : { payloadType: te.payloadType, events: fmtp };
}

/** The effective direction: media-level attribute, else session-level, else sendrecv (RFC 3264 §5.1). */
export function directionOf(sdp: SessionDescription, media: MediaDescription): SdpDirection {
  return media.direction ?? sdp.direction ?? 'sendrecv';
}

/** The effective connection address: media-level c=, else session-level (RFC 4566 §5.7). */
export function connectionOf(sdp: SessionDescription, media: MediaDescription): string | undefined {
  return media.connection?.ip ?? sdp.connection?.ip;
}

/** True for the hold addresses 0.0.0.0 and :: (RFC 3264 §8.4 notes the RFC 2543 convention). */
export function isHoldAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** The direction an answerer uses for an offered direction (RFC 3264 §6.1). */
export function answerDirection(offered: SdpDirection): SdpDirection {
  switch (offered) {
    case 'sendonly': {
      return 'recvonly';
    }
    case 'recvonly': {
      return 'sendonly';
    }
    case 'inactive': {
      return 'inactive';
    }
    case 'sendrecv': {
      return 'sendrecv';
    }
  }
}

/** `IP4` or `IP6` for an address (RFC 4566 §5.7 addrtype). */
export function addrTypeOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}
