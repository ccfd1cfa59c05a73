/**
 * SDES key exchange in SDP (RFC 4568): reading and writing `a=crypto` and choosing one in offer/answer.
 *
 * `a=crypto:<tag> <crypto-suite> inline:<base64 key||salt>[|<lifetime>][|<MKI>:<length>] [<session-params>]`
 *
 * Rules (what we accept, what we write):
 * - Suites: `AES_CM_128_HMAC_SHA1_80` and `AES_CM_128_HMAC_SHA1_32`; others are skipped.
 * - The key is 30 octets (16 key + 14 salt) of base64; any other length skips the line.
 * - A lifetime (`2^N` or a decimal) is accepted and ignored: a call never sends 2^31 packets (the
 *   default lifetime of these suites is 2^48 for SRTP, 2^31 for SRTCP).
 * - MKI is not supported: a line with an MKI, more than one key, or any session parameter
 *   (`KDR=`, `UNENCRYPTED_SRTP`, `FEC_ORDER`, ...) is skipped, as RFC 4568 §6.1/§7.1.1 lets an
 *   answerer skip what it does not understand. An offer left with no usable line is refused (488).
 * - We write no lifetime and no MKI; our offer lists `_80` (tag 1) then `_32` (tag 2), each with its
 *   own key, and our answer one line with the offer's tag and suite and our key.
 * - Each side's key protects what that side sends (RFC 4568 §6.1): ours protects our RTP and RTCP,
 *   the peer's unprotects theirs.
 * Never throws.
 */
import type { MediaDescription } from 'sdp-transform';

import {
  isSrtpSuiteName,
  SRTP_KEY_SALT_BYTES,
  type SrtpMasterKey,
  type SrtpSuiteName,
} from '../srtp/srtp-suites.js';

/** `rtp.srtp`: plain RTP only, SRTP when the peer offers or accepts it, or SRTP only. */
export type SrtpMode = 'off' | 'optional' | 'required';

/** What a call brings to offer/answer: the mode and 60 random octets (two key||salt values). */
export interface SrtpPolicy {
  readonly mode: SrtpMode;
  /** 60 octets from the random port: the first 30 our key for tag 1 (and any answer), the next 30 for tag 2. */
  readonly keyMaterial: Uint8Array;
}

/** The octets of random key material a call needs. */
export const SRTP_KEY_MATERIAL_BYTES = 2 * SRTP_KEY_SALT_BYTES;

/** One usable `a=crypto` line. */
export interface SdesCrypto {
  readonly tag: number;
  readonly suite: SrtpSuiteName;
  readonly key: SrtpMasterKey;
}

/** SRTP as agreed for a call: the suite and both directions' master keys. */
export interface NegotiatedSrtp {
  readonly tag: number;
  readonly suite: SrtpSuiteName;
  /** Our key: protects what we send. */
  readonly local: SrtpMasterKey;
  /** The peer's key: unprotects what it sends. */
  readonly remote: SrtpMasterKey;
}

/** The SRTP profiles (RFC 3711 §12, RFC 5124). */
export function isSecureProfile(protocol: string): boolean {
  return protocol === 'RTP/SAVP' || protocol === 'RTP/SAVPF';
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses the key parameter of one line (`inline:...`), or undefined when we cannot use it. */
export function parseKeyParams(suite: SrtpSuiteName, config: string): SrtpMasterKey | undefined {
  if (!config.startsWith('inline:') || config.includes(';')) {
    return undefined;
  }
  const [b64 = '', ...rest] = config.slice('inline:'.length).split('|');
  if (!BASE64.test(b64) || rest.length > 1) {
    return undefined; // two extras: lifetime and MKI; an MKI alone has a colon
  }
  const extra = rest[0];
  if (extra !== undefined && !/^(2\^\d{1,2}|\d{1,20})$/.test(extra)) {
    return undefined;
  }
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== SRTP_KEY_SALT_BYTES) {
    return undefined;
  }
  return {
    suite,
    key: Uint8Array.from(raw.subarray(0, 16)),
    salt: Uint8Array.from(raw.subarray(16, SRTP_KEY_SALT_BYTES)),
  };
}

/** The usable `a=crypto` lines of an m= section, in offer order. */
export function usableCryptos(media: MediaDescription): SdesCrypto[] {
  const out: SdesCrypto[] = [];
  for (const line of media.crypto ?? []) {
    const suite = line.suite;
    const tag: unknown = line.id;
    if (
      typeof tag !== 'number' ||
      !Number.isInteger(tag) ||
      tag < 0 ||
      tag > 999999999 ||
      !isSrtpSuiteName(suite) ||
      (line.sessionConfig !== undefined && line.sessionConfig !== '')
    ) {
      continue;
    }
    const key = parseKeyParams(suite, line.config);
    if (key !== undefined) {
      out.push({ tag, suite, key });
    }
  }
  return out;
}

/** The `inline:` value of a key. */
export function inlineKey(key: SrtpMasterKey): string {
  return `inline:${Buffer.concat([key.key, key.salt]).toString('base64')}`;
}

function keyAt(material: Uint8Array, at: number, suite: SrtpSuiteName): SrtpMasterKey {
  return {
    suite,
    key: material.slice(at, at + 16),
    salt: material.slice(at + 16, at + SRTP_KEY_SALT_BYTES),
  };
}

/** The lines our offer carries for a policy (none when the mode is off). */
export function offeredCryptos(policy: SrtpPolicy | undefined): SdesCrypto[] {
  if (policy === undefined || policy.mode === 'off') {
    return [];
  }
  if (policy.keyMaterial.length < SRTP_KEY_MATERIAL_BYTES) {
    throw new RangeError(`SRTP key material must be ${SRTP_KEY_MATERIAL_BYTES} octets`);
  }
  return [
    {
      tag: 1,
      suite: 'AES_CM_128_HMAC_SHA1_80',
      key: keyAt(policy.keyMaterial, 0, 'AES_CM_128_HMAC_SHA1_80'),
    },
    {
      tag: 2,
      suite: 'AES_CM_128_HMAC_SHA1_32',
      key: keyAt(policy.keyMaterial, 30, 'AES_CM_128_HMAC_SHA1_32'),
    },
  ];
}

/** Answering: the first usable line of the offer, keyed with our key (tag 1 material). */
export function answerCrypto(
  media: MediaDescription,
  policy: SrtpPolicy,
): { readonly line: SdesCrypto; readonly srtp: NegotiatedSrtp } | undefined {
  const chosen = usableCryptos(media)[0];
  if (chosen === undefined) {
    return undefined;
  }
  const local = keyAt(policy.keyMaterial, 0, chosen.suite);
  return {
    line: { tag: chosen.tag, suite: chosen.suite, key: local },
    srtp: { tag: chosen.tag, suite: chosen.suite, local, remote: chosen.key },
  };
}

/**
 * Reading an answer to our offer: the answer's line must carry a tag we offered with the same suite
 * (RFC 4568 §7.1.3). Undefined when it has none we can use.
 */
export function acceptedCrypto(
  media: MediaDescription,
  offered: readonly SdesCrypto[],
): NegotiatedSrtp | undefined {
  for (const line of usableCryptos(media)) {
    const ours = offered.find((o) => o.tag === line.tag && o.suite === line.suite);
    if (ours !== undefined) {
      return { tag: line.tag, suite: line.suite, local: ours.key, remote: line.key };
    }
  }
  return undefined;
}
