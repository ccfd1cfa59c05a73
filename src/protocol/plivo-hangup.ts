/**
 * The hangup callback's parameters (compatibility §9), pure: the call's own parameters followed by
 * `Event=Hangup` and how it ended. One builder for every path that tells hangup_url: a call that ended
 * while its node ran it, an outbound call that was never answered, and a call whose node stopped (crash,
 * kill -9, node lost) and was ended by recovery from its record.
 */
import { elapsedSec, plivoTime } from './plivo-time.js';

export type FormParams = readonly (readonly [string, string])[];

/** How the call ended, as the callback reports it. */
export interface HangupEnd {
  /** Plivo's cause name (`Normal Hangup`, `Server Restart`…). */
  readonly cause: string;
  /** Its code in the hangup-cause catalogue (docs/hangup-causes.md); null when it has none. */
  readonly causeCode: number | null;
  /** Plivo's source name (`Caller`, `Callee`, `API Request`, `Error`…). */
  readonly sourceName: string;
  readonly startedAtMs: number;
  /** Null when the call was never answered: Duration and BillDuration are then 0 and AnswerTime absent. */
  readonly answeredAtMs: number | null;
  readonly endedAtMs: number;
}

/**
 * `base` (the call's parameters, any `Event` among them dropped) then Event, HangupCause,
 * HangupCauseCode (when known), HangupSource, Duration, BillDuration (whole seconds, rounded up),
 * StartTime, AnswerTime (answered calls), EndTime (`YYYY-MM-DD HH:MM:SS+00:00`).
 */
export function hangupCallbackParams(base: FormParams, end: HangupEnd): [string, string][] {
  const params: [string, string][] = [];
  for (const [k, v] of base) {
    if (k !== 'Event') {
      params.push([k, v]);
    }
  }
  const answered = end.answeredAtMs;
  params.push(
    ['Event', 'Hangup'],
    ['HangupCause', end.cause],
    ...(end.causeCode === null ? [] : [['HangupCauseCode', String(end.causeCode)] as [string, string]]),
    ['HangupSource', end.sourceName],
    ['Duration', answered === null ? '0' : String(elapsedSec(end.startedAtMs, end.endedAtMs))],
    ['BillDuration', answered === null ? '0' : String(elapsedSec(answered, end.endedAtMs))],
    ['StartTime', plivoTime(end.startedAtMs)],
    ...(answered === null ? [] : [['AnswerTime', plivoTime(answered)] as [string, string]]),
    ['EndTime', plivoTime(end.endedAtMs)],
  );
  return params;
}
