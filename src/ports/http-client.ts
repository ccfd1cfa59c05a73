/** Outbound HTTP for answer/hangup URLs and status callbacks. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as `application/x-www-form-urlencoded` for POST, or appended to the query for GET. */
  readonly form?: readonly (readonly [string, string])[];
  /** POST only: sent as the `application/json` body instead of `form`. */
  readonly json?: string;
  readonly timeoutMs: number;
  /** Larger bodies are refused with `tooLarge` (the body is not buffered past this). */
  readonly maxBodyBytes: number;
  /** `bytes`: the body comes back undecoded in `bytes` and `body` is '' (audio files for `<Play>`). Default `text`. */
  readonly responseType?: 'text' | 'bytes';
}

export type HttpResponse =
  | {
      readonly ok: true;
      readonly status: number;
      readonly contentType: string;
      /** The body as UTF-8 text ('' when `responseType` is `bytes`). */
      readonly body: string;
      /** The raw body, present when `responseType` is `bytes`. */
      readonly bytes?: Uint8Array;
    }
  | {
      readonly ok: false;
      /** `denied`: the outbound target policy refused the host (`detail` starts with ERR_TARGET_DENIED). */
      readonly reason: 'timeout' | 'connect' | 'tooLarge' | 'denied' | 'other';
      readonly detail: string;
    };

export interface HttpClient {
  /** Never rejects: transport failures come back as `{ ok: false }`. */
  request(req: HttpRequest): Promise<HttpResponse>;
}
