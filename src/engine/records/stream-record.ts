/**
 * The one mapping from a stream (its `StreamSpec` and current state) to the stored `StreamRecord`
 * shape. The record projector (app/records/record-projector.ts) writes records with it.
 */
import type { StreamRecord } from '../../ports/call-store.js';
import type { StreamSpec } from '../fork/stream-fork.types.js';

/** The time- and outcome-dependent part of a record. */
export interface StreamRecordState {
  readonly status: StreamRecord['status'];
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly stopReason: StreamRecord['stopReason'];
  readonly error: StreamRecord['error'];
}

export function streamRecordOf(
  stream: { readonly streamId: string; readonly spec: StreamSpec },
  callUuid: string,
  state: StreamRecordState,
): StreamRecord {
  const spec = stream.spec;
  return {
    streamId: stream.streamId,
    callUuid,
    serviceUrl: spec.serviceUrl,
    bidirectional: spec.bidirectional,
    audioTrack: spec.audioTrack,
    streamTimeoutSec: spec.streamTimeoutSec,
    statusCallbackUrl: spec.statusCallbackUrl ?? null,
    statusCallbackMethod: spec.statusCallbackMethod,
    contentType: spec.contentType,
    extraHeaders: spec.extraHeaders ?? null,
    ...state,
  };
}
