import type { StreamSettings, StreamStats } from './stream-fork.types.js';

/** Stream settings with the defaults of the Decisions table (D4, D6, D7, D10, D11). */
export function defaultStreamSettings(accountId: string, authToken: string): StreamSettings {
  return {
    accountId,
    authToken,
    extraHeadersMode: 'semicolon',
    l16LittleEndian: true,
    sendStop: false,
    connectAttempts: 3,
    connectTimeoutMs: 5000,
    connectBackoffMs: 250,
    bufferSeconds: 40,
    maxMessageBytes: 16 * 1024 * 1024,
    maxPlayoutQueueMs: 120_000,
    signWebSocketUrlAs: 'scheme-mapped',
  };
}

/** A new stream's counters, all zero. */
export function freshStreamStats(): StreamStats {
  return {
    mediaMessagesSent: 0,
    playedFrames: 0,
    checkpointsAcked: 0,
    clears: 0,
    appMessages: 0,
    appErrors: 0,
    lastAppError: undefined,
    connectAttempts: 0,
    bufferUsagePercent: 0,
    callbacksDropped: 0,
    callbacksCoalesced: 0,
    connectedAtMs: 0,
    firstMediaAtMs: 0,
    firstPlayAudioAtMs: 0,
    degradedEvents: 0,
    wsBufferedBytes: 0,
    resumes: 0,
    resumeDroppedMessages: 0,
  };
}
