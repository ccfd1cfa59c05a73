/**
 * Twilio's request signature (`X-Twilio-Signature`): HMAC-SHA1, keyed by the account's auth token, over
 * the full URL followed by every POST parameter as name then value, names in sorted order (a name given
 * more than once contributes each value, in the order given); the digest is sent as base64. GET
 * requests and WebSocket upgrades sign the URL alone (their parameters are already in it).
 * Reference: https://www.twilio.com/docs/usage/security#validating-requests
 */
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signing text: the URL, then each parameter's name and value by sorted name. */
export function twilioSigningText(url: string, params: readonly (readonly [string, string])[]): string {
  const sorted = params
    .map((p, i) => [p, i] as const)
    .sort(([a, i], [b, j]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : i - j));
  let text = url;
  for (const [[name, value]] of sorted) {
    text += name + value;
  }
  return text;
}

/** The `X-Twilio-Signature` value for a request to `url` with these POST parameters. */
export function twilioSignature(
  authToken: string,
  url: string,
  params: readonly (readonly [string, string])[],
): string {
  return createHmac('sha1', authToken).update(twilioSigningText(url, params), 'utf8').digest('base64');
}

/**
 * Twilio signs what it sends: a POST over the URL and its form parameters, a GET over the URL with the
 * parameters already in its query (written as the HTTP client appends them).
 */
export function twilioRequestSignature(
  authToken: string,
  url: string,
  method: 'GET' | 'POST',
  params: readonly (readonly [string, string])[],
): string {
  if (method === 'POST') {
    return twilioSignature(authToken, url, params);
  }
  const query = new URLSearchParams(params.map(([k, v]): [string, string] => [k, v])).toString();
  const full = query === '' ? url : url + (url.includes('?') ? '&' : '?') + query;
  return twilioSignature(authToken, full, []);
}

/** Whether `signature` is this request's, compared in constant time. */
export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: readonly (readonly [string, string])[],
  signature: string,
): boolean {
  const want = Buffer.from(twilioSignature(authToken, url, params));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}
