/**
 * The SIP layer behind `<Dial>` (the engine's `CallDialer` port): each party is an outbound call through
 * the SIP server's `dial` (the trunk for a number, the URI for a user), with its own record from the
 * first INVITE: `call.started` with `parentCallUuid` (the caller's call), `call.answered` when it
 * answers, and for a party that never answers a `call.ended` with its status (busy, no-answer,
 * canceled, failed), as the REST dialer does for REST calls. An answered party's call is ticked by the
 * engine like any other and ends with its own `call.ended`. Its XML is the Dial's: none is fetched.
 */
import type { Engine } from '../../engine/engine.js';
import type {
  CallDialer,
  PartyDialRequest,
  PartyDialResult,
} from '../../engine/interpreter/elements/dial.types.js';
import { hangupCauseCodeOf } from '../../engine/records/hangup-causes.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { Random } from '../../ports/random.js';
import type { DialOptions, SipDialResult } from '../sip/outbound.js';
import { statusOfFailedDial } from './rest-dialer.js';

export interface PartyDialerDeps {
  readonly engine: Engine;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
  /** The node written on the party's record (`cluster.nodeId`), or null. */
  readonly nodeId: string | null;
  /** Places the call (SipServer.dial); never rejects. */
  dial(opts: DialOptions): Promise<SipDialResult>;
}

export class PartyDialer implements CallDialer {
  readonly #deps: PartyDialerDeps;
  readonly #log: Logger;

  constructor(deps: PartyDialerDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'dial' });
  }

  async dial(req: PartyDialRequest): Promise<PartyDialResult> {
    const { engine, clock, random } = this.#deps;
    const callUuid = random.uuid();
    const startedAtMs = clock.epochMs();
    engine.events.emit({
      type: 'call.started',
      callUuid,
      atMs: startedAtMs,
      direction: 'outbound',
      from: req.from,
      to: req.to,
      answerUrl: '',
      requestUuid: null,
      sipCallId: null,
      startedAtMs,
      nodeId: this.#deps.nodeId,
      hangupCallback: null,
      parentCallUuid: req.parentCallUuid,
    });
    let res: SipDialResult;
    try {
      res = await this.#deps.dial({
        to: req.to,
        from: req.from,
        ...(req.callerName === undefined ? {} : { fromName: req.callerName }),
        callUuid,
        timeoutSec: req.timeoutSec,
        timeLimitSec: req.timeLimitSec,
        headers: req.headers,
        signal: req.signal,
      });
    } catch (err) {
      this.#log.error({ err, callUuid }, 'dial threw');
      res = { ok: false, cause: 'Internal Error' };
    }
    if (res.ok) {
      engine.events.emit({
        type: 'call.answered',
        callUuid: res.call.callUuid,
        atMs: clock.epochMs(),
        answerUrl: '',
        sipCallId: null,
        hangupCallback: null,
      });
      return { ok: true, call: res.call };
    }
    const status = statusOfFailedDial(res.cause, res.sipStatus);
    this.#log.info(
      { callUuid, parentCallUuid: req.parentCallUuid, cause: res.cause, sipStatus: res.sipStatus, status },
      'Dial party not answered',
    );
    engine.events.emit({
      type: 'call.ended',
      callUuid,
      atMs: clock.epochMs(),
      status,
      cause: res.cause,
      causeCode: hangupCauseCodeOf(res.cause),
      source: res.sipStatus === undefined ? 'server' : 'callee',
    });
    return {
      ok: false,
      callUuid,
      cause: res.cause,
      ...(res.sipStatus === undefined ? {} : { sipStatus: res.sipStatus }),
    };
  }
}
