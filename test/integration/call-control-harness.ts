/**
 * Arrange helpers for the CallControl integration tests: a loopback "customer app" HTTP server with
 * per-path status, body (text or binary) and stalls, which records every request; and a harness that
 * wires a runtime on the real adapters, a MemoryCallStore, espeak-ng and the HTTP audio fetcher into a
 * CallControl and places virtual calls through it.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { HttpAudioFetcher } from '../../src/adapters/audio-fetcher/http-audio-fetcher.js';
import { MemoryCallStore } from '../../src/adapters/memory-store/memory-call-store.js';
import type { TargetGuard } from '../../src/adapters/net/target-guard.js';
import { EspeakTts, type EspeakTtsOptions } from '../../src/adapters/tts-espeak/espeak-tts.js';
import { CallControl, type AnswerConfig } from '../../src/app/call-control.js';
import { RecordProjector } from '../../src/app/records/record-projector.js';
import type { Runtime } from '../../src/compose.js';
import type { CallSession } from '../../src/engine/call/call-session.js';
import type { LegHangup } from '../../src/engine/call/media-leg.types.js';
import { VirtualLeg } from '../../src/engine/call/virtual-leg.js';
import type { CallIdentity } from '../../src/engine/interpreter/call-params.js';
import { rms } from '../../src/media/analysis.js';
import type { CallStore } from '../../src/ports/call-store.js';
import type { Tts } from '../../src/ports/tts.js';
import type { RecordedRequest } from '../helpers/http-recorder.js';
import {
  type LogEntry,
  TEST_ACCOUNT_ID,
  TEST_AUTH_TOKEN,
  testRuntime,
  testSettings,
  within,
} from '../helpers/stream-call.js';

/** What the app answers on a path. `stall`: never answer (the request hangs until the server closes). */
export interface AppRoute {
  readonly status?: number;
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
  readonly stall?: boolean;
}

export interface AppServer {
  readonly origin: string;
  url(path: string): string;
  /** Sets the answer for `path` (query ignored); a function is called per request. */
  route(path: string, route: AppRoute | ((req: RecordedRequest) => AppRoute)): void;
  readonly requests: readonly RecordedRequest[];
  requestsTo(path: string): RecordedRequest[];
  waitFor(
    predicate: (r: RecordedRequest) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<RecordedRequest>;
  close(): Promise<void>;
}

function record(
  method: string,
  url: string,
  headers: RecordedRequest['headers'],
  body: string,
): RecordedRequest {
  const parsed = new URL(url, 'http://app.invalid');
  const query = [...parsed.searchParams.entries()];
  const params = method === 'POST' ? [...new URLSearchParams(body).entries()] : query;
  return {
    method,
    url,
    path: parsed.pathname,
    headers,
    body,
    params,
    query,
    atMs: Date.now(),
    param: (name) => params.find(([k]) => k === name)?.[1],
  };
}

/** Starts the app on 127.0.0.1; unknown paths answer 404. */
export async function startAppServer(): Promise<AppServer> {
  const routes = new Map<string, AppRoute | ((req: RecordedRequest) => AppRoute)>();
  const requests: RecordedRequest[] = [];
  let waiters: { predicate: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = record(
        req.method ?? 'GET',
        req.url ?? '/',
        req.headers,
        Buffer.concat(chunks).toString('utf8'),
      );
      requests.push(rec);
      const entry = routes.get(rec.path);
      const route =
        typeof entry === 'function'
          ? entry(rec)
          : (entry ?? { status: 404, body: 'not found', contentType: 'text/plain' });
      if (route.stall !== true) {
        res
          .writeHead(route.status ?? 200, { 'content-type': route.contentType ?? 'application/xml' })
          .end(route.body ?? '');
      }
      const matched = waiters.filter((w) => w.predicate(rec));
      waiters = waiters.filter((w) => !matched.includes(w));
      for (const w of matched) {
        w.resolve(rec);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => origin + path,
    route: (path, route) => routes.set(path, route),
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    waitFor: (predicate, timeoutMs, what) => {
      const found = requests.find(predicate);
      if (found !== undefined) {
        return Promise.resolve(found);
      }
      return within(
        new Promise<RecordedRequest>((resolve) => waiters.push({ predicate, resolve })),
        timeoutMs,
        what,
      );
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

/** A call placed through CallControl. */
export interface PlacedCall {
  readonly call: CallSession;
  readonly leg: VirtualLeg;
  readonly identity: CallIdentity;
  /** Resolves with the hangup once the call ended. */
  readonly ended: Promise<LegHangup>;
}

export interface PlaceCallOptions {
  readonly answerPath: string;
  /** A full answer URL, used instead of the app's `answerPath` (e.g. another host). */
  readonly answerUrl?: string;
  readonly answerMethod?: 'GET' | 'POST';
  readonly fallbackPath?: string;
  readonly hangupPath?: string;
  /** A full hangup URL, used instead of the app's `hangupPath`. */
  readonly hangupUrl?: string;
  readonly timeoutMs?: number;
  readonly callerAudio?: Int16Array;
  /** The caller presses these keys at these times (ms after the call starts). */
  readonly dtmf?: readonly { readonly digit: string; readonly atMs: number }[];
  /** The caller hangs up after this long. Default: never (the XML ends the call). */
  readonly callerHangupMs?: number;
}

export interface Harness {
  readonly runtime: Runtime & { readonly logs: LogEntry[] };
  readonly store: CallStore;
  readonly tts: Tts;
  /** The espeak-ng adapter, when the harness created it (no `tts` option). */
  readonly espeak: EspeakTts | undefined;
  readonly audio: HttpAudioFetcher;
  readonly control: CallControl;
  readonly app: AppServer;
  place(opts: PlaceCallOptions): PlacedCall;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** A TTS adapter to use instead of espeak-ng. */
  readonly tts?: Tts;
  readonly espeak?: EspeakTtsOptions;
  /** The store to use. Default: a new MemoryCallStore. */
  readonly store?: CallStore;
  /** The outbound target policy. Default: the built-in denials. */
  readonly targets?: TargetGuard;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const runtime = testRuntime(testSettings(), opts.targets === undefined ? {} : { targets: opts.targets });
  const store = opts.store ?? new MemoryCallStore();
  const espeak = opts.tts === undefined ? new EspeakTts(opts.espeak) : undefined;
  const tts: Tts = opts.tts ?? espeak!;
  const audio = new HttpAudioFetcher({ http: runtime.ports.http, timeoutMs: 2000 });
  const records = new RecordProjector({ store, logger: runtime.logger, events: runtime.engine.events });
  const control = new CallControl({
    engine: runtime.engine,
    records,
    tts,
    audio,
    logger: runtime.logger,
    ...runtime.ports,
    accountId: TEST_ACCOUNT_ID,
    authToken: TEST_AUTH_TOKEN,
  });
  const app = await startAppServer();
  const timers: NodeJS.Timeout[] = [];
  const place = (p: PlaceCallOptions): PlacedCall => {
    const { engine } = runtime;
    const leg = new VirtualLeg({ callerAudio: p.callerAudio ?? new Int16Array(0) });
    const call = engine.addCall(leg);
    const ended = new Promise<LegHangup>((resolve) => {
      call.on('ended', resolve);
    });
    const identity: CallIdentity = {
      callUuid: call.callUuid,
      requestUuid: runtime.ports.random.uuid(),
      from: '+14155550100',
      to: '+14155550199',
      direction: 'inbound',
      accountId: TEST_ACCOUNT_ID,
      startedAtMs: runtime.ports.clock.epochMs(),
    };
    const answer: AnswerConfig = {
      answerUrl: p.answerUrl ?? app.url(p.answerPath),
      answerMethod: p.answerMethod ?? 'POST',
      fallbackUrl: p.fallbackPath === undefined ? null : app.url(p.fallbackPath),
      hangupUrl: p.hangupUrl ?? (p.hangupPath === undefined ? null : app.url(p.hangupPath)),
      hangupMethod: 'POST',
      timeoutMs: p.timeoutMs ?? 2000,
    };
    control.run(call, identity, answer);
    for (const press of p.dtmf ?? []) {
      timers.push(
        setTimeout(() => {
          leg.pressDigit(press.digit);
        }, press.atMs),
      );
    }
    if (p.callerHangupMs !== undefined) {
      timers.push(
        setTimeout(() => {
          leg.callerHangup('NORMAL_CLEARING');
        }, p.callerHangupMs),
      );
    }
    return { call, leg, identity, ended };
  };
  return {
    runtime,
    store,
    tts,
    espeak,
    audio,
    control,
    app,
    place,
    async close() {
      for (const t of timers) {
        clearTimeout(t);
      }
      for (const call of runtime.engine.calls.values()) {
        call.hangup('Test Over', 'server');
      }
      await within(control.idle(), 5000, 'call control idle').catch(() => undefined);
      await app.close();
      await runtime.close(1000);
    },
  };
}

/** `<Response>` around the elements. */
export function xml(...elements: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${elements.join('')}</Response>`;
}

/** Milliseconds of audible audio (20 ms frames whose RMS exceeds `threshold`) in 8 kHz samples. */
export function audibleMs(samples: Int16Array, threshold = 300): number {
  let frames = 0;
  for (let at = 0; at + 160 <= samples.length; at += 160) {
    if (rms(samples.subarray(at, at + 160)) > threshold) {
      frames++;
    }
  }
  return frames * 20;
}

export { TEST_ACCOUNT_ID, TEST_AUTH_TOKEN, within } from '../helpers/stream-call.js';
