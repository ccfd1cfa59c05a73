/**
 * Call control: the production way a call runs once it is answered (SIP inbound, REST outbound, or a
 * virtual call). It announces the call (`call.started`, `call.answered` on the engine's event bus: the
 * record projector writes the records from those and the engine's own events), runs the answer URL's
 * XML (D9: an invalid document is not run; the call ends with `Invalid Answer XML` and the interpreter
 * reports the validation issues in its `call.error`), supports REST transfer by aborting the running
 * XML without ending the call, and when the call ends sends the signed hangup_url through the engine's
 * callback delivery. It writes no records itself.
 */
import type { CallSession } from '../engine/call/call-session.js';
import type { LegHangup } from '../engine/call/media-leg.types.js';
import type { Engine } from '../engine/engine.js';
import type { CallEvent } from '../engine/events/call-events.js';
import {
  callParams,
  flowContext,
  twilioCallParams,
  type CallIdentity,
} from '../engine/interpreter/call-params.js';
import { fetchXml, type FetchXmlResult } from '../engine/interpreter/fetch-xml.js';
import { runCallFlow } from '../engine/interpreter/interpreter.js';
import type { EarlyAnswer, ElementRegistry } from '../engine/interpreter/interpreter.types.js';
import { parsePlivoXml } from '../protocol/plivo-xml/parse.js';
import { detectAnswerDialect } from '../protocol/twiml/detect.js';
import { createElementRegistry, type CallDialer } from '../engine/interpreter/registry.js';
import type { CallRecordings } from '../engine/recording/call-recordings.js';
import { hangupCauseCodeOf } from '../engine/records/hangup-causes.js';
import type { AudioFetcher } from '../ports/audio-fetcher.js';
import { hangupCallbackId, hangupLane } from '../ports/callback-outbox.js';
import type { Clock, Timers } from '../ports/clock.js';
import type { HttpClient } from '../ports/http-client.js';
import type { Logger } from '../ports/logger.js';
import type { Random } from '../ports/random.js';
import type { Tts } from '../ports/tts.js';
import { hangupCallbackTemplate, hangupParams } from './call-control/records.js';

/** What call control needs of the record projector: the API's read-your-writes wait, and shutdown. */
export interface RecordWrites {
  settled(callUuid: string): Promise<void>;
  idle(): Promise<void>;
  /** Applies one event the projector missed on the bus (see `#replay`). */
  project(event: CallEvent): void;
}

/** Where a call's XML comes from and where its end is reported. */
export interface AnswerConfig {
  readonly answerUrl: string;
  readonly answerMethod: 'GET' | 'POST';
  /** How the answer URL is requested (Plivo's parameters and signature, or Twilio's). Default plivo. */
  readonly webhookDialect?: 'plivo' | 'twilio';
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
  /** The record projector that writes the records of the calls' events. */
  readonly records: RecordWrites;
  readonly tts: Tts;
  readonly audio: AudioFetcher;
  readonly logger: Logger;
  /** The runtime's ports (the call flows and the events' times). */
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
  readonly http: HttpClient;
  readonly accountId: string;
  /** Signs every request the call makes (answer, action, redirect, hangup; D8). */
  readonly authToken: string;
  /** The node running the calls (`cluster.nodeId`), written on every call record. Default null. */
  readonly nodeId?: string | null;
  /** Places `<Dial>`'s calls (the SIP layer's `PartyDialer`); absent: `<Dial>` is reported and skipped. */
  readonly dialer?: CallDialer;
  /** Runs `<Record>` (the recording service); absent: `<Record>` is reported and skipped. */
  readonly recordings?: CallRecordings;
}

/** Optional facts about the call that the caller of `run` knows. */
export interface RunOptions {
  /** When the call was answered (epoch ms). Default: now. */
  readonly answeredAtMs?: number;
  /** The SIP Call-ID of the call's dialog, for the record. */
  readonly sipCallId?: string;
  /** The call was announced already (`call.started` by the REST dialer when it queued it). */
  readonly announced?: boolean;
  /**
   * An inbound call in early media (its document starts with `<PreAnswer>`): not answered yet; the
   * flow answers it, and `call.answered` is emitted then, with the 200's time.
   */
  readonly early?: EarlyAnswer;
  /** The answer URL's response, fetched before the call was answered (`prefetch`). */
  readonly first?: FetchXmlResult;
}

interface LiveCall {
  readonly call: CallSession;
  readonly identity: CallIdentity;
  readonly answer: AnswerConfig;
  /** Null while the call is in early media. */
  answeredAtMs: number | null;
  readonly early: EarlyAnswer | undefined;
  readonly first: FetchXmlResult | undefined;
  readonly log: Logger;
  /** Aborts the XML running now (transfer, or the call ended); replaced on each transfer. */
  flow: AbortController;
  /** Every flow started for the call, settled. */
  flows: Promise<unknown>[];
}

/** An inbound call's answer URL, fetched before the call was answered (`CallControl.prefetch`). */
export interface Prefetched {
  readonly fetched: FetchXmlResult;
  /** The document is Plivo XML, valid, and its first element is `<PreAnswer>`. */
  readonly preAnswer: boolean;
}

function startsWithPreAnswer(xml: string, style: 'plivo' | 'twilio'): boolean {
  const dialect = detectAnswerDialect(xml, style);
  if (!dialect.ok || dialect.dialect !== 'plivo') {
    return false;
  }
  const parsed = parsePlivoXml(xml);
  return parsed.ok && parsed.value.response.children[0]?.element === 'PreAnswer';
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
    this.#registry = createElementRegistry(
      {},
      { tts: deps.tts, audio: deps.audio },
      { dialer: deps.dialer, recordings: deps.recordings },
    );
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
   * Takes over a just-answered call: announces it (`call.started` unless the REST dialer did,
   * `call.answered`), runs the XML flow, and when the call ends sends hangup_url (signed; HangupCause, Duration, BillDuration, StartTime, AnswerTime, EndTime, plus the
   * call params) through engine.callbacks.
   */
  run(call: CallSession, identity: CallIdentity, answer: AnswerConfig, opts: RunOptions = {}): void {
    const live = this.#track(call, identity, answer, opts);
    if (call.status === 'in-progress') {
      this.#startFlow(live, answer.answerUrl, answer.answerMethod, true);
    }
  }

  /**
   * Follows a call whose XML is not run here (its streams and hangup come through the REST API only):
   * everything `run` does except fetching and running the answer XML. A later `transfer` runs XML on
   * it as usual.
   */
  track(call: CallSession, identity: CallIdentity, answer: AnswerConfig, opts: RunOptions = {}): void {
    this.#track(call, identity, answer, opts);
  }

  /**
   * Fetches an inbound call's answer URL before the call is answered, as the flow's first request
   * would (same parameters, signature, retries and fallback): its document says whether the call starts
   * in early media (`<PreAnswer>` first). Give the result to `run` (`first`) so it is not fetched again.
   */
  async prefetch(identity: CallIdentity, answer: AnswerConfig): Promise<Prefetched> {
    const { http, random, authToken } = this.#deps;
    const style = answer.webhookDialect ?? 'plivo';
    const params =
      style === 'twilio' ? twilioCallParams(identity, 'in-progress') : callParams(identity, 'in-progress');
    const fetched = await fetchXml({
      http,
      random,
      authToken,
      url: answer.answerUrl,
      method: answer.answerMethod,
      params,
      style,
      fallbackUrl: answer.fallbackUrl ?? undefined,
      ...(answer.fallbackMethod === undefined ? {} : { fallbackMethod: answer.fallbackMethod }),
      ...(answer.attempts === undefined ? {} : { attempts: answer.attempts }),
      timeoutMs: answer.timeoutMs,
    });
    return { fetched, preAnswer: fetched.ok && startsWithPreAnswer(fetched.xml, style) };
  }

  /** Resolves when the record writes asked for so far for the call have run (the projector's). */
  settled(callUuid: string): Promise<void> {
    return this.#deps.records.settled(callUuid);
  }

  #track(call: CallSession, identity: CallIdentity, answer: AnswerConfig, opts: RunOptions): LiveCall {
    const { clock, engine } = this.#deps;
    const sipCallId = opts.sipCallId ?? null;
    const hangupCallback = hangupCallbackTemplate(identity, answer.hangupUrl, answer.hangupMethod);
    const live: LiveCall = {
      call,
      identity,
      answer,
      answeredAtMs: opts.early === undefined ? (opts.answeredAtMs ?? clock.epochMs()) : null,
      early:
        opts.early === undefined ? undefined : this.#announceOnAnswer(opts.early, call, answer, sipCallId),
      first: opts.first,
      log: this.#log.child({ callUuid: call.callUuid }),
      flow: new AbortController(),
      flows: [],
    };
    if (opts.announced !== true) {
      engine.events.emit({
        type: 'call.started',
        callUuid: identity.callUuid,
        atMs: clock.epochMs(),
        direction: identity.direction,
        from: identity.from,
        to: identity.to,
        answerUrl: answer.answerUrl,
        requestUuid: identity.direction === 'outbound' ? identity.requestUuid : null,
        sipCallId,
        startedAtMs: identity.startedAtMs,
        nodeId: this.nodeId,
        hangupCallback,
      });
    }
    if (live.answeredAtMs !== null) {
      engine.events.emit({
        type: 'call.answered',
        callUuid: identity.callUuid,
        atMs: live.answeredAtMs,
        answerUrl: answer.answerUrl,
        sipCallId,
        hangupCallback,
      });
    }
    if (opts.announced !== true) {
      this.#replay(call);
    }
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

  /** Wraps an early call's answer: once the 200 went out, `call.answered` with its time. */
  #announceOnAnswer(
    early: EarlyAnswer,
    call: CallSession,
    answer: AnswerConfig,
    sipCallId: string | null,
  ): EarlyAnswer {
    const { clock, engine } = this.#deps;
    return {
      get answered() {
        return early.answered;
      },
      answer: async () => {
        if (early.answered) {
          return;
        }
        await early.answer();
        const live = this.#live.get(call.callUuid);
        if (live?.answeredAtMs !== null || call.status !== 'in-progress') {
          return;
        }
        live.answeredAtMs = clock.epochMs();
        engine.events.emit({
          type: 'call.answered',
          callUuid: call.callUuid,
          atMs: live.answeredAtMs,
          answerUrl: answer.answerUrl,
          sipCallId,
          hangupCallback: hangupCallbackTemplate(live.identity, answer.hangupUrl, answer.hangupMethod),
        });
      },
    };
  }

  /**
   * Hands the projector what happened to the call before `call.started` (which only call control can
   * emit): streams started, errors reported, and the end of a call that was over before call control
   * took it (an unusable answer in the ACK). They went past on the bus for a call it did not know yet.
   */
  #replay(call: CallSession): void {
    const { records, clock } = this.#deps;
    const base = { callUuid: call.callUuid, atMs: clock.epochMs() };
    for (const fork of call.allStreams) {
      const streamId = fork.streamId;
      records.project({ type: 'stream.started', ...base, streamId, spec: fork.spec });
      if (fork.status === 'in-progress') {
        records.project({ type: 'stream.status', ...base, streamId, status: 'in-progress' });
      } else if (fork.closed) {
        void fork.ended.then((end) => {
          records.project({ type: 'stream.status', ...base, streamId, ...end, error: end.error ?? null });
        });
      }
    }
    for (const error of call.errors) {
      records.project(error);
    }
    const hangup = call.hangupInfo;
    if (hangup !== undefined) {
      records.project({
        type: 'call.ended',
        ...base,
        status: 'completed',
        cause: hangup.cause,
        causeCode: hangupCauseCodeOf(hangup.cause),
        source: hangup.source,
      });
    }
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
    await this.#deps.records.idle();
    await this.#deps.engine.callbacks.idle();
  }

  async #lifecycle(live: LiveCall, ended: Promise<LegHangup>): Promise<void> {
    const hangup = await ended;
    live.flow.abort();
    this.#onEnded(live, hangup);
    await Promise.all(live.flows);
    // Streams still connecting end after the call; wait for them (and so for their records).
    await Promise.all(live.call.allStreams.map((fork) => fork.ended));
    await this.#deps.records.settled(live.call.callUuid);
    this.#live.delete(live.call.callUuid);
  }

  #startFlow(live: LiveCall, url: string, method: 'GET' | 'POST', withFallback: boolean): void {
    live.flow.abort();
    const flow = new AbortController();
    live.flow = flow;
    const { authToken } = this.#deps;
    const { call, identity, answer } = live;
    const ctx = flowContext(this.#deps, call, identity, {
      logger: live.log,
      authToken,
      signal: flow.signal,
      fetchTimeoutMs: answer.timeoutMs,
      ...(live.early === undefined ? {} : { early: live.early }),
    });
    // The prefetched answer (an inbound call's, fetched before its 200) stands for the first request.
    const first = withFallback ? live.first : undefined;
    const fallbackUrl = withFallback ? (answer.fallbackUrl ?? undefined) : undefined;
    const running = runCallFlow(ctx, {
      url,
      method,
      fallbackUrl: fallbackUrl ?? undefined,
      ...(answer.fallbackMethod === undefined ? {} : { fallbackMethod: answer.fallbackMethod }),
      ...(answer.attempts === undefined ? {} : { attempts: answer.attempts }),
      ...(answer.webhookDialect === undefined ? {} : { webhookDialect: answer.webhookDialect }),
      registry: this.#registry,
      ...(first === undefined ? {} : { first }),
    }).then(
      (end) => {
        live.log.info(
          { end: end.end, ...(end.end === 'error' ? { cause: end.cause } : {}) },
          'call flow finished',
        );
      },
      (err: unknown) => {
        live.log.error({ err }, 'call flow threw; hanging up');
        call.reportError('ERR_INTERNAL', `Internal Error: ${String(err)}`);
        call.hangup('Internal Error', 'error');
      },
    );
    live.flows.push(running);
  }

  /** Sends hangup_url (the record is the projector's, from `call.ended`). */
  #onEnded(live: LiveCall, hangup: LegHangup): void {
    const endedAtMs = this.#deps.clock.epochMs();
    const times = { startedAtMs: live.identity.startedAtMs, answeredAtMs: live.answeredAtMs, endedAtMs };
    const url = live.answer.hangupUrl;
    if (url !== undefined && url !== null && url !== '') {
      this.#deps.engine.callbacks.send(
        hangupLane(live.call.callUuid),
        {
          url,
          method: live.answer.hangupMethod ?? 'POST',
          params: hangupParams(live.identity, hangup, times),
        },
        { id: hangupCallbackId(live.call.callUuid) },
      );
    }
  }
}
