/**
 * A scripted `HttpClient` (ports/http-client.ts) on a `FakeClock`: each request is recorded when it
 * arrives and answered `delayMs` of fake time later (a slow endpoint), with the status `answer` picks.
 * Requests are served concurrently, like a real server; `inFlight` says how many are open.
 */
import type { HttpClient, HttpRequest, HttpResponse } from '../../src/ports/http-client.js';
import type { FakeClock } from './fake-clock.js';

export interface FakeHttpRequest {
  readonly req: HttpRequest;
  /** Fake monotonic time of arrival. */
  readonly atMs: number;
  /** The first value of a form parameter. */
  param(name: string): string | undefined;
}

export class FakeHttp implements HttpClient {
  readonly requests: FakeHttpRequest[] = [];
  inFlight = 0;
  readonly #clock: FakeClock;
  readonly #delayMs: number;
  readonly #answer: (req: HttpRequest) => HttpResponse;

  constructor(
    clock: FakeClock,
    delayMs: number,
    answer: (req: HttpRequest) => HttpResponse = () => ({ ok: true, status: 200, contentType: '', body: '' }),
  ) {
    this.#clock = clock;
    this.#delayMs = delayMs;
    this.#answer = answer;
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const form = req.form ?? [];
    this.requests.push({
      req,
      atMs: this.#clock.monotonicMs(),
      param: (name) => form.find(([k]) => k === name)?.[1],
    });
    this.inFlight++;
    return new Promise((resolve) => {
      this.#clock.after(this.#delayMs, () => {
        this.inFlight--;
        resolve(this.#answer(req));
      });
    });
  }

  /** Requests to one URL, in arrival order. */
  to(url: string): FakeHttpRequest[] {
    return this.requests.filter((r) => r.req.url === url);
  }
}

/** Lets promise continuations (and I/O-free async code) run to completion. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
