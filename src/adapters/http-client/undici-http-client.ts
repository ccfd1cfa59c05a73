/**
 * The HTTP client adapter over undici: one pooled Agent, a timeout per request, bodies capped.
 * It never rejects: failures come back as values (ports/http-client.ts).
 *
 * Every connection goes through the target policy (adapters/net/target-guard.ts): IP-literal hosts are
 * checked before the connect, names by the guarded `lookup` the socket resolves them with. Redirects
 * are not followed (a 3xx is returned as it is); a dispatcher composed with a redirect interceptor over
 * {@link guardedAgent} would still check each hop, since each hop is a new connect.
 */
import { Agent, buildConnector, request } from 'undici';

import type { HttpClient, HttpRequest, HttpResponse } from '../../ports/http-client.js';
import { TargetGuard, targetDeniedIn } from '../net/target-guard.js';

/** An undici Agent whose every connection is checked by `guard`. */
export function guardedAgent(guard: TargetGuard, options: Agent.Options = {}): Agent {
  const connector = buildConnector({ lookup: guard.lookup });
  return new Agent({
    ...options,
    connect: (opts, callback) => {
      const refused = guard.checkLiteral(opts.hostname);
      if (refused !== undefined) {
        callback(refused, null);
        return;
      }
      connector(opts, callback);
    },
  });
}

export interface UndiciHttpClientOptions {
  /** The outbound target policy; default: the built-in denied targets only. */
  readonly guard?: TargetGuard;
}

export class UndiciHttpClient implements HttpClient {
  readonly #agent: Agent;

  constructor(opts: UndiciHttpClientOptions = {}) {
    this.#agent = guardedAgent(opts.guard ?? new TargetGuard(), {
      keepAliveTimeout: 10_000,
      connections: 64,
    });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let body: string | undefined;
    const headers: Record<string, string> = { 'user-agent': 'streamfork', ...req.headers };
    const form = req.form ?? [];
    const encoded = new URLSearchParams(form.map(([k, v]): [string, string] => [k, v])).toString();
    if (req.method === 'GET') {
      if (encoded !== '') {
        url += (url.includes('?') ? '&' : '?') + encoded;
      }
    } else if (req.json !== undefined) {
      body = req.json;
      headers['content-type'] = 'application/json';
    } else {
      body = encoded;
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    try {
      const res = await request(url, {
        method: req.method,
        headers,
        ...(body === undefined ? {} : { body }),
        dispatcher: this.#agent,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
        signal: AbortSignal.timeout(req.timeoutMs),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > req.maxBodyBytes) {
          res.body.destroy();
          return { ok: false, reason: 'tooLarge', detail: `response body over ${req.maxBodyBytes} bytes` };
        }
        chunks.push(chunk);
      }
      const type = res.headers['content-type'];
      const contentType = Array.isArray(type) ? (type[0] ?? '') : (type ?? '');
      const raw = Buffer.concat(chunks);
      if (req.responseType === 'bytes') {
        return {
          ok: true,
          status: res.statusCode,
          contentType,
          body: '',
          bytes: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength),
        };
      }
      return { ok: true, status: res.statusCode, contentType, body: raw.toString('utf8') };
    } catch (err) {
      return classify(err);
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

function classify(err: unknown): HttpResponse {
  const denied = targetDeniedIn(err);
  if (denied !== undefined) {
    return { ok: false, reason: 'denied', detail: denied.message };
  }
  const e = err as { name?: string; code?: string; message?: string };
  const detail = `${e.code ?? e.name ?? 'Error'}: ${e.message ?? String(err)}`;
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || (e.code?.includes('TIMEOUT') ?? false)) {
    return { ok: false, reason: 'timeout', detail };
  }
  if (
    e.code === 'ECONNREFUSED' ||
    e.code === 'ENOTFOUND' ||
    e.code === 'ECONNRESET' ||
    e.code === 'EHOSTUNREACH'
  ) {
    return { ok: false, reason: 'connect', detail };
  }
  return { ok: false, reason: 'other', detail };
}
