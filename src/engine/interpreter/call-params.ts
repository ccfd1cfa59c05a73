import type { Logger } from '../../ports/logger.js';
import { twilioSid } from '../../protocol/twilio/twilio-sid.js';
import type { CallSession } from '../call/call-session.js';
import type { EngineDeps } from '../engine.js';
import type { EarlyAnswer, ElementContext } from './interpreter.types.js';

/** The parameters Plivo sends with every request a call makes (compatibility §9). */
export interface CallIdentity {
  readonly callUuid: string;
  readonly requestUuid: string;
  readonly from: string;
  readonly to: string;
  readonly direction: 'inbound' | 'outbound';
  readonly accountId: string;
  /** Epoch ms when the call started. */
  readonly startedAtMs: number;
  /** SIP headers to pass as `SIP-H-<Name>` (X- headers of the INVITE). */
  readonly sipHeaders?: readonly (readonly [string, string])[];
}

function sessionStart(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-02T03:04:05.678Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

export function callParams(id: CallIdentity, callStatus: string): [string, string][] {
  const params: [string, string][] = [
    ['CallUUID', id.callUuid],
    ['From', id.from],
    ['To', id.to],
    ['Direction', id.direction],
    ['CallStatus', callStatus],
    ['ALegUUID', id.callUuid],
    ['ALegRequestUUID', id.requestUuid],
    ['RequestUUID', id.requestUuid],
    ['ParentAuthID', id.accountId],
    ['SessionStart', sessionStart(id.startedAtMs)],
    ['Event', 'StartApp'],
  ];
  for (const [name, value] of id.sipHeaders ?? []) {
    params.push([`SIP-H-${name}`, value]);
  }
  return params;
}

/**
 * The parameters Twilio sends with a voice webhook, for flows whose documents are TwiML: CallSid and
 * AccountSid (Twilio-style sids of the call's UUID and the account), From, To, CallStatus, Direction
 * (`inbound` or `outbound-api`) and ApiVersion.
 */
export function twilioCallParams(id: CallIdentity, callStatus: string): [string, string][] {
  return [
    ['CallSid', twilioSid('CA', id.callUuid)],
    ['AccountSid', id.accountId],
    ['From', id.from],
    ['To', id.to],
    ['CallStatus', callStatus],
    ['Direction', id.direction === 'inbound' ? 'inbound' : 'outbound-api'],
    ['ApiVersion', '2010-04-01'],
  ];
}

/** The runtime's ports a call flow uses (the composition root's, the same the engine was built with). */
export type FlowPorts = Pick<EngineDeps, 'http' | 'random' | 'clock' | 'timers'>;

/** What an `ElementContext` needs beyond the call and the ports: the flow's own settings. */
export interface FlowContextOptions {
  readonly logger: Logger;
  readonly authToken: string;
  /** Aborts the flow (the call ended, or a transfer replaced it). */
  readonly signal: AbortSignal;
  readonly fetchTimeoutMs: number;
  /** An inbound call still in early media (`<PreAnswer>`), answered by the interpreter. */
  readonly early?: EarlyAnswer;
}

/**
 * The context a call flow runs in: the runtime's ports, and the call's Plivo parameters with its live
 * status (§9). The one place that builds it, for call control, test stacks and virtual calls alike.
 */
export function flowContext(
  deps: FlowPorts,
  call: CallSession,
  identity: CallIdentity,
  opts: FlowContextOptions,
): ElementContext {
  return {
    call,
    http: deps.http,
    random: deps.random,
    clock: deps.clock,
    timers: deps.timers,
    logger: opts.logger,
    authToken: opts.authToken,
    signal: opts.signal,
    fetchTimeoutMs: opts.fetchTimeoutMs,
    ...(opts.early === undefined ? {} : { early: opts.early }),
    callParams: () => callParams(identity, call.status === 'in-progress' ? 'in-progress' : 'completed'),
    twilioCallParams: () =>
      twilioCallParams(identity, call.status === 'in-progress' ? 'in-progress' : 'completed'),
  };
}
