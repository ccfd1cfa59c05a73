/**
 * Fetches an answer/action/redirect URL the way Plivo does (compatibility §9, D8, D9): GET or POST
 * with the call's parameters, V3-signed, `attempts` tries on transport errors and 5xx, then the
 * fallback URL; documents over 100 KB are refused.
 */
import { callbackSignatureHeaders, type CallbackSigning } from '../../protocol/signature/callback-signing.js';
import type { HttpClient } from '../../ports/http-client.js';
import type { Random } from '../../ports/random.js';
import { makeNonce } from '../callbacks/callback-delivery.js';

export const MAX_XML_BYTES = 100 * 1024;

export interface FetchXmlOptions {
  readonly http: HttpClient;
  readonly random: Random;
  readonly authToken: string;
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly params: readonly (readonly [string, string])[];
  readonly fallbackUrl?: string | undefined;
  readonly fallbackMethod?: 'GET' | 'POST';
  /**
   * How the request is signed: Plivo's V3 headers (default) or Twilio's `X-Twilio-Signature` (for a
   * flow whose documents are TwiML; `params` then carry Twilio's names).
   */
  readonly style?: CallbackSigning;
  /** Tries per URL. Default 3. */
  readonly attempts?: number;
  readonly timeoutMs: number;
}

export type FetchXmlResult =
  | { readonly ok: true; readonly xml: string; readonly url: string }
  | { readonly ok: false; readonly cause: string; readonly code: FetchXmlErrorCode; readonly detail: string };

/** The catalogue codes of a failed fetch. */
export type FetchXmlErrorCode =
  'ERR_CALL_ANSWER_UNREACHABLE' | 'ERR_CALL_ANSWER_HTTP_ERROR' | 'ERR_XML_TOO_LARGE';

async function fetchOnce(
  opts: FetchXmlOptions,
  url: string,
  method: 'GET' | 'POST',
): Promise<FetchXmlResult & { retry: boolean }> {
  const headers = callbackSignatureHeaders(opts.style ?? 'plivo', {
    method,
    url,
    params: opts.params,
    nonce: makeNonce(opts.random),
    authToken: opts.authToken,
  });
  const res = await opts.http.request({
    method,
    url,
    headers,
    form: opts.params,
    timeoutMs: opts.timeoutMs,
    maxBodyBytes: MAX_XML_BYTES,
  });
  if (!res.ok) {
    if (res.reason === 'tooLarge') {
      return {
        ok: false,
        retry: false,
        cause: 'Invalid Answer XML',
        code: 'ERR_XML_TOO_LARGE',
        detail: `document over ${MAX_XML_BYTES} bytes`,
      };
    }
    if (res.reason === 'denied') {
      // The target policy refused the host: another try gets the same answer; the fallback may differ.
      return {
        ok: false,
        retry: false,
        cause: 'Answer URL Unreachable',
        code: 'ERR_CALL_ANSWER_UNREACHABLE',
        detail: res.detail,
      };
    }
    return {
      ok: false,
      retry: true,
      cause: 'Answer URL Unreachable',
      code: 'ERR_CALL_ANSWER_UNREACHABLE',
      detail: `${url}: ${res.reason}: ${res.detail}`,
    };
  }
  if (res.status >= 400) {
    return {
      ok: false,
      retry: res.status >= 500,
      cause: 'Answer URL Error',
      code: 'ERR_CALL_ANSWER_HTTP_ERROR',
      detail: `${url}: HTTP ${res.status}`,
    };
  }
  return { ok: true, retry: false, xml: res.body, url };
}

/** Never rejects. */
export async function fetchXml(opts: FetchXmlOptions): Promise<FetchXmlResult> {
  const targets: [string, 'GET' | 'POST'][] = [[opts.url, opts.method]];
  if (opts.fallbackUrl !== undefined && opts.fallbackUrl !== '') {
    targets.push([opts.fallbackUrl, opts.fallbackMethod ?? opts.method]);
  }
  let last: FetchXmlResult = {
    ok: false,
    cause: 'Answer URL Unreachable',
    code: 'ERR_CALL_ANSWER_UNREACHABLE',
    detail: 'no URL',
  };
  for (const [url, method] of targets) {
    for (let attempt = 1; attempt <= (opts.attempts ?? 3); attempt++) {
      const res = await fetchOnce(opts, url, method);
      if (res.ok) {
        return { ok: true, xml: res.xml, url: res.url };
      }
      last = { ok: false, cause: res.cause, code: res.code, detail: res.detail };
      if (!res.retry) {
        break;
      }
    }
  }
  return last;
}
