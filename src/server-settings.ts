/**
 * Maps the validated server config onto the settings objects the engine and adapters take.
 */
import type { Config } from './config/schema.js';
import type { StreamSettings } from './engine/fork/stream-fork.types.js';

export function streamSettingsFrom(config: Config, authToken: string): StreamSettings {
  const s = config.stream;
  return {
    accountId: config.auth.authId,
    authToken,
    extraHeadersMode: s.extraHeadersMode,
    l16LittleEndian: s.l16ByteOrder === 'little',
    sendStop: s.sendStop,
    connectAttempts: s.connectAttempts,
    connectTimeoutMs: s.connectTimeoutMs,
    connectBackoffMs: s.connectBackoffMs,
    bufferSeconds: s.bufferSeconds,
    maxMessageBytes: s.wsMaxPayloadBytes,
    maxPlayoutQueueMs: config.tuning.maxPlayoutQueueMs,
    signWebSocketUrlAs: s.signWebSocketUrlAs,
  };
}
