/**
 * Whole calls on a fake clock: the runtime from `composeRuntime` (engine, media clock driver,
 * callback delivery) with every port faked — clock, timers and the media clock on one `FakeClock`,
 * seeded randomness, the web app in memory (`AnswerServer`: answer XML, status callbacks) and
 * WebSocket apps in memory (`MemoryApp`: the strict reference consumer per connection). A virtual call
 * (`src/app/virtual-call.ts`) runs the interpreter and the streams on it; time moves only when the
 * test advances it, so a 60 s call takes milliseconds and every run is the same. See README.md.
 */
import assert from 'node:assert/strict';

import {
  runVirtualCall,
  type VirtualCallOptions,
  type VirtualCallResult,
} from '../../src/app/virtual-call.js';
import { composeRuntime, type Runtime } from '../../src/compose.js';
import type { CallSession } from '../../src/engine/call/call-session.js';
import type { StreamSettings } from '../../src/engine/fork/stream-fork.types.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { SeededRandom } from '../fakes/seeded-random.js';
import { type LogEntry, captureLogger, testSettings } from '../helpers/stream-call.js';
import { AnswerServer } from './answer-server.js';
import { MemoryApp, type MemoryAppOptions } from './memory-app.js';
import { MemoryWsNetwork } from './memory-ws.js';

export const APPS_ORIGIN = 'ws://apps.test';

export interface HarnessOptions {
  /** Stream settings over `testSettings()` (50 ms connect back-off, 1 s connect timeout). */
  readonly stream?: Partial<StreamSettings>;
  /** Media clock phases per frame. Default 4, as in production. */
  readonly clockPhases?: number;
  readonly callbackTimeoutMs?: number;
  readonly callbackAttempts?: number;
  readonly maxStreamsPerCall?: number;
  /** Fake ms each WebSocket frame (and connect answer) takes. Default 0: the next microtask. */
  readonly wsLatencyMs?: number;
  /** Fake ms before the web app answers a request. Default 0. */
  readonly httpDelayMs?: number;
  readonly seed?: number;
}

/** A call started with `start()`. */
export interface HarnessCall {
  readonly callUuid: string;
  /** The engine's call (live until it ends). */
  readonly session: CallSession;
  /** True once the virtual call has returned (or thrown). */
  readonly done: boolean;
  readonly result: Promise<VirtualCallResult>;
  /** Advances the clock until the call has ended (at most `maxMs`) and returns its result. */
  end(maxMs?: number): Promise<VirtualCallResult>;
}

export type HarnessCallOptions = Omit<VirtualCallOptions, 'answerUrl' | 'callerAudio'> & {
  /** Default: the web app's `/answer`. */
  readonly answerUrl?: string;
  /** Default: silence as long as the call. */
  readonly callerAudio?: Int16Array;
  readonly durationMs: number;
};

/** Lets every promise continuation run: the microtask queue drains before an immediate runs. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class CallHarness {
  readonly clock: FakeClock;
  readonly random: SeededRandom;
  readonly web: AnswerServer;
  readonly ws: MemoryWsNetwork;
  readonly runtime: Runtime;
  readonly logs: LogEntry[];

  constructor(opts: HarnessOptions = {}) {
    this.clock = new FakeClock();
    this.random = new SeededRandom(opts.seed);
    this.web = new AnswerServer(this.clock, opts.httpDelayMs ?? 0);
    this.ws = new MemoryWsNetwork(this.clock, opts.wsLatencyMs ?? 0);
    const logger = captureLogger();
    this.logs = logger.entries;
    this.runtime = composeRuntime({
      stream: testSettings(opts.stream),
      logger,
      clockPhases: opts.clockPhases ?? 4,
      callbackTimeoutMs: opts.callbackTimeoutMs ?? 2000,
      ...(opts.callbackAttempts === undefined ? {} : { callbackAttempts: opts.callbackAttempts }),
      ...(opts.maxStreamsPerCall === undefined ? {} : { maxStreamsPerCall: opts.maxStreamsPerCall }),
      ports: { clock: this.clock, timers: this.clock, http: this.web, ws: this.ws, random: this.random },
    });
  }

  get engine(): Runtime['engine'] {
    return this.runtime.engine;
  }

  /** Fake monotonic time, ms. */
  get now(): number {
    return this.clock.monotonicMs();
  }

  /** A WebSocket app at `ws://apps.test` + `path`. */
  app(path: string, options: MemoryAppOptions = {}): MemoryApp {
    const app = new MemoryApp(`${APPS_ORIGIN}${path}`, options);
    this.ws.listen(app.url, app);
    return app;
  }

  /** Moves fake time forward by `ms`, running each timer due in turn and settling promises after each. */
  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    await settle();
    while (this.clock.runNext(target)) {
      await settle();
    }
  }

  /** Advances timer by timer until `condition` holds; fails when it does not within `maxMs` of fake time. */
  async until(condition: () => boolean, maxMs: number, what: string): Promise<void> {
    const deadline = this.now + maxMs;
    await settle();
    while (!condition()) {
      if (!this.clock.runNext(deadline)) {
        assert.fail(`${what}: not within ${maxMs} ms of fake time`);
      }
      await settle();
    }
  }

  /** Starts a virtual call; the clock does not move until the test advances it. */
  start(opts: HarnessCallOptions): HarnessCall {
    let callUuid = '';
    let done = false;
    const result = runVirtualCall(this.runtime, {
      ...opts,
      answerUrl: opts.answerUrl ?? this.web.url('/answer'),
      callerAudio: opts.callerAudio ?? new Int16Array((opts.durationMs * 8000) / 1000),
      onEvent: (e) => {
        if (e.type === 'callStarted') {
          callUuid = String(e.detail?.['callUuid']);
        }
        opts.onEvent?.(e);
      },
    }).finally(() => {
      done = true;
    });
    // Observed through `done` and `end()`; an unhandled rejection must not escape before that.
    result.catch(() => undefined);
    const session = this.engine.getCall(callUuid);
    assert.ok(session, 'the virtual call registered its engine call');
    return {
      callUuid,
      session,
      result,
      get done() {
        return done;
      },
      end: async (maxMs = opts.durationMs + 10_000) => {
        await this.until(() => done, maxMs, 'the call to end');
        return result;
      },
    };
  }

  /** Runs a whole call to its end. */
  run(opts: HarnessCallOptions): Promise<VirtualCallResult> {
    return this.start(opts).end();
  }

  /** Advances until every queued status callback was delivered (or given up on). */
  async drainCallbacks(maxMs = 30_000): Promise<void> {
    let idle = false;
    void this.engine.callbacks.idle().then(() => {
      idle = true;
    });
    await this.until(() => idle, maxMs, 'status callbacks to drain');
  }

  /** Asserts the engine logged no error. */
  assertNoErrorLogs(): void {
    assert.deepEqual(
      this.logs.filter((l) => l.level === 'error'),
      [],
      'the engine logged no error',
    );
  }
}
