/**
 * How an outgoing webhook (an answer fetch, a status callback) is signed: Plivo's V3 signature
 * (`X-Plivo-Signature-V3` with a nonce, v3.ts) or Twilio's (`X-Twilio-Signature`, HMAC-SHA1, no nonce;
 * twilio-signature.ts). A request keeps the scheme of the dialect that made it, so a Twilio app
 * validating with the `twilio` package's `validateRequest` accepts every request streamfork sends it,
 * including a stream's status callbacks delivered after a restart from the outbox.
 */
import { twilioRequestSignature } from '../twilio/twilio-signature.js';
import { signatureHeaders } from './v3.js';

/** The signature schemes; `plivo` when a request names none. */
export const CallbackSignings = ['plivo', 'twilio'] as const;
export type CallbackSigning = (typeof CallbackSignings)[number];

/** Reads a stored scheme name back; anything unknown (an older row has none) is Plivo's. */
export function parseCallbackSigning(value: string | null | undefined): CallbackSigning {
  return value === 'twilio' ? 'twilio' : 'plivo';
}

export interface SignedRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  /** Form fields, in order (a name may repeat). */
  readonly params: readonly (readonly [string, string])[];
  /** Fresh random text; only Plivo's scheme uses it. */
  readonly nonce: string;
  readonly authToken: string;
}

/** The signature headers of `req` under `signing`. */
export function callbackSignatureHeaders(
  signing: CallbackSigning,
  req: SignedRequest,
): Record<string, string> {
  if (signing === 'twilio') {
    return { 'X-Twilio-Signature': twilioRequestSignature(req.authToken, req.url, req.method, req.params) };
  }
  const params: Record<string, string[]> = {};
  for (const [k, v] of req.params) {
    (params[k] ??= []).push(v);
  }
  return signatureHeaders({
    method: req.method,
    url: req.url,
    params,
    nonce: req.nonce,
    authToken: req.authToken,
  });
}
