/**
 * Our SDP offer for outbound calls (RFC 3264 §5): the configured codecs (default PCMU and PCMA, static PTs) plus telephone-event,
 * and reading the peer's answer (RFC 3264 §7).
 * https://www.rfc-editor.org/rfc/rfc3264#section-5
 */
import { fail, ok, type ParseResult } from '../../errors/result.js';
import { parseSdp } from './parse-sdp.js';
import { checkRemoteMedia, type RemoteMediaOptions } from './remote-media.js';
import {
  acceptedCrypto,
  isSecureProfile,
  offeredCryptos,
  type NegotiatedSrtp,
  type SrtpPolicy,
} from './sdes-crypto.js';
import { directionOf, findTelephoneEvent, isHoldAddress, isOurCodec, offeredFormats } from './sdp-audio.js';
import type { AudioCodec, NegotiatedAudio, SdpDirection, SdpOrigin } from './sdp.types.js';
import { staticCodec, writeAudioSdp } from './write-audio-sdp.js';

/** Options for {@link buildOffer}. */
export interface BuildOfferOptions {
  readonly localAddress: string;
  readonly localPort: number;
  readonly origin: SdpOrigin;
  /** Codecs in preference order. Default `['PCMU', 'PCMA']`. */
  readonly codecs?: readonly AudioCodec[];
  /** Dynamic PT for telephone-event (RFC 4733), or null to leave it out. Default 101. */
  readonly telephoneEventPayloadType?: number | null;
  /** Default 20 ms. */
  readonly ptimeMs?: number;
  /** Default sendrecv. */
  readonly direction?: SdpDirection;
  /**
   * SDES-SRTP (RFC 4568). Absent or `off`: plain RTP/AVP. `optional`: RTP/AVP with `a=crypto` lines
   * (best-effort SRTP: a peer without SRTP answers plain). `required`: RTP/SAVP with `a=crypto`.
   */
  readonly srtp?: SrtpPolicy;
}

/** Writes our audio offer (RFC 3264 §5.1). */
export function buildOffer(options: BuildOfferOptions): string {
  const te = options.telephoneEventPayloadType === undefined ? 101 : options.telephoneEventPayloadType;
  return writeAudioSdp({
    origin: options.origin,
    address: options.localAddress,
    port: options.localPort,
    codecs: (options.codecs ?? ['PCMU', 'PCMA']).map(staticCodec),
    ...(te === null ? {} : { telephoneEvent: { payloadType: te, events: '0-16' } }),
    ptimeMs: options.ptimeMs ?? 20,
    direction: options.direction ?? 'sendrecv',
    ...(options.srtp?.mode === 'required' ? { protocol: 'RTP/SAVP' } : {}),
    crypto: offeredCryptos(options.srtp),
  });
}

/** The answer's SRTP against what we offered, or why it does not fit (RFC 4568 §7.1.3). */
function answerSrtp(
  media: { protocol: string } & Parameters<typeof acceptedCrypto>[0],
  policy: SrtpPolicy | undefined,
): ParseResult<NegotiatedSrtp | undefined> {
  const mode = policy?.mode ?? 'off';
  const secure = isSecureProfile(media.protocol);
  if (mode === 'off') {
    return secure
      ? fail({ code: 'ERR_SDP_BAD_ANSWER', detail: `the answer uses ${media.protocol}; rtp.srtp is off` })
      : ok(undefined);
  }
  const srtp = acceptedCrypto(media, offeredCryptos(policy));
  if (srtp === undefined && (secure || mode === 'required')) {
    return fail({ code: 'ERR_SDP_BAD_ANSWER', detail: 'the answer has no a=crypto matching our offer' });
  }
  return ok(srtp);
}

/**
 * Reads the answer to an offer made with {@link buildOffer} (RFC 3264 §7): the first audio stream with a
 * non-zero port, and its first codec that we offered. `ERR_SDP_BAD_ANSWER` when nothing matches;
 * `ERR_SDP_BAD_MEDIA_ADDRESS` when its address or port is unusable ({@link checkRemoteMedia}).
 */
export function readAnswer(
  answer: string,
  offered: Pick<BuildOfferOptions, 'codecs' | 'ptimeMs' | 'direction' | 'srtp'> & RemoteMediaOptions = {},
): ParseResult<NegotiatedAudio> {
  const parsed = parseSdp(answer);
  if (!parsed.ok) {
    return parsed;
  }
  const sdp = parsed.value;
  const media = sdp.media.find((m) => m.type === 'audio' && m.port > 0);
  if (media === undefined) {
    return fail({ code: 'ERR_SDP_BAD_ANSWER', detail: 'the answer rejected or lacks the audio stream' });
  }
  const ours = offered.codecs ?? ['PCMU', 'PCMA'];
  const format = offeredFormats(media).find((f) => isOurCodec(f, ours));
  if (format === undefined) {
    return fail({ code: 'ERR_SDP_BAD_ANSWER', detail: 'the answer picked a codec we did not offer' });
  }
  const remote = checkRemoteMedia(sdp, media, offered);
  if (!remote.ok) {
    return fail({ code: remote.error.code, detail: remote.error.detail });
  }
  const srtp = answerSrtp(media, offered.srtp);
  if (!srtp.ok) {
    return srtp;
  }
  const remoteAddress = remote.value.address;
  const remoteDirection = directionOf(sdp, media);
  const telephoneEvent = findTelephoneEvent(media);
  return ok({
    codec: { name: format.name, payloadType: format.payloadType, clockRateHz: 8000 },
    ...(telephoneEvent === undefined ? {} : { telephoneEvent }),
    remoteAddress,
    remotePort: remote.value.port,
    remoteDirection,
    localDirection: offered.direction ?? 'sendrecv',
    onHold: remoteDirection === 'recvonly' || remoteDirection === 'inactive' || isHoldAddress(remoteAddress),
    ptimeMs: offered.ptimeMs ?? 20,
    ...(srtp.value === undefined ? {} : { srtp: srtp.value }),
  });
}
