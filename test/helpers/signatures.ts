/**
 * Signature checks with the official `plivo` npm package (`validateV3Signature`), the oracle for D8:
 * streamfork's own signing code is never used here, so a bug in it cannot hide itself.
 */
import type { IncomingHttpHeaders } from 'node:http';

import plivo from 'plivo';

import type { RecordedRequest } from './http-recorder.js';

type ValidateV3 = (
  method: string,
  uri: string,
  nonce: string,
  authToken: string,
  signature: string,
  params?: Record<string, string[]>,
) => boolean;

const validateV3Signature = (plivo as unknown as { validateV3Signature: ValidateV3 }).validateV3Signature;

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`request has no ${name} header`);
  }
  return value;
}

/** The signing inputs a Plivo customer's server would use for a request it received. */
export interface SignedRequest {
  readonly method: 'GET' | 'POST';
  /** The full URL as received: scheme://Host + path + query. */
  readonly uri: string;
  /** POST form parameters ({} for GET: its parameters are in the uri's query). */
  readonly params: Record<string, string[]>;
  readonly nonce: string;
  readonly signature: string;
  /** X-Plivo-Signature-Ma-V3, when sent. */
  readonly maSignature: string | undefined;
}

/** What plivo.validateV3Signature needs, read from a request recorded by the HTTP recorder. */
export function signedRequestOf(req: RecordedRequest): SignedRequest {
  if (req.method !== 'GET' && req.method !== 'POST') {
    throw new Error(`unexpected method ${req.method}`);
  }
  const params: Record<string, string[]> = {};
  if (req.method === 'POST') {
    for (const [k, v] of req.params) {
      (params[k] ??= []).push(v);
    }
  }
  const ma = req.headers['x-plivo-signature-ma-v3'];
  return {
    method: req.method,
    uri: `http://${header(req.headers, 'host')}${req.url}`,
    params,
    nonce: header(req.headers, 'x-plivo-signature-v3-nonce'),
    signature: header(req.headers, 'x-plivo-signature-v3'),
    maSignature: typeof ma === 'string' ? ma : undefined,
  };
}

/** The signing inputs of a WebSocket upgrade (D8: GET over http://Host + path?query, no params). */
export function signedUpgradeOf(headers: IncomingHttpHeaders, requestUrl: string): SignedRequest {
  const ma = headers['x-plivo-signature-ma-v3'];
  return {
    method: 'GET',
    uri: `http://${header(headers, 'host')}${requestUrl}`,
    params: {},
    nonce: header(headers, 'x-plivo-signature-v3-nonce'),
    signature: header(headers, 'x-plivo-signature-v3'),
    maSignature: typeof ma === 'string' ? ma : undefined,
  };
}

/** True when the official SDK accepts the request's X-Plivo-Signature-V3 for `authToken`. */
export function plivoAccepts(
  req: SignedRequest,
  authToken: string,
  signature: string = req.signature,
): boolean {
  return validateV3Signature(req.method, req.uri, req.nonce, authToken, signature, req.params);
}
