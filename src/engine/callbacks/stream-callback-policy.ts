/**
 * Which budget each stream status callback (D12) uses in `CallbackDelivery` (see its module doc).
 * StartStream, StopStream and DroppedStream happen at most once per stream and are never dropped;
 * DegradedStream is lifecycle too, and only another DegradedStream of the same stream can push it out
 * (it can repeat when a consumer's buffer swings around a level). PlayedStream and ClearedAudio follow
 * the app's messages one for one, so they share the bounded `frequent` budget; ClearedAudio waiting
 * right behind another ClearedAudio is merged into it.
 */
import type { StreamCallbackEvent } from '../../protocol/stream-ws/status-callback.js';
import type { CallbackSendOptions } from './callback-delivery.js';

const POLICY: Readonly<Record<StreamCallbackEvent, CallbackSendOptions>> = {
  StartStream: { kind: 'lifecycle' },
  StopStream: { kind: 'lifecycle' },
  DroppedStream: { kind: 'lifecycle' },
  DegradedStream: { kind: 'lifecycle', evictable: true },
  PlayedStream: { kind: 'frequent' },
  ClearedAudio: { kind: 'frequent', coalesceKey: 'ClearedAudio' },
};

/** The delivery budget of one stream status callback event. */
export function streamCallbackPolicy(event: StreamCallbackEvent): CallbackSendOptions {
  return POLICY[event];
}
