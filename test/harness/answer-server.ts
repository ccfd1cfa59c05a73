/**
 * The customer's web app in memory, as the engine's `HttpClient` (ports/http-client.ts): it serves
 * answer XML per path and records every request (answer fetches, status callbacks) with its form
 * parameters and the fake time it arrived. Each request is answered `delayMs` of fake time later
 * (default 0: on the next timer step); a route may answer with any status or fail as a transport.
 */
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/ports/http-client.js';
import type { FakeClock } from '../fakes/fake-clock.js';

export const WEB_ORIGIN = 'http://app.test';

/** One request the web app received. */
export interface WebRequest {
  readonly req: HttpRequest;
  /** The path, without query. */
  readonly path: string;
  /** Fake monotonic time of arrival. */
  readonly atMs: number;
  /** The first value of a form parameter. */
  param(name: string): string | undefined;
}

/** What a route answers: a body (200, application/xml), a full response, or a function of the request. */
export type Route = string | HttpResponse | ((request: WebRequest) => string | HttpResponse);

export class AnswerServer implements HttpClient {
  readonly requests: WebRequest[] = [];
  readonly #clock: FakeClock;
  readonly #routes = new Map<string, Route>();
  /** Fake ms before each answer. */
  delayMs: number;

  constructor(clock: FakeClock, delayMs = 0) {
    this.#clock = clock;
    this.delayMs = delayMs;
  }

  /** `http://app.test` + path. */
  url(path: string): string {
    return `${WEB_ORIGIN}${path}`;
  }

  /** Serves `route` on GET and POST of `path`; paths not served answer 200 with an empty body. */
  serve(path: string, route: Route): void {
    this.#routes.set(path, route);
  }

  /** Requests to one path, in arrival order. */
  requestsTo(path: string): WebRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const params = [...(req.form ?? []), ...url.searchParams.entries()];
    const request: WebRequest = {
      req,
      path: url.pathname,
      atMs: this.#clock.monotonicMs(),
      param: (name) => params.find(([k]) => k === name)?.[1],
    };
    this.requests.push(request);
    const route = url.origin === WEB_ORIGIN ? this.#routes.get(url.pathname) : undefined;
    const answer = typeof route === 'function' ? route(request) : route;
    const response: HttpResponse =
      url.origin !== WEB_ORIGIN
        ? { ok: false, reason: 'connect', detail: `getaddrinfo ENOTFOUND ${url.hostname}` }
        : typeof answer === 'object'
          ? answer
          : { ok: true, status: 200, contentType: 'application/xml', body: answer ?? '' };
    return new Promise((resolve) => {
      this.#clock.after(this.delayMs, () => {
        resolve(response);
      });
    });
  }
}
