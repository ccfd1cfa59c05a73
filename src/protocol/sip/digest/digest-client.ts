/**
 * The client side of SIP digest authentication (RFC 3261 §22.2, §22.3; RFC 2617 §3.2.2; RFC 7616):
 * answers a 401 `WWW-Authenticate` or 407 `Proxy-Authenticate` challenge with `Authorization` /
 * `Proxy-Authorization`, counting nc per nonce. The cnonce comes from an injected random source.
 */
import { fail, ok, type ParseResult } from '../../../errors/result.js';
import { getHeader } from '../headers.js';
import type { SipHeader, SipRequest, SipResponse } from '../sip-message.types.js';
import {
  computeDigestResponse,
  digestAlgorithm,
  parseDigestParams,
  serializeDigestParams,
} from './digest-params.js';

/** Credentials for one realm. */
export interface DigestCredentials {
  readonly username: string;
  readonly password: string;
}

/** Answers digest challenges; keeps the nonce count per nonce (RFC 2617 §3.2.2). */
export class DigestClient {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly credentials: DigestCredentials,
    /** Returns a fresh cnonce (e.g. 16 random hex chars from the Random port). */
    private readonly cnonce: () => string,
  ) {}

  /**
   * The credentials header value for a challenge header value (RFC 2617 §3.2.2). qop=auth is used when
   * offered; auth-int only is unsupported; without qop the RFC 2069 form is produced.
   */
  answer(challenge: string, method: string, uri: string): ParseResult<string> {
    const p = parseDigestParams(challenge);
    const realm = p?.get('realm');
    const nonce = p?.get('nonce');
    if (p === undefined || realm === undefined || nonce === undefined) {
      return fail({ code: 'ERR_SIP_AUTH_BAD_CHALLENGE', detail: 'challenge lacks Digest realm or nonce' });
    }
    const algorithm = digestAlgorithm(p.get('algorithm'));
    const qops = p
      .get('qop')
      ?.split(',')
      .map((q) => q.trim().toLowerCase());
    if (algorithm === undefined || (qops !== undefined && !qops.includes('auth'))) {
      return fail({
        code: 'ERR_SIP_AUTH_UNSUPPORTED',
        detail: `algorithm ${p.get('algorithm') ?? ''} qop ${p.get('qop') ?? ''}`,
      });
    }
    const count = (this.counts.get(nonce) ?? 0) + 1;
    this.counts.set(nonce, count);
    const nc = count.toString(16).padStart(8, '0');
    const cnonce = qops !== undefined || algorithm.endsWith('-sess') ? this.cnonce() : undefined;
    const response = computeDigestResponse({
      algorithm,
      username: this.credentials.username,
      realm,
      password: this.credentials.password,
      nonce,
      method,
      uri,
      ...(qops !== undefined && cnonce !== undefined ? { qop: { nc, cnonce } } : {}),
      ...(cnonce === undefined ? {} : { cnonce }),
    });
    const fields: [string, string][] = [
      ['username', this.credentials.username],
      ['realm', realm],
      ['nonce', nonce],
      ['uri', uri],
      ['response', response],
      ['algorithm', algorithm],
    ];
    if (cnonce !== undefined) {
      fields.push(['cnonce', cnonce]);
    }
    const opaque = p.get('opaque');
    if (opaque !== undefined) {
      fields.push(['opaque', opaque]);
    }
    if (qops !== undefined) {
      fields.push(['qop', 'auth'], ['nc', nc]);
    }
    return ok(serializeDigestParams(fields, false));
  }

  /**
   * The header to add when re-sending `request` after a 401/407 `response` (RFC 3261 §22.2): Authorization
   * for 401, Proxy-Authorization for 407. The caller re-sends with a new branch and CSeq + 1.
   */
  authorize(request: SipRequest, response: SipResponse): ParseResult<SipHeader> {
    const proxy = response.status === 407;
    const challenge = getHeader(response, proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate');
    if (challenge === undefined) {
      return fail({ code: 'ERR_SIP_AUTH_BAD_CHALLENGE', detail: `no challenge in ${response.status}` });
    }
    const value = this.answer(challenge, request.method, request.uri);
    return value.ok
      ? ok({ name: proxy ? 'Proxy-Authorization' : 'Authorization', value: value.value })
      : value;
  }
}
