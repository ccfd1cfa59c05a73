/**
 * Call control: the production way a call runs once it is answered (SIP inbound, REST outbound, or a
 * virtual call). It keeps the call's records in the CallStore (the call, and every stream forked from
 * it by XML or REST), runs the answer URL's XML (D9: an invalid document is not run; the call ends with
 * `Invalid Answer XML` and the validation errors go on the record), supports REST transfer by aborting
 * the running XML without ending the call, and when the call ends completes its record and sends the
 * signed hangup_url through the engine's callback delivery.
 */
import type { CallSession } from '../engine/call/call-session.js';
import type { LegHangup } from '../engine/call/media-leg.types.js';
import type { Engine } from '../engine/engine.js';
import type { StreamFork } from '../engine/fork/stream-fork.js';
import { flowContext, type CallIdentity } from '../engine/interpreter/call-params.js';
import { runCallFlow } from '../engine/interpreter/interpreter.js';
import type { ElementRegistry } from '../engine/interpreter/interpreter.types.js';
import { createElementRegistry } from '../engine/interpreter/registry.js';
import type { AudioFetcher } from '../ports/audio-fetcher.js';
import type { CallPatch, CallStore, StreamPatch } from '../ports/call-store.js';
import type { Logger } from '../ports/logger.js';
import type { Tts } from '../ports/tts.js';
import { parsePlivoXml } from '../protocol/plivo-xml/parse.js';
import {
  callErrorJson,
  durationsOf,
  hangupCauseCode,
  hangupParams,
  hangupSourceName,
  newCallRecord,
  newStreamRecord,
  validationErrorsOf,
  type ValidationErrorJson,
} from './call-control/records.js';

/** Where a call's XML comes from and where its end is reported. */
export interface AnswerConfig {
  readonly answerUrl: string;
  readonly answerMethod: 'GET' | 'POST';
  readonly fallbackUrl?: string | null;
  readonly fallbackMethod?: 'GET' | 'POST';
  readonly hangupUrl?: string | null;
  readonly hangupMethod?: 'GET' | 'POST';
  /** Timeout of one answer/fallback/action request. */
  readonly timeoutMs: number;
  /** Tries per URL on transport errors and 5xx before the fallback (default 3, as Plivo). */
  readonly attempts?: number;
}

export interface CallControlDeps {
  readonly engine: Engine;
  readonly store: CallStore;
  readonly tts: Tts;
  readonly audio: AudioFetcher;
  readonly logger: Logger;
  readonly accountId: string;
  /** Signs every request the call makes (answer, action, redirect, hangup; D8). */
  readonly authToken: string;
  /** The node running the calls (`cluster.nodeId`), written on every call record. Default null. */
  readonly nodeId?: string | null;
}

/** Optional facts about the call that the caller of `run` knows. */
export interface RunOptions {
  /** When the call was answered (epoch ms). Default: now. */
  readonly answeredAtMs?: number;
  /** The SIP Call-ID of the call's dialog, for the record. */
  readonly sipCallId?: string;
}

interface LiveCall {
  readonly call: CallSession;
  readonly identity: CallIdentity;
  readonly answer: AnswerConfig;
  readonly answeredAtMs: number;
  readonly log: Logger;
  /** Aborts the XML running now (transfer, or the call ended); replaced on each transfer. */
  flow: AbortController;
  /** Every flow started for the call, settled. */
  flows: Promise<unknown>[];
  /** Every stream's record work, settled when the stream ended and its record was updated. */
  streams: Promise<void>[];
  validation: { readonly url: string; readonly errors: readonly ValidationErrorJson[] } | undefined;
  /** The call's store writes, in order (see `#write`); settled when the last one has. */
  writes: Promise<void>;
}

export class CallControl {
  readonly #deps: CallControlDeps;
  readonly #log: Logger;
  readonly #registry: ElementRegistry;
  readonly #live = new Map<string, LiveCall>();
  readonly #pending = new Set<Promise<void>>();

  constructor(deps: CallControlDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'call-control' });
    this.#registry = createElementRegistry({}, { tts: deps.tts, audio: deps.audio });
  }

  /** The node written on the call records (`CallControlDeps.nodeId`), or null. */
  get nodeId(): string | null {
    return this.#deps.nodeId ?? null;
  }

  /** Calls being run now. */
  get liveCalls(): number {
    return this.#live.size;
  }

  /**
   * Takes over a just-answered call: inserts (or, for a REST-created call, updates) the call record,
   * records every stream (XML or REST) and keeps both records current, runs the XML flow, and when the
   * call ends updates the record (hangup cause/source, duration, bill duration, errors) and sends
   * hangup_url (signed; HangupCause, Duration, BillDuration, StartTime, AnswerTime, EndTime, plus the
   * call params) through engine.callbacks.
   */
  run(call: CallSession, identity: CallIdentity, answer: AnswerConfig, opts: RunOptions = {}): void {
    const live = this.#track(call, identity, answer, opts);
    if (call.status === 'in-progress') {
      this.#startFlow(live, answer.answerUrl, answer.answerMethod, true);
    }
  }

  /**
   * Keeps the records of a call whose XML is not run here (its streams and hangup come through the
   * REST API only): everything `run` does except fetching and running the answer XML. A later
   * `transfer` runs XML on it as usual.
   */
  track(call: CallSession, identity: CallIdentity, answer: AnswerConfig, opts: RunOptions = {}): void {
    this.#track(call, identity, answer, opts);
  }

  /** Resolves when the store writes asked for so far for the call have run (at once for a call not run here). */
  settled(callUuid: string): Promise<void> {
    return this.#live.get(callUuid)?.writes ?? Promise.resolve();
  }

  #track(call: CallSession, identity: CallIdentity, answer: AnswerConfig, opts: RunOptions): LiveCall {
    const clock = this.#deps.engine.deps.clock;
    const live: LiveCall = {
      call,
      identity,
      answer,
      answeredAtMs: opts.answeredAtMs ?? clock.epochMs(),
      log: this.#log.child({ callUuid: call.callUuid }),
      flow: new AbortController(),
      flows: [],
      streams: [],
      validation: undefined,
      writes: Promise.resolve(),
    };
    this.#insertCall(live, opts.sipCallId ?? null);
    for (const fork of call.allStreams) {
      this.#trackStream(live, fork);
    }
    call.on('stream-started', (fork) => {
      this.#trackStream(live, fork);
    });
    const ended = new Promise<LegHangup>((resolve) => {
      if (call.status !== 'in-progress') {
        resolve(call.hangupInfo ?? { cause: 'NORMAL_CLEARING', source: 'caller' });
        return;
      }
      call.on('ended', resolve);
    });
    this.#live.set(call.callUuid, live);
    const done = this.#lifecycle(live, ended);
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
    return live;
  }

  /** REST transfer (aleg_url): abort the current XML and run the document at `url`. False for an unknown or ended call. */
  transfer(callUuid: string, url: string, method: 'GET' | 'POST'): boolean {
    const live = this.#live.get(callUuid);
    if (live?.call.status !== 'in-progress') {
      return false;
    }
    live.log.info({ url }, 'transfer: aborting the current XML');
    this.#startFlow(live, url, method, false);
    return true;
  }

  /** Resolves when every call it runs has finished its records and hangup callback (shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.all([...this.#pending]);
    }
    await this.#deps.engine.callbacks.idle();
  }

  async #lifecycle(live: LiveCall, ended: Promise<LegHangup>): Promise<void> {
    const hangup = await ended;
    live.flow.abort();
    this.#onEnded(live, hangup);
    await Promise.all(live.flows);
    // Streams still connecting end after the call; wait for their records.
    for (let n = 0; n < live.streams.length;) {
      const batch = live.streams.slice(n);
      n = live.streams.length;
      await Promise.all(batch);
    }
    this.#updateCall(live, { error: this.#errorJson(live) });
    await live.writes;
    this.#live.delete(live.call.callUuid);
  }

  #startFlow(live: LiveCall, url: string, method: 'GET' | 'POST', withFallback: boolean): void {
    live.flow.abort();
    const flow = new AbortController();
    live.flow = flow;
    const { engine, authToken } = this.#deps;
    const { call, identity, answer } = live;
    const ctx = flowContext(engine.deps, call, identity, {
      logger: live.log,
      authToken,
      signal: flow.signal,
      fetchTimeoutMs: answer.timeoutMs,
    });
    const fallbackUrl = withFallback ? (answer.fallbackUrl ?? undefined) : undefined;
    const running = runCallFlow(ctx, {
      url,
      method,
      fallbackUrl: fallbackUrl ?? undefined,
      ...(answer.fallbackMethod === undefined ? {} : { fallbackMethod: answer.fallbackMethod }),
      ...(answer.attempts === undefined ? {} : { attempts: answer.attempts }),
      registry: this.#registry,
      onDocument: (docUrl, xml) => {
        this.#onDocument(live, docUrl, xml);
      },
    }).then(
      (end) => {
        live.log.info(
          { end: end.end, ...(end.end === 'error' ? { cause: end.cause } : {}) },
          'call flow finished',
        );
      },
      (err: unknown) => {
        live.log.error({ err }, 'call flow threw; hanging up');
        call.errors.push(`Internal Error: ${String(err)}`);
        call.hangup('Internal Error', 'error');
      },
    );
    live.flows.push(running);
  }

  /** Keeps the D9 validation errors of a rejected document, structured, for the call record. */
  #onDocument(live: LiveCall, url: string, xml: string): void {
    const parsed = parsePlivoXml(xml);
    if (!parsed.ok) {
      live.validation = { url, errors: validationErrorsOf(parsed.errors) };
    }
  }

  #errorJson(live: LiveCall): ReturnType<typeof callErrorJson> {
    return callErrorJson(live.call.errors, live.validation);
  }

  /**
   * Appends one store write to the call's chain: writes run one after another in the order they were
   * asked for (so a record never goes back to an older state), each after the synchronous work that
   * asked for it (never inside a media tick). A failed write is logged with the call and skipped.
   */
  #write(live: LiveCall, what: string, detail: object, write: () => Promise<unknown>): void {
    live.writes = live.writes.then(write).then(
      () => undefined,
      (err: unknown) => {
        live.log.error({ err, ...detail }, what);
      },
    );
  }

  #insertCall(live: LiveCall, sipCallId: string | null): void {
    const { store } = this.#deps;
    const { identity, answer } = live;
    this.#write(live, 'could not record the call; it runs anyway', {}, async () => {
      if ((await store.getCall(identity.callUuid)) === undefined) {
        await store.insertCall(
          newCallRecord(identity, answer.answerUrl, live.answeredAtMs, sipCallId, this.nodeId),
        );
      } else {
        // A REST-created call: its record exists (queued/ringing) and now becomes in-progress.
        await store.updateCall(identity.callUuid, {
          status: 'in-progress',
          answeredAt: live.answeredAtMs,
          answerUrl: answer.answerUrl,
          ...(sipCallId === null ? {} : { sipCallId }),
        });
      }
    });
  }

  #updateCall(live: LiveCall, patch: CallPatch): void {
    this.#write(live, 'could not update the call record', {}, () =>
      this.#deps.store.updateCall(live.call.callUuid, patch),
    );
  }

  #updateStream(live: LiveCall, streamId: string, patch: StreamPatch): void {
    this.#write(live, 'could not update the stream record', { streamId }, () =>
      this.#deps.store.updateStream(live.call.callUuid, streamId, patch),
    );
  }

  /** Records a stream and follows it: initiated → in-progress → completed/failed with the stop reason. */
  #trackStream(live: LiveCall, fork: StreamFork): void {
    const clock = this.#deps.engine.deps.clock;
    const { store } = this.#deps;
    const record = newStreamRecord(fork, live.call.callUuid, clock.epochMs());
    this.#write(live, 'could not record the stream', { streamId: fork.streamId }, async () => {
      if ((await store.getStream(live.call.callUuid, fork.streamId)) === undefined) {
        await store.insertStream(record);
      }
    });
    if (fork.status === 'in-progress') {
      this.#updateStream(live, fork.streamId, { status: 'in-progress', startedAt: clock.epochMs() });
    }
    fork.on('status', (status) => {
      if (status === 'in-progress') {
        this.#updateStream(live, fork.streamId, { status, startedAt: clock.epochMs() });
      }
    });
    live.streams.push(
      fork.ended.then((end) => {
        this.#updateStream(live, fork.streamId, {
          status: end.status,
          endedAt: clock.epochMs(),
          stopReason: end.reason,
          error: end.error ?? null,
        });
      }),
    );
  }

  /** Completes the call record and sends hangup_url. */
  #onEnded(live: LiveCall, hangup: LegHangup): void {
    const endedAtMs = this.#deps.engine.deps.clock.epochMs();
    const times = { startedAtMs: live.identity.startedAtMs, answeredAtMs: live.answeredAtMs, endedAtMs };
    const { durationSec, billDurationSec } = durationsOf(times);
    this.#updateCall(live, {
      status: 'completed',
      endedAt: endedAtMs,
      hangupCause: hangup.cause,
      hangupCauseCode: hangupCauseCode(hangup.cause),
      hangupSource: hangupSourceName(hangup),
      durationSec,
      billDurationSec,
      error: this.#errorJson(live),
    });
    live.log.info(
      { cause: hangup.cause, source: hangup.source, durationSec, errors: live.call.errors.length },
      'call record completed',
    );
    const url = live.answer.hangupUrl;
    if (url !== undefined && url !== null && url !== '') {
      this.#deps.engine.callbacks.send(`hangup:${live.call.callUuid}`, {
        url,
        method: live.answer.hangupMethod ?? 'POST',
        params: hangupParams(live.identity, hangup, times),
      });
    }
  }
}
