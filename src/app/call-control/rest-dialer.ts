/**
 * The REST API's Call create, behind the API's `dial`: it answers at once with a request UUID and
 * places the call in the background. The call has a record from the moment it is accepted (`queued`),
 * so a call that fails afterwards (no trunk for a number, the INVITE cannot be sent, the far end
 * rejects it, nobody answers) still ends with a record carrying its status, cause, cause code and
 * source, visible in GET Call and the list; hangup_url is notified as for any other end. A call that
 * is answered becomes `in-progress` and call control runs it.
 */
import type { CallSession } from '../../engine/call/call-session.js';
import type { Engine } from '../../engine/engine.js';
import { callParams, type CallIdentity } from '../../engine/interpreter/call-params.js';
import { hangupCauseCodeOf } from '../../engine/records/hangup-causes.js';
import { elapsedSec, plivoTime } from '../../protocol/plivo-time.js';
import type { CallRecord, CallStatus, CallStore } from '../../ports/call-store.js';
import type { Logger } from '../../ports/logger.js';
import type { AnswerConfig, CallControl } from '../call-control.js';
import { newCallRecord } from './records.js';

type Method = 'GET' | 'POST';

/** One destination of a Call create (structurally the API's `DialRequest`). */
export interface RestDialRequest {
  readonly from: string;
  readonly to: string;
  readonly answerUrl: string;
  readonly answerMethod: Method;
  readonly hangupUrl?: string;
  readonly hangupMethod?: Method;
  readonly fallbackUrl?: string;
  readonly fallbackMethod?: Method;
  readonly ringTimeoutSec?: number;
  /** Plivo's `time_limit`, seconds after answer. */
  readonly timeLimitSec?: number;
}

/** What the SIP layer's dial answers (structurally `app/sip/outbound.ts` DialResult). */
export type SipDialResult =
  | { readonly ok: true; readonly call: CallSession }
  | { readonly ok: false; readonly cause: string; readonly sipStatus?: number; readonly detail?: string };

export interface RestDialerDeps {
  readonly engine: Engine;
  readonly store: CallStore;
  readonly control: CallControl;
  readonly logger: Logger;
  readonly accountId: string;
  /** Timeout and tries of the answer URL fetch (config `answer`). */
  readonly answerTimeoutMs: number;
  readonly answerAttempts: number;
  /** Places the call (SipServer.dial); never rejects. */
  dial(opts: {
    readonly to: string;
    readonly from: string;
    readonly callUuid: string;
    readonly timeoutSec?: number;
    /** Plivo's `time_limit`: the answered call is hung up this long after answer. */
    readonly timeLimitSec?: number;
  }): Promise<SipDialResult>;
}

/** Plivo's outbound call status for a call that never got answered. */
export function statusOfFailedDial(cause: string, sipStatus: number | undefined): CallStatus {
  switch (cause) {
    case 'USER_BUSY':
      return 'busy';
    case 'NO_ANSWER':
      return 'no-answer';
    case 'ORIGINATOR_CANCEL':
      return 'canceled';
    case 'RECOVERY_ON_TIMER_EXPIRE':
      return sipStatus === undefined ? 'timeout' : 'failed';
    default:
      return 'failed';
  }
}

/** Plivo's hangup source: the far end when it answered with a status, else us or an error. */
function sourceOfFailedDial(cause: string, sipStatus: number | undefined): string {
  if (sipStatus !== undefined) {
    return 'Call recipient';
  }
  return cause === 'NO_ANSWER' || cause === 'RECOVERY_ON_TIMER_EXPIRE' ? 'Plivo' : 'Error';
}

function describeFailure(cause: string, sipStatus: number | undefined): string {
  return sipStatus === undefined
    ? `outbound call failed: ${cause}`
    : `outbound call failed: ${cause} (SIP ${sipStatus})`;
}

export class RestDialer {
  readonly #deps: RestDialerDeps;
  readonly #log: Logger;
  readonly #pending = new Set<Promise<void>>();

  constructor(deps: RestDialerDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'rest-dialer' });
  }

  /** Accepts one destination: records it as `queued`, dials in the background, returns the request UUID. */
  dial(req: RestDialRequest): Promise<{ readonly ok: true; readonly requestUuid: string }> {
    const { engine } = this.#deps;
    const identity: CallIdentity = {
      callUuid: engine.deps.random.uuid(),
      requestUuid: engine.deps.random.uuid(),
      from: req.from,
      to: req.to,
      direction: 'outbound',
      accountId: this.#deps.accountId,
      startedAtMs: engine.deps.clock.epochMs(),
    };
    // The queued record is written before the dial starts, so the answer's update always follows it.
    const recorded = this.#record(
      () => this.#deps.store.insertCall(queuedRecord(identity, req.answerUrl, this.#deps.control.nodeId)),
      identity,
    );
    const placing = recorded.then(() => this.#place(identity, req));
    this.#pending.add(placing);
    void placing.finally(() => this.#pending.delete(placing));
    return Promise.resolve({ ok: true, requestUuid: identity.requestUuid });
  }

  /** Resolves when every dial in flight has been answered or has failed and been recorded. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.all([...this.#pending]);
    }
  }

  async #place(identity: CallIdentity, req: RestDialRequest): Promise<void> {
    const timeout = req.ringTimeoutSec === undefined ? {} : { timeoutSec: req.ringTimeoutSec };
    let res: SipDialResult;
    try {
      const limit = req.timeLimitSec === undefined ? {} : { timeLimitSec: req.timeLimitSec };
      res = await this.#deps.dial({
        to: req.to,
        from: req.from,
        callUuid: identity.callUuid,
        ...timeout,
        ...limit,
      });
    } catch (err) {
      this.#log.error({ err, requestUuid: identity.requestUuid }, 'dial threw');
      res = { ok: false, cause: 'Internal Error' };
    }
    if (!res.ok) {
      await this.#failed(identity, req, res.cause, res.sipStatus, res.detail);
      return;
    }
    const answer: AnswerConfig = {
      answerUrl: req.answerUrl,
      answerMethod: req.answerMethod,
      fallbackUrl: req.fallbackUrl ?? null,
      fallbackMethod: req.fallbackMethod ?? 'POST',
      hangupUrl: req.hangupUrl ?? null,
      hangupMethod: req.hangupMethod ?? 'POST',
      timeoutMs: this.#deps.answerTimeoutMs,
      attempts: this.#deps.answerAttempts,
    };
    // The SIP layer keeps the UUID it was given; the record inserted at accept time becomes in-progress.
    this.#deps.control.run(res.call, { ...identity, callUuid: res.call.callUuid }, answer);
  }

  /** Ends the record of a call that was never answered, and tells hangup_url. */
  #failed(
    identity: CallIdentity,
    req: RestDialRequest,
    cause: string,
    sipStatus: number | undefined,
    detail?: string,
  ): Promise<void> {
    const { engine, store } = this.#deps;
    const endedAtMs = engine.deps.clock.epochMs();
    const status = statusOfFailedDial(cause, sipStatus);
    const source = sourceOfFailedDial(cause, sipStatus);
    const code = hangupCauseCodeOf(cause);
    const durationSec = elapsedSec(identity.startedAtMs, endedAtMs);
    this.#log.warn(
      { requestUuid: identity.requestUuid, callUuid: identity.callUuid, cause, sipStatus, status, detail },
      'outbound call failed',
    );
    const recorded = this.#record(
      () =>
        store.updateCall(identity.callUuid, {
          status,
          endedAt: endedAtMs,
          hangupCause: cause,
          hangupCauseCode: code,
          hangupSource: source,
          durationSec,
          billDurationSec: 0,
          error: {
            messages:
              detail === undefined
                ? [describeFailure(cause, sipStatus)]
                : [describeFailure(cause, sipStatus), detail],
          },
        }),
      identity,
    );
    const url = req.hangupUrl;
    if (url === undefined || url === '') {
      return recorded;
    }
    const params = callParams(identity, status).filter(([k]) => k !== 'Event');
    params.push(
      ['Event', 'Hangup'],
      ['HangupCause', cause],
      ...(code === null ? [] : [['HangupCauseCode', String(code)] as [string, string]]),
      ['HangupSource', source],
      ['Duration', '0'],
      ['BillDuration', '0'],
      ['StartTime', plivoTime(identity.startedAtMs)],
      ['EndTime', plivoTime(endedAtMs)],
    );
    engine.callbacks.send(`hangup:${identity.callUuid}`, {
      url,
      method: req.hangupMethod ?? 'POST',
      params,
    });
    return recorded;
  }

  /** Runs one record write; a failure is logged with the call, never thrown. */
  async #record(write: () => Promise<unknown>, identity: CallIdentity): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.#log.error({ err, callUuid: identity.callUuid }, 'could not write the outbound call record');
    }
  }
}

/** The record of an accepted, not yet answered outbound call. */
function queuedRecord(identity: CallIdentity, answerUrl: string, nodeId: string | null): CallRecord {
  return {
    ...newCallRecord(identity, answerUrl, identity.startedAtMs, null, nodeId),
    status: 'queued',
    answeredAt: null,
  };
}
