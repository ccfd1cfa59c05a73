import type { StreamSettings } from './stream-fork.types.js';

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
