/** Outbound HTTP for answer/hangup URLs and status callbacks. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as `application/x-www-form-urlencoded` for POST, or appended to the query for GET. */
  readonly form?: readonly (readonly [string, string])[];
  readonly timeoutMs: number;
  /** Larger bodies are refused with `tooLarge` (the body is not buffered past this). */
  readonly maxBodyBytes: number;
}

export type HttpResponse =
  | { readonly ok: true; readonly status: number; readonly contentType: string; readonly body: string }
  | { readonly ok: false; readonly reason: 'timeout' | 'connect' | 'tooLarge' | 'other'; readonly detail: string };

export interface HttpClient {
  /** Never rejects: transport failures come back as `{ ok: false }`. */
  request(req: HttpRequest): Promise<HttpResponse>;
}
