/**
 * The one mapping from a stream (its `StreamSpec` and current state) to the stored `StreamRecord`
 * shape. Call control writes records with it; the REST API uses it to describe a live stream the store
 * has not seen (streams of calls not run by call control).
 */
import type { StreamRecord } from '../../ports/call-store.js';
import type { StreamFork } from '../fork/stream-fork.js';

/** The time- and outcome-dependent part of a record. */
export interface StreamRecordState {
  readonly status: StreamRecord['status'];
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly stopReason: StreamRecord['stopReason'];
  readonly error: StreamRecord['error'];
}

export function streamRecordOf(fork: StreamFork, callUuid: string, state: StreamRecordState): StreamRecord {
  const spec = fork.spec;
  return {
    streamId: fork.streamId,
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
