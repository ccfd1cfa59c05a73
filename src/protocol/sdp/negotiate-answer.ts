/**
 * The answerer side of offer/answer for one audio stream (RFC 3264 §6): pick PCMU, PCMA or G.722, keep the
 * offerer's telephone-event payload type (RFC 4733 §7.1.1), mirror the direction, reject every other
 * m= line with port 0, and write the answer SDP. Never throws on bad SDP.
 * https://www.rfc-editor.org/rfc/rfc3264#section-6
 */
import type { MediaDescription, SessionDescription } from 'sdp-transform';

import { fail, ok, type ParseResult } from '../../errors/result.js';
import { parseSdp } from './parse-sdp.js';
import { checkRemoteMedia, type RemoteMediaOptions } from './remote-media.js';
import {
  answerCrypto,
  isSecureProfile,
  usableCryptos,
  type SrtpMode,
  type SrtpPolicy,
} from './sdes-crypto.js';
import {
  answerDirection,
  directionOf,
  findTelephoneEvent,
  isHoldAddress,
  isOurCodec,
  offeredFormats,
} from './sdp-audio.js';
import type { AudioCodec, NegotiatedAudio, NegotiatedCodec, SdpFailure, SdpOrigin } from './sdp.types.js';
import { writeAudioSdp } from './write-audio-sdp.js';

/** Options for {@link negotiateAnswer}. */
export interface NegotiateAnswerOptions extends RemoteMediaOptions {
  /** Our RTP address, written in c= and o=. */
  readonly localAddress: string;
  /** Our RTP port. */
  readonly localPort: number;
  /** The codecs we accept, in our preference order. Default `['PCMU', 'PCMA']`. */
  readonly codecs?: readonly AudioCodec[];
  /** Follow the offer's order (true, default) or ours (false) when both sides support several codecs. */
  readonly preferOfferOrder?: boolean;
  /** Accept telephone-event when offered. Default true. */
  readonly telephoneEvent?: boolean;
  /** Packetization time we send with. Default 20 ms. */
  readonly ptimeMs?: number;
  /** Our o= identity; on a re-INVITE pass the previous answer's origin and its SDP as `previousAnswer`. */
  readonly origin: SdpOrigin;
  /**
   * The SDP we answered last time in this session. When the new answer differs, the session version
   * increments (RFC 3264 §8); when it is the same, the version stays.
   */
  readonly previousAnswer?: string;
  /** The agent name in Warning values. Default `streamfork`. */
  readonly warnAgent?: string;
  /**
   * SDES-SRTP (RFC 4568): the `rtp.srtp` mode and this call's key material. Absent: `off`.
   * off: RTP/AVP only (an offer with only RTP/SAVP is refused; `a=crypto` on RTP/AVP is ignored);
   * optional: RTP/SAVP with a usable `a=crypto`, or RTP/AVP (encrypted when it carries a usable
   * `a=crypto`, the best-effort form); required: only streams with a usable `a=crypto`.
   */
  readonly srtp?: SrtpPolicy;
}

/** A successful negotiation: the answer to send and what was agreed. */
export interface NegotiatedAnswer {
  readonly answer: string;
  readonly audio: NegotiatedAudio;
  /** The origin written in the answer (keep it for the next re-INVITE). */
  readonly origin: SdpOrigin;
}

const supportedProtocols = new Set(['RTP/AVP', 'RTP/AVPF']);

function refuse(
  code: string,
  status: 400 | 488,
  warnCode: number,
  text: string,
  agent: string,
  detail: string,
): ParseResult<never, SdpFailure> {
  return fail({ code, detail, sipStatus: status, warning: `${warnCode} ${agent} "${text}"` });
}

function pickCodec(
  media: MediaDescription,
  ours: readonly AudioCodec[],
  offerOrder: boolean,
): NegotiatedCodec | undefined {
  const usable = offeredFormats(media).filter((f) => isOurCodec(f, ours));
  const ranked = offerOrder
    ? usable
    : [...usable].sort((a, b) => ours.indexOf(a.name) - ours.indexOf(b.name));
  const first = ranked[0];
  return first === undefined
    ? undefined
    : { name: first.name, payloadType: first.payloadType, clockRateHz: 8000 };
}

function isCandidate(media: MediaDescription, mode: SrtpMode): boolean {
  if (media.type !== 'audio' || media.port <= 0) {
    return false;
  }
  if (isSecureProfile(media.protocol)) {
    return mode !== 'off' && usableCryptos(media).length > 0;
  }
  return supportedProtocols.has(media.protocol) && (mode !== 'required' || usableCryptos(media).length > 0);
}

function classifySrtpFailure(
  audio: readonly MediaDescription[],
  mode: SrtpMode,
  agent: string,
): ParseResult<never, SdpFailure> | undefined {
  const secure = audio.filter((m) => isSecureProfile(m.protocol));
  if (mode === 'off' && secure.length > 0 && !audio.some((m) => supportedProtocols.has(m.protocol))) {
    const detail = 'only RTP/SAVP offered and rtp.srtp is off';
    return refuse('ERR_SDP_NOT_ACCEPTABLE', 488, 302, 'Incompatible transport protocol', agent, detail);
  }
  if (mode !== 'off' && secure.length > 0 && !secure.some((m) => usableCryptos(m).length > 0)) {
    const detail = 'RTP/SAVP offered without a usable a=crypto (AES_CM_128_HMAC_SHA1_80/_32, no MKI)';
    return refuse('ERR_SDP_NOT_ACCEPTABLE', 488, 305, 'No usable crypto suite', agent, detail);
  }
  if (mode === 'required' && !audio.some((m) => usableCryptos(m).length > 0)) {
    const detail = 'rtp.srtp is required and the offer has no SRTP (RTP/SAVP with a=crypto)';
    return refuse('ERR_SDP_NOT_ACCEPTABLE', 488, 302, 'SRTP required', agent, detail);
  }
  return undefined;
}

function classifyFailure(
  sdp: SessionDescription,
  mode: SrtpMode,
  agent: string,
  ours: readonly AudioCodec[],
): ParseResult<never, SdpFailure> {
  const audio = sdp.media.filter((m) => m.type === 'audio' && m.port > 0);
  const srtp = audio.length === 0 ? undefined : classifySrtpFailure(audio, mode, agent);
  if (srtp !== undefined) {
    return srtp;
  }
  if (audio.length === 0) {
    return refuse(
      'ERR_SDP_NOT_ACCEPTABLE',
      488,
      304,
      'Media type not available',
      agent,
      'no active audio stream offered',
    );
  }
  if (!audio.some((m) => supportedProtocols.has(m.protocol) || isSecureProfile(m.protocol))) {
    return refuse(
      'ERR_SDP_NOT_ACCEPTABLE',
      488,
      302,
      'Incompatible transport protocol',
      agent,
      `only ${audio[0]?.protocol ?? '?'} offered`,
    );
  }
  return refuse(
    'ERR_SDP_NOT_ACCEPTABLE',
    488,
    305,
    'Incompatible media format',
    agent,
    `none of ${ours.join(', ')} offered`,
  );
}

/**
 * Answers a remote SDP offer (RFC 3264 §6.1). On failure the result carries 488 (or 400 for malformed SDP)
 * and a Warning text (RFC 3261 §20.43 codes 301/302/304/305/399). The accepted stream's address and port
 * are checked by {@link checkRemoteMedia}: a bad one refuses the whole offer rather than being skipped.
 */
export function negotiateAnswer(
  offer: string,
  options: NegotiateAnswerOptions,
): ParseResult<NegotiatedAnswer, SdpFailure> {
  const agent = options.warnAgent ?? 'streamfork';
  const parsed = parseSdp(offer);
  if (!parsed.ok) {
    return refuse(parsed.error.code, 400, 399, 'Malformed SDP', agent, parsed.error.detail);
  }
  const sdp = parsed.value;
  const ours = options.codecs ?? ['PCMU', 'PCMA'];
  const mode = options.srtp?.mode ?? 'off';
  let chosen: { index: number; codec: NegotiatedCodec } | undefined;
  for (let i = 0; i < sdp.media.length && chosen === undefined; i++) {
    const media = sdp.media[i];
    if (media !== undefined && isCandidate(media, mode)) {
      const codec = pickCodec(media, ours, options.preferOfferOrder ?? true);
      chosen = codec === undefined ? undefined : { index: i, codec };
    }
  }
  const media = chosen === undefined ? undefined : sdp.media[chosen.index];
  if (chosen === undefined || media === undefined) {
    return classifyFailure(sdp, mode, agent, ours);
  }
  const remote = checkRemoteMedia(sdp, media, options);
  if (!remote.ok) {
    const e = remote.error;
    return refuse(e.code, 488, e.warnCode, e.warnText, agent, e.detail);
  }
  const remoteAddress = remote.value.address;
  const remoteDirection = directionOf(sdp, media);
  const telephoneEvent = options.telephoneEvent === false ? undefined : findTelephoneEvent(media);
  const crypto = options.srtp === undefined || mode === 'off' ? undefined : answerCrypto(media, options.srtp);
  const audio: NegotiatedAudio = {
    codec: chosen.codec,
    ...(telephoneEvent === undefined ? {} : { telephoneEvent }),
    remoteAddress,
    remotePort: remote.value.port,
    remoteDirection,
    localDirection: answerDirection(remoteDirection),
    onHold: remoteDirection === 'sendonly' || remoteDirection === 'inactive' || isHoldAddress(remoteAddress),
    ptimeMs: options.ptimeMs ?? 20,
    ...(crypto === undefined ? {} : { srtp: crypto.srtp }),
  };
  const write = (origin: SdpOrigin): string =>
    writeAudioSdp({
      origin,
      address: options.localAddress,
      port: options.localPort,
      codecs: [chosen.codec],
      ...(telephoneEvent === undefined ? {} : { telephoneEvent }),
      ptimeMs: audio.ptimeMs,
      direction: audio.localDirection,
      audioIndex: chosen.index,
      mirror: sdp.media,
      ...(isSecureProfile(media.protocol) ? { protocol: media.protocol } : {}),
      ...(crypto === undefined ? {} : { crypto: [crypto.line] }),
    });
  let origin = options.origin;
  let answer = write(origin);
  if (options.previousAnswer !== undefined && answer !== options.previousAnswer) {
    origin = { ...origin, sessionVersion: origin.sessionVersion + 1 };
    answer = write(origin);
  }
  return ok({ answer, audio, origin });
}
