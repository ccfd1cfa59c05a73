/**
 * The SDES-SRTP crypto suites we speak (RFC 4568 §6.2): AES in counter mode with a 128-bit master key
 * and a 112-bit master salt, HMAC-SHA1 authentication. The suite name only changes the SRTP tag length;
 * SRTCP always carries an 80-bit tag (RFC 4568 §6.2.2, RFC 3711 §5.2).
 */

/** A crypto suite name as written in `a=crypto` (RFC 4568 §6.2). */
export type SrtpSuiteName = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

/** The parameters of one suite. */
export interface SrtpSuite {
  readonly name: SrtpSuiteName;
  /** Master key length in octets (AES-128). */
  readonly keyBytes: 16;
  /** Master salt length in octets (112 bits). */
  readonly saltBytes: 14;
  /** SRTP authentication tag length in octets. */
  readonly rtpTagBytes: 10 | 4;
  /** SRTCP authentication tag length in octets. */
  readonly rtcpTagBytes: 10;
}

export const SRTP_SUITES: Readonly<Record<SrtpSuiteName, SrtpSuite>> = {
  AES_CM_128_HMAC_SHA1_80: {
    name: 'AES_CM_128_HMAC_SHA1_80',
    keyBytes: 16,
    saltBytes: 14,
    rtpTagBytes: 10,
    rtcpTagBytes: 10,
  },
  AES_CM_128_HMAC_SHA1_32: {
    name: 'AES_CM_128_HMAC_SHA1_32',
    keyBytes: 16,
    saltBytes: 14,
    rtpTagBytes: 4,
    rtcpTagBytes: 10,
  },
};

/** True for a suite name we implement (case-sensitive, as RFC 4568 §9.2 registers them). */
export function isSrtpSuiteName(name: string): name is SrtpSuiteName {
  return name === 'AES_CM_128_HMAC_SHA1_80' || name === 'AES_CM_128_HMAC_SHA1_32';
}

/** Master key and salt as one SDES `inline:` value carries them (key || salt, 30 octets). */
export interface SrtpMasterKey {
  readonly suite: SrtpSuiteName;
  /** 16 octets. */
  readonly key: Uint8Array;
  /** 14 octets. */
  readonly salt: Uint8Array;
}

/** Length of key || salt for our suites. */
export const SRTP_KEY_SALT_BYTES = 30;
