/**
 * A loopback HTTP server for integration tests that plays the customer's web app: it serves a given
 * body (answer XML) per path and records every request with its parameters, so a test can check what
 * streamfork sent (answer URL fetches, stream status callbacks) and verify the signatures with the
 * official plivo SDK (see signatures.ts).
 *
 * @example
 * const app = await startHttpRecorder();
 * app.serve('/answer', '<Response>...</Response>');
 * // ... run a call with answerUrl: app.url('/answer') and statusCallbackUrl: app.url('/status') ...
 * const started = await app.waitFor((r) => r.param('Event') === 'StartStream', 3000, 'StartStream');
 * await app.close();
 */
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query as received (`req.url`). */
  readonly url: string;
  /** Path without the query. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Raw body text ('' for GET). */
  readonly body: string;
  /**
   * The request's parameters: the form body for POST (application/x-www-form-urlencoded), the query
   * for GET. In order, repeated keys kept.
   */
  readonly params: readonly (readonly [string, string])[];
  /** Parameters of the URL's query only (both methods). */
  readonly query: readonly (readonly [string, string])[];
  /** Date.now() when the request completed. */
  readonly atMs: number;
  /** The first value of a parameter, or undefined. */
  param(name: string): string | undefined;
}

/** A running recorder. */
export interface HttpRecorder {
  /** http://127.0.0.1:port */
  readonly origin: string;
  /** origin + path (path may carry a query). */
  url(path: string): string;
  /** Serves `body` (default content type application/xml) on GET and POST of `path` (query ignored). */
  serve(path: string, body: string, contentType?: string): void;
  /** Every request so far, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Requests to one path (query ignored). */
  requestsTo(path: string): RecordedRequest[];
  /** Resolves with the first request (received or to come) that satisfies `predicate`; rejects after `timeoutMs`. */
  waitFor(
    predicate: (r: RecordedRequest) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<RecordedRequest>;
  close(): Promise<void>;
}

interface Waiter {
  readonly predicate: (r: RecordedRequest) => boolean;
  readonly resolve: (r: RecordedRequest) => void;
}

function pairsOf(search: URLSearchParams): [string, string][] {
  return [...search.entries()];
}

/** Starts the recorder on 127.0.0.1 with an OS-chosen port. Unknown paths answer 200 with an empty body. */
export async function startHttpRecorder(): Promise<HttpRecorder> {
  const routes = new Map<string, { body: string; contentType: string }>();
  const requests: RecordedRequest[] = [];
  let waiters: Waiter[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const parsed = new URL(url, 'http://recorder.invalid');
      const body = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? 'GET';
      const query = pairsOf(parsed.searchParams);
      const params = method === 'POST' ? pairsOf(new URLSearchParams(body)) : query;
      const recorded: RecordedRequest = {
        method,
        url,
        path: parsed.pathname,
        headers: req.headers,
        body,
        params,
        query,
        atMs: Date.now(),
        param: (name) => params.find(([k]) => k === name)?.[1],
      };
      requests.push(recorded);
      const route = routes.get(parsed.pathname);
      res.writeHead(200, { 'content-type': route?.contentType ?? 'text/plain' }).end(route?.body ?? '');
      const matched = waiters.filter((w) => w.predicate(recorded));
      waiters = waiters.filter((w) => !matched.includes(w));
      for (const w of matched) {
        w.resolve(recorded);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path) => origin + path,
    serve: (path, body, contentType = 'application/xml') => {
      routes.set(path, { body, contentType });
    },
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    waitFor: (predicate, timeoutMs, what) => {
      const found = requests.find(predicate);
      if (found !== undefined) {
        return Promise.resolve(found);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          const seen = requests.map((r) => `${r.method} ${r.path} ${r.param('Event') ?? ''}`).join(', ');
          reject(new Error(`http recorder: no ${what} within ${timeoutMs} ms (seen: ${seen})`));
        }, timeoutMs);
        const waiter: Waiter = {
          predicate,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        waiters.push(waiter);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
