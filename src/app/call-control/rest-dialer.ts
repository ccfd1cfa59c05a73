/**
 * The REST API's Call create, behind the API's `dial`: it answers at once with a request UUID and
 * places the call in the background. The call has a record from the moment it is accepted (`queued`:
 * it emits `call.started`, the record projector writes it), so a call that fails afterwards (no trunk for a number, the INVITE cannot be sent, the far end
 * rejects it, nobody answers) still ends with a record carrying its status, cause, cause code and
 * source (its `call.error` and `call.ended` events), visible in GET Call and the list; hangup_url is
 * notified as for any other end. A call that is answered becomes `in-progress` and call control runs it.
 */
import type { HangupSource } from '../../engine/call/media-leg.types.js';
import type { Engine } from '../../engine/engine.js';
import type { EndedCallStatus } from '../../engine/events/call-events.js';
import { callParams, type CallIdentity } from '../../engine/interpreter/call-params.js';
import { hangupCauseCodeOf, hangupSourceName } from '../../engine/records/hangup-causes.js';
import { hangupCallbackParams } from '../../protocol/plivo-hangup.js';
import { hangupCallbackId, hangupLane } from '../../ports/callback-outbox.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';
import type { AnswerConfig, CallControl } from '../call-control.js';
import { hangupCallbackTemplate } from './records.js';
import type { DialRequest } from '../../ports/call-commands.js';
import type { SipDialResult } from '../sip/outbound.js';

export interface RestDialerDeps {
  readonly engine: Engine;
  readonly control: CallControl;
  readonly logger: Logger;
  /** The runtime's ports (the call's UUIDs and the events' times). */
  readonly clock: Clock;
  readonly random: Random;
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
export function statusOfFailedDial(cause: string, sipStatus: number | undefined): EndedCallStatus {
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

/** Who ended a call that was never answered: the far end when it answered with a status, else us or an error. */
function sourceOfFailedDial(cause: string, sipStatus: number | undefined): HangupSource {
  if (sipStatus !== undefined) {
    return 'callee';
  }
  return cause === 'NO_ANSWER' || cause === 'RECOVERY_ON_TIMER_EXPIRE' ? 'server' : 'error';
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

  /** Accepts one destination: announces it (`queued`), dials in the background, returns the request UUID. */
  dial(req: DialRequest): Promise<{ readonly ok: true; readonly requestUuid: string }> {
    const { engine, clock, random } = this.#deps;
    const identity: CallIdentity = {
      callUuid: random.uuid(),
      requestUuid: random.uuid(),
      from: req.from,
      to: req.to,
      direction: 'outbound',
      accountId: this.#deps.accountId,
      startedAtMs: clock.epochMs(),
    };
    // Announced before the dial starts, so the answer's update always follows the queued record.
    engine.events.emit({
      type: 'call.started',
      callUuid: identity.callUuid,
      atMs: identity.startedAtMs,
      direction: 'outbound',
      from: req.from,
      to: req.to,
      answerUrl: req.answerUrl,
      requestUuid: identity.requestUuid,
      sipCallId: null,
      startedAtMs: identity.startedAtMs,
      nodeId: this.#deps.control.nodeId,
      hangupCallback: hangupCallbackTemplate(identity, req.hangupUrl, req.hangupMethod),
    });
    const placing = this.#place(identity, req);
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

  async #place(identity: CallIdentity, req: DialRequest): Promise<void> {
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
      this.#failed(identity, req, res.cause, res.sipStatus, res.detail);
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
    this.#deps.control.run(res.call, { ...identity, callUuid: res.call.callUuid }, answer, {
      announced: true,
    });
  }

  /** Ends a call that was never answered (`call.error`, `call.ended`), and tells hangup_url. */
  #failed(
    identity: CallIdentity,
    req: DialRequest,
    cause: string,
    sipStatus: number | undefined,
    detail?: string,
  ): void {
    const { engine, clock } = this.#deps;
    const endedAtMs = clock.epochMs();
    const status = statusOfFailedDial(cause, sipStatus);
    const source = sourceOfFailedDial(cause, sipStatus);
    const code = hangupCauseCodeOf(cause);
    this.#log.warn(
      { requestUuid: identity.requestUuid, callUuid: identity.callUuid, cause, sipStatus, status, detail },
      'outbound call failed',
    );
    const callUuid = identity.callUuid;
    for (const message of detail === undefined
      ? [describeFailure(cause, sipStatus)]
      : [describeFailure(cause, sipStatus), detail]) {
      engine.events.emit({
        type: 'call.error',
        callUuid,
        atMs: endedAtMs,
        code: 'ERR_CALL_DIAL_FAILED',
        message,
      });
    }
    engine.events.emit({
      type: 'call.ended',
      callUuid,
      atMs: endedAtMs,
      status,
      cause,
      causeCode: code,
      source,
    });
    const url = req.hangupUrl;
    if (url === undefined || url === '') {
      return;
    }
    const params = hangupCallbackParams(callParams(identity, status), {
      cause,
      causeCode: code,
      sourceName: hangupSourceName(source),
      startedAtMs: identity.startedAtMs,
      answeredAtMs: null,
      endedAtMs,
    });
    engine.callbacks.send(
      hangupLane(identity.callUuid),
      { url, method: req.hangupMethod ?? 'POST', params },
      { id: hangupCallbackId(identity.callUuid) },
    );
  }
}
