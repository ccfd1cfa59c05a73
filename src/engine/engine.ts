/**
 * The engine: the registry of live calls, ticked by the one shared media clock.
 * It owns no I/O: every port is handed in by the composition root.
 *
 * Each call is ticked in one phase of the clock's frame (the ticker splits each 20 ms frame into
 * `phases` sub-ticks): a new call joins the phase with the fewest calls, so each wake-up of the clock
 * sends a `1/phases` share of the outbound RTP instead of one burst per frame. Every call is still
 * ticked exactly once per frame, always in the same phase.
 */
import type { RnnoiseRuntime } from '../media/noise/rnnoise.types.js';
import type { CallbackOutbox } from '../ports/callback-outbox.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { HttpClient } from '../ports/http-client.js';
import type { Logger } from '../ports/logger.js';
import type { MediaTicker } from '../ports/media-ticker.js';
import type { Random } from '../ports/random.js';
import type { WsConnector } from '../ports/ws-client.js';
import type { StreamDialectRegistry } from '../protocol/stream-dialect.types.js';
import { CallbackDelivery } from './callbacks/callback-delivery.js';
import { CallSession } from './call/call-session.js';
import { CallEventBus } from './events/call-event-bus.js';
import type { MediaLeg } from './call/media-leg.types.js';
import type { StreamSettings } from './fork/stream-fork.types.js';

export interface EngineDeps {
  readonly ticker: MediaTicker;
  readonly ws: WsConnector;
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly logger: Logger;
  /** The stream dialects (wire protocols) a stream spec may name; built by the composition root. */
  readonly dialects: StreamDialectRegistry;
  /** RNNoise, for streams with noise cancellation (the composition root loads it at startup). */
  readonly noise?: RnnoiseRuntime | undefined;
}

export interface EngineOptions {
  readonly stream: StreamSettings;
  /** Most live streams per call. Default 8. */
  readonly maxStreamsPerCall?: number;
  /** Timeout per status-callback attempt. Default 5000 ms. */
  readonly callbackTimeoutMs?: number;
  /** Attempts per status callback, first included (`tuning.callbackAttempts`). Default 3. */
  readonly callbackAttempts?: number;
  /** The longest delay between two attempts of a callback (`tuning.callbackMaxBackoffMs`). Default 60000. */
  readonly callbackMaxBackoffMs?: number;
  /** No attempt of a callback starts later than this after it was sent (`tuning.callbackMaxAgeSec`). Default 86400. */
  readonly callbackMaxAgeSec?: number;
  /** Where lifecycle and hangup callbacks are written before they are sent (the record store); absent: memory only. */
  readonly callbackOutbox?: CallbackOutbox;
  /** The owner of this process's outbox rows (the node id in a cluster); absent: a random UUID per process. */
  readonly callbackOwner?: string;
}

export class Engine {
  /** Private: code outside the engine gets its ports from the composition root, not from here. */
  readonly #deps: EngineDeps;
  readonly options: EngineOptions;
  readonly callbacks: CallbackDelivery;
  /** The calls' typed events (call started/answered/ended, errors, streams): the record projector and the CLI listen. */
  readonly events: CallEventBus;
  readonly #calls = new Map<string, CallSession>();
  readonly #callWatchers: ((callUuid: string, event: 'added' | 'ended') => void)[] = [];
  /** The calls ticked in each phase of the frame. */
  readonly #phases: Set<CallSession>[];
  #removeTicker: (() => void) | undefined;

  constructor(deps: EngineDeps, options: EngineOptions) {
    this.#deps = deps;
    this.options = options;
    this.events = new CallEventBus(deps.logger);
    this.#phases = Array.from({ length: Math.max(1, deps.ticker.phases) }, () => new Set<CallSession>());
    this.callbacks = new CallbackDelivery({
      http: deps.http,
      timers: deps.timers,
      random: deps.random,
      logger: deps.logger.child({ component: 'callbacks' }),
      authToken: options.stream.authToken,
      timeoutMs: options.callbackTimeoutMs ?? 5000,
      maxAttempts: options.callbackAttempts ?? 3,
      ...(options.callbackMaxBackoffMs === undefined ? {} : { maxBackoffMs: options.callbackMaxBackoffMs }),
      ...(options.callbackMaxAgeSec === undefined ? {} : { maxAgeMs: options.callbackMaxAgeSec * 1000 }),
      ...(options.callbackOutbox === undefined ? {} : { outbox: options.callbackOutbox }),
      ...(options.callbackOwner === undefined ? {} : { owner: options.callbackOwner }),
      clock: deps.clock,
    });
  }

  /** Calls `fn` when a call is added and when it ends (the cluster registry's registrations). */
  watchCalls(fn: (callUuid: string, event: 'added' | 'ended') => void): void {
    this.#callWatchers.push(fn);
  }

  /** Live calls. */
  get calls(): ReadonlyMap<string, CallSession> {
    return this.#calls;
  }

  /** Live streams over every live call (the node's `limits.maxStreams` counts these). */
  get liveStreamCount(): number {
    let n = 0;
    for (const call of this.#calls.values()) {
      n += call.liveStreamCount;
    }
    return n;
  }

  getCall(callUuid: string): CallSession | undefined {
    return this.#calls.get(callUuid);
  }

  /** Registers a call on `leg`; it is ticked from the next media frame until it ends. */
  addCall(leg: MediaLeg, callUuid: string = this.#deps.random.uuid()): CallSession {
    const call = new CallSession({
      callUuid,
      leg,
      streamSettings: this.options.stream,
      forkDeps: {
        ws: this.#deps.ws,
        callbacks: this.callbacks,
        clock: this.#deps.clock,
        timers: this.#deps.timers,
        random: this.#deps.random,
        logger: this.#deps.logger,
        dialects: this.#deps.dialects,
        events: this.events,
        noise: this.#deps.noise,
      },
      events: this.events,
      logger: this.#deps.logger,
      maxStreams: this.options.maxStreamsPerCall ?? 8,
      newStreamId: () => this.#deps.random.uuid(),
    });
    this.#calls.set(callUuid, call);
    for (const fn of this.#callWatchers) {
      fn(callUuid, 'added');
    }
    const phase = this.#quietestPhase();
    phase.add(call);
    call.on('ended', () => {
      this.#calls.delete(callUuid);
      for (const fn of this.#callWatchers) {
        fn(callUuid, 'ended');
      }
      phase.delete(call);
      if (this.#calls.size === 0) {
        this.#removeTicker?.();
        this.#removeTicker = undefined;
      }
    });
    this.#removeTicker ??= this.#deps.ticker.add((_frameIndex, phase) => {
      this.#tick(phase);
    });
    return call;
  }

  #quietestPhase(): Set<CallSession> {
    let best = this.#phases[0] ?? new Set<CallSession>();
    for (const p of this.#phases) {
      if (p.size < best.size) {
        best = p;
      }
    }
    return best;
  }

  #tick(phase: number): void {
    const calls = this.#phases[phase];
    if (calls === undefined) {
      return;
    }
    // Two passes: the phase's outbound audio first (RTP paced by the clock alone), then the streams.
    // Plain loops, no closures: this runs every 20 ms for every call.
    for (const call of calls) {
      try {
        call.tickMedia();
      } catch (err) {
        this.#tickFailed(call, err);
      }
    }
    for (const call of calls) {
      try {
        call.tickForks();
      } catch (err) {
        this.#tickFailed(call, err);
      }
    }
  }

  /** One broken call must never stop the clock for the others: log it and hang that call up. */
  #tickFailed(call: CallSession, err: unknown): void {
    this.#deps.logger.error({ err, callUuid: call.callUuid }, 'call tick failed; hanging up that call');
    try {
      call.hangup('Internal Error', 'error');
    } catch (hangupErr) {
      // The rest of the phase still gets its tick.
      this.#deps.logger.error({ err: hangupErr, callUuid: call.callUuid }, 'hanging up a failed call threw');
    }
  }
}
