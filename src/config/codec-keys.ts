/**
 * The `rtp` keys that choose audio codecs (docs/codecs.md) and SRTP (docs/srtp.md), kept beside schema.ts, which spreads them
 * into its `rtp` object: same conventions (a default, a one-line description per key).
 */
import { Type } from 'typebox';

const AudioCodecName = Type.Union([Type.Literal('PCMU'), Type.Literal('PCMA'), Type.Literal('G722')]);

export const rtpCodecKeys = {
  codecs: Type.Array(AudioCodecName, {
    minItems: 1,
    uniqueItems: true,
    default: ['PCMU', 'PCMA'],
    description:
      'Audio codecs offered and accepted, in our preference order (PCMU, PCMA, G722); env form `G722,PCMU,PCMA`. See docs/codecs.md.',
  }),
  codecOrder: Type.Union([Type.Literal('offer'), Type.Literal('ours')], {
    default: 'offer',
    description:
      "Answering an offer with several usable codecs: take the offer's first (`offer`) or the first of rtp.codecs (`ours`).",
  }),
  srtp: Type.Union([Type.Literal('off'), Type.Literal('optional'), Type.Literal('required')], {
    default: 'off',
    description:
      'SDES-SRTP (RFC 4568, AES_CM_128_HMAC_SHA1_80/_32): `off` plain RTP only (RTP/SAVP-only offers get 488); `optional` SRTP when the far end offers or accepts it; `required` refuse plain offers and answers (488). Outbound calls offer per the same setting (docs/srtp.md).',
  }),
};
