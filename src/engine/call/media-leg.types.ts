/**
 * What the engine needs from one call leg, whatever carries it: an in-process virtual call (a WAV file
 * in, a recorder out), or SIP with RTP. The engine cannot tell them apart.
 *
 * Audio at this boundary is always 8 kHz mono signed 16-bit PCM in 20 ms frames of 160 samples: the
 * rate of G.711, the only codecs a telephony leg offers (PCMU/PCMA).
 */
export const CALL_SAMPLE_RATE_HZ = 8000;
export const FRAME_MS = 20;
export const FRAME_SAMPLES = (CALL_SAMPLE_RATE_HZ * FRAME_MS) / 1000;

export type HangupSource = 'caller' | 'callee' | 'server' | 'api' | 'error';

export interface LegHangup {
  /** Plivo hangup cause, e.g. `NORMAL_CLEARING`. */
  readonly cause: string;
  readonly source: HangupSource;
}

export interface MediaLegEvents {
  /** A DTMF digit finished (RFC 4733 end, or a virtual key press). */
  dtmf: (digit: string) => void;
  /** The far end hung up, or the transport failed. Fired once. */
  hangup: (hangup: LegHangup) => void;
}

export interface MediaLeg {
  /**
   * Copies the caller's next 20 ms into `out` (160 samples). Returns false when the leg has no audio
   * for this frame (nothing received yet, or a gap it could not conceal); `out` is then silence.
   * Called once per tick of the shared media clock.
   */
  readInbound(out: Int16Array): boolean;
  /** Sends 20 ms (160 samples) to the caller. Called once per tick of the shared media clock. */
  writeOutbound(frame: Int16Array): void;
  /** Plays DTMF digits to the caller (RFC 4733 on SIP legs). */
  sendDtmf(digits: string): void;
  /** Ends the leg from our side. Idempotent. */
  hangup(cause: string): void;
  on<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): void;
  off<E extends keyof MediaLegEvents>(event: E, listener: MediaLegEvents[E]): void;
}
