/**
 * The server side of SIP digest authentication (RFC 3261 §22.4; RFC 2617 §3.2.1, §3.2.2): issues
 * challenges with self-validating nonces (time + random + HMAC, so no nonce table is needed) and verifies
 * credentials; an expired nonce with a correct digest is reported stale (§3.2.1 `stale=true`).
 * Sans-I/O: time and randomness are arguments.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import { fail, ok, type ParseResult } from '../../../errors/result.js';
import {
  computeDigestResponse,
  digestAlgorithm,
  parseDigestParams,
  serializeDigestParams,
} from './digest-params.js';

/** Options of {@link DigestServer}. */
export interface DigestServerOptions {
  readonly realm: string;
  /** HMAC key for nonces (keep it secret and stable across restarts if nonces must survive them). */
  readonly secret: string;
  /** Nonce lifetime. Default 300000 ms. */
  readonly nonceTtlMs?: number;
  /** Offer qop=auth (true, default) or the RFC 2069 no-qop form. */
  readonly qop?: boolean;
}

/** A verified identity. */
export interface DigestIdentity {
  readonly username: string;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Digest challenges and verification for one realm. */
export class DigestServer {
  private readonly ttlMs: number;

  constructor(private readonly options: DigestServerOptions) {
    this.ttlMs = options.nonceTtlMs ?? 300000;
  }

  private mac(text: string): string {
    return createHmac('sha256', this.options.secret).update(text).digest('hex').slice(0, 32);
  }

  /** A fresh nonce: `<time36>.<random hex>.<hmac>`. */
  makeNonce(nowMs: number, random: Uint8Array): string {
    const body = `${Math.floor(nowMs).toString(36)}.${hex(random)}`;
    return `${body}.${this.mac(body)}`;
  }

  /** The `WWW-Authenticate` / `Proxy-Authenticate` value (RFC 2617 §3.2.1). */
  challenge(nowMs: number, random: Uint8Array, stale = false): string {
    const fields: [string, string][] = [
      ['realm', this.options.realm],
      ['nonce', this.makeNonce(nowMs, random)],
      ['algorithm', 'MD5'],
    ];
    if (this.options.qop !== false) {
      fields.push(['qop', 'auth']);
    }
    if (stale) {
      fields.push(['stale', 'true']);
    }
    return serializeDigestParams(fields, true);
  }

  private nonceAge(nonce: string, nowMs: number): number | undefined {
    const parts = nonce.split('.');
    if (parts.length !== 3) {
      return undefined;
    }
    const [time = '', random = '', mac = ''] = parts;
    const expected = Buffer.from(this.mac(`${time}.${random}`));
    const got = Buffer.from(mac);
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) {
      return undefined;
    }
    return nowMs - parseInt(time, 36);
  }

  /**
   * Verifies an `Authorization` / `Proxy-Authorization` value for a request (RFC 2617 §3.2.2).
   * `passwordOf` returns the user's password, or undefined for an unknown user.
   */
  verify(
    header: string,
    method: string,
    passwordOf: (username: string) => string | undefined,
    nowMs: number,
  ): ParseResult<DigestIdentity> {
    const p = parseDigestParams(header);
    const username = p?.get('username');
    const nonce = p?.get('nonce');
    const uri = p?.get('uri');
    const response = p?.get('response');
    if (
      p === undefined ||
      username === undefined ||
      nonce === undefined ||
      uri === undefined ||
      response === undefined
    ) {
      return fail({
        code: 'ERR_SIP_AUTH_BAD_CHALLENGE',
        detail: 'credentials lack username, nonce, uri or response',
      });
    }
    const algorithm = digestAlgorithm(p.get('algorithm'));
    if (algorithm === undefined || (p.get('qop') !== undefined && p.get('qop') !== 'auth')) {
      return fail({ code: 'ERR_SIP_AUTH_UNSUPPORTED', detail: 'unsupported algorithm or qop' });
    }
    if (p.get('realm') !== this.options.realm) {
      return fail({ code: 'ERR_SIP_AUTH_FAILED', detail: 'wrong realm' });
    }
    const age = this.nonceAge(nonce, nowMs);
    const password = passwordOf(username);
    if (age === undefined || password === undefined) {
      return fail({
        code: 'ERR_SIP_AUTH_FAILED',
        detail: age === undefined ? 'nonce not issued here' : 'unknown user',
      });
    }
    const nc = p.get('nc');
    const cnonce = p.get('cnonce');
    const expected = computeDigestResponse({
      algorithm,
      username,
      realm: this.options.realm,
      password,
      nonce,
      method,
      uri,
      ...(p.get('qop') === 'auth' && nc !== undefined && cnonce !== undefined ? { qop: { nc, cnonce } } : {}),
      ...(cnonce === undefined ? {} : { cnonce }),
    });
    if (expected !== response.toLowerCase()) {
      return fail({ code: 'ERR_SIP_AUTH_FAILED', detail: 'digest mismatch' });
    }
    if (age > this.ttlMs || age < 0) {
      return fail({ code: 'ERR_SIP_AUTH_STALE_NONCE', detail: `nonce is ${age} ms old` });
    }
    return ok({ username });
  }
}
