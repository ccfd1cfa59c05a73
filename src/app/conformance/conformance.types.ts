/**
 * The conformance kit's vocabulary (`streamfork conformance`, issue 16 item 5): the rules a stream bot is
 * held to, the outcome of each check and the report.
 */

/** One rule, named so a failing report says exactly what to fix. */
export interface Rule {
  readonly id: string;
  /** What the bot must do, in one sentence. */
  readonly text: string;
}

export const RULES = {
  streamStarts: {
    id: 'STREAM-STARTS',
    text: 'The answer XML starts a bidirectional <Stream> and the bot accepts its WebSocket within 5 s.',
  },
  messagesValid: {
    id: 'MESSAGES-VALID',
    text: 'Every message the bot sends parses and is one of playAudio, checkpoint, clearAudio, sendDTMF.',
  },
  playFormat: {
    id: 'PLAY-FORMAT',
    text: "playAudio payloads are in the stream's contentType and sample rate and hold whole samples.",
  },
  playReplies: {
    id: 'PLAY-REPLIES',
    text: 'After the caller speaks, the bot plays audio back within 5 s.',
  },
  playAudible: {
    id: 'PLAY-AUDIBLE',
    text: 'What the bot plays is audible (not digital silence).',
  },
  playPace: {
    id: 'PLAY-PACE',
    text: 'The bot never runs more than the playout buffer ahead of real time (no playout overflow).',
  },
  checkpoints: {
    id: 'CHECKPOINTS',
    text: 'Each checkpoint the bot sends is played and acknowledged (playedStream).',
  },
  bargeIn: {
    id: 'BARGE-IN',
    text: 'When the caller talks over the bot, the bot sends clearAudio within 1.5 s of the caller starting.',
  },
  dtmf: {
    id: 'DTMF',
    text: 'A key press keeps the stream up and draws no invalid message from the bot.',
  },
  hangupMidPlayback: {
    id: 'HANGUP-MID-PLAYBACK',
    text: 'When the caller hangs up during playback the stream closes cleanly and the answer URL still answers.',
  },
  wideband: {
    id: 'WIDEBAND-16K',
    text: 'On a 16 kHz stream (audio/x-l16;rate=16000) playAudio is whole 16-bit samples at 16 kHz, no more than the buffer ahead of real time.',
  },
  reconnect: {
    id: 'RECONNECT',
    text: 'A bot that asks for resumeTimeout accepts the reconnect after a dropped socket (a start with "resumed": true, same streamId) within the window and goes on with valid messages.',
  },
} as const satisfies Record<string, Rule>;

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  readonly rule: string;
  readonly scenario: string;
  readonly status: CheckStatus;
  /** What was seen: figures, the codes of refused messages, why it was skipped. */
  readonly detail: string;
}

export interface ConformanceReport {
  readonly answerUrl: string;
  readonly checks: readonly CheckResult[];
  /** True when no check failed (warnings and skips do not fail a run). */
  readonly passed: boolean;
  readonly durationMs: number;
}
