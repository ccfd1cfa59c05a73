/**
 * Which budget each stream status callback uses in `CallbackDelivery` (see its module doc), by the
 * stream event it reports (whatever the dialect calls it; Plivo's D12 names in brackets). `started`
 * (StartStream), `stopped` (StopStream) and `dropped` (DroppedStream) happen at most once per stream
 * and are never dropped; `degraded` (DegradedStream) is lifecycle too, and only another of the same
 * stream can push it out (it can repeat when a consumer's buffer swings around a level).
 * `checkpointPlayed` (PlayedStream) and `cleared` (ClearedAudio) follow the app's messages one for
 * one, so they share the bounded `frequent` budget; a `cleared` waiting right behind another is
 * merged into it.
 */
import type { StreamStatusEventType } from '../../protocol/stream-dialect.types.js';
import type { CallbackSendOptions } from './callback-delivery.js';

const POLICY: Readonly<Record<StreamStatusEventType, CallbackSendOptions>> = {
  started: { kind: 'lifecycle' },
  stopped: { kind: 'lifecycle' },
  dropped: { kind: 'lifecycle' },
  degraded: { kind: 'lifecycle', evictable: true },
  checkpointPlayed: { kind: 'frequent' },
  cleared: { kind: 'frequent', coalesceKey: 'cleared' },
};

/** The delivery budget of one stream status callback event. */
export function streamCallbackPolicy(event: StreamStatusEventType): CallbackSendOptions {
  return POLICY[event];
}
