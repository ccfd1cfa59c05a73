/**
 * The `CallCommands` port on the engine: the REST API's writes, done on live `CallSession`s, with
 * call control (transfer, the records of each call and stream) and the REST dialer (Call create).
 *
 * A command on a call the engine no longer holds asks the store whether the call ever existed, so the
 * API can tell "not found" from "not in progress" without reading the engine. Each command waits for
 * the call's pending record writes, so the API's next read of the store sees what it changed.
 */
import type { CallSession } from '../engine/call/call-session.js';
import type { Engine } from '../engine/engine.js';
import type { StreamSpec } from '../engine/fork/stream-fork.types.js';
import { ServerError } from '../errors/server-error.js';
import type {
  CallCommands,
  CommandRefusal,
  CommandResult,
  DialRequest,
  HttpMethod,
  StreamStartRequest,
} from '../ports/call-commands.js';
import type { CallStore } from '../ports/call-store.js';
import type { CallControl } from './call-control.js';
import type { ReadinessState } from './sip/readiness.js';

/** The node's gate for new work (the SIP server's readiness: draining and `limits`). */
export interface Admission {
  /** Whether a new call may start now. */
  call(): ReadinessState;
  /** Whether a new stream may start on a live call now. */
  stream(): ReadinessState;
  /** Counts a refusal that was answered (metrics). */
  countRefusal(state: ReadinessState): void;
}

export interface EngineCallCommandsDeps {
  readonly engine: Engine;
  readonly store: CallStore;
  /** Transfer, and the call's record writes (`settled`). */
  readonly control: Pick<CallControl, 'transfer' | 'settled'>;
  /** Call create (`RestDialer.dial`); resolves once the call's record exists. */
  dial(req: DialRequest): Promise<CommandResult<{ readonly requestUuid: string }>>;
  /** Refuses Call create and Stream start (503 with Retry-After) while the node is not ready. Absent: never. */
  readonly admission?: Admission;
}

const OK = { ok: true } as const;

/** The refusal of a node that takes no new work now (REST 503 with Retry-After). */
function unavailable(state: Extract<ReadinessState, { ready: false }>): CommandRefusal {
  return {
    ok: false,
    reason: 'failed',
    code: 'ERR_API_UNAVAILABLE',
    message: state.reason,
    retryAfterSec: state.retryAfterSec,
  };
}

function refused(reason: 'not-found' | 'not-live' | 'refused', message: string): CommandRefusal {
  return { ok: false, reason, message };
}

export class EngineCallCommands implements CallCommands {
  readonly #deps: EngineCallCommandsDeps;

  constructor(deps: EngineCallCommandsDeps) {
    this.#deps = deps;
  }

  async createCall(req: DialRequest): Promise<CommandResult<{ readonly requestUuid: string }>> {
    const admission = this.#deps.admission;
    const state = admission?.call();
    if (state !== undefined && !state.ready) {
      admission?.countRefusal(state);
      return unavailable(state);
    }
    return this.#deps.dial(req);
  }

  async startStream(
    callUuid: string,
    req: StreamStartRequest,
  ): Promise<CommandResult<{ readonly streamId: string }>> {
    const call = await this.#live(callUuid);
    if ('reason' in call) {
      return call;
    }
    const admission = this.#deps.admission;
    const state = admission?.stream();
    if (state !== undefined && !state.ready) {
      admission?.countRefusal(state);
      return unavailable(state);
    }
    // REST streams never hold the call's XML (compatibility §8: no REST keepCallAlive).
    const spec: StreamSpec = { ...req, keepCallAlive: false };
    let streamId: string;
    try {
      streamId = call.startStream(spec).streamId;
    } catch (err) {
      if (err instanceof ServerError && err.code === 'ERR_STATE_INVALID') {
        return call.status === 'in-progress'
          ? refused('refused', err.message)
          : refused('not-live', 'call is not in progress');
      }
      throw err;
    }
    await this.#deps.control.settled(callUuid);
    return { ok: true, streamId };
  }

  async stopStream(callUuid: string, streamId: string, reason: string): Promise<CommandResult> {
    const fork = this.#deps.engine
      .getCall(callUuid)
      ?.liveStreams.find((f) => f.streamId === streamId && !f.closed);
    if (fork === undefined) {
      const known =
        this.#deps.engine.getCall(callUuid)?.allStreams.some((f) => f.streamId === streamId) === true ||
        (await this.#deps.store.getStream(callUuid, streamId)) !== undefined;
      return known ? refused('not-live', 'stream has ended') : refused('not-found', 'stream not found');
    }
    fork.stop(reason);
    await this.#deps.control.settled(callUuid);
    return OK;
  }

  async stopAllStreams(callUuid: string, reason: string): Promise<CommandResult<{ stopped: number }>> {
    const call = this.#deps.engine.getCall(callUuid);
    if (call === undefined && (await this.#deps.store.getCall(callUuid)) === undefined) {
      return refused('not-found', 'call not found');
    }
    const forks = [...(call?.liveStreams ?? [])];
    for (const fork of forks) {
      fork.stop(reason);
    }
    await this.#deps.control.settled(callUuid);
    return { ok: true, stopped: forks.length };
  }

  async hangup(callUuid: string, cause: string): Promise<CommandResult> {
    const call = await this.#live(callUuid);
    if ('reason' in call) {
      return call;
    }
    call.hangup(cause, 'api');
    await this.#deps.control.settled(callUuid);
    return OK;
  }

  async transfer(callUuid: string, url: string, method: HttpMethod): Promise<CommandResult> {
    const call = await this.#live(callUuid);
    if ('reason' in call) {
      return call;
    }
    return this.#deps.control.transfer(callUuid, url, method)
      ? OK
      : refused('not-found', 'call is not run by call control');
  }

  async sendDtmf(callUuid: string, digits: string): Promise<CommandResult> {
    const call = await this.#live(callUuid);
    if ('reason' in call) {
      return call;
    }
    call.leg.sendDtmf(digits);
    return OK;
  }

  /** The call while in progress, else why not: ended (the store or the engine knows it) or unknown. */
  async #live(callUuid: string): Promise<CallSession | CommandRefusal> {
    const call = this.#deps.engine.getCall(callUuid);
    if (call?.status === 'in-progress') {
      return call;
    }
    if (call !== undefined || (await this.#deps.store.getCall(callUuid)) !== undefined) {
      return refused('not-live', 'call is not in progress');
    }
    return refused('not-found', 'call not found');
  }
}
