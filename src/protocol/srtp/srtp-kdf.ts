/**
 * SRTP key derivation (RFC 3711 §4.3) with the AES-CM PRF (§4.3.3) and a key derivation rate of 0
 * (the SDES default, RFC 4568 §6.1: no `KDR` parameter), so each session key is derived once:
 * x = (label << 48) XOR master_salt, session key = AES-CM(master_key, x * 2^16) truncated.
 * https://www.rfc-editor.org/rfc/rfc3711#section-4.3
 */
import { AesCm } from './aes-cm.js';

/** Key derivation labels (RFC 3711 §4.3.1, §4.3.2). */
export const SrtpLabel = {
  RTP_ENCRYPTION: 0,
  RTP_AUTH: 1,
  RTP_SALT: 2,
  RTCP_ENCRYPTION: 3,
  RTCP_AUTH: 4,
  RTCP_SALT: 5,
} as const;

/** The session keys of one direction, for SRTP or for SRTCP. */
export interface SrtpSessionKeys {
  /** 16 octets. */
  readonly encryptionKey: Uint8Array;
  /** 20 octets (HMAC-SHA1, n_a = 160). */
  readonly authKey: Uint8Array;
  /** 14 octets. */
  readonly salt: Uint8Array;
}

/** Derives `length` octets for `label` from a master key (16 octets) and master salt (14 octets). */
export function deriveKey(prf: AesCm, masterSalt: Uint8Array, label: number, length: number): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(masterSalt.subarray(0, 14), 0);
  // key_id = label || r with r = 0 (48 bits): the label lands in octet 7 of the 112-bit salt.
  iv[7] = (iv[7] ?? 0) ^ label;
  return prf.keystream(iv, length);
}

/** The SRTP (`rtcp` false) or SRTCP (`rtcp` true) session keys of a master key and salt. */
export function deriveSessionKeys(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  rtcp: boolean,
): SrtpSessionKeys {
  const prf = new AesCm(masterKey);
  const base = rtcp ? SrtpLabel.RTCP_ENCRYPTION : SrtpLabel.RTP_ENCRYPTION;
  return {
    encryptionKey: deriveKey(prf, masterSalt, base, 16),
    authKey: deriveKey(prf, masterSalt, base + 1, 20),
    salt: deriveKey(prf, masterSalt, base + 2, 14),
  };
}
